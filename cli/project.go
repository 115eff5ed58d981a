package cli

import (
	"context"
	"os"
	"path/filepath"

	"github.com/xp-ml/xp/store"
)

// projectRoot is the directory that holds .xp: the nearest ancestor of the
// working directory that has .xp, else the nearest that has .git, else the
// working directory itself. So xp works from any subdirectory of a project.
func projectRoot() (string, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	gitRoot := ""
	for dir := cwd; ; {
		if fi, err := os.Stat(filepath.Join(dir, ".xp")); err == nil && fi.IsDir() {
			return dir, nil
		}
		if gitRoot == "" {
			if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
				gitRoot = dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if gitRoot != "" {
		return gitRoot, nil
	}
	return cwd, nil
}

// openStore opens the project's store, creating .xp on first use.
func openStore(ctx context.Context) (*store.Store, string, error) {
	root, err := projectRoot()
	if err != nil {
		return nil, "", err
	}
	st, err := store.Open(ctx, filepath.Join(root, ".xp"))
	return st, root, err
}
