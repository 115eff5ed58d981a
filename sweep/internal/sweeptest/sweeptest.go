// Package sweeptest holds what the tests of sweep and of its executors
// share: experiments written next to the shipped iris data, a fresh store,
// a git repository made with go-git. It registers the CPU and gorgonia
// backends, as the xp binary does.
package sweeptest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	_ "github.com/xp-ml/xp/backends/engine"
	_ "github.com/xp-ml/xp/backends/gorgonia"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
)

// root is the repository's directory, found from this file's.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Iris is the shipped iris data (experiments/data/iris.csv).
func Iris(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(), "experiments", "data", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Setup writes an experiment (exp.cue) next to a copy of the iris data
// (iris.csv) in a temporary directory, loads it and opens a fresh store
// in it.
func Setup(t testing.TB, src string) (*spec.Experiment, *store.Store) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "iris.csv"), Iris(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "exp.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	exps, err := spec.Load(filepath.Join(dir, "exp.cue"))
	if err != nil {
		t.Fatal(err)
	}
	return exps[0], Open(t, filepath.Join(dir, ".xp"))
}

// Open opens the store in dir, closed at the end of the test.
func Open(t testing.TB, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Project writes a project whose experiment iris (experiments/iris.cue)
// has a sweep of 6 points, one per data file; the last file has no
// Species column, so its point fails when it trains (planning only hashes
// the file). It returns the project's directory.
func Project(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	iris, err := os.ReadFile(filepath.Join(root(), "cli", "skeleton", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "experiments", "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	var files []string
	for i := range 6 {
		content := iris
		if i == 5 {
			content = []byte(strings.Replace(string(iris), `"Species"`, `"Kind"`, 1))
		}
		name := fmt.Sprintf("data/iris%d.csv", i)
		files = append(files, strconv.Quote(name))
		if err := os.WriteFile(filepath.Join(dir, "experiments", name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cue := `iris: #Experiment & {
	data: {
		source: file: "data/iris0.csv"
		target: "Species"
	}
	model: logreg: {}
	train: epochs: 2
	device: "cpu"
	sweep: params: "data.source.file": [` + strings.Join(files, ", ") + `]
}
`
	if err := os.WriteFile(filepath.Join(dir, "experiments", "iris.cue"), []byte(cue), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Repo is a real git repository made in the test, with go-git.
type Repo struct {
	t    *testing.T
	Dir  string
	repo *git.Repository
	n    int
}

// NewRepo makes a repository in a temporary directory and writes files
// (by slash path) into its working tree.
func NewRepo(t *testing.T, files map[string]string) *Repo {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	r := &Repo{t: t, Dir: dir, repo: repo}
	r.Write(files)
	return r
}

// Path is the path of rel in the working tree.
func (r *Repo) Path(rel string) string { return filepath.Join(r.Dir, filepath.FromSlash(rel)) }

// Write writes files into the working tree.
func (r *Repo) Write(files map[string]string) {
	r.t.Helper()
	for rel, body := range files {
		p := r.Path(rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

// Commit stages everything (git add -A), commits it and returns the
// commit's hash.
func (r *Repo) Commit(msg string) string {
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

// Load loads the first experiment of the file rel.
func (r *Repo) Load(rel string) *spec.Experiment {
	r.t.Helper()
	exps, err := spec.Load(r.Path(rel))
	if err != nil {
		r.t.Fatal(err)
	}
	return exps[0]
}
