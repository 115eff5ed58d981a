package runner

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/xp-ml/xp/backends/engine"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sysmetric"
)

// TestSystemMetrics: a training run records the process's CPU share and
// memory as points of split "system", sampled while it trains and once
// at its end, and no GPU figures on the CPU.
func TestSystemMetrics(t *testing.T) {
	defer func(p time.Duration) { systemEvery = p }(systemEvery)
	systemEvery = 20 * time.Millisecond
	dir := t.TempDir()
	iris, err := os.ReadFile("../experiments/data/iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "iris.csv"), iris, 0o644); err != nil {
		t.Fatal(err)
	}
	src := `iris: #Experiment & {
	data: {source: file: "iris.csv", target: "Species"}
	model: layers: [{dense: 256}, {dense: 256}]
	train: {epochs: 60, batch_size: 4}
	device: "cpu"
}
`
	if err := os.WriteFile(filepath.Join(dir, "iris.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	exps, err := spec.Load(filepath.Join(dir, "iris.cue"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := Run(context.Background(), st, exps[0], Options{AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{sysmetric.CPUPercent, sysmetric.RSSMB} {
		pts, err := st.Points(context.Background(), res.Run.ID, store.SplitSystem, name)
		if err != nil {
			t.Fatal(err)
		}
		if len(pts) < 2 {
			t.Fatalf("%s: %d points; want samples during training and one at its end", name, len(pts))
		}
		for i, p := range pts {
			if p.Value <= 0 || p.Time.IsZero() || (i > 0 && p.Time.Before(pts[i-1].Time)) {
				t.Errorf("%s point %d: %+v", name, i, p)
			}
		}
	}
	if pts, _ := st.Points(context.Background(), res.Run.ID, store.SplitSystem, sysmetric.GPUUtilPercent); len(pts) > 0 {
		t.Errorf("a CPU run recorded GPU utilisation: %v", pts)
	}
}
