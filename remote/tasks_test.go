package remote_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/xp-ml/xp/remote"
)

// Task files are replaced and listed under their directory; a run's
// artifacts are fetched by its uid, checked against their sha256; a name
// that would leave tasks/ is refused.
func TestTaskFiles(t *testing.T) {
	forKinds(t, func(t *testing.T, url, endpoint string) {
		ctx := context.Background()
		rm := openRemote(t, url, endpoint)
		if _, err := rm.GetTaskFile(ctx, "sub-1/manifest.json"); !errors.Is(err, remote.ErrNotExist) {
			t.Fatalf("a task file not sent yet: %v, want ErrNotExist", err)
		}
		for _, f := range []struct{ name, body string }{
			{"sub-1/manifest.json", `{"tasks":[]}`},
			{"sub-1/task-0/run.json", `{"epoch":1}`},
			{"sub-1/task-0/run.json", `{"epoch":2}`},
			{"sub-1/task-0/points-000000.jsonl", "{}\n"},
			{"sub-10/task-0/run.json", `{}`},
		} {
			if err := rm.PutTaskFile(ctx, f.name, []byte(f.body)); err != nil {
				t.Fatal(err)
			}
		}
		if b, err := rm.GetTaskFile(ctx, "sub-1/task-0/run.json"); err != nil || string(b) != `{"epoch":2}` {
			t.Errorf("run.json sent twice: %q, %v; want the second", b, err)
		}
		names, err := rm.TaskFiles(ctx, "sub-1/task-0")
		if want := []string{"points-000000.jsonl", "run.json"}; err != nil || !slices.Equal(names, want) {
			t.Errorf("TaskFiles = %v, %v; want %v", names, err, want)
		}
		for _, bad := range []string{"../runs/x", "sub-1//run.json", "", "sub-1/./x"} {
			if err := rm.PutTaskFile(ctx, bad, []byte("x")); err == nil {
				t.Errorf("PutTaskFile(%q) was accepted", bad)
			}
		}

		a := openStore(t)
		runs := fakeRuns(t, a, 1, 5, 4)
		if _, err := rm.Push(ctx, a, runs, remote.PushOptions{}); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		n, err := rm.FetchRunFiles(ctx, runs[0].UID, dir)
		if err != nil || n != 4 {
			t.Fatalf("FetchRunFiles = %d, %v; want the run's 4 files", n, err)
		}
		for _, name := range []string{"weights.bin", "preprocessing.json", "log.txt", "spec.json"} {
			want, _ := os.ReadFile(filepath.Join(a.ArtifactDir(&runs[0]), name))
			if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s fetched: %d bytes, %v; want the pushed %d", name, len(got), err, len(want))
			}
		}
		run, _ := a.Run(ctx, runs[0].ID)
		objs := remote.ObjectsOf(rm)
		weights := remote.FileOf(t, read(t, objs, remote.BlobName(run.Bundle)), "weights.bin")
		put(t, objs, remote.BlobName(weights), []byte("not the weights"))
		other := t.TempDir()
		if _, err := rm.FetchRunFiles(ctx, runs[0].UID, other); !errors.Is(err, remote.ErrCorrupt) {
			t.Errorf("fetch of damaged weights: %v, want ErrCorrupt", err)
		}
		if _, err := os.Stat(filepath.Join(other, "weights.bin")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("damaged weights were put in place: %v", err)
		}
		if _, err := rm.FetchRunFiles(ctx, "01JAAAAAAAAAAAAAAAAAAAAAAA", other); !errors.Is(err, remote.ErrNotExist) {
			t.Errorf("a run the remote does not hold: %v, want ErrNotExist", err)
		}
	})
}
