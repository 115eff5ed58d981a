package engine_test

import (
	"path/filepath"
	"testing"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/backends/conformance"
	"github.com/xp-ml/xp/backends/engine"
	_ "github.com/xp-ml/xp/backends/gorgonia" // the reference registers itself
	"github.com/xp-ml/xp/model"
)

func reference(t *testing.T) backends.Backend {
	t.Helper()
	ref, err := backends.Get("gorgonia")
	if err != nil {
		t.Skipf("reference backend not registered: %v", err)
	}
	return ref
}

// TestConformsToGorgonia runs the conformance suite, engine against the
// gorgonia reference, with each GEMM.
func TestConformsToGorgonia(t *testing.T) {
	ref := reference(t)
	forEachGEMM(t, func(t *testing.T) {
		conformance.Run(t, engine.CPU, ref, conformance.Float32())
	})
}

// TestDatasetTrajectories compares a few epochs on the datasets shipped
// with xp (digits: 64 pixel features, 10 classes; credit: numeric and
// one-hot columns, 2 classes), preprocessed the default way (standardised
// columns).
func TestDatasetTrajectories(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("numerics only, and gorgonia on real data is slow (half a minute under the race detector)")
	}
	ref := reference(t)
	adam := model.Optimizer{Kind: model.Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-4}
	tests := []struct {
		file, target string
		hidden       []int
		rate         float64
	}{
		{"digits.csv", "target", []int{128, 64}, 0},
		{"credit_data.csv", "Status", []int{64, 32}, 0.2},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := conformance.LoadCSV(t, filepath.Join("..", "..", "experiments", "data", tt.file), tt.target)
			p := conformance.Problem{
				Model:    conformance.MLP(data.D, conformance.Classes(data), tt.hidden, model.ActReLU, tt.rate, adam),
				Data:     data,
				Config:   backends.Config{BatchSize: 64, Seed: 7},
				InitSeed: 7,
			}
			forEachGEMM(t, func(t *testing.T) {
				conformance.Trajectory(t, engine.CPU, ref, p, 3, conformance.Float32())
			})
		})
	}
}
