package project

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRoot(t *testing.T) {
	tmp := t.TempDir()
	mkdir := func(p string) string {
		t.Helper()
		d := filepath.Join(tmp, p)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	// repo/ is a git repository holding a project at repo/proj (its .xp)
	// and a plain directory; wt/ is a worktree, whose .git is a file;
	// bare/ is neither.
	mkdir("repo/.git")
	mkdir("repo/proj/.xp")
	mkdir("repo/proj/experiments/deep")
	mkdir("repo/other/sub")
	mkdir("wt/sub")
	if err := os.WriteFile(filepath.Join(tmp, "wt/.git"), []byte("gitdir: elsewhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mkdir("bare/sub")
	// A file called .xp is not a project.
	mkdir("repo/fake")
	if err := os.WriteFile(filepath.Join(tmp, "repo/fake/.xp"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ dir, want string }{
		{"repo/proj", "repo/proj"},
		{"repo/proj/experiments/deep", "repo/proj"},
		{"repo/other/sub", "repo"},
		{"repo/fake", "repo"},
		{"wt/sub", "wt"},
		{"bare/sub", "bare/sub"},
	} {
		t.Run(tt.dir, func(t *testing.T) {
			if got, want := Root(filepath.Join(tmp, tt.dir)), filepath.Join(tmp, tt.want); got != want {
				t.Errorf("Root = %s, want %s", got, want)
			}
		})
	}
	// Find takes only a .xp directory: a git repository without one,
	// or a file called .xp, is no project to read.
	for _, tt := range []struct {
		dir, want string
		ok        bool
	}{
		{"repo/proj/experiments/deep", "repo/proj", true},
		{"repo/other/sub", "", false},
		{"repo/fake", "", false},
		{"bare/sub", "", false},
	} {
		t.Run("find "+tt.dir, func(t *testing.T) {
			got, ok := Find(filepath.Join(tmp, tt.dir))
			if ok != tt.ok || (ok && got != filepath.Join(tmp, tt.want)) {
				t.Errorf("Find = %s, %v; want %s, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	if got, want := CacheDir("/p"), filepath.Join("/p", ".xp", "cache"); got != want {
		t.Errorf("CacheDir = %s, want %s", got, want)
	}
}

// A relative directory is taken from the working directory, and the root
// is absolute.
func TestRootRelative(t *testing.T) {
	tmp := t.TempDir()
	if err := os.MkdirAll(filepath.Join(tmp, ".xp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(tmp, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(tmp, "a"))
	if got := Root("."); got != tmp {
		t.Errorf("Root(.) = %s, want %s", got, tmp)
	}
}
