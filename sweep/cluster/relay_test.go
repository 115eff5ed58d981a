package cluster_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data/fetch"
	"github.com/xp-ml/xp/data/fetch/s3test"
	"github.com/xp-ml/xp/remote"
	"github.com/xp-ml/xp/remote/dir"
	"github.com/xp-ml/xp/remote/s3"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
	"github.com/xp-ml/xp/sweep/cluster"
	"github.com/xp-ml/xp/sweep/internal/sweeptest"
	"github.com/xp-ml/xp/sweep/local"
)

// relayed is a Scheduler whose tasks run here but in another directory,
// as on a node that sees neither the coordinator's project nor its run
// directory: each reads its manifest from the remote, trains in its own
// copy of the project, and reports through the remote (RunRelayed).
type relayed struct {
	rm   *remote.Remote
	root string // the node's copy of the project
}

func (*relayed) Name() string { return "relayed" }

func (s *relayed) Submit(ctx context.Context, a cluster.Array) (string, error) {
	if _, err := os.Stat(filepath.Join(a.Dir, "manifest.json")); err != nil {
		return "", err
	}
	for i := range a.Tasks {
		log := filepath.Join(s.root, fmt.Sprintf("task-%d.log", i))
		if err := os.WriteFile(log, []byte(fmt.Sprintf("task %d on the node\n", i)), 0o644); err != nil {
			return "", err
		}
		// A point's failure is in its result, which the coordinator
		// ingests.
		_, _ = cluster.RunRelayed(ctx, s.rm, cluster.RelayedTask{Name: filepath.Base(a.Dir), Index: i, Root: s.root, Log: log})
	}
	return "1", nil
}

func (*relayed) Task(id string, i int) string { return fmt.Sprintf("%s_%d", id, i) }

func (*relayed) Poll(_ context.Context, _ string, n int) ([]cluster.State, error) {
	out := make([]cluster.State, n)
	for i := range out {
		out[i] = cluster.State{Name: "COMPLETED", Ended: true}
	}
	return out, nil
}

func (*relayed) Cancel(context.Context, ...string) error { return nil }

// copyProject copies the experiments of the project at root (files and
// data, not .xp) into a new directory.
func copyProject(t *testing.T, root string) string {
	t.Helper()
	to := t.TempDir()
	if err := os.CopyFS(filepath.Join(to, "experiments"), os.DirFS(filepath.Join(root, "experiments"))); err != nil {
		t.Fatal(err)
	}
	return to
}

func sha(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Tasks that share no filesystem with the coordinator report through a
// remote (a directory, an S3 bucket): every point ends in the coordinator's store as it does with the
// local executor (same keys, same weights), with its curves and
// artifacts, its failure with the task's error and log, and each run is
// on the remote, pushed by its task.
func TestRelayThroughARemote(t *testing.T) {
	kinds := []struct {
		name string
		open func(t *testing.T) (remote.Objects, error)
	}{
		{"dir", func(t *testing.T) (remote.Objects, error) { return dir.Open("file://" + filepath.ToSlash(t.TempDir())) }},
		{"gofakes3", func(t *testing.T) (remote.Objects, error) {
			srv := s3test.WithBuckets(t, "AKIDXPRELAY", "xp-relay-secret", "xp-runs")
			return s3.Open("s3://xp-runs/team", srv.URL, "", fetch.S3Options{Credentials: credentials.NewStaticV4("AKIDXPRELAY", "xp-relay-secret", "")})
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			objs, err := k.open(t)
			if err != nil {
				t.Fatal(err)
			}
			testRelay(t, remote.New("team", objs))
		})
	}
}

func testRelay(t *testing.T, rm *remote.Remote) {
	ctx := context.Background()
	opts := sweep.Options{Options: runner.Options{AllowDirty: true, Threads: 1}}
	root := sweeptest.Project(t)
	node := copyProject(t, root)
	exp, err := spec.Find(root, "iris")
	if err != nil {
		t.Fatal(err)
	}
	st := sweeptest.Open(t, filepath.Join(root, ".xp"))
	ex := cluster.New(&relayed{rm: rm, root: node}, cluster.Options{Root: root, Poll: 10 * time.Millisecond,
		Relay: func(*spec.Sweep) (cluster.Relay, error) { return cluster.RemoteRelay(rm), nil }})
	there, err := sweep.Run(ctx, st, exp, ex, opts)
	if err != nil {
		t.Fatal(err)
	}

	here := copyProject(t, root)
	hexp, err := spec.Find(here, "iris")
	if err != nil {
		t.Fatal(err)
	}
	hst := sweeptest.Open(t, filepath.Join(here, ".xp"))
	local, err := sweep.Run(ctx, hst, hexp, &local.Executor{CPUs: 2}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(there.Points) != 6 || len(local.Points) != 6 {
		t.Fatalf("%d points relayed, %d here; want 6", len(there.Points), len(local.Points))
	}
	for i, p := range there.Points {
		l := local.Points[i]
		if p.Key != l.Key || p.Status != l.Status {
			t.Errorf("point %d: %.12s %s relayed, %.12s %s here", i, p.Key, p.Status, l.Key, l.Status)
			continue
		}
		if p.Status != store.StatusSucceeded {
			continue
		}
		if p.Run == nil || l.Run == nil || p.Run.WeightsSHA256 == "" || p.Run.WeightsSHA256 != l.Run.WeightsSHA256 {
			t.Errorf("point %d: runs %+v relayed, %+v here: want the same weights", i, p.Run, l.Run)
			continue
		}
		if got := sha(t, filepath.Join(st.ArtifactDir(p.Run), "weights.bin")); got != p.Run.WeightsSHA256 {
			t.Errorf("point %d: weights.bin has sha256 %.12s, its run says %.12s", i, got, p.Run.WeightsSHA256)
		}
		if n, m := sweeptest.CountPoints(t, st, p.Run.ID), sweeptest.CountPoints(t, hst, l.Run.ID); n != m || n == 0 {
			t.Errorf("point %d: %d metric points relayed, %d here", i, n, m)
		}
	}
	failed := there.Failed()
	if len(failed) != 1 || failed[0].Index != 5 || !strings.Contains(failed[0].Error, "Species") ||
		!strings.Contains(failed[0].Error, "task 5 on the node") {
		t.Errorf("failed points %+v: want point 5, with its error and its log", failed)
	}
	entries, _, err := rm.List(ctx, "iris", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Point 5 fails before it records a run (its data has no Species).
	if len(entries) != 5 {
		t.Errorf("%d runs on the remote, want the 5 that the tasks pushed", len(entries))
	}
	// The runs here are those the tasks pushed: same uids, known to be
	// there, so that neither a push nor a pull copies them again.
	var runs []store.Run
	for _, p := range there.Points {
		if p.Run != nil {
			runs = append(runs, *p.Run)
		}
	}
	pushed, err := rm.Push(ctx, st, runs, remote.PushOptions{})
	if err != nil || pushed.Pushed != 0 || pushed.Already != 5 {
		t.Errorf("push of the sweep's runs: %+v, %v; want the 5 there already", pushed, err)
	}
	pulled, err := rm.Pull(ctx, st, remote.PullOptions{Experiment: "iris"})
	if err != nil || pulled.Pulled != 0 || pulled.Already != 5 {
		t.Errorf("pull: %+v, %v; want the 5 here already", pulled, err)
	}
	if _, err := os.Stat(filepath.Join(node, ".xp")); err == nil {
		t.Errorf("a task made a store in the node's project")
	}
}

// flaky is a Relay whose Fetch fails its first fails calls for each task
// (fails < 0: always), as a remote that does not answer for a while.
type flaky struct {
	cluster.Relay
	fails int
	calls map[int]int
}

func (f *flaky) Fetch(ctx context.Context, dir string, i, a int) error {
	f.calls[i]++
	if f.fails < 0 || f.calls[i] <= f.fails {
		return fmt.Errorf("remote team: connection reset")
	}
	return f.Relay.Fetch(ctx, dir, i, a)
}

// A remote that fails for a few polls delays the results, and loses
// none; one that keeps failing stops the coordinator with its error
// rather than judging tasks without their files.
func TestRelayFailures(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fails int
	}{{"for a while", 2}, {"for good", -1}} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			root := sweeptest.Project(t)
			objs, err := dir.Open("file://" + filepath.ToSlash(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			rm := remote.New("team", objs)
			exp, err := spec.Find(root, "iris")
			if err != nil {
				t.Fatal(err)
			}
			st := sweeptest.Open(t, filepath.Join(root, ".xp"))
			relay := &flaky{Relay: cluster.RemoteRelay(rm), fails: tt.fails, calls: map[int]int{}}
			ex := cluster.New(&relayed{rm: rm, root: copyProject(t, root)}, cluster.Options{Root: root, Poll: 10 * time.Millisecond,
				Relay: func(*spec.Sweep) (cluster.Relay, error) { return relay, nil }})
			var notices []string
			opts := sweep.Options{Options: runner.Options{AllowDirty: true, Threads: 1}, Events: func(e sweep.Event) {
				if e.Kind == sweep.Notice {
					notices = append(notices, e.Message)
				}
			}}
			res, err := sweep.Run(ctx, st, exp, ex, opts)
			if tt.fails < 0 {
				if err == nil || !strings.Contains(err.Error(), "connection reset") {
					t.Fatalf("Run = %v; want the relay's error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := len(res.Failed()); n != 1 {
				t.Errorf("%d points failed, want point 5 alone", n)
			}
			if len(notices) != 12 || !strings.Contains(notices[0], "task 0: remote team: connection reset; asking again") {
				t.Errorf("notices %q: want 2 per task", notices)
			}
		})
	}
}
