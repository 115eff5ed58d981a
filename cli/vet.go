package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
)

// vetOptions are xp vet's flags and arguments.
type vetOptions struct {
	paths  []string
	noData bool
	json   bool
}

func newVetCmd(s Streams) *cobra.Command {
	var o vetOptions
	cmd := &cobra.Command{
		Use:   "vet [paths...]",
		Short: "Check every experiment and its data as xp run would; errors point at file:line:col",
		Long: `Check every experiment under experiments/ (or in paths) against the schema,
then read its data as xp run would: a missing, empty or header-only file,
ragged rows, text that is not UTF-8, a rule or feature naming a column that
is not there (or that an earlier rule dropped or renamed), a rule changing
the target, a split or rule that leaves no training rows. Every problem is
reported in one pass, at its position in the spec; vet exits 1 if there is
any, so it can gate a commit or a CI job.`,
		Example: `  xp vet                        # every experiment under experiments/
  xp vet experiments/credit.cue # one file
  xp vet --no-data              # the schema only, without reading data
  xp vet --json                 # the problems as JSON objects, for editors and CI`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.paths = args
			return runVet(cmd.Context(), s, o)
		},
	}
	cmd.Flags().BoolVar(&o.noData, "no-data", false, "check the specs only; do not read their data")
	cmd.Flags().BoolVar(&o.json, "json", false, "print the problems as a JSON array of {file, line, column, experiment, field, message, suggestion}")
	return cmd
}

func runVet(ctx context.Context, s Streams, o vetOptions) error {
	if !o.json {
		var flush func()
		s, flush = cleanText(s) // names, paths and messages quote the spec and the data
		defer flush()
	}
	root, err := projectRoot()
	if err != nil {
		return err
	}
	paths := o.paths
	if len(paths) == 0 {
		paths = []string{filepath.Join(root, "experiments")}
	}
	exps, invalid, err := spec.LoadValid(paths...)
	if err != nil {
		return err
	}
	if len(exps) == 0 && invalid == nil {
		return fmt.Errorf("vet: no experiments found in %s", relPaths(paths))
	}
	cwd, _ := os.Getwd()
	problems := spec.Problems(invalid, cwd)
	var good []*spec.Experiment
	for _, e := range exps {
		// The data is checked once the spec type-checks: columns mean
		// nothing in a spec CUE rejects.
		var found []spec.Problem
		if !o.noData {
			found = vetData(ctx, s, root, cwd, e)
		}
		if len(found) == 0 {
			// A model too large for this machine's memory, as xp run
			// would refuse it.
			var fe *spec.FieldError
			if err := runner.CheckMemory(e); errors.As(err, &fe) {
				p := spec.FieldProblem(fe, cwd)
				p.Experiment = e.Name
				found = append(found, p)
			}
		}
		if len(found) == 0 {
			good = append(good, e)
		}
		problems = append(problems, found...)
	}
	// In file order, as an editor lists them; problems without a file last.
	slices.SortStableFunc(problems, func(a, b spec.Problem) int {
		if (a.File == "") != (b.File == "") {
			return cmp.Compare(b.File, a.File)
		}
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	if o.json {
		if problems == nil {
			problems = []spec.Problem{}
		}
		if err := writeJSON(s.Out, problems); err != nil {
			return err
		}
	} else {
		for _, e := range good {
			fmt.Fprintf(s.Out, "ok  %-20s %s\n", e.Name, relPath(e.File))
		}
		for _, p := range problems {
			fmt.Fprintln(s.Err, p)
		}
	}
	if len(problems) > 0 {
		return exitError{code: ExitError, err: fmt.Errorf("vet: %s", plural(len(problems), "problem", "problems"))}
	}
	return nil
}

// relPaths lists paths relative to the working directory.
func relPaths(paths []string) string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = relPath(p)
	}
	return fmt.Sprint(out)
}
