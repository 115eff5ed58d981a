package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xp-ml/xp/internal/project"
	"github.com/xp-ml/xp/store"
)

// errNoProject is a command that reads a store run where there is none.
var errNoProject = errors.New("no xp project here")

// projectRoot is the project of the working directory (project.Root), so
// xp works from any subdirectory of a project.
func projectRoot() (string, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return project.Root(cwd), nil
}

// openStore opens the project's store, creating .xp on first use: for the
// commands that record runs (xp run, xp init).
func openStore(ctx context.Context) (*store.Store, string, error) {
	root, err := projectRoot()
	if err != nil {
		return nil, "", err
	}
	st, err := openOrRead(ctx, project.Dir(root))
	return st, root, err
}

// openOrRead opens the store in dir, or, when this user may only read it
// (a colleague's store, a read-only mount), opens it read-only: the
// commands that read runs work there, and one that writes says the store
// is read-only.
func openOrRead(ctx context.Context, dir string) (*store.Store, error) {
	st, err := store.Open(ctx, dir)
	if err == nil || !store.IsReadOnly(err) {
		return st, err
	}
	if _, serr := os.Stat(filepath.Join(dir, store.DBName)); serr != nil {
		return nil, err // nothing to read: the reason it cannot be made
	}
	ro, rerr := store.OpenReadOnly(ctx, dir)
	if rerr != nil {
		return nil, rerr
	}
	return ro, nil
}

// openExistingStore opens the store of the project the working directory
// is in, for a command that only reads runs or acts on recorded ones: a
// typo'd directory must not leave an empty .xp behind, so outside a
// project it fails and says how to make one.
func openExistingStore(ctx context.Context) (*store.Store, string, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, "", err
	}
	root, ok := project.Find(cwd)
	if !ok {
		return nil, "", fmt.Errorf("%w (no .xp/ from %s up): run xp init or xp run", errNoProject, cwd)
	}
	st, err := openOrRead(ctx, project.Dir(root))
	return st, root, err
}
