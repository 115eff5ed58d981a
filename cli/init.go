package cli

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/internal/project"
	"github.com/xp-ml/xp/store"
)

var (
	//go:embed skeleton/example.cue
	exampleCUE []byte
	//go:embed skeleton/iris.csv
	exampleData []byte
)

type initOptions struct{ dir string }

func newInitCmd(s Streams) *cobra.Command {
	o := &initOptions{}
	return &cobra.Command{
		Use: "init [dir]",
		Example: `  xp init                        # experiments/example.cue and its data here
  xp init myproject`,
		Short: "Create experiments/ with an example and keep .xp/ out of git",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dir = "."
			if len(args) == 1 {
				o.dir = args[0]
			}
			return runInit(cmd.Context(), s, o)
		},
	}
}

func runInit(ctx context.Context, s Streams, o *initOptions) error {
	files := []struct {
		path string
		body []byte
	}{
		{filepath.Join(o.dir, "experiments", "example.cue"), exampleCUE},
		{filepath.Join(o.dir, "experiments", "data", "iris.csv"), exampleData},
	}
	for _, f := range files {
		if err := writeNew(f.path, f.body); err != nil {
			return err
		}
		fmt.Fprintf(s.Out, "created %s\n", f.path)
	}
	if err := ignoreStore(filepath.Join(o.dir, ".gitignore")); err != nil {
		return err
	}
	// The store, so that xp ls and the other commands that read runs find
	// the project from now on.
	st, err := store.Open(ctx, project.Dir(o.dir))
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if err := st.Close(); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if !inGitRepo(o.dir) {
		fmt.Fprintln(s.Err, "xp: note: not a git repository; run `git init`: xp ties every run to a commit")
	}
	fmt.Fprintln(s.Out, "next: xp vet && git add experiments .gitignore && git commit -m 'xp init' && xp run example")
	return nil
}

// writeNew never overwrites a user's file.
func writeNew(path string, body []byte) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("init: %s already exists; not overwriting it", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	return nil
}

// ignoreStore adds .xp/ to .gitignore unless it is there already.
func ignoreStore(path string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("init: %w", err)
	}
	for _, line := range bytes.Split(old, []byte("\n")) {
		if l := string(bytes.TrimSpace(line)); l == ".xp/" || l == ".xp" || l == "/.xp/" || l == "/.xp" {
			return nil
		}
	}
	if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		old = append(old, '\n')
	}
	old = append(old, ".xp/\n"...)
	if err := os.WriteFile(path, old, 0o644); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	return nil
}

// inGitRepo reports whether dir is inside a git working tree.
func inGitRepo(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		if _, err := os.Stat(filepath.Join(abs, ".git")); err == nil {
			return true
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return false
		}
		abs = parent
	}
}
