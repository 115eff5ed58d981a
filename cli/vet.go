package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/cue/spec"
)

func newVetCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "vet [paths...]",
		Short: "Check every experiment against the schema; errors point at file:line:col",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVet(s, args)
		},
	}
}

func runVet(s Streams, paths []string) error {
	if len(paths) == 0 {
		root, err := projectRoot()
		if err != nil {
			return err
		}
		paths = []string{filepath.Join(root, "experiments")}
	}
	exps, err := spec.Load(paths...)
	if err != nil {
		return err
	}
	for _, e := range exps {
		fmt.Fprintf(s.Out, "ok  %-20s %s\n", e.Name, relPath(e.File))
	}
	if len(exps) == 0 {
		return fmt.Errorf("vet: no experiments found in %v", paths)
	}
	return nil
}
