package local_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
)

// sweepChildEnv names the directory a TestSweepChild process works in;
// unset, TestSweepChild does nothing.
const sweepChildEnv = "XP_SWEEP_CHILD_DIR"

// TestSweepChild is the body of an xp process in the tests below, this
// test binary started again: it runs the sweep of dir/exp.cue on the store
// dir/.xp, as `xp run` would.
func TestSweepChild(t *testing.T) {
	dir := os.Getenv(sweepChildEnv)
	if dir == "" {
		return
	}
	ctx := context.Background()
	exps, err := spec.Load(filepath.Join(dir, "exp.cue"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(dir, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	parallel, _ := strconv.Atoi(os.Getenv("XP_SWEEP_CHILD_PARALLEL"))
	res, err := runSweep(ctx, st, exps[0], sweepOpts(parallel))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("pid %d trained %d cached %d earlier %d\n", os.Getpid(), res.Trained, res.Cached, res.Earlier)
}

// sweepChild starts TestSweepChild on dir.
func sweepChild(t *testing.T, dir string, parallel int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSweepChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), sweepChildEnv+"="+dir, "XP_SWEEP_CHILD_PARALLEL="+strconv.Itoa(parallel))
	return cmd
}

// slowSweep is irisSweep with points that take a few hundred
// milliseconds, so a process can be killed in the middle of some.
var slowSweep = strings.Replace(irisSweep, `epochs: 3, batch_size: 16`, `epochs: 12, batch_size: 2`, 1)

const slowEpochs = 12

// checkEveryPointOnce checks that every point of the sweep in st is done
// and succeeded, and that its key has exactly one succeeded run, with its
// whole validation curve and test metrics: no point trained twice, no
// result lost.
func checkEveryPointOnce(t *testing.T, st *store.Store, epochs int) []store.Run {
	t.Helper()
	ctx := context.Background()
	sweeps, err := st.Sweeps(ctx, store.SweepQuery{})
	if err != nil || len(sweeps) != 1 {
		t.Fatalf("sweeps %v, %v; want one", sweeps, err)
	}
	points, err := st.SweepPoints(ctx, sweeps[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := st.ListRuns(ctx, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	succeeded := map[string][]store.Run{}
	for _, r := range runs {
		if r.Status == store.StatusSucceeded {
			succeeded[r.Key] = append(succeeded[r.Key], r)
		}
	}
	if len(points) != 12 {
		t.Fatalf("%d points, want 12", len(points))
	}
	for _, p := range points {
		got := succeeded[p.Key]
		if p.State != store.PointDone || p.Status != store.StatusSucceeded || len(got) != 1 || got[0].ID != p.RunID {
			t.Errorf("point %d: %s %s, run %d; %d succeeded runs of its key", p.Index, p.State, p.Status, p.RunID, len(got))
			continue
		}
		r := got[0]
		if n := r.Summary["validation"]["loss"].Count; n != epochs {
			t.Errorf("point %d: %d validation loss points, want %d", p.Index, n, epochs)
		}
		if _, ok := r.Summary["test"]["accuracy"]; !ok {
			t.Errorf("point %d: no test accuracy", p.Index)
		}
	}
	if len(succeeded) != 12 {
		t.Errorf("%d keys succeeded, want 12", len(succeeded))
	}
	return runs
}

func TestSweepSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	exp, st := setup(t, slowSweep)
	dir := exp.Dir
	ctx := context.Background()

	first := sweepChild(t, dir, 2)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once some points are done and one is in the first half of
	// its training, so that it is still training when the kill lands.
	deadline := time.Now().Add(20 * time.Second)
	for {
		runs, err := st.ListRuns(ctx, store.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		done, training := 0, 0
		for _, r := range runs {
			switch {
			case r.Status == store.StatusSucceeded:
				done++
			case r.Status == store.StatusRunning && r.Epoch >= 1 && r.Epoch <= slowEpochs/2:
				training++
			}
		}
		if done >= 2 && training >= 1 {
			break
		}
		if time.Now().After(deadline) {
			first.Process.Kill()
			first.Wait()
			t.Fatalf("after 20s: %d done, %d training", done, training)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	left, _ := st.ListRuns(ctx, store.ListOptions{Status: store.StatusRunning})
	if len(left) == 0 {
		t.Fatal("the killed process left no run running")
	}

	// The next process takes the killed one's points at once (its pid is
	// gone) and marks its runs lost.
	t0 := time.Now()
	second := sweepChild(t, dir, 2)
	out, err := second.CombinedOutput()
	if err != nil {
		t.Fatalf("second process: %v\n%s", err, out)
	}
	if took := time.Since(t0); took > 20*time.Second {
		t.Errorf("the second process took %v: it waited for the heartbeats to go stale", took)
	}
	runs := checkEveryPointOnce(t, st, slowEpochs)
	for _, r := range left {
		got, err := st.Run(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.StatusLost {
			t.Errorf("run %s of the killed process is %s, want lost", got.Short(), got.Status)
		}
	}
	lost := 0
	for _, r := range runs {
		switch r.Status {
		case store.StatusLost:
			lost++
		case store.StatusSucceeded:
		default:
			t.Errorf("run %s is %s", r.Short(), r.Status)
		}
	}
	// The killed process may also have created a run it never started:
	// that one is lost too.
	if lost < len(left) || len(runs) != 12+lost {
		t.Errorf("%d runs, %d lost: want 12 succeeded and the %d+ lost", len(runs), lost, len(left))
	}
	t.Logf("killed with %d runs in training; second process: %s", len(left), strings.TrimSpace(lastLine(out)))
}

func TestSweepFourProcessesOneStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	exp, st := setup(t, slowSweep)
	cmds := make([]*exec.Cmd, 4)
	outs := make([][]byte, len(cmds))
	errs := make([]error, len(cmds))
	var wg sync.WaitGroup
	for i := range cmds {
		cmds[i] = sweepChild(t, exp.Dir, 1)
		wg.Go(func() { outs[i], errs[i] = cmds[i].CombinedOutput() })
	}
	wg.Wait()
	trained := 0
	for i := range cmds {
		if errs[i] != nil {
			t.Fatalf("process %d: %v\n%s", i, errs[i], outs[i])
		}
		line := lastLine(outs[i])
		var pid, n, cached, earlier int
		if _, err := fmt.Sscanf(line, "pid %d trained %d cached %d earlier %d", &pid, &n, &cached, &earlier); err != nil {
			t.Fatalf("process %d printed %q: %v", i, line, err)
		}
		trained += n
		t.Logf("process %d: %s", i, line)
	}
	if trained != 12 {
		t.Errorf("the processes trained %d points together, want 12", trained)
	}
	runs := checkEveryPointOnce(t, st, slowEpochs)
	if len(runs) != 12 {
		t.Errorf("%d runs, want 12", len(runs))
	}
}

// lastLine is the child's summary line: the last line that starts with
// "pid ".
func lastLine(out []byte) string {
	line := ""
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "pid ") {
			line = l
		}
	}
	return line
}
