package sweep_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/sweep"
	"github.com/xp-ml/xp/sweep/internal/sweeptest"
)

// Moving a sweep to Slurm, with any sbatch options, keeps the run key of
// every point and the sweep's id: the points trained locally are cached
// on the cluster and the other way round.
func TestExecutorKeepsRunKeys(t *testing.T) {
	ctx := context.Background()
	root := sweeptest.Project(t)
	plan := func(t *testing.T) *sweep.Plan {
		t.Helper()
		exp, err := spec.Find(root, "iris")
		if err != nil {
			t.Fatal(err)
		}
		p, err := sweep.NewPlan(ctx, exp, runner.Options{AllowDirty: true, Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	local := plan(t)
	file := filepath.Join(root, "experiments", "iris.cue")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	onSlurm := strings.Replace(string(src), "sweep: params:", `sweep: executor: "slurm"
	sweep: slurm: {partition: "gpu", account: "ml", time: "1:00:00", mem: "2G", extra: ["--qos=high"]}
	sweep: params:`, 1)
	if err := os.WriteFile(file, []byte(onSlurm), 0o644); err != nil {
		t.Fatal(err)
	}
	slurm := plan(t)
	if slurm.Exp.Spec.Sweep.Executor != spec.ExecutorSlurm {
		t.Fatalf("executor %q after the edit", slurm.Exp.Spec.Sweep.Executor)
	}
	if slurm.ID != local.ID {
		t.Errorf("sweep id %s on slurm, %s locally", slurm.ID, local.ID)
	}
	for i := range local.Points {
		if a, b := local.Points[i].Job.Key, slurm.Points[i].Job.Key; a != b {
			t.Errorf("point %d: key %.12s locally, %.12s on slurm", i, a, b)
		}
	}
}
