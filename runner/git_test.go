package runner_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/internal/gittest"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// load loads the experiment defined in the file at path.
func load(t *testing.T, path string) *spec.Experiment {
	t.Helper()
	exps, err := spec.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return exps[0]
}

func irisData(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../experiments/data/iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const expPath = "experiments/iris.cue"

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func countRuns(t *testing.T, st *store.Store) int {
	t.Helper()
	n, err := st.CountRuns(context.Background(), store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGitLoop walks the user's loop in a real repository: commit, run,
// cached, --force, dirty refusal, --allow-dirty, commit again, rerun the old
// key (also after deleting its file, and from another clone), rerun the
// dirty run, and a rerun whose data changed.
func TestGitLoop(t *testing.T) {
	ctx := context.Background()
	iris := irisData(t)
	r := gittest.New(t, map[string]string{expPath: irisMLP, "experiments/iris.csv": iris})
	c1 := r.Commit("iris: first")
	st := openStore(t)
	opts := runner.Options{Backend: "gorgonia"}

	first, err := runner.Run(ctx, st, load(t, r.Path(expPath)), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("provenance", func(t *testing.T) {
		p, err := provenance.Parse(first.Run.Provenance)
		if err != nil {
			t.Fatal(err)
		}
		if p.Commit != c1 || p.Branch != "master" || p.Dirty || first.Run.Dirty || !p.InRepo || p.SpecPath != expPath {
			t.Errorf("provenance %+v, want commit %s on master, clean, spec %s", p, c1, expPath)
		}
		if len(p.Files) != 1 || p.Files[0].Path != expPath || p.Files[0].Blob != plumbing.ComputeHash(plumbing.BlobObject, []byte(irisMLP)).String() {
			t.Errorf("files %+v", p.Files)
		}
		if p.Data == nil || p.Data.Path != "experiments/iris.csv" || p.Data.Blob == "" || p.Host == "" || p.GoVersion == "" {
			t.Errorf("data %+v, host %q, go %q", p.Data, p.Host, p.GoVersion)
		}
		if src, _ := st.Sources(ctx, first.Run.ID); len(src) != 0 {
			t.Errorf("a clean run stored %d sources", len(src))
		}
	})
	t.Run("cached", func(t *testing.T) {
		again, err := runner.Run(ctx, st, load(t, r.Path(expPath)), opts)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Cached || again.Run.ID != first.Run.ID || again.Metrics["test"]["accuracy"] != first.Metrics["test"]["accuracy"] {
			t.Errorf("second run: cached %v, run %d (first %d)", again.Cached, again.Run.ID, first.Run.ID)
		}
	})
	t.Run("force", func(t *testing.T) {
		forced, err := runner.Run(ctx, st, load(t, r.Path(expPath)), runner.Options{Backend: "gorgonia", Force: true})
		if err != nil {
			t.Fatal(err)
		}
		if forced.Cached || forced.Run.ID == first.Run.ID || forced.Run.Key != first.Run.Key || forced.Run.WeightsSHA256 != first.Run.WeightsSHA256 {
			t.Errorf("forced: cached %v, run %d key %s weights %s; first run %d key %s weights %s", forced.Cached,
				forced.Run.ID, forced.Run.Key, forced.Run.WeightsSHA256, first.Run.ID, first.Run.Key, first.Run.WeightsSHA256)
		}
	})

	edited := strings.Replace(irisMLP, "lr: 0.01", "lr: 0.02", 1)
	r.Write(map[string]string{expPath: edited})
	var dirty *runner.Result
	t.Run("dirty refused", func(t *testing.T) {
		before := countRuns(t, st)
		_, err := runner.Run(ctx, st, load(t, r.Path(expPath)), opts)
		if !errors.Is(err, provenance.ErrDirty) || !strings.Contains(err.Error(), expPath+" (modified)") {
			t.Fatalf("err = %v, want ErrDirty naming %s", err, expPath)
		}
		if n := countRuns(t, st); n != before {
			t.Errorf("a refused run was recorded: %d runs, had %d", n, before)
		}
	})
	t.Run("allow dirty", func(t *testing.T) {
		dirty, err = runner.Run(ctx, st, load(t, r.Path(expPath)), runner.Options{Backend: "gorgonia", AllowDirty: true})
		if err != nil {
			t.Fatal(err)
		}
		p, _ := provenance.Parse(dirty.Run.Provenance)
		if !dirty.Run.Dirty || !p.Dirty || !slices.Equal(p.DirtyFiles, []string{expPath}) || p.Commit != c1 {
			t.Errorf("run dirty %v, provenance %+v", dirty.Run.Dirty, p)
		}
		src, err := st.Sources(ctx, dirty.Run.ID)
		if err != nil || len(src) != 1 || src[0].Path != expPath || string(src[0].Content) != edited {
			t.Errorf("stored sources %+v, %v; want the edited %s", src, err, expPath)
		}
	})
	if dirty == nil {
		t.Fatal("no dirty run")
	}

	c2 := r.Commit("iris: faster")
	t.Run("commit again", func(t *testing.T) {
		second, err := runner.Run(ctx, st, load(t, r.Path(expPath)), opts)
		if err != nil {
			t.Fatal(err)
		}
		if !second.Cached || second.Run.ID != dirty.Run.ID {
			// The dirty run trained exactly these bytes: its key is this key.
			t.Errorf("the committed edit was not answered by the dirty run of the same key: cached %v, run %d", second.Cached, second.Run.ID)
		}
		third, err := runner.Run(ctx, st, load(t, r.Path(expPath)), runner.Options{Backend: "gorgonia", Force: true})
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := provenance.Parse(third.Run.Provenance); p.Commit != c2 || p.Dirty || third.Run.Dirty {
			t.Errorf("after the commit: provenance %+v, dirty %v", p, third.Run.Dirty)
		}
		if third.Run.Key == first.Run.Key || third.Run.WeightsSHA256 != dirty.Run.WeightsSHA256 {
			t.Errorf("the committed edit trained key %s, weights %s; want a new key, and the dirty run's weights %s",
				third.Run.Key, third.Run.WeightsSHA256, dirty.Run.WeightsSHA256)
		}
	})

	reproduce := func(t *testing.T, orig *store.Run, dir string) *runner.Reproduction {
		t.Helper()
		rep, err := runner.Rerun(ctx, st, orig, dir, runner.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Identical() {
			t.Errorf("not reproduced: %+v", rep.Diffs)
		}
		if rep.Rerun.RerunOf != orig.ID || rep.Rerun.ID == orig.ID || rep.Rerun.Key != orig.Key {
			t.Errorf("rerun %d of %d (key %s), want a new run of key %s linked to %d", rep.Rerun.ID, rep.Rerun.RerunOf, rep.Rerun.Key, orig.Key, orig.ID)
		}
		return rep
	}
	t.Run("rerun the old key", func(t *testing.T) {
		rep := reproduce(t, first.Run, r.Dir)
		if rep.Source.Commit != c1 || rep.Rerun.Dirty {
			t.Errorf("rebuilt from %s (dirty %v), want %s", rep.Source.Commit, rep.Rerun.Dirty, c1)
		}
		if b, _ := os.ReadFile(r.Path(expPath)); string(b) != edited {
			t.Error("the rerun changed the working tree")
		}
	})
	t.Run("rerun after the file was deleted", func(t *testing.T) {
		if err := os.Remove(r.Path(expPath)); err != nil {
			t.Fatal(err)
		}
		defer r.Write(map[string]string{expPath: edited})
		reproduce(t, first.Run, filepath.Join(r.Dir, "experiments"))
		// A dirty run is rebuilt from the sources stored with it.
		rep := reproduce(t, dirty.Run, r.Dir)
		if !rep.Rerun.Dirty {
			t.Error("the rerun of a dirty run is not marked dirty")
		}
	})
	t.Run("rerun in another clone", func(t *testing.T) {
		clone := t.TempDir()
		if _, err := git.PlainClone(clone, false, &git.CloneOptions{URL: r.Dir}); err != nil {
			t.Fatal(err)
		}
		rep := reproduce(t, first.Run, clone)
		if rep.Source.Root != clone {
			t.Errorf("rebuilt in %s, want the clone %s", rep.Source.Root, clone)
		}
	})
	t.Run("rerun with changed data", func(t *testing.T) {
		r.Write(map[string]string{"experiments/iris.csv": iris + "5.0,3.0,1.5,0.2,setosa\n"})
		defer r.Write(map[string]string{"experiments/iris.csv": iris})
		before := countRuns(t, st)
		_, err := runner.Rerun(ctx, st, first.Run, r.Dir, runner.Options{})
		if !errors.Is(err, runner.ErrInputsChanged) {
			t.Fatalf("err = %v, want ErrInputsChanged", err)
		}
		for _, w := range []string{"iris.csv changed since run " + first.Run.Key[:12], "sha256 " + first.Run.DataHashes["source"][:12]} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not contain %q", err, w)
			}
		}
		if n := countRuns(t, st); n != before {
			t.Error("a rerun with changed data trained")
		}
	})
	t.Run("commit not in the repository", func(t *testing.T) {
		other := gittest.New(t, map[string]string{"README": "x"})
		other.Commit("unrelated")
		_, err := runner.Rerun(ctx, st, first.Run, other.Dir, runner.Options{})
		if !errors.Is(err, provenance.ErrCommitNotFound) || !strings.Contains(err.Error(), c1[:12]) {
			t.Errorf("err = %v, want ErrCommitNotFound naming %s", err, c1[:12])
		}
	})
	t.Run("not reproduced", func(t *testing.T) {
		// A result that cannot be reproduced: pretend the original's
		// weights were different.
		fake := *first.Run
		fake.WeightsSHA256 = strings.Repeat("0", 64)
		rep, err := runner.Rerun(ctx, st, &fake, r.Dir, runner.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Identical() || len(rep.Diffs) != 1 || rep.Diffs[0].Field != "weights_sha256" || rep.Diffs[0].Rerun != first.Run.WeightsSHA256 {
			t.Errorf("diffs %+v, want only weights_sha256", rep.Diffs)
		}
	})
}

func TestRerunRefuses(t *testing.T) {
	ctx := context.Background()
	exp, st := setup(t, irisMLP)
	res, err := runner.Run(ctx, st, exp, runner.Options{Backend: "gorgonia", AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(r *store.Run)
		want string
	}{
		{"not succeeded", func(r *store.Run) { r.Status = store.StatusFailed }, "only a succeeded run"},
		{"no provenance of its files", func(r *store.Run) { r.Provenance = []byte(`{"host":"h"}`) }, "records no source files"},
		{"spec hash changed", func(r *store.Run) { r.SpecHash = strings.Repeat("a", 64) }, "spec hash of iris changed since run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := *res.Run
			tt.edit(&orig)
			_, err := runner.Rerun(ctx, st, &orig, exp.Dir, runner.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("outside a repository, from the stored sources", func(t *testing.T) {
		if err := os.Remove(exp.File); err != nil {
			t.Fatal(err)
		}
		rep, err := runner.Rerun(ctx, st, res.Run, t.TempDir(), runner.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Identical() || !rep.Rerun.Dirty {
			t.Errorf("diffs %+v, dirty %v", rep.Diffs, rep.Rerun.Dirty)
		}
	})
}
