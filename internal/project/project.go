package project

import (
	"os"
	"path/filepath"
)

// Root is the project directory for work in dir: the nearest of dir and its
// ancestors that has a .xp directory, else the nearest that has .git (a
// directory, or a worktree's file), else dir itself, absolute.
func Root(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	gitRoot := ""
	for d := abs; ; {
		if fi, err := os.Stat(Dir(d)); err == nil && fi.IsDir() {
			return d
		}
		if gitRoot == "" {
			if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
				gitRoot = d
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	if gitRoot != "" {
		return gitRoot
	}
	return abs
}

// Find is the project that holds dir, for a command that reads a store
// and must not create one: the nearest of dir and its ancestors that has
// a .xp directory; false when none has.
func Find(dir string) (string, bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	for d := abs; ; {
		if fi, err := os.Stat(Dir(d)); err == nil && fi.IsDir() {
			return d, true
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", false
		}
		d = parent
	}
}

// Dir is the .xp directory of the project at root: the store, runs'
// artifacts, the data cache.
func Dir(root string) string { return filepath.Join(root, ".xp") }

// CacheDir is where the project at root keeps fetched data, by content.
func CacheDir(root string) string { return filepath.Join(Dir(root), "cache") }
