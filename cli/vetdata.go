package cli

import (
	"context"
	"fmt"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/internal/project"
)

// vetData checks an experiment's data as xp run would read it (see
// data.Vet) and returns its problems at their positions in the spec; notes
// on what could not be checked are printed as notes.
func vetData(ctx context.Context, s Streams, root, cwd string, e *spec.Experiment) []spec.Problem {
	// Data paths relative to cwd, so that messages name them as the user
	// would type them.
	problems, notes := data.Vet(ctx, &e.Spec, data.SourceOptions{
		Dir: relPath(e.Dir), CacheDir: project.CacheDir(root), Limits: e.Spec.Data.Limits,
	})
	for _, n := range notes {
		fmt.Fprintf(s.Err, "xp: note: %s: %s\n", e.Name, n)
	}
	out := make([]spec.Problem, len(problems))
	for i, p := range problems {
		out[i] = spec.FieldProblem(e.FieldError(p.Field, p.Err), cwd)
		out[i].Experiment = e.Name
	}
	return out
}
