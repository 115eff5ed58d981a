package runner_test

import (
	"context"
	"testing"

	"github.com/xp-ml/xp/runner"
)

// BenchmarkCachedRun is the `xp run` path for a key that already succeeded:
// plan (hash the data) and one store lookup. Its same-run baseline is
// hashing the data file alone, the floor of that path.
func BenchmarkCachedRun(b *testing.B) {
	exp, st := setup(b, irisMLP)
	ctx := context.Background()
	if _, err := runner.Run(ctx, st, exp, runner.Options{AllowDirty: true}); err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			res, err := runner.Run(ctx, st, exp, runner.Options{AllowDirty: true})
			if err != nil || !res.Cached {
				b.Fatalf("cached=%v err=%v", res != nil && res.Cached, err)
			}
		}
	})
	b.Run("baseline-hash-data", func(b *testing.B) {
		path := exp.DataPath(exp.Spec.Data.Source.File)
		for b.Loop() {
			if _, err := runner.HashFile(path); err != nil {
				b.Fatal(err)
			}
		}
	})
}
