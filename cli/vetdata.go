package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/runner"
)

// vetData checks an experiment's data part against the columns of its
// sources (see data.Vet): problems are printed with their position in the
// spec, notes on what could not be checked as notes. It returns the number
// of problems.
func vetData(ctx context.Context, s Streams, root string, e *spec.Experiment) int {
	problems, notes := data.Vet(ctx, e.Spec.Data, data.SourceOptions{
		Dir: e.Dir, CacheDir: filepath.Join(root, ".xp", "cache"),
	})
	for _, n := range notes {
		fmt.Fprintf(s.Err, "xp: note: %s: %s\n", e.Name, n)
	}
	for _, p := range problems {
		err := &runner.SpecError{Pos: e.Position(p.Field), Field: p.Field, Err: p.Err}
		if err.Pos != "" {
			err.Pos = relPath(err.Pos)
		}
		fmt.Fprintf(s.Err, "%v\n", err)
	}
	return len(problems)
}
