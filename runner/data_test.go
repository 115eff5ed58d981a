package runner_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"io/fs"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/data/fetch"
	"github.com/xp-ml/xp/data/fetch/s3test"
	"github.com/xp-ml/xp/predict"
	"github.com/xp-ml/xp/runner"
)

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func readIris(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../experiments/data/iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// irisFrom is the iris experiment with its source replaced.
func irisFrom(source string) string {
	return strings.Replace(irisMLP, `source: file: "iris.csv"`, source, 1)
}

// An http source goes through the spec, the cache and the run key: fetched
// once, then served from the cache without a request.
func TestRunHTTPSource(t *testing.T) {
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write(readIris(t))
	zw.Close()
	body := zipped.Bytes()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Write(body)
	}))
	defer srv.Close()
	ctx := context.Background()
	src := `source: http: {url: "` + srv.URL + `/iris.csv.gz", sha256: "` + hexSHA(body) + `"}`
	exp, st := setup(t, irisFrom(src))
	first, err := runner.Run(ctx, st, exp, runner.Options{Backend: "gorgonia", AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := first.Run.DataHashes[runner.SourceMain]; got != hexSHA(body) {
		t.Errorf("data hash %s, want the sha256 of the fetched bytes", got)
	}
	second, err := runner.Run(ctx, st, exp, runner.Options{Backend: "gorgonia", AllowDirty: true})
	if err != nil || !second.Cached || requests.Load() != 1 {
		t.Errorf("second run cached=%v err=%v after %d requests; want cached after 1", second != nil && second.Cached, err, requests.Load())
	}
	rep, err := runner.ReadDataReport(st.ArtifactDir(first.Run))
	if err != nil || rep.Sources[runner.SourceMain].Kind != "http" || rep.Rows["test"] != 30 {
		t.Errorf("data report %+v, %v", rep, err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	for _, tt := range []struct {
		name, src string
		kind      error
		want      []string
	}{
		{"wrong pin", `source: http: {url: "` + srv.URL + `/iris.csv.gz", sha256: "` + strings.Repeat("b", 64) + `"}`,
			fetch.ErrPinMismatch, []string{"exp.cue:4:", "data.source.http.sha256", "sha256 is " + hexSHA(body), "pins " + strings.Repeat("b", 64)}},
		{"unreachable", `source: http: {url: "http://` + dead + `/iris.csv", sha256: "` + strings.Repeat("b", 64) + `"}`,
			fetch.ErrUnreachable, []string{"exp.cue:4:", "data.source.http.url", "cannot reach the server"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			exp, st := setup(t, irisFrom(tt.src))
			_, err := runner.Run(ctx, st, exp, runner.Options{Backend: "gorgonia", AllowDirty: true})
			var se *spec.FieldError
			if !errors.As(err, &se) || !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want a SpecError matching %v", err, tt.kind)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// Plan's context reaches the fetch of a remote source: canceled while the
// server has not answered, Plan returns at once with context.Canceled (as
// `xp hash` and `xp rerun` do on Ctrl-C), and caches nothing.
func TestPlanCancelsAFetch(t *testing.T) {
	started := make(chan struct{})
	released := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-r.Context().Done():
		case <-released:
		case <-time.After(10 * time.Second): // a fetch that ignores the cancel fails the test, not hangs it
		}
	}))
	defer srv.Close()
	defer close(released) // before srv.Close, which waits for the handler
	exp, _ := setup(t, irisFrom(`source: http: {url: "`+srv.URL+`/iris.csv", sha256: "`+strings.Repeat("b", 64)+`"}`))
	cache := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	_, err := runner.Plan(ctx, exp, runner.Options{Backend: "gorgonia", Data: runner.DataOptions{CacheDir: cache}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var left []string
	filepath.WalkDir(cache, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, path)
		}
		return nil
	})
	if len(left) != 0 {
		t.Errorf("a canceled fetch left %v in the cache", left)
	}
}

// An s3 source against an S3-protocol store on loopback that checks
// signatures: credentials from the environment, the object read through the
// spec, a cache hit (one HEAD, no GET) the second time, clear errors for a
// missing key and wrong credentials.
func TestRunS3Source(t *testing.T) {
	const access, secret = "AKIDRUNNER", "runner-secret"
	srv := s3test.New(t, access, secret)
	client, err := minio.New(strings.TrimPrefix(srv.URL, "http://"), &minio.Options{Creds: credentials.NewStaticV4(access, secret, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := client.MakeBucket(ctx, "ml-data", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	iris := readIris(t)
	if _, err := client.PutObject(ctx, "ml-data", "iris/iris.csv", bytes.NewReader(iris), int64(len(iris)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", access)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))

	s3src := func(key string) string {
		return `source: s3: {bucket: "ml-data", key: "` + key + `", endpoint: "` + srv.URL + `"}`
	}
	exp, st := setup(t, irisFrom(s3src("iris/iris.csv")))
	first, err := runner.Run(ctx, st, exp, runner.Options{Backend: "gorgonia", AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	if first.Cached || first.Run.DataHashes[runner.SourceMain] != hexSHA(iris) {
		t.Errorf("first run %+v", first.Run.DataHashes)
	}
	gets, heads := srv.Count("GET"), srv.Count("HEAD")
	second, err := runner.Run(ctx, st, exp, runner.Options{Backend: "gorgonia", AllowDirty: true})
	if err != nil || !second.Cached {
		t.Fatalf("second run: %v, cached %v", err, second != nil && second.Cached)
	}
	if srv.Count("GET") != gets || srv.Count("HEAD") != heads+1 {
		t.Errorf("second run made %d GETs, %d HEADs; want 0 and 1", srv.Count("GET")-gets, srv.Count("HEAD")-heads)
	}
	for _, tt := range []struct {
		name, key, secret string
		kind              error
		want              string
	}{
		{"missing key", "iris/nope.csv", secret, fetch.ErrNotFound, "no such key"},
		{"wrong credentials", "iris/iris.csv", "wrong-secret", fetch.ErrAccessDenied, "access denied"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_SECRET_ACCESS_KEY", tt.secret)
			exp, st := setup(t, irisFrom(s3src(tt.key)))
			_, err := runner.Run(ctx, st, exp, runner.Options{Backend: "gorgonia", AllowDirty: true})
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), "exp.cue:4:") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %v at exp.cue:4 saying %q", err, tt.kind, tt.want)
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}

// readPredictions reads a run's test_predictions.csv: line -> probabilities.
func readPredictions(t *testing.T, path string) (map[int][]float32, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[int][]float32{}
	for _, r := range recs[1:] {
		line, _ := strconv.Atoi(r[0])
		var ps []float32
		for _, s := range r[3:] {
			v, err := strconv.ParseFloat(s, 32)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, float32(v))
		}
		out[line] = ps
	}
	return out, recs[0]
}

// xp predict's round trip: scoring the test rows again from the saved
// preprocessing and weights gives the probabilities the run recorded.
func TestPredictRoundTrip(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		src  string
		// exact: the rows are scored in the order and batches the run
		// scored them, so every backend must give the same bits.
		exact bool
	}{
		{"split of one file", irisMLP, false},
		{"test source", strings.Replace(irisMLP, `source: file: "iris.csv"`,
			"source: file: \"iris.csv\"\n\t\ttest_source: file: \"iris_test.csv\"", 1), true},
	}
	for _, tt := range tests {
		for _, backend := range backends.Names() {
			if b, _ := backends.Get(backend); b.Available() != nil {
				continue
			}
			t.Run(tt.name+"/"+backend, func(t *testing.T) {
				exp, st := setup(t, tt.src)
				iris := readIris(t)
				// Every third row, as a separate test file.
				lines := strings.SplitAfter(string(iris), "\n")
				test := lines[0]
				for i := 1; i < len(lines); i += 3 {
					test += lines[i]
				}
				if err := os.WriteFile(filepath.Join(exp.Dir, "iris_test.csv"), []byte(test), 0o644); err != nil {
					t.Fatal(err)
				}
				res, err := runner.Run(ctx, st, exp, runner.Options{Backend: backend, AllowDirty: true})
				if err != nil {
					t.Fatal(err)
				}
				dir := st.ArtifactDir(res.Run)
				want, header := readPredictions(t, filepath.Join(dir, runner.TestPredictionsFile))
				if header[3] != "p_setosa" || len(want) == 0 {
					t.Fatalf("test predictions header %q, %d rows", header, len(want))
				}
				// The whole file: the test rows are found in it by line.
				input := filepath.Join(exp.Dir, "iris.csv")
				if tt.exact {
					input = filepath.Join(exp.Dir, "iris_test.csv")
				}
				p, err := predict.Load(dir, res.Run, "")
				if err != nil {
					t.Fatal(err)
				}
				f, err := data.ReadFile(ctx, input)
				if err != nil {
					t.Fatal(err)
				}
				probs, err := p.Predict(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				k := len(p.Pipeline.Classes)
				var worst float64
				for i, line := range f.Line {
					w, ok := want[line]
					if !ok {
						continue
					}
					delete(want, line)
					for c := range k {
						d := math.Abs(float64(probs[i*k+c] - w[c]))
						worst = max(worst, d)
						if tt.exact && probs[i*k+c] != w[c] {
							t.Fatalf("line %d class %d: predicted %v, the run recorded %v", line, c, probs[i*k+c], w[c])
						}
					}
				}
				if len(want) != 0 {
					t.Errorf("%d recorded test rows were not scored", len(want))
				}
				// Rows scored in other batches may differ in the last bits
				// on a backend whose GEMM blocks depend on the batch.
				if worst > 1e-6 {
					t.Errorf("largest difference %g from the recorded probabilities", worst)
				}
				t.Logf("%s: largest difference %g", backend, worst)
			})
		}
	}
}
