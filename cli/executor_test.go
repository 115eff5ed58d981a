package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/xp-ml/xp/sweep"
)

// pool is an executor of the test's own: a pool of workers in this process
// that claim points, train them and record them through the Session, as a
// remote worker pool would. It is all a new executor has to be.
type pool struct {
	workers int
	mu      sync.Mutex
	by      map[int]int // point -> the worker that trained it
}

func (p *pool) Name() string                  { return "pool" }
func (p *pool) Fit(threads, _ int) (int, int) { return threads, p.workers }

func (p *pool) Execute(ctx context.Context, s *sweep.Session) error {
	errs := make([]error, p.workers)
	var wg sync.WaitGroup
	for w := range p.workers {
		wg.Go(func() { errs[w] = p.work(ctx, s, w) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (p *pool) work(ctx context.Context, s *sweep.Session, w int) error {
	for {
		idx, err := s.Claim(ctx)
		if errors.Is(err, sweep.ErrNoPoint) || ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		out, ended := s.Train(ctx, idx)
		if !ended {
			return s.Release(context.WithoutCancel(ctx), idx)
		}
		p.mu.Lock()
		p.by[idx] = w
		p.mu.Unlock()
		if err := s.Finish(ctx, idx, out); err != nil {
			return err
		}
	}
}

// The pool, registered for this test, runs a sweep through xp run's own
// path: its flags, the executor's name, the events printed as the points
// end, and the one summary every executor's result is printed with.
func TestExecutorSeam(t *testing.T) {
	p := &pool{workers: 2, by: map[int]int{}}
	executors[p.Name()] = func(*runOptions, string) sweep.Executor { return p }
	t.Cleanup(func() { delete(executors, p.Name()) })
	iris, err := os.ReadFile(filepath.Join(dataDir(), "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	exp := `iris: #Experiment & {
	data: {source: file: "data/iris.csv", target: "Species"}
	model: logreg: {}
	train: epochs: 2
	device: "cpu"
	sweep: params: "train.seed": [1, 2, 3, 4]
}`
	if err := errors.Join(os.MkdirAll("experiments/data", 0o755), os.WriteFile("experiments/data/iris.csv", iris, 0o644),
		os.WriteFile("experiments/iris.cue", []byte(exp), 0o644)); err != nil {
		t.Fatal(err)
	}
	xp := func(args ...string) (string, string) {
		var out, errOut bytes.Buffer
		if code := Execute(context.Background(), args, Streams{Out: &out, Err: &errOut}); code != 0 {
			t.Fatalf("xp %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
		}
		return out.String(), errOut.String()
	}
	out, errOut := xp("run", "--allow-dirty", "--executor", "pool", "iris")
	for _, want := range []string{`(?m)^sweep iris-[0-9a-f]{12}: 4 points \(grid\), 0 done before; 2 at a time, 1 thread each`,
		`(?m)^sweep iris-[0-9a-f]{12}: 4 points: 4 succeeded; 4 submitted to pool, 0 cached, 0 done before`,
		`(?m)^\[4/4\] succeeded [0-9a-f]{12}  train.seed=\d`, `(?m)^  best    [0-9a-f]{12}  validation.loss `} {
		if !regexp.MustCompile(want).MatchString(errOut + out) {
			t.Errorf("xp run does not say %s:\n%s%s", want, errOut, out)
		}
	}
	if n := strings.Count(out, "] succeeded "); n != 4 || len(p.by) != 4 {
		t.Errorf("%d points told succeeded, %d trained by the pool; want 4 each", n, len(p.by))
	}
	if ls, _ := xp("ls", "--sweep", "iris"); strings.Count(ls, " succeeded ") != 4 {
		t.Errorf("xp ls --sweep iris does not list the 4 runs:\n%s", ls)
	}
	if out, _ = xp("run", "--allow-dirty", "--executor", "pool", "iris"); !strings.Contains(out, "0 submitted to pool, 0 cached, 4 done before") {
		t.Errorf("again, the pool trained what was done:\n%s", out)
	}
}
