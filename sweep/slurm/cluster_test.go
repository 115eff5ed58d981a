package slurm

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
	"github.com/xp-ml/xp/sweep/cluster"
	"github.com/xp-ml/xp/sweep/internal/sweeptest"
)

// needSlurm skips the test unless a Slurm and munge install is here (or
// XP_TEST_SLURM=1 says it must be, and the test then fails without one).
func needSlurm(t *testing.T) {
	t.Helper()
	must := os.Getenv("XP_TEST_SLURM") == "1"
	if !must {
		// Starting daemons is not something a plain `make test` should do
		// on whatever machine it runs: `make test-slurm` asks for it.
		t.Skip("starts a real Slurm cluster: run with XP_TEST_SLURM=1 (make test-slurm)")
	}
	for _, bin := range []string{"sbatch", "slurmctld", "slurmd", "scontrol", "munged"} {
		if _, err := exec.LookPath(bin); err != nil {
			if _, serr := os.Stat("/usr/sbin/" + bin); serr == nil {
				continue
			}
			if must {
				t.Fatalf("XP_TEST_SLURM=1 but %s is not installed", bin)
			}
			t.Skipf("no %s: install slurm-wlm and munge to run the Slurm test", bin)
		}
	}
	if os.Geteuid() != 0 {
		if must {
			t.Fatal("XP_TEST_SLURM=1: the test cluster's slurmd must run as root")
		}
		t.Skip("not root: the test cluster's slurmd must run as root")
	}
	if testing.Short() && !must {
		t.Skip("-short: the Slurm test starts a cluster and builds xp")
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// stopPID ends a daemon this test started, by its pid, and waits for it.
func stopPID(t *testing.T, name string, pid int, wait func()) {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Logf("stop %s (pid %d): %v", name, pid, err)
	}
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		syscall.Kill(pid, syscall.SIGKILL)
		<-done
	}
}

// startCluster starts munged (unless one runs), slurmctld and slurmd on
// loopback with their state under a temporary directory, sets SLURM_CONF
// for the clients, and stops what it started by pid at the end of t.
func startCluster(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/run/munge/munge.socket.2"); err != nil {
		if out, err := exec.Command("install", "-d", "-o", "munge", "-g", "munge", "/run/munge").CombinedOutput(); err != nil {
			t.Fatalf("munge run directory: %v: %s", err, out)
		}
		pidFile := filepath.Join("/run/munge", "xp-test-munged.pid")
		cmd := exec.Command("runuser", "-u", "munge", "--", "/usr/sbin/munged", "--pid-file", pidFile)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("start munged: %v: %s", err, out)
		}
		b, err := os.ReadFile(pidFile)
		if err != nil {
			t.Fatalf("munged pid: %v", err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("munged pid %q: %v", b, err)
		}
		t.Cleanup(func() {
			stopPID(t, "munged", pid, func() {
				for syscall.Kill(pid, 0) == nil {
					time.Sleep(50 * time.Millisecond)
				}
			})
		})
	}
	conf := filepath.Join(dir, "slurm.conf")
	for _, d := range []string{"state", "spool"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	text := strings.NewReplacer("HOST", host, "DIR", dir).Replace(`ClusterName=xptest
SlurmctldHost=HOST(127.0.0.1)
SlurmctldPort=` + strconv.Itoa(freePort(t)) + `
SlurmdPort=` + strconv.Itoa(freePort(t)) + `
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
StateSaveLocation=DIR/state
SlurmdSpoolDir=DIR/spool
SlurmctldPidFile=DIR/slurmctld.pid
SlurmdPidFile=DIR/slurmd.pid
SlurmctldLogFile=DIR/slurmctld.log
SlurmdLogFile=DIR/slurmd.log
NodeName=HOST NodeAddr=127.0.0.1 CPUs=2 RealMemory=20000 State=UNKNOWN
PartitionName=debug Nodes=HOST Default=YES MaxTime=INFINITE State=UP
`)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLURM_CONF", conf)
	for _, d := range []string{"slurmctld", "slurmd"} {
		cmd := exec.Command(d, "-D", "-f", conf)
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", d, err)
		}
		t.Cleanup(func() { stopPID(t, d, cmd.Process.Pid, func() { cmd.Wait() }) })
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _ := exec.Command("sinfo", "-h", "-o", "%t").Output()
		if strings.TrimSpace(string(out)) == "idle" {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "slurmctld.log"))
			t.Fatalf("the node is not idle after 60s (sinfo: %q); slurmctld.log:\n%s", out, log)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// buildXP builds the xp binary the array tasks run.
func buildXP(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "xp")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/xp-ml/xp/cmd/xp")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build xp: %v: %s", err, out)
	}
	return bin
}

func TestClusterSweep(t *testing.T) {
	needSlurm(t)
	xp := buildXP(t)
	startCluster(t)
	root := sweeptest.Project(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	st, err := store.Open(ctx, filepath.Join(root, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	exp, err := spec.Find(root, "iris")
	if err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T) *sweep.Result {
		t.Helper()
		var seen []int
		ex := New(Options{XP: xp, Options: cluster.Options{Root: root, Poll: 300 * time.Millisecond},
			Resources: Resources{Mem: "500M", Time: "5:00"}})
		// The project is not a git repository.
		opts := sweep.Options{Options: runner.Options{AllowDirty: true}}
		opts.Events = func(e sweep.Event) {
			if e.Kind == sweep.PointDone {
				seen = append(seen, e.Point.Index)
			}
		}
		res, err := sweep.Run(ctx, st, exp, ex, opts)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if res.Submission != nil && len(seen) != len(res.Submission.Points) {
			t.Errorf("PointDone told of %v, the array had %v", seen, res.Submission.Points)
		}
		return res
	}
	checkFailed := func(t *testing.T, res *sweep.Result) {
		t.Helper()
		failed := res.Failed()
		if len(failed) != 1 || failed[0].Index != 5 {
			t.Fatalf("failed points %+v, want point 5 only", failed)
		}
		msg := failed[0].Error
		for _, want := range []string{"slurm FAILED", "Species", "log ", "task-"} {
			if !strings.Contains(msg, want) {
				t.Errorf("the failure %q does not say %q", msg, want)
			}
		}
		if res.Best == nil {
			t.Error("no best point")
		}
	}

	t.Run("first run submits every point", func(t *testing.T) {
		res := run(t)
		t.Logf("job %s: tasks for points %v", res.Submission.ID, res.Submission.Points)
		if got := res.Submission.Points; len(got) != 6 {
			t.Fatalf("submitted points %v, want all 6", got)
		}
		checkFailed(t, res)
		t.Logf("point 5: %s", res.Failed()[0].Error)
		runs, err := st.ListRuns(ctx, store.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		succeeded := 0
		for _, r := range runs {
			if r.SweepID != res.Plan.ID {
				t.Errorf("run %d has sweep %q", r.ID, r.SweepID)
			}
			if r.Status == store.StatusSucceeded {
				succeeded++
				if len(r.Summary["test"]) == 0 {
					t.Errorf("run %d has no test metrics ingested", r.ID)
				}
				if _, err := os.Stat(st.ArtifactDir(&r)); err != nil {
					t.Errorf("run %d: artifacts not ingested: %v", r.ID, err)
				}
			}
		}
		if succeeded != 5 {
			t.Errorf("%d succeeded runs in the store, want 5", succeeded)
		}
	})
	t.Run("rerun submits only the failed point", func(t *testing.T) {
		res := run(t)
		if res.Submission == nil || len(res.Submission.Points) != 1 || res.Submission.Points[0] != 5 {
			t.Fatalf("submission %+v, want point 5 alone", res.Submission)
		}
		t.Logf("job %s: tasks for points %v", res.Submission.ID, res.Submission.Points)
		if res.Earlier != 5 {
			t.Errorf("%d points done before, want 5", res.Earlier)
		}
		checkFailed(t, res)
	})
	t.Run("xp run with executor slurm in the spec", func(t *testing.T) {
		file := filepath.Join(root, "experiments", "iris.cue")
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		src = []byte(strings.Replace(string(src), "sweep: params:", "sweep: executor: \"slurm\"\n\tsweep: slurm: mem: \"500M\"\n\tsweep: params:", 1))
		if err := os.WriteFile(file, src, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(ctx, xp, "run", "--allow-dirty", "iris")
		cmd.Dir = root
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err = cmd.Run()
		t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("xp run: %v, want exit status 1 (a point failed)", err)
		}
		for _, want := range []string{"1 task, points 5"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr does not say %q", want)
			}
		}
		// The spec's slurm block reached sbatch.
		_, dir, _ := strings.Cut(strings.TrimSpace(stderr.String()), "files in ")
		dir, _, _ = strings.Cut(dir, "\n")
		script, err := os.ReadFile(filepath.Join(root, dir, "array.sbatch"))
		if err != nil || !strings.Contains(string(script), "#SBATCH --mem=500M\n") {
			t.Errorf("array.sbatch (%v) lacks the spec's --mem=500M:\n%s", err, script)
		}
		for _, want := range []string{"[6/6] failed", "6 points: 5 succeeded, 1 failed; 1 submitted to slurm, 0 cached, 5 done before",
			"failed  ", "slurm FAILED", "task-0.log", "  best    "} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("stdout does not say %q", want)
			}
		}
	})
	t.Run("--json has the shape of a local sweep's", func(t *testing.T) {
		shape := func(t *testing.T, executor string) map[string]any {
			t.Helper()
			cmd := exec.CommandContext(ctx, xp, "run", "--allow-dirty", "--json", "--executor", executor, "iris")
			cmd.Dir = root
			out, err := cmd.Output()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("xp run --json --executor %s: %v, want exit status 1 (a point failed)", executor, err)
			}
			var v map[string]any
			if err := json.Unmarshal(out, &v); err != nil {
				t.Fatalf("--executor %s printed %q: %v", executor, out, err)
			}
			return v
		}
		onSlurm, local := shape(t, "slurm"), shape(t, "local")
		if a, b := jsonShape(onSlurm), jsonShape(local); a != b {
			t.Errorf("JSON shape on slurm:\n%s\nlocally:\n%s", a, b)
		}
		if onSlurm["failed"] != 1.0 || onSlurm["trained"] != 1.0 || onSlurm["done_before"] != 5.0 {
			t.Errorf("slurm JSON counts: failed %v, trained %v, done_before %v; want 1, 1, 5",
				onSlurm["failed"], onSlurm["trained"], onSlurm["done_before"])
		}
	})
}

// slowExperiments are sweeps whose points train until stopped, or for
// longer than Slurm's shortest time limit: slow's two points without a
// limit; limit's one with the limit, requeued once, which it reaches
// twice; requeue's, with the limit and up to 3 requeues, which trains
// EPOCHS epochs: about 75 s on an idle core (measured by requeueEpochs),
// more than 90 s while it shares the machine's 2 cores with limit's task
// and the same point trained here, so it ends in its second task (its
// third on a 2-core machine that other jobs keep busy).
const slowExperiments = `slow: #Experiment & {
	data: {
		source: file: "data/iris0.csv"
		target: "Species"
	}
	model: layers: [{dense: 32}]
	train: {epochs: 100000, batch_size: 1}
	device: "cpu"
	sweep: {executor: "slurm", params: "train.seed": [1, 2]}
}
limit: #Experiment & {
	data: slow.data
	model: layers: [{dense: 512}, {dense: 512}]
	train: {epochs: 100000, batch_size: 1}
	device: "cpu"
	sweep: {executor: "slurm", slurm: {time: "1", requeue: 1}, params: "train.seed": [3]}
}
requeue: #Experiment & {
	data: slow.data
	model: limit.model
	train: {epochs: EPOCHS, batch_size: 1}
	device: "cpu"
	sweep: {executor: "slurm", slurm: {time: "1", requeue: 3}, params: "train.seed": [4]}
}
`

// TestClusterLiveCancelTimeout runs sweeps whose points never end on their
// own: their runs show their epochs in the store while their tasks train;
// xp cancel scancels a running task by its key and a pending one by its
// experiment, both recorded canceled; a task that reaches its time limit
// is requeued, continues its checkpoint, and ends failed with state
// TIMEOUT after its requeues; a point longer than the limit ends
// requeued, resumed and bitwise equal to the same point trained here
// without a stop. One cluster of 2 CPUs holds the limit task and one slow
// task at a time, so slow's second task waits, and requeue starts once
// slow's are canceled.
func TestClusterLiveCancelTimeout(t *testing.T) {
	needSlurm(t)
	xp := buildXP(t)
	startCluster(t)
	root := sweeptest.Project(t)
	epochs := requeueEpochs(t, xp, root, 75*time.Second)
	src := strings.Replace(slowExperiments, "EPOCHS", strconv.Itoa(epochs), 1)
	if err := os.WriteFile(filepath.Join(root, "experiments", "slow.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	st, err := store.Open(ctx, filepath.Join(root, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	type proc struct {
		cmd            *exec.Cmd
		stdout, stderr strings.Builder
	}
	start := func(t *testing.T, args ...string) *proc {
		t.Helper()
		p := &proc{cmd: exec.CommandContext(ctx, xp, args...)}
		p.cmd.Dir = root
		p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	xpOut := func(t *testing.T, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, xp, args...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("xp %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// waitRun waits for a run of experiment exp that ok accepts.
	waitRun := func(t *testing.T, exp, what string, ok func(r *store.Run) bool) *store.Run {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			runs, err := st.ListRuns(ctx, store.ListOptions{Experiment: exp})
			if err != nil {
				t.Fatal(err)
			}
			for i := range runs {
				if ok(&runs[i]) {
					return &runs[i]
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("no run of %s %s within 2 minutes", exp, what)
		return nil
	}
	training := func(epochs int) func(r *store.Run) bool {
		return func(r *store.Run) bool { return r.Status == store.StatusRunning && r.Epoch >= epochs }
	}

	// requeue's point trained here without a stop, in a project of its
	// own, while the Slurm tasks train.
	refRoot := localCopy(t, root)
	ref := exec.CommandContext(ctx, xp, "run", "--allow-dirty", "--executor", "local", "requeue")
	ref.Dir = refRoot
	refDone := make(chan error, 1)
	var refOut []byte
	go func() {
		var err error
		refOut, err = ref.CombinedOutput()
		refDone <- err
	}()

	// limit first, and training before slow is submitted: it holds one
	// CPU, slow's task 0 the other, and slow's task 1 waits.
	limit := start(t, "run", "--allow-dirty", "limit")
	began := time.Now()
	waitRun(t, "limit", "running", training(1))
	slow := start(t, "run", "--allow-dirty", "slow")

	var first *store.Run
	t.Run("live progress", func(t *testing.T) {
		first = waitRun(t, "slow", "running at epoch 3", training(3))
		n := sweeptest.CountPoints(t, st, first.ID)
		if n < 3 {
			t.Errorf("%d metric points in the store at epoch %d, want those of every epoch", n, first.Epoch)
		}
		t.Logf("run %s: running, epoch %d, %d points in the store while its task trains", first.Short(), first.Epoch, n)
		ls := xpOut(t, "ls", "--sweep", "slow")
		if !strings.Contains(ls, "running") {
			t.Errorf("xp ls does not show the run running:\n%s", ls)
		}
	})
	t.Run("xp cancel by key and by experiment", func(t *testing.T) {
		out := xpOut(t, "cancel", first.Short())
		t.Logf("xp cancel %s:\n%s", first.Short(), out)
		if !strings.Contains(out, "scancel ") || !strings.Contains(out, "_0") {
			t.Errorf("xp cancel did not scancel task 0: %q", out)
		}
		waitRun(t, "slow", "canceled", func(r *store.Run) bool { return r.ID == first.ID && r.Status == store.StatusCanceled })
		out = xpOut(t, "cancel", "slow")
		t.Logf("xp cancel slow:\n%s", out)
		if !strings.Contains(out, "_1") {
			t.Errorf("xp cancel slow did not scancel task 1: %q", out)
		}
		err := slow.cmd.Wait()
		t.Logf("xp run slow: %v\nstdout:\n%s\nstderr:\n%s", err, slow.stdout.String(), slow.stderr.String())
		if err != nil {
			t.Errorf("xp run slow: %v, want success (canceled points are not failures)", err)
		}
		points, err := st.SweepPoints(ctx, first.SweepID)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range points {
			if p.Status != store.StatusCanceled || !strings.Contains(p.Error, "slurm CANCELLED") {
				t.Errorf("point %d: %s %q, want canceled by slurm", p.Index, p.Status, p.Error)
			}
		}
		r, err := st.Run(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := sweeptest.CountPoints(t, st, r.ID); r.Status != store.StatusCanceled || n < 3 {
			t.Errorf("run %s: %s with %d points, want canceled with its curves", r.Short(), r.Status, n)
		}
	})
	requeue := start(t, "run", "--allow-dirty", "requeue")
	requeueBegan := time.Now()

	t.Run("time limit", func(t *testing.T) {
		err := limit.cmd.Wait()
		t.Logf("xp run limit (%.0fs): %v\nstdout:\n%s\nstderr:\n%s", time.Since(began).Seconds(), err, limit.stdout.String(), limit.stderr.String())
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("xp run limit: %v, want exit status 1 (its point failed)", err)
		}
		if !strings.Contains(limit.stdout.String(), "slurm TIMEOUT") {
			t.Errorf("xp run limit does not report the time limit")
		}
		if !strings.Contains(limit.stderr.String(), "requeued (1 of 1), to continue from its checkpoint") {
			t.Errorf("xp run limit does not say it requeued its point")
		}
		runs, err := st.ListRuns(ctx, store.ListOptions{Experiment: "limit"})
		if err != nil || len(runs) != 2 {
			t.Fatalf("runs of limit: %v, %v; want 2 (the task and its requeue)", runs, err)
		}
		slices.SortFunc(runs, func(a, b store.Run) int { return int(a.ID - b.ID) })
		first, last := runs[0], runs[1]
		if n := sweeptest.CountPoints(t, st, first.ID); first.Status != store.StatusFailed ||
			!strings.Contains(first.Error, "slurm TIMEOUT") || !strings.Contains(first.Error, "requeued (1 of 1)") || n < 3 {
			t.Errorf("first run of limit: %s %q with %d points, want failed, slurm TIMEOUT, requeued, with its curves", first.Status, first.Error, n)
		}
		if last.Status != store.StatusFailed || !strings.Contains(last.Error, "slurm TIMEOUT: stopped at its time limit") ||
			strings.Contains(last.Error, "requeued") {
			t.Errorf("last run of limit: %s %q, want failed with slurm TIMEOUT, not requeued", last.Status, last.Error)
		}
		if last.ResumedFrom != first.ID || last.ResumedEpoch < 1 || last.Epoch <= last.ResumedEpoch {
			t.Errorf("last run of limit resumes run %d after epoch %d and reached epoch %d; want run %d, after epoch >= 1, and further",
				last.ResumedFrom, last.ResumedEpoch, last.Epoch, first.ID)
		}
		points, err := st.SweepPoints(ctx, last.SweepID)
		if err != nil || len(points) != 1 || points[0].Status != store.StatusFailed || !strings.Contains(points[0].Error, "slurm TIMEOUT") {
			t.Errorf("limit's point: %+v, %v; want failed with slurm TIMEOUT", points, err)
		}
	})
	t.Run("requeued point resumes bit for bit", func(t *testing.T) {
		err := requeue.cmd.Wait()
		t.Logf("xp run requeue (%.0fs): %v\nstdout:\n%s\nstderr:\n%s", time.Since(requeueBegan).Seconds(), err,
			requeue.stdout.String(), requeue.stderr.String())
		if err != nil {
			t.Fatalf("xp run requeue: %v, want success", err)
		}
		if !strings.Contains(requeue.stderr.String(), "requeued (1 of 3), to continue from its checkpoint") {
			t.Errorf("xp run requeue does not say it requeued its point")
		}
		runs, err := st.ListRuns(ctx, store.ListOptions{Experiment: "requeue"})
		if err != nil || len(runs) < 2 {
			t.Fatalf("runs of requeue: %v, %v; want 2 or more (the task and its requeues)", runs, err)
		}
		slices.SortFunc(runs, func(a, b store.Run) int { return int(a.ID - b.ID) })
		last := runs[len(runs)-1]
		if last.Status != store.StatusSucceeded || last.ResumedFrom != runs[len(runs)-2].ID || last.ResumedEpoch < 1 {
			t.Fatalf("last run of requeue: %s, resumes run %d after epoch %d; want succeeded, resuming run %d after epoch >= 1",
				last.Status, last.ResumedFrom, last.ResumedEpoch, runs[len(runs)-2].ID)
		}
		for _, r := range runs[:len(runs)-1] {
			if r.Status != store.StatusFailed || !strings.Contains(r.Error, "slurm TIMEOUT") || !strings.Contains(r.Error, "requeued") {
				t.Errorf("run %d of requeue: %s %q, want failed at the time limit, requeued", r.ID, r.Status, r.Error)
			}
		}
		if err := <-refDone; err != nil {
			t.Fatalf("xp run --executor local requeue: %v\n%s", err, refOut)
		}
		refSt := sweeptest.Open(t, filepath.Join(refRoot, ".xp"))
		// Its curves are whole: the epochs before the resume carried over.
		if n, want := epochPoints(t, st, last.ID), epochPoints(t, refSt, 1); n != want {
			t.Errorf("the resumed run has %d metric points, the uninterrupted one %d", n, want)
		}
		refRuns, err := refSt.ListRuns(ctx, store.ListOptions{Experiment: "requeue"})
		if err != nil || len(refRuns) != 1 {
			t.Fatalf("runs of the local requeue: %v, %v; want 1", refRuns, err)
		}
		want := refRuns[0]
		if last.Key != want.Key || last.WeightsSHA256 == "" || last.WeightsSHA256 != want.WeightsSHA256 {
			t.Errorf("requeued on Slurm: key %s weights %s; trained here without a stop: key %s weights %s",
				last.Short(), last.WeightsSHA256, want.Short(), want.WeightsSHA256)
		}
		t.Logf("%d runs; the last resumed run %d after epoch %d; weights %s as uninterrupted", len(runs), last.ResumedFrom, last.ResumedEpoch, last.WeightsSHA256)
	})
}

// requeueEpochs is how many epochs of requeue's model train in about d
// on this machine, measured on 20 epochs in a project of its own, so
// that requeue's first task always reaches the time limit (Slurm ends it
// 60 to 90 s in) and its second ends it.
func requeueEpochs(t *testing.T, xp, root string, d time.Duration) int {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "experiments", "data"), os.DirFS(filepath.Join(root, "experiments", "data"))); err != nil {
		t.Fatal(err)
	}
	calib := `calib: #Experiment & {
	data: {
		source: file: "data/iris0.csv"
		target: "Species"
	}
	model: layers: [{dense: 512}, {dense: 512}]
	train: {epochs: 20, batch_size: 1}
	device: "cpu"
}
`
	if err := os.WriteFile(filepath.Join(dir, "experiments", "calib.cue"), []byte(calib), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(xp, "run", "--allow-dirty", "calib")
	cmd.Dir = dir
	t0 := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xp run calib: %v\n%s", err, out)
	}
	per := time.Since(t0) / 20
	n := min(max(int(d/per), 100), 20000)
	t.Logf("an epoch of requeue's model takes %v here: %d epochs", per, n)
	return n
}

// epochPoints counts run id's metric points of the train, validation and
// test splits: those of its epochs, not the machine's samples, which
// follow the clock.
func epochPoints(t *testing.T, st *store.Store, id int64) int {
	t.Helper()
	pts, _, err := st.PointsSince(context.Background(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range pts {
		if p.Split != store.SplitSystem {
			n++
		}
	}
	return n
}

// jsonShape is the keys of v, recursively (lists by their first element),
// one path a line, sorted.
func jsonShape(v any) string {
	var paths []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				// Params and metrics are keyed by the sweep's paths and
				// metric names, not by the shape.
				if k == "params" || k == "metrics" {
					paths = append(paths, prefix+"."+k)
					continue
				}
				walk(prefix+"."+k, e)
			}
		case []any:
			if len(v) > 0 {
				walk(prefix+"[]", v[0])
			}
		default:
			paths = append(paths, prefix)
		}
	}
	walk("", v)
	slices.Sort(paths)
	return strings.Join(slices.Compact(paths), "\n")
}

// ashaExperiment is successive halving over 9 tiny iris models on Slurm:
// all 9 to epoch 1, the best 3 to epoch 3, the best 1 to epoch 9.
const ashaExperiment = `asha: #Experiment & {
	data: {
		source: file: "data/iris0.csv"
		target: "Species"
	}
	model: layers: [{dense: 8}, {dropout: 0.1}]
	train: {epochs: 9, batch_size: 16, optimizer: adam: lr: 0.01}
	metrics: ["accuracy"]
	device: "cpu"
	sweep: {
		method:           "asha"
		executor:         "slurm"
		min_epochs:       1
		reduction_factor: 3
		params: {
			"train.optimizer.adam.lr": [0.001, 0.01, 0.05]
			"model.layers[0].dense":   [2, 8, 32]
		}
		metric: "validation.loss"
	}
}
`

// TestClusterASHA runs an asha sweep on Slurm, one array per rung, and
// the same sweep with the local executor in a project of its own: the
// same keys, the same rung each point ends at (paused or promoted), and
// the point promoted to the end resumes its paused run and ends with the
// weights (sha256) the local sweep's does. xp queue shows the rung a
// point in training trains to.
func TestClusterASHA(t *testing.T) {
	needSlurm(t)
	xp := buildXP(t)
	startCluster(t)
	root := projectWith(t, "asha.cue", ashaExperiment)
	refRoot := localCopy(t, root)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	xpRun := func(t *testing.T, dir string, args ...string) string {
		t.Helper()
		return xpOK(ctx, t, xp, dir, args...)
	}

	began := time.Now()
	cmd := exec.CommandContext(ctx, xp, "run", "--allow-dirty", "asha")
	cmd.Dir = root
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var queued []string // what xp queue said of points in training
	var runErr error
wait:
	for {
		select {
		case runErr = <-done:
			break wait
		case <-time.After(300 * time.Millisecond):
		}
		q := exec.CommandContext(ctx, xp, "queue")
		q.Dir = root
		if b, err := q.Output(); err == nil && strings.Contains(string(b), " rung ") {
			queued = append(queued, string(b))
		}
	}
	t.Logf("xp run asha on slurm (%.0fs): %v\n%s", time.Since(began).Seconds(), runErr, out.String())
	if runErr != nil {
		t.Fatalf("xp run asha: %v", runErr)
	}
	for _, want := range []string{"9 points: 1 succeeded, 8 paused", "paused after epoch 1 of 9", "paused after epoch 3 of 9"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("xp run asha does not say %q", want)
		}
	}
	if len(queued) == 0 {
		t.Error("xp queue never showed a point's rung while the sweep trained")
	} else if !strings.Contains(strings.Join(queued, ""), "/3") {
		t.Errorf("xp queue showed no rung of 3:\n%s", strings.Join(queued, ""))
	}
	local := xpRun(t, refRoot, "run", "--allow-dirty", "--executor", "local", "asha")
	t.Logf("xp run asha --executor local:\n%s", local)

	exp, err := spec.Find(root, "asha")
	if err != nil {
		t.Fatal(err)
	}
	rungs := exp.Spec.Sweep.Rungs(exp.Spec.Train.Epochs)
	read := func(t *testing.T, dir string) ([]string, *sweep.PointResult) {
		t.Helper()
		st := sweeptest.Open(t, filepath.Join(dir, ".xp"))
		points, err := sweep.ReadPoints(ctx, st, exp.SweepID(), "validation.loss")
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		for i := range points {
			p := &points[i]
			if p.Run == nil {
				t.Fatalf("%s: point %d has no run", dir, p.Index)
			}
			rows = append(rows, fmt.Sprintf("%d %s %s@%d %s", p.Index, store.ShortKey(p.Key), p.Status, p.Run.Epoch,
				sweep.RunRung(rungs, p.Run, p.State)))
		}
		return rows, sweep.Best(points, "min")
	}
	onSlurm, slurmBest := read(t, root)
	here, localBest := read(t, refRoot)
	if !slices.Equal(onSlurm, here) {
		t.Errorf("points on slurm:\n%s\nlocally:\n%s", strings.Join(onSlurm, "\n"), strings.Join(here, "\n"))
	}
	t.Logf("points:\n%s", strings.Join(onSlurm, "\n"))
	if slurmBest == nil || localBest == nil || slurmBest.Index != localBest.Index {
		t.Fatalf("best on slurm %+v, locally %+v", slurmBest, localBest)
	}
	b := slurmBest.Run
	if b.Status != store.StatusSucceeded || b.ResumedFrom == 0 || b.ResumedEpoch != 3 {
		t.Errorf("best run on slurm: %s, resumes run %d after epoch %d; want succeeded, resuming its paused run after epoch 3",
			b.Status, b.ResumedFrom, b.ResumedEpoch)
	}
	if w := localBest.Run.WeightsSHA256; b.WeightsSHA256 == "" || b.WeightsSHA256 != w {
		t.Errorf("best point's weights sha256: on slurm %s, locally %s", b.WeightsSHA256, w)
	}
	// xp ls --sweep shows the same table, but for the runs' ids.
	runID := regexp.MustCompile(`#[0-9]+`)
	ls := runID.ReplaceAllString(xpRun(t, root, "ls", "--sweep", "asha"), "#")
	lsHere := runID.ReplaceAllString(xpRun(t, refRoot, "ls", "--sweep", "asha"), "#")
	t.Logf("xp ls --sweep asha:\n%s", ls)
	if ls != lsHere || !strings.Contains(ls, "RUNG") || !strings.Contains(ls, "1/3 paused") {
		t.Errorf("xp ls --sweep asha on slurm:\n%s\nlocally:\n%s", ls, lsHere)
	}
	// xp report: the same points' rungs and the same rungs' promotions
	// (its points table and rungs table, but for the runs' ids).
	rungTables := func(root string) string {
		dir := filepath.Join(t.TempDir(), "report")
		xpRun(t, root, "report", "asha", "--format", "md", "-o", dir)
		md, err := os.ReadFile(filepath.Join(dir, "report.md"))
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		in := false
		for _, line := range strings.Split(string(md), "\n") {
			switch {
			case strings.HasPrefix(line, "| point |"):
				in = true
			case strings.HasPrefix(line, "| field |"):
				in = false
			}
			if in && strings.HasPrefix(line, "|") {
				rows = append(rows, regexp.MustCompile(`\\#[0-9]+`).ReplaceAllString(line, "#"))
			}
		}
		return strings.Join(rows, "\n")
	}
	report, reportHere := rungTables(root), rungTables(refRoot)
	t.Logf("xp report asha, its points and rungs:\n%s", report)
	if report != reportHere || !strings.Contains(report, "| rung | epochs | points | paused | promoted |") || !strings.Contains(report, "succeeded (best)") {
		t.Errorf("xp report asha on slurm:\n%s\nlocally:\n%s", report, reportHere)
	}
}

// tpeExperiment is a tpe search over 8 tiny iris models on Slurm, 2 at
// a time: point i proposed from the results of points 0..i-2.
const tpeExperiment = `tpe: #Experiment & {
	data: {
		source: file: "data/iris0.csv"
		target: "Species"
	}
	model: layers: [{dense: 8}]
	train: {epochs: 3, batch_size: 16, optimizer: adam: lr: 0.01}
	device: "cpu"
	sweep: {
		method:   "tpe"
		executor: "slurm"
		trials:   8
		startup:  3
		seed:     5
		parallel: 2
		params: {
			"train.optimizer.adam.lr": {log_uniform: [0.0001, 0.1]}
			"model.layers[0].dense":   {int_uniform: [2, 32]}
		}
		metric: "validation.loss"
	}
}
`

// TestClusterTPE runs a tpe sweep on Slurm, one array per batch of points
// whose results are in, and the same sweep with the local executor in a
// project of its own: the same points proposed in the same order, so the
// same run keys, parameters and metric values (xp ls --sweep, but for the
// runs' ids).
func TestClusterTPE(t *testing.T) {
	needSlurm(t)
	xp := buildXP(t)
	startCluster(t)
	root := projectWith(t, "tpe.cue", tpeExperiment)
	refRoot := localCopy(t, root)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	xpRun := func(dir string, args ...string) string {
		t.Helper()
		return xpOK(ctx, t, xp, dir, args...)
	}
	began := time.Now()
	onSlurm := xpRun(root, "run", "--allow-dirty", "tpe")
	t.Logf("xp run tpe on slurm (%.0fs):\n%s", time.Since(began).Seconds(), onSlurm)
	if !strings.Contains(onSlurm, "8 points: 8 succeeded") {
		t.Errorf("xp run tpe on slurm does not say 8 points succeeded")
	}
	local := xpRun(refRoot, "run", "--allow-dirty", "--executor", "local", "tpe")
	t.Logf("xp run tpe --executor local:\n%s", local)
	runID := regexp.MustCompile(`#[0-9]+`)
	ls := runID.ReplaceAllString(xpRun(root, "ls", "--sweep", "tpe"), "#")
	lsHere := runID.ReplaceAllString(xpRun(refRoot, "ls", "--sweep", "tpe"), "#")
	t.Logf("xp ls --sweep tpe:\n%s", ls)
	if ls != lsHere || strings.Count(ls, "succeeded") != 8 {
		t.Errorf("xp ls --sweep tpe on slurm:\n%s\nlocally:\n%s", ls, lsHere)
	}
}

// projectWith is a test project (sweeptest.Project) with the experiment
// file name holding src.
func projectWith(t *testing.T, name, src string) string {
	t.Helper()
	root := sweeptest.Project(t)
	if err := os.WriteFile(filepath.Join(root, "experiments", name), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// localCopy is a directory of its own holding a copy of root's
// experiments, where a sweep trained on Slurm in root is trained with the
// local executor to compare.
func localCopy(t *testing.T, root string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "experiments"), os.DirFS(filepath.Join(root, "experiments"))); err != nil {
		t.Fatal(err)
	}
	return dir
}

// xpOK runs the xp binary at xp in dir and returns its output, failing t
// when it fails.
func xpOK(ctx context.Context, t *testing.T, xp, dir string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, xp, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("xp %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
