package remote_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xp-ml/xp/remote"
	"github.com/xp-ml/xp/store"
)

// TestMain lets a test start this binary as another process that pushes
// a store's runs (XP_REMOTE_CHILD=push): to push from two processes at
// once, and to kill a push with SIGKILL.
func TestMain(m *testing.M) {
	if os.Getenv("XP_REMOTE_CHILD") == "push" {
		os.Exit(childPush())
	}
	os.Exit(m.Run())
}

func childPush() int {
	ctx := context.Background()
	st, err := store.Open(ctx, os.Getenv("XP_REMOTE_STORE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()
	objs, err := openObjects(os.Getenv("XP_REMOTE_URL"), os.Getenv("XP_REMOTE_ENDPOINT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	runs, err := st.ListRuns(ctx, store.ListOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rm := remote.New("team", objs)
	rm.Parallel = 2
	res, err := rm.Push(ctx, st, runs, remote.PushOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("pushed %d already %d\n", res.Pushed, res.Already)
	return 0
}

func pushCmd(t *testing.T, storeDir, url, endpoint string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "XP_REMOTE_CHILD=push", "XP_REMOTE_STORE="+storeDir,
		"XP_REMOTE_URL="+url, "XP_REMOTE_ENDPOINT="+endpoint)
	return cmd
}

// Two processes pushing the same runs at once: both succeed, and every
// run is on the remote, whole.
func TestConcurrentPushes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	forKinds(t, func(t *testing.T, url, endpoint string) {
		ctx := context.Background()
		a := openStore(t)
		runs := fakeRuns(t, a, 40, 100, 4)
		var cmds []*exec.Cmd
		var outs []*strings.Builder
		for range 2 {
			c := pushCmd(t, a.Dir(), url, endpoint)
			var out strings.Builder
			c.Stdout, c.Stderr = &out, &out
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			cmds, outs = append(cmds, c), append(outs, &out)
		}
		for i, c := range cmds {
			if err := c.Wait(); err != nil {
				t.Fatalf("push %d: %v\n%s", i, err, outs[i])
			}
		}
		t.Logf("the two pushes: %q, %q", outs[0], outs[1])
		rm := openRemote(t, url, endpoint)
		checkVisible(t, rm, 40)
		// Whatever each process sent, this store knows every run is there.
		again, err := rm.Push(ctx, a, runs, remote.PushOptions{})
		if err != nil || again.Already != 40 {
			t.Errorf("push after both: %+v, %v", again, err)
		}
	})
}

// A push killed with SIGKILL at random points leaves no run partly
// visible, and the next push completes it.
func TestKilledPush(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	const trials, runs = 10, 30
	forKinds(t, func(t *testing.T, url, endpoint string) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(7, 17))
		// How long a whole push takes here sets the window to kill in.
		probe := openStore(t)
		fakeRuns(t, probe, runs, 10, 5)
		purl, pend := url, endpoint
		if strings.HasPrefix(url, "file://") {
			purl = "file://" + t.TempDir()
		} else {
			purl = url + "-probe"
		}
		start := time.Now()
		if out, err := pushCmd(t, probe.Dir(), purl, pend).CombinedOutput(); err != nil {
			t.Fatalf("probe push: %v\n%s", err, out)
		}
		window := time.Since(start)
		visible := make([]int, 0, trials)
		for trial := range trials {
			a := openStore(t)
			fakeRuns(t, a, runs, 10, uint64(100+trial))
			turl := url
			if strings.HasPrefix(url, "file://") {
				turl = "file://" + t.TempDir()
			} else {
				turl = fmt.Sprintf("%s-%d", url, trial)
			}
			c := pushCmd(t, a.Dir(), turl, endpoint)
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(rng.Int64N(int64(window))))
			_ = c.Process.Signal(syscall.SIGKILL)
			_ = c.Wait()
			rm := openRemote(t, turl, endpoint)
			n := checkVisible(t, rm, -1)
			visible = append(visible, n)
			// The second push completes it.
			all, _ := a.ListRuns(ctx, store.ListOptions{})
			if _, err := rm.Push(ctx, a, all, remote.PushOptions{}); err != nil {
				t.Fatalf("trial %d: push after the kill: %v", trial, err)
			}
			checkVisible(t, rm, runs)
		}
		t.Logf("runs visible when each push was killed (of %d, window %v): %v", runs, window.Round(time.Millisecond), visible)
	})
}

// checkVisible pulls every visible run of rm into a new store, with its
// artifacts, every object checked; want is how many there must be (-1:
// any). It returns how many there are.
func checkVisible(t *testing.T, rm *remote.Remote, want int) int {
	t.Helper()
	ctx := context.Background()
	// Listed first: a killed client's last request may still be
	// completing at the server, so runs may become visible meanwhile,
	// never the other way.
	entries, _, err := rm.List(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	b := openStore(t)
	res, err := rm.Pull(ctx, b, remote.PullOptions{Artifacts: true})
	if err != nil {
		t.Fatalf("pull of the visible runs: %v", err)
	}
	if want >= 0 && res.Pulled != want {
		t.Errorf("%d runs visible, want %d", res.Pulled, want)
	}
	if res.Pulled < len(entries) {
		t.Errorf("%d runs listed, %d pulled", len(entries), res.Pulled)
	}
	return res.Pulled
}
