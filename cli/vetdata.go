package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/internal/project"
)

// vetData checks an experiment's data part against the columns of its
// sources (see data.Vet): problems are printed with their position in the
// spec, notes on what could not be checked as notes. It returns the number
// of problems.
func vetData(ctx context.Context, s Streams, root string, e *spec.Experiment) int {
	problems, notes := data.Vet(ctx, e.Spec.Data, data.SourceOptions{
		Dir: e.Dir, CacheDir: project.CacheDir(root), Limits: e.Spec.Data.Limits,
	})
	for _, n := range notes {
		fmt.Fprintf(s.Err, "xp: note: %s: %s\n", e.Name, n)
	}
	for i, p := range problems {
		problems[i] = e.FieldError(p.Field, p.Err)
	}
	cwd, _ := os.Getwd()
	spec.PrintFieldErrors(s.Err, problems, cwd)
	return len(problems)
}
