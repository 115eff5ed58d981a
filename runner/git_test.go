package runner_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// gitRepo is a real git repository made in the test, with go-git.
type gitRepo struct {
	t    *testing.T
	dir  string
	repo *git.Repository
	n    int
}

func newRepo(t *testing.T, files map[string]string) *gitRepo {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	r := &gitRepo{t: t, dir: dir, repo: repo}
	r.write(files)
	return r
}

func (r *gitRepo) path(rel string) string { return filepath.Join(r.dir, filepath.FromSlash(rel)) }

func (r *gitRepo) write(files map[string]string) {
	r.t.Helper()
	for rel, body := range files {
		p := r.path(rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

// commit stages everything (git add -A) and commits it.
func (r *gitRepo) commit(msg string) string {
	r.t.Helper()
	wt, err := r.repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		r.t.Fatal(err)
	}
	r.n++
	sig := &object.Signature{Name: "Test", Email: "test@example.com", When: time.Date(2025, 1, 1, 0, r.n, 0, 0, time.UTC)}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		r.t.Fatal(err)
	}
	return h.String()
}

func (r *gitRepo) load(rel string) *spec.Experiment {
	r.t.Helper()
	exps, err := spec.Load(r.path(rel))
	if err != nil {
		r.t.Fatal(err)
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

func TestInspectGit(t *testing.T) {
	iris := irisData(t)
	committed := map[string]string{expPath: irisMLP, "experiments/iris.csv": iris}
	tests := []struct {
		name string
		// prepare makes the repository and returns it; commit is the commit
		// HEAD should be at ("" for none).
		prepare   func(t *testing.T) (r *gitRepo, commit string)
		state     runner.FileState
		dataState runner.FileState
		branch    string
		wantErr   []string
	}{
		{name: "committed", prepare: func(t *testing.T) (*gitRepo, string) {
			r := newRepo(t, committed)
			return r, r.commit("iris")
		}, branch: "master"},
		{name: "reformatted", prepare: func(t *testing.T) (*gitRepo, string) {
			r := newRepo(t, committed)
			c := r.commit("iris")
			r.write(map[string]string{expPath: "// a comment\n" + irisMLP})
			return r, c
		}, state: runner.FileModified, branch: "master",
			wantErr: []string{"uncommitted changes", expPath + " (modified)", "commit them, or pass --allow-dirty"}},
		{name: "never committed", prepare: func(t *testing.T) (*gitRepo, string) {
			r := newRepo(t, map[string]string{"README": "x"})
			c := r.commit("readme")
			r.write(committed)
			return r, c
		}, state: runner.FileUntracked, dataState: runner.FileUntracked, branch: "master",
			wantErr: []string{expPath + " (untracked)", "--allow-dirty"}},
		{name: "no commits yet", prepare: func(t *testing.T) (*gitRepo, string) {
			return newRepo(t, committed), ""
		}, state: runner.FileUntracked, dataState: runner.FileUntracked, branch: "master",
			wantErr: []string{expPath + " (untracked)"}},
		{name: "data modified", prepare: func(t *testing.T) (*gitRepo, string) {
			r := newRepo(t, committed)
			c := r.commit("iris")
			r.write(map[string]string{"experiments/iris.csv": iris + "5.0,3.0,1.5,0.2,setosa\n"})
			return r, c
		}, dataState: runner.FileModified, branch: "master"},
		{name: "detached HEAD", prepare: func(t *testing.T) (*gitRepo, string) {
			r := newRepo(t, committed)
			c := r.commit("iris")
			wt, _ := r.repo.Worktree()
			if err := wt.Checkout(&git.CheckoutOptions{Hash: plumbing.NewHash(c)}); err != nil {
				t.Fatal(err)
			}
			return r, c
		}, branch: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, commit := tt.prepare(t)
			exp := r.load(expPath)
			src, err := runner.InspectGit(exp, exp.DataPath(exp.Spec.Data.Source.File))
			if err != nil {
				t.Fatal(err)
			}
			if !src.InRepo || src.Commit != commit || src.Branch != tt.branch {
				t.Errorf("in repo %v, commit %q, branch %q; want true, %q, %q", src.InRepo, src.Commit, src.Branch, commit, tt.branch)
			}
			if len(src.Files) != 1 || src.Files[0].Path != expPath || src.Files[0].State != tt.state {
				t.Fatalf("files %+v, want %s %q", src.Files, expPath, tt.state)
			}
			body, _ := os.ReadFile(r.path(expPath))
			if want := plumbing.ComputeHash(plumbing.BlobObject, body).String(); src.Files[0].Blob != want {
				t.Errorf("blob %s, want %s", src.Files[0].Blob, want)
			}
			if src.Data == nil || src.Data.Path != "experiments/iris.csv" || src.Data.State != tt.dataState {
				t.Errorf("data %+v, want experiments/iris.csv %q", src.Data, tt.dataState)
			}
			if src.Dirty() != (tt.state != runner.FileClean) {
				t.Errorf("Dirty() = %v with the file %q", src.Dirty(), tt.state)
			}
			err = src.Check()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Errorf("Check: %v", err)
				}
				return
			}
			if !errors.Is(err, runner.ErrDirty) {
				t.Fatalf("Check = %v, want ErrDirty", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	t.Run("not in a repository", func(t *testing.T) {
		exp, _ := setup(t, irisMLP)
		src, err := runner.InspectGit(exp, exp.DataPath(exp.Spec.Data.Source.File))
		if err != nil {
			t.Fatal(err)
		}
		if src.InRepo || !src.Dirty() || src.Commit != "" || len(src.Files) != 1 || src.Files[0].Path != "exp.cue" {
			t.Errorf("source %+v: want no repository, dirty, exp.cue", src)
		}
		err = src.Check()
		if !errors.Is(err, runner.ErrNotInRepo) || !strings.Contains(err.Error(), "git init") || !strings.Contains(err.Error(), "--allow-dirty") {
			t.Errorf("Check = %v, want ErrNotInRepo suggesting git init and --allow-dirty", err)
		}
	})
}

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
	r := newRepo(t, map[string]string{expPath: irisMLP, "experiments/iris.csv": iris})
	c1 := r.commit("iris: first")
	st := openStore(t)
	opts := runner.Options{Backend: "gorgonia"}

	first, err := runner.Run(ctx, st, r.load(expPath), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("provenance", func(t *testing.T) {
		p, err := runner.ParseProvenance(first.Run.Provenance)
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
		again, err := runner.Run(ctx, st, r.load(expPath), opts)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Cached || again.Run.ID != first.Run.ID || again.Metrics["test"]["accuracy"] != first.Metrics["test"]["accuracy"] {
			t.Errorf("second run: cached %v, run %d (first %d)", again.Cached, again.Run.ID, first.Run.ID)
		}
	})
	t.Run("force", func(t *testing.T) {
		forced, err := runner.Run(ctx, st, r.load(expPath), runner.Options{Backend: "gorgonia", Force: true})
		if err != nil {
			t.Fatal(err)
		}
		if forced.Cached || forced.Run.ID == first.Run.ID || forced.Run.Key != first.Run.Key || forced.Run.WeightsSHA256 != first.Run.WeightsSHA256 {
			t.Errorf("forced: cached %v, run %d key %s weights %s; first run %d key %s weights %s", forced.Cached,
				forced.Run.ID, forced.Run.Key, forced.Run.WeightsSHA256, first.Run.ID, first.Run.Key, first.Run.WeightsSHA256)
		}
	})

	edited := strings.Replace(irisMLP, "lr: 0.01", "lr: 0.02", 1)
	r.write(map[string]string{expPath: edited})
	var dirty *runner.Result
	t.Run("dirty refused", func(t *testing.T) {
		before := countRuns(t, st)
		_, err := runner.Run(ctx, st, r.load(expPath), opts)
		if !errors.Is(err, runner.ErrDirty) || !strings.Contains(err.Error(), expPath+" (modified)") {
			t.Fatalf("err = %v, want ErrDirty naming %s", err, expPath)
		}
		if n := countRuns(t, st); n != before {
			t.Errorf("a refused run was recorded: %d runs, had %d", n, before)
		}
	})
	t.Run("allow dirty", func(t *testing.T) {
		dirty, err = runner.Run(ctx, st, r.load(expPath), runner.Options{Backend: "gorgonia", AllowDirty: true})
		if err != nil {
			t.Fatal(err)
		}
		p, _ := runner.ParseProvenance(dirty.Run.Provenance)
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

	c2 := r.commit("iris: faster")
	t.Run("commit again", func(t *testing.T) {
		second, err := runner.Run(ctx, st, r.load(expPath), opts)
		if err != nil {
			t.Fatal(err)
		}
		if !second.Cached || second.Run.ID != dirty.Run.ID {
			// The dirty run trained exactly these bytes: its key is this key.
			t.Errorf("the committed edit was not answered by the dirty run of the same key: cached %v, run %d", second.Cached, second.Run.ID)
		}
		third, err := runner.Run(ctx, st, r.load(expPath), runner.Options{Backend: "gorgonia", Force: true})
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := runner.ParseProvenance(third.Run.Provenance); p.Commit != c2 || p.Dirty || third.Run.Dirty {
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
		rep := reproduce(t, first.Run, r.dir)
		if rep.Source.Commit != c1 || rep.Rerun.Dirty {
			t.Errorf("rebuilt from %s (dirty %v), want %s", rep.Source.Commit, rep.Rerun.Dirty, c1)
		}
		if b, _ := os.ReadFile(r.path(expPath)); string(b) != edited {
			t.Error("the rerun changed the working tree")
		}
	})
	t.Run("rerun after the file was deleted", func(t *testing.T) {
		if err := os.Remove(r.path(expPath)); err != nil {
			t.Fatal(err)
		}
		defer r.write(map[string]string{expPath: edited})
		reproduce(t, first.Run, filepath.Join(r.dir, "experiments"))
		// A dirty run is rebuilt from the sources stored with it.
		rep := reproduce(t, dirty.Run, r.dir)
		if !rep.Rerun.Dirty {
			t.Error("the rerun of a dirty run is not marked dirty")
		}
	})
	t.Run("rerun in another clone", func(t *testing.T) {
		clone := t.TempDir()
		if _, err := git.PlainClone(clone, false, &git.CloneOptions{URL: r.dir}); err != nil {
			t.Fatal(err)
		}
		rep := reproduce(t, first.Run, clone)
		if rep.Source.Root != clone {
			t.Errorf("rebuilt in %s, want the clone %s", rep.Source.Root, clone)
		}
	})
	t.Run("rerun with changed data", func(t *testing.T) {
		r.write(map[string]string{"experiments/iris.csv": iris + "5.0,3.0,1.5,0.2,setosa\n"})
		defer r.write(map[string]string{"experiments/iris.csv": iris})
		before := countRuns(t, st)
		_, err := runner.Rerun(ctx, st, first.Run, r.dir, runner.Options{})
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
		other := newRepo(t, map[string]string{"README": "x"})
		other.commit("unrelated")
		_, err := runner.Rerun(ctx, st, first.Run, other.dir, runner.Options{})
		if !errors.Is(err, runner.ErrCommitNotFound) || !strings.Contains(err.Error(), c1[:12]) {
			t.Errorf("err = %v, want ErrCommitNotFound naming %s", err, c1[:12])
		}
	})
	t.Run("not reproduced", func(t *testing.T) {
		// A result that cannot be reproduced: pretend the original's
		// weights were different.
		fake := *first.Run
		fake.WeightsSHA256 = strings.Repeat("0", 64)
		rep, err := runner.Rerun(ctx, st, &fake, r.dir, runner.Options{})
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
