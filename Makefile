# xp: the targets CI and the README use. Only Go is needed; OpenBLAS and a GPU
# are found at run time when present.
GO      ?= go
BIN     ?= bin/xp
PKGS    ?= ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/xp-ml/xp/provenance.Version=$(VERSION)

.PHONY: all build install test test-faults test-slurm test-k8s test-remote vet fmt fmt-check bench bench-search bench-asha bench-serve bench-export bench-report parity parity-regression gpu-check example clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/xp

# xp on PATH: into $(go env GOBIN), else $(go env GOPATH)/bin.
install:
	CGO_ENABLED=0 $(GO) install -trimpath -ldflags "$(LDFLAGS)" ./cmd/xp

# The README's test command: formatting, vet, then every test (fuzz seed
# corpora included) with the race detector off to keep CI fast.
test: fmt-check vet
	$(GO) test -count=1 $(PKGS)

# The fault-injection suite: kill -9 at random points of a sweep (12
# trials; XP_FAULTS_SEED and XP_FAULTS_TRIALS change them), then no point
# lost, none trained twice, resumed runs bitwise equal to uninterrupted ones,
# the store read as another user (as root); the disk under the store filled
# mid-run (a tmpfs, as root), then xp resume; a failed run resumed from its
# checkpoint, resume right after kill -9; a corrupted, empty or missing
# database and deleted or damaged artifacts against xp doctor; every input
# limit. Its figures are the "faults:" line. About a minute and a half.
test-faults:
	XP_TEST_FAULTS=1 $(GO) test -count=1 -timeout 20m -v -run '^TestFaults(DiskFull)?$$' ./cli
	$(GO) test -count=1 -run 'TestResumeAfterFailure|TestResumeRightAfterKill|TestResumeAfterKill' ./runner
	$(GO) test -count=1 -run 'TestLostDatabase|TestFileChangedUnderARun|TestBackupAndIntegrity|TestOpenReadOnly' ./store
	$(GO) test -count=1 -run 'TestReadLimits|TestOnlyRegularFiles|TestNULByte|TestHTTPLimits|TestStaleTmpRemoved|TestDataLimits|TestSweepMaxPoints|TestSpecBounds' ./data/... ./cue/spec
	$(GO) test -count=1 -run 'TestScripts/(doctor|rebuild|limits|term_escape)$$' ./cli

# The Slurm executor against a real single-node Slurm on loopback, started
# and stopped by the test (Debian slurm-wlm and munge, as root).
test-slurm:
	XP_TEST_SLURM=1 $(GO) test -count=1 -timeout 15m -run 'TestCluster' -v ./sweep/slurm

# The Kubernetes executor against a real control plane on loopback: etcd
# (Debian etcd-server), kube-apiserver and kube-controller-manager, started
# and stopped by the test, and a node agent in the test that runs each pod
# as a local process. XP_KUBE_BIN names the directory of the two binaries;
# without it they are built once (about 4 minutes each on 2 cores) into a
# cache outside the repository by sweep/kubernetes/testdata/cp/build.sh.
test-k8s:
	bin=$${XP_KUBE_BIN:-$$(bash sweep/kubernetes/testdata/cp/build.sh)} && \
	XP_TEST_K8S=1 XP_KUBE_BIN=$$bin $(GO) test -count=1 -timeout 20m -run 'TestKubernetes' -v ./sweep/kubernetes

# The remotes' tests against versitygw, a real S3 server that checks every
# request's SigV4 signature, started and stopped by the tests on loopback:
# XP_VERSITYGW names its binary (go install
# github.com/versity/versitygw/cmd/versitygw@v1.8.0; .ci/run builds it once
# into a cache). make test runs them too when it finds one, and skips them
# when not; here a missing versitygw fails.
test-remote:
	XP_TEST_VERSITYGW=1 $(GO) test -count=1 -timeout 20m -run '/versitygw' ./remote/...

vet:
	$(GO) vet $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null) 2>/dev/null); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# xp's test accuracy against PyTorch's MLP and scikit-learn's logistic
# regression on the shipped datasets, same split and hyperparameters.
parity:
	bash bench/parity.sh

# xp's regression (experiments/amount.cue) against scikit-learn's
# LinearRegression and MLPRegressor and a PyTorch MLP, on the same rows.
parity-regression:
	bash bench/regression.sh

# Go benchmarks, then xp against the PyTorch reference on the same jobs.
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x $(PKGS)
	bash bench/bench.sh

# Search quality: random search, xp's TPE and Optuna's TPE (Debian's
# python3-optuna) on synthetic objectives and two real experiments (credit
# and churn MLPs, each point trained), the median over 10 seeds
# (SEARCH_SEEDS) of the best value after 16, 32 and 64 trials, and the
# goals checked (bench/search.sh; about 11 minutes on two busy cores,
# nearly all of it training the real experiments' points; SEARCH_REAL=0
# leaves them out).
bench-search:
	bash bench/search.sh
	bash bench/asha.sh

# Successive halving against the full sweep on 27 points of credit
# (bench/asha.sh; under a minute on two cores).
bench-asha:
	bash bench/asha.sh

# xp serve under load on loopback, single-row requests to the credit model
# at 1 and 2 cores, next to a minimal Python server around the same model
# in PyTorch (bench/serve.sh; about 3 minutes).
bench-serve:
	bash bench/serve.sh

# xp export runs and points on 100,000 runs and 5,000,000 points, against
# sqlite3 -csv on the same store (bench/export.sh).
bench-export:
	bash bench/export.sh

# xp report's time and size on real runs, a 12-point and a 100-point
# sweep, with screenshots when Chromium is installed (bench/report.sh).
bench-report:
	bash bench/report.sh

# Builds gpu-check/: cgo-free binaries and a script that runs the CUDA
# conformance suite, credit on cuda and cpu, and the large benchmark on a
# GPU machine with no Go (see bench/gpu-check.sh).
gpu-check:
	bash bench/gpu-check.sh

# The README's first command: build xp and train the shipped credit example.
example: build
	./$(BIN) vet
	./$(BIN) run credit
	./$(BIN) ls

clean:
	rm -rf bin gpu-check
