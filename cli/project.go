package cli

import (
	"context"
	"os"

	"github.com/xp-ml/xp/internal/project"
	"github.com/xp-ml/xp/store"
)

// projectRoot is the project of the working directory (project.Root), so
// xp works from any subdirectory of a project.
func projectRoot() (string, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return project.Root(cwd), nil
}

// openStore opens the project's store, creating .xp on first use.
func openStore(ctx context.Context) (*store.Store, string, error) {
	root, err := projectRoot()
	if err != nil {
		return nil, "", err
	}
	st, err := store.Open(ctx, project.Dir(root))
	return st, root, err
}
