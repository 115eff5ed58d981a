package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
)

func newVetCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "vet [paths...]",
		Short: "Check every experiment against the schema; errors point at file:line:col",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVet(cmd.Context(), s, args)
		},
	}
}

func runVet(ctx context.Context, s Streams, paths []string) error {
	s, flush := cleanText(s)
	defer flush()
	root, err := projectRoot()
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		paths = []string{filepath.Join(root, "experiments")}
	}
	exps, err := spec.Load(paths...)
	if err != nil {
		return err
	}
	problems := 0
	for _, e := range exps {
		// The data is checked after the whole spec type-checks: columns
		// mean nothing in a spec CUE rejects.
		if n := vetData(ctx, s, root, e); n > 0 {
			problems += n
			continue
		}
		var fe *spec.FieldError
		if err := runner.CheckMemory(e); errors.As(err, &fe) {
			cwd, _ := os.Getwd()
			spec.PrintFieldErrors(s.Err, []*spec.FieldError{fe}, cwd)
			problems++
			continue
		}
		fmt.Fprintf(s.Out, "ok  %-20s %s\n", e.Name, relPath(e.File))
	}
	if len(exps) == 0 {
		return fmt.Errorf("vet: no experiments found in %v", paths)
	}
	if problems > 0 {
		return exitError{code: ExitError, err: fmt.Errorf("vet: %d problems with the data or the model", problems)}
	}
	return nil
}
