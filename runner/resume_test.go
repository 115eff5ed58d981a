package runner_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// irisResume trains with everything a resume must carry: batch norm (its
// running statistics), dropout (the step counter), AdamW's moments, a
// cosine schedule with warmup (the epoch and step), the shuffle RNG, and
// early stopping's best weights.
const irisResume = `
iris: #Experiment & {
	data: {
		source: file: "iris.csv"
		target: "Species"
		split: {test: 0.2, validation: 0.2, seed: 5}
	}
	model: layers: [{dense: 16, activation: "gelu", batch_norm: true}, {dropout: 0.2}]
	train: {
		epochs: 8, batch_size: 16, seed: 4
		optimizer: adamw: lr: 0.01
		schedule: cosine: {}
		warmup: steps: 5
		early_stopping: {metric: "val.loss", patience: 20}
	}
	metrics: ["accuracy", "auc"]
	device: "cpu"
}
`

// openIn loads the experiment and opens the store of a directory that
// setup made.
func openIn(t *testing.T, dir string) (*spec.Experiment, *store.Store) {
	t.Helper()
	exps, err := spec.Load(filepath.Join(dir, "exp.cue"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return exps[0], st
}

// uninterrupted trains irisResume once, start to end, in its own store.
func uninterrupted(t *testing.T, backend string) *runner.Result {
	t.Helper()
	exp, st := setup(t, irisResume)
	res, err := runner.Run(context.Background(), st, exp, runner.Options{Backend: backend, AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// resumedLike checks that res resumed an interrupted run and ended with the
// bits of want.
func resumedLike(t *testing.T, st *store.Store, res, want *runner.Result) {
	t.Helper()
	if res.Cached || res.Run.Status != store.StatusSucceeded {
		t.Fatalf("second run: cached %v, status %s", res.Cached, res.Run.Status)
	}
	logText, err := os.ReadFile(filepath.Join(st.ArtifactDir(res.Run), "log.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logText), "resuming run") {
		t.Fatalf("the second run did not resume:\n%s", logText)
	}
	if res.Run.WeightsSHA256 == "" || res.Run.WeightsSHA256 != want.Run.WeightsSHA256 {
		t.Errorf("resumed weights %s, uninterrupted %s", res.Run.WeightsSHA256, want.Run.WeightsSHA256)
	}
	for split, ms := range want.Metrics {
		for name, v := range ms {
			if got := res.Metrics[split][name]; got != v && !(got != got && v != v) {
				t.Errorf("%s %s: resumed %v, uninterrupted %v", split, name, got, v)
			}
		}
	}
	pts, err := st.Points(context.Background(), res.Run.ID, "train", "loss")
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 8 {
		t.Errorf("resumed run has %d train loss points, want all 8", len(pts))
	}
}

// Ctrl-C after epoch 3, then `xp run` again: the second run continues from
// the checkpoint and ends bit for bit where an uninterrupted run ends.
func TestResumeAfterCancel(t *testing.T) {
	for _, backend := range []string{"cpu", "gorgonia"} {
		t.Run(backend, func(t *testing.T) {
			want := uninterrupted(t, backend)
			exp, st := setup(t, irisResume)
			ctx, cancel := context.WithCancel(context.Background())
			_, err := runner.Run(ctx, st, exp, runner.Options{Backend: backend, AllowDirty: true, Events: func(e runner.Event) {
				if e.Kind == runner.EventEpoch && e.Epoch == 3 {
					cancel()
				}
			}})
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("first run: %v, want canceled", err)
			}
			res, err := runner.Run(context.Background(), st, exp, runner.Options{Backend: backend, AllowDirty: true})
			if err != nil {
				t.Fatal(err)
			}
			resumedLike(t, st, res, want)
		})
	}
}

// TestResumeAfterKill kills a training process with SIGKILL right after
// its fourth epoch (its checkpoint of epoch 4 may or may not be written:
// the kill lands between epochs), then resumes in this process.
func TestResumeAfterKill(t *testing.T) {
	if dir := os.Getenv("XP_TEST_KILL_DIR"); dir != "" {
		exp, st := openIn(t, dir)
		runner.Run(context.Background(), st, exp, runner.Options{Backend: os.Getenv("XP_TEST_KILL_BACKEND"), AllowDirty: true,
			Events: func(e runner.Event) {
				if e.Kind == runner.EventEpoch && e.Epoch == 4 {
					syscall.Kill(os.Getpid(), syscall.SIGKILL)
				}
			}})
		t.Fatal("the run was not killed")
	}
	for _, backend := range []string{"cpu", "gorgonia"} {
		t.Run(backend, func(t *testing.T) {
			want := uninterrupted(t, backend)
			exp, st := setup(t, irisResume)
			dir := filepath.Dir(filepath.Join(st.Dir()))
			cmd := exec.Command(os.Args[0], "-test.run=^TestResumeAfterKill$")
			cmd.Env = append(os.Environ(), "XP_TEST_KILL_DIR="+dir, "XP_TEST_KILL_BACKEND="+backend)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child: %v, want killed by SIGKILL\n%s", err, out)
			}
			res, err := runner.Run(context.Background(), st, exp, runner.Options{Backend: backend, AllowDirty: true})
			if err != nil {
				t.Fatal(err)
			}
			resumedLike(t, st, res, want)
		})
	}
}

// TestResumeByKey: `xp resume <key>` of a canceled run continues it from
// its checkpoint, found by the run rather than by the experiment's files,
// and ends bit for bit like an uninterrupted run; there is then nothing
// left to resume, and a finished run never has anything to resume.
func TestResumeByKey(t *testing.T) {
	want := uninterrupted(t, "cpu")
	exp, st := setup(t, irisResume)
	ctx, cancel := context.WithCancel(context.Background())
	res, err := runner.Run(ctx, st, exp, runner.Options{AllowDirty: true, Events: func(e runner.Event) {
		if e.Kind == runner.EventEpoch && e.Epoch == 3 {
			cancel()
		}
	}})
	cancel()
	if !errors.Is(err, context.Canceled) || res == nil || res.Run.Status != store.StatusCanceled {
		t.Fatalf("first run: %v, want a canceled run", err)
	}
	canceled := res.Run
	dir := filepath.Dir(st.Dir())
	resumed, err := runner.Resume(context.Background(), st, canceled, dir, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	resumedLike(t, st, resumed, want)

	for _, r := range []*store.Run{canceled, resumed.Run} {
		if _, err := runner.Resume(context.Background(), st, r, dir, runner.Options{}); !errors.Is(err, runner.ErrNothingToResume) {
			t.Errorf("resume of %s run again: %v, want ErrNothingToResume", r.Status, err)
		}
	}
}

// TestResumeRightAfterKill: `xp resume` of a run killed with -9 a moment
// ago, whose row still says running because no command has noticed, sees
// that its process is gone and continues it, instead of refusing it as a
// run "running while its process lives".
func TestResumeRightAfterKill(t *testing.T) {
	if dir := os.Getenv("XP_TEST_KILL_DIR"); dir != "" {
		exp, st := openIn(t, dir)
		runner.Run(context.Background(), st, exp, runner.Options{AllowDirty: true,
			Events: func(e runner.Event) {
				if e.Kind == runner.EventEpoch && e.Epoch == 4 {
					syscall.Kill(os.Getpid(), syscall.SIGKILL)
				}
			}})
		t.Fatal("the run was not killed")
	}
	want := uninterrupted(t, "cpu")
	_, st := setup(t, irisResume)
	dir := filepath.Dir(st.Dir())
	cmd := exec.Command(os.Args[0], "-test.run=^TestResumeRightAfterKill$")
	cmd.Env = append(os.Environ(), "XP_TEST_KILL_DIR="+dir)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want killed by SIGKILL\n%s", err, out)
	}
	killed, err := st.Run(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if killed.Status != store.StatusRunning {
		t.Fatalf("the killed run is %s; the test needs it still recorded running", killed.Status)
	}
	res, err := runner.Resume(context.Background(), st, killed, dir, runner.Options{})
	if err != nil {
		t.Fatalf("resume right after kill -9: %v", err)
	}
	resumedLike(t, st, res, want)
}

// TestResumeAfterFailure: a run that fails mid-training (here the process
// runs out of file descriptors after epoch 4, so writing that epoch's
// checkpoint fails, as a full disk would) keeps its last good checkpoint,
// and `xp resume` of the failed run continues from it, ending bit for bit
// like an uninterrupted run.
func TestResumeAfterFailure(t *testing.T) {
	if dir := os.Getenv("XP_TEST_FAIL_DIR"); dir != "" {
		exp, st := openIn(t, dir)
		_, err := runner.Run(context.Background(), st, exp, runner.Options{AllowDirty: true,
			Events: func(e runner.Event) {
				if e.Kind == runner.EventEpoch && e.Epoch == 4 {
					var lim syscall.Rlimit
					syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
					lim.Cur = 0 // no new file: the checkpoint cannot be written
					syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
				}
			}})
		if err == nil {
			t.Fatal("the run did not fail")
		}
		t.Logf("failed as planned: %v", err)
		return
	}
	want := uninterrupted(t, "cpu")
	_, st := setup(t, irisResume)
	dir := filepath.Dir(st.Dir())
	cmd := exec.Command(os.Args[0], "-test.run=^TestResumeAfterFailure$", "-test.v")
	cmd.Env = append(os.Environ(), "XP_TEST_FAIL_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "failed as planned") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	failed, err := st.Run(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if failed.Status != store.StatusFailed {
		t.Fatalf("the run is %s (%s), want failed", failed.Status, failed.Error)
	}
	if !runner.HasCheckpoint(st, failed) {
		t.Fatal("the failed run's checkpoint was thrown away")
	}
	res, err := runner.Resume(context.Background(), st, failed, dir, runner.Options{})
	if err != nil {
		t.Fatalf("resume of the failed run: %v", err)
	}
	resumedLike(t, st, res, want)
	if res.Run.ResumedEpoch != 3 {
		t.Errorf("resumed from epoch %d, want 3 (the last checkpoint written)", res.Run.ResumedEpoch)
	}
}
