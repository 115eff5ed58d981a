package cli

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xp-ml/xp/internal/gittest"
	"github.com/xp-ml/xp/store"
)

// faultSweep is a small sweep whose points each train for about a second,
// so that kills land in every phase: planning, claiming, mid-epoch,
// between epochs, while recording a result.
const faultSweep = `faults: #Experiment & {
	data: {source: file: "data/iris.csv", target: "Species", split: {test: 0.2, validation: 0.2, seed: 3}}
	model: layers: [{dense: 64, activation: "relu"}, {dense: 64, activation: "relu", batch_norm: true}, {dropout: 0.1}]
	train: {epochs: 1000, batch_size: 8, seed: 1, optimizer: adam: lr: 0.003}
	device: "cpu"
	sweep: {
		params: {"model.layers[0].dense": [32, 64], "train.optimizer.adam.lr": [0.001, 0.003, 0.01]}
		parallel: 2
	}
}
`

// TestFaults is the fault-injection suite (make test-faults, XP_TEST_FAULTS=1):
// it builds xp and kills `xp run` of a sweep with SIGKILL at random
// moments (a seeded RNG: XP_FAULTS_SEED, default 1), at least
// XP_FAULTS_TRIALS times (default 12), each kill followed by another
// `xp run` that continues the sweep, until one finishes it. It then checks
// that no point was lost (every point succeeded), none trained twice (one
// succeeded run per key), no run is left running, and every run that
// resumed a killed one ended with the bits of the same point trained
// without interruption in another store. As root it also reads the store
// as another user (read-only). The figures are logged on one line.
func TestFaults(t *testing.T) {
	if os.Getenv("XP_TEST_FAULTS") == "" {
		t.Skip("the fault-injection suite: make test-faults (XP_TEST_FAULTS=1)")
	}
	seed := uint64(1)
	fmt.Sscan(os.Getenv("XP_FAULTS_SEED"), &seed)
	trials := 12
	fmt.Sscan(os.Getenv("XP_FAULTS_TRIALS"), &trials)
	rng := rand.New(rand.NewPCG(seed, 22))

	bin := filepath.Join(t.TempDir(), "xp")
	build := exec.Command("go", "build", "-o", bin, "../cmd/xp")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	project := func() string {
		iris, err := os.ReadFile(filepath.Join(dataDir(), "iris.csv"))
		if err != nil {
			t.Fatal(err)
		}
		r := gittest.New(t, map[string]string{"experiments/faults.cue": faultSweep, "experiments/data/iris.csv": string(iris)})
		r.Commit("faults")
		return r.Dir
	}
	xp := func(dir string, args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		return cmd
	}

	// The reference: the sweep trained without interruption.
	ref := project()
	start := time.Now()
	if out, err := xp(ref, "run", "faults").CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted sweep: %v\n%s", err, out)
	}
	total := time.Since(start)
	t.Logf("the uninterrupted sweep took %v", total.Round(time.Millisecond))
	want := succeededByKey(t, ref)

	// Each kill lands a random fraction of the uninterrupted sweep's time
	// in (at least 50 ms, so that some land while planning), so that the
	// trials fit in the sweep however fast this machine trains. Should
	// the sweep still finish before every trial was made, the rest are
	// made on a fresh copy of the project: every copy is checked alike.
	kills, rounds := 0, 0
	var tally faultTally
	var dir string
	for kills < trials || rounds == 0 {
		rounds++
		if rounds > 5 {
			t.Fatalf("the sweep finished %d times before %d kills were made", rounds-1, trials)
		}
		dir = project()
		finished := false
		for attempt := 0; attempt < 200 && !finished; attempt++ {
			cmd := xp(dir, "run", "faults")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			if kills < trials {
				delay := max(50*time.Millisecond, time.Duration(float64(total)*(0.005+0.055*rng.Float64())))
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("xp run ended before its kill: %v\n%s", err, out.String())
					}
					t.Logf("the sweep finished after %d kills; the other trials go to a fresh copy", kills)
					finished = true
				case <-time.After(delay):
					cmd.Process.Signal(syscall.SIGKILL)
					<-done
					kills++
					t.Logf("trial %d: killed after %v", kills, delay.Round(time.Millisecond))
				}
				continue
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("the run after %d kills: %v\n%s", kills, err, out.String())
				}
				finished = true
			case <-time.After(5 * time.Minute):
				cmd.Process.Kill()
				t.Fatal("the sweep did not finish within 5 minutes after the kills")
			}
		}
		if !finished {
			t.Fatalf("the sweep did not finish")
		}
		tally.add(checkFaultSweep(t, dir, want))
	}

	var keys []string
	for key := range want {
		keys = append(keys, store.ShortKey(key))
	}
	readOnly := readAsAnotherUser(t, bin, dir, keys[0], keys[1])
	t.Logf("faults: seed %d, %d points, %d kill -9 trials over %d copies of the sweep, %d runs recorded: %d lost, %d trained twice, %d left running, %d resumed runs bitwise equal to uninterrupted of %d resumed, %d points differing; read-only: %s",
		seed, len(want), kills, rounds, tally.runs, tally.lost, tally.twice, tally.running, tally.resumedSame, tally.resumed, tally.differ, readOnly)
}

// faultTally counts what checkFaultSweep found.
type faultTally struct {
	runs, lost, twice, differ, running, resumed, resumedSame int
}

func (a *faultTally) add(b faultTally) {
	a.runs += b.runs
	a.lost += b.lost
	a.twice += b.twice
	a.differ += b.differ
	a.running += b.running
	a.resumed += b.resumed
	a.resumedSame += b.resumedSame
}

// checkFaultSweep checks the finished sweep in dir against want, the
// weights' sha256 of each point trained without interruption: no point
// lost, none trained to the end twice, every point's bits equal to
// want's, no run left running or queued.
func checkFaultSweep(t *testing.T, dir string, want map[string]string) faultTally {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := st.ListRuns(context.Background(), store.ListOptions{})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	tally := faultTally{runs: len(runs)}
	succeeded := map[string][]store.Run{}
	for _, r := range runs {
		switch r.Status {
		case store.StatusSucceeded:
			succeeded[r.Key] = append(succeeded[r.Key], r)
		case store.StatusRunning, store.StatusQueued:
			tally.running++
		}
	}
	for key, sha := range want {
		got := succeeded[key]
		switch {
		case len(got) == 0:
			tally.lost++
			t.Errorf("point %s lost: no succeeded run", store.ShortKey(key))
			continue
		case len(got) > 1:
			tally.twice++
			t.Errorf("point %s trained to the end %d times", store.ShortKey(key), len(got))
		}
		if got[0].WeightsSHA256 != sha {
			tally.differ++
			t.Errorf("point %s: weights %s, uninterrupted %s (resumed from run %d)", store.ShortKey(key), got[0].WeightsSHA256, sha, got[0].ResumedFrom)
		}
		if got[0].ResumedFrom != 0 {
			tally.resumed++
			if got[0].WeightsSHA256 == sha {
				tally.resumedSame++
			}
		}
	}
	if len(succeeded) != len(want) {
		t.Errorf("%d keys succeeded, the sweep has %d points", len(succeeded), len(want))
	}
	if tally.running > 0 {
		t.Errorf("%d runs still recorded running or queued after the sweep finished", tally.running)
	}
	return tally
}

// succeededByKey is the weights' sha256 of the succeeded run of each of
// the 6 keys of the sweep in the project at dir.
func succeededByKey(t *testing.T, dir string) map[string]string {
	t.Helper()
	return succeededByKeyN(t, dir, 6)
}

// succeededByKeyN is the weights' sha256 of the succeeded run of each key
// in the project at dir, which must have n.
func succeededByKeyN(t *testing.T, dir string, n int) map[string]string {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.ListRuns(context.Background(), store.ListOptions{Status: store.StatusSucceeded})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range runs {
		out[r.Key] = r.WeightsSHA256
	}
	if len(out) != n {
		t.Fatalf("%d keys succeeded, want %d", len(out), n)
	}
	return out
}

// readAsAnotherUser runs xp ls, show, diff, doctor and best on the store in dir as the
// user nobody, who may only read it: as root with setpriv, else it says
// why not.
func readAsAnotherUser(t *testing.T, bin, dir, key1, key2 string) string {
	t.Helper()
	setpriv, err := exec.LookPath("setpriv")
	nobody, uerr := user.Lookup("nobody")
	if os.Getuid() != 0 || err != nil || uerr != nil {
		return "skipped (needs root and setpriv)"
	}
	// Everything on the way from the temporary directory readable,
	// nothing writable by nobody.
	for p := dir; p != os.TempDir() && p != "/"; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil {
			os.Chmod(p, fi.Mode().Perm()|0o055)
		}
	}
	os.Chmod(filepath.Dir(bin), 0o755)
	os.Chmod(bin, 0o755)
	for _, args := range [][]string{{"ls"}, {"show", key1}, {"diff", key1, key2}, {"doctor"}, {"best", "faults"}} {
		cmd := exec.Command(setpriv, append([]string{"--reuid=" + nobody.Uid, "--regid=" + nobody.Gid, "--clear-groups", bin}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("xp %s as nobody: %v\n%s", strings.Join(args, " "), err, out)
			return "FAILED"
		}
	}
	return "ls, show, diff, doctor, best ok as nobody"
}

// diskFullExp trains long enough, with a checkpoint of about 3 MB, for
// the disk to fill up under it mid-run.
const diskFullExp = `full: #Experiment & {
	data: {source: file: "data/iris.csv", target: "Species", split: {test: 0.2, validation: 0.2, seed: 3}}
	model: layers: [{dense: 384, activation: "relu"}, {dense: 384, activation: "relu"}]
	train: {epochs: 60, batch_size: 16, seed: 2, optimizer: adam: lr: 0.001}
	device: "cpu"
}
`

// TestFaultsDiskFull (make test-faults, as root: it mounts a tmpfs) fills
// the disk that holds the store while a run trains: the run fails, keeps
// its last good checkpoint, and once space is freed `xp resume` continues
// it to the bits of the same run trained without interruption.
func TestFaultsDiskFull(t *testing.T) {
	if os.Getenv("XP_TEST_FAULTS") == "" {
		t.Skip("the fault-injection suite: make test-faults (XP_TEST_FAULTS=1)")
	}
	if os.Getuid() != 0 {
		t.Skip("needs root, to mount a tmpfs")
	}
	bin := filepath.Join(t.TempDir(), "xp")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/xp").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	iris, err := os.ReadFile(filepath.Join(dataDir(), "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	project := func() string {
		r := gittest.New(t, map[string]string{"experiments/full.cue": diskFullExp, "experiments/data/iris.csv": string(iris)})
		r.Commit("full")
		return r.Dir
	}
	xp := func(dir string, args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		return cmd
	}
	ref := project()
	if out, err := xp(ref, "run", "full").CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	want := succeededByKeyN(t, ref, 1)

	dir := project()
	xpDir := filepath.Join(dir, ".xp")
	if err := os.Mkdir(xpDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", xpDir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v %s", err, out)
	}
	defer exec.Command("umount", "-l", xpDir).Run()

	cmd := xp(dir, "run", "full")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Fill the disk once the run has checkpointed a few epochs.
	filler := filepath.Join(xpDir, "filler")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if epochOf(xpDir) >= 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not reach epoch 5\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break // ENOSPC: the disk is full
		}
	}
	f.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("the run succeeded on a full disk\n%s", out.String())
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("the run did not end on a full disk\n%s", out.String())
	}
	t.Logf("on a full disk: %s", lastLine(out.String()))
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	key := ""
	for k := range want {
		key = store.ShortKey(k)
	}
	res, err := xp(dir, "resume", key).CombinedOutput()
	if err != nil {
		t.Fatalf("xp resume after the disk was freed: %v\n%s", err, res)
	}
	got := succeededByKeyN(t, dir, 1)
	for k, sha := range want {
		if got[k] != sha {
			t.Errorf("resumed weights %s, uninterrupted %s", got[k], sha)
		}
	}
	st, err := store.Open(context.Background(), xpDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.ListRuns(context.Background(), store.ListOptions{Status: store.StatusSucceeded})
	if err != nil || len(runs) != 1 || runs[0].ResumedEpoch == 0 {
		t.Fatalf("the succeeded run %+v (%v): want one, resumed from a checkpoint", runs, err)
	}
	t.Logf("faults: disk full at epoch >= 5, resumed from epoch %d, weights bitwise equal to uninterrupted: %v", runs[0].ResumedEpoch, got[runs[0].Key] == want[runs[0].Key])
}

// epochOf is the furthest epoch a run of the store in dir has recorded,
// 0 when it cannot tell.
func epochOf(dir string) int {
	st, err := store.OpenReadOnly(context.Background(), dir)
	if err != nil {
		return 0
	}
	defer st.Close()
	runs, err := st.ListRuns(context.Background(), store.ListOptions{Limit: 1})
	if err != nil || len(runs) == 0 {
		return 0
	}
	return runs[0].Epoch
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
