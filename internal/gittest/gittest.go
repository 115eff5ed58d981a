package gittest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/xp-ml/xp/cue/spec"
)

// Repo is a git repository in a temporary directory of a test.
type Repo struct {
	Dir  string
	Repo *git.Repository
	t    testing.TB
	n    int // commits made, for their times
}

// New makes a repository in a new temporary directory and writes files
// (paths relative to it, with forward slashes) into its working tree,
// uncommitted.
func New(t testing.TB, files map[string]string) *Repo {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	r := &Repo{Dir: dir, Repo: repo, t: t}
	r.Write(files)
	return r
}

// Path is the file at rel in the working tree.
func (r *Repo) Path(rel string) string { return filepath.Join(r.Dir, filepath.FromSlash(rel)) }

// Write writes files into the working tree, making their directories.
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

// Commit stages everything (git add -A), commits it one minute after the
// previous commit, and returns the commit's id.
func (r *Repo) Commit(msg string) string {
	r.t.Helper()
	wt, err := r.Repo.Worktree()
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
