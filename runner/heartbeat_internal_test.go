package runner

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/xp-ml/xp/backends/gorgonia"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
)

// A run beats within an epoch, not only between epochs, so that a long
// epoch is never taken for a dead process.
func TestHeartbeatWithinAnEpoch(t *testing.T) {
	defer func(d time.Duration) { heartbeatEvery = d }(heartbeatEvery)
	heartbeatEvery = 5 * time.Millisecond
	dir := t.TempDir()
	iris, err := os.ReadFile("../experiments/data/iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"iris.csv": iris, "exp.cue": []byte(`iris: #Experiment & {
	data: {source: file: "iris.csv", target: "Species"}
	model: layers: [{dense: 128}, {dense: 128}]
	train: {epochs: 1, batch_size: 1}
	device: "cpu"
}`)}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	exps, err := spec.Load(filepath.Join(dir, "exp.cue"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	beats := map[time.Time]bool{}
	var last time.Time
	_, err = Run(ctx, st, exps[0], Options{Backend: "gorgonia", AllowDirty: true, Events: func(e Event) {
		if e.Kind != EventBatch || time.Since(last) < 10*time.Millisecond {
			return
		}
		last = time.Now()
		if r, err := st.Run(ctx, e.RunID); err == nil && r.Epoch == 0 {
			beats[r.HeartbeatAt] = true
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(beats) < 3 {
		t.Errorf("%d distinct heartbeats seen during the only epoch, want several", len(beats))
	}
}
