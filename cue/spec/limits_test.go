package spec

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const limitsBase = `iris: #Experiment & {
	data: {
		source: file: "iris.csv"
		target: "Species"
		%s
	}
	model: layers: [{dense: 16}]
	train: {epochs: 4, optimizer: adam: lr: 0.01}
}
`

// TestDataLimits: data.limits is read into Spec.Data.Limits, is checked
// by the schema, and is not part of the spec hash (raising a limit does
// not make a new run key).
func TestDataLimits(t *testing.T) {
	load := func(limits string) (*Experiment, string) {
		t.Helper()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"exp.cue": strings.Replace(limitsBase, "%s", limits, 1)})
		exps, err := Load(filepath.Join(dir, "exp.cue"))
		if err != nil {
			var b bytes.Buffer
			PrintError(&b, err, dir)
			return nil, b.String()
		}
		return exps[0], ""
	}
	plain, msg := load("")
	if msg != "" {
		t.Fatal(msg)
	}
	limited, msg := load(`limits: {line_bytes: 1000, decompressed_bytes: 1000000, download_idle_seconds: 1.5}`)
	if msg != "" {
		t.Fatal(msg)
	}
	if l := limited.Spec.Data.Limits; l == nil || l.LineBytes != 1000 || l.DecompressedBytes != 1e6 || l.DownloadIdleSeconds != 1.5 {
		t.Errorf("limits read as %+v", l)
	}
	if plain.Hash != limited.Hash {
		t.Errorf("data.limits changed the spec hash: %s vs %s", plain.Hash, limited.Hash)
	}
	if _, msg := load(`limits: line_bytes: -1`); !strings.Contains(msg, "line_bytes") {
		t.Errorf("a negative limit: %q, want an error naming line_bytes", msg)
	}
	if _, msg := load(`limits: lines: 10`); !strings.Contains(msg, "lines") {
		t.Errorf("an unknown limit: %q, want an error naming it", msg)
	}
}

// TestSweepMaxPoints: a grid of more points than max_points (default
// DefaultMaxPoints) is refused at load, before it is expanded, naming its
// size; raising max_points lets it through, and max_points does not change
// the sweep's id.
func TestSweepMaxPoints(t *testing.T) {
	values := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%d", i+1)
		}
		return "[" + b.String() + "]"
	}
	load := func(sweep string) (*Experiment, string) {
		t.Helper()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"exp.cue": strings.Replace(sweepBase, "%s", sweep, 1)})
		exps, err := Load(filepath.Join(dir, "exp.cue"))
		if err != nil {
			var b bytes.Buffer
			PrintError(&b, err, dir)
			return nil, b.String()
		}
		return exps[0], ""
	}
	// 1000 × 1000 × 1000 points: a billion, refused at once.
	huge := fmt.Sprintf(`params: {"model.layers[0].dense": %s, "train.batch_size": %s, "train.epochs": %s}`, values(1000), values(1000), values(1000))
	start := time.Now()
	_, msg := load(huge)
	if !strings.Contains(msg, "sweep.params: the grid has 1000000000 points (1000 × 1000 × 1000 values), more than max_points 10000") {
		t.Errorf("a billion-point grid: %q", msg)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("refusing it took %v", d)
	}
	small := `params: {"model.layers[0].dense": [1, 2, 3], "train.epochs": [1, 2]}`
	_, msg = load(small + "\nmax_points: 5")
	if !strings.Contains(msg, "sweep.max_points: the grid has 6 points (3 × 2 values), more than max_points 5") {
		t.Errorf("6 points, max_points 5: %q", msg)
	}
	a, msg := load(small)
	if msg != "" {
		t.Fatal(msg)
	}
	b, msg := load(small + "\nmax_points: 6")
	if msg != "" {
		t.Fatal(msg)
	}
	if a.SweepID() != b.SweepID() {
		t.Errorf("max_points changed the sweep id: %s, %s", a.SweepID(), b.SweepID())
	}
	_, msg = load(`method: "random", trials: 20000, params: {"train.optimizer.adam.lr": {log_uniform: [1e-4, 1e-1]}}`)
	if !strings.Contains(msg, "sweep.trials: 20000 trials, more than max_points 10000") {
		t.Errorf("20000 trials: %q", msg)
	}
}
