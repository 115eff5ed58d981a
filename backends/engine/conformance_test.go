package engine_test

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
			data := loadCSV(t, filepath.Join("..", "..", "experiments", "data", tt.file), tt.target)
			p := conformance.Problem{
				Model:    conformance.MLP(data.D, classesOf(data), tt.hidden, model.ActReLU, tt.rate, adam),
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

func classesOf(b *backends.Batches) int {
	return int(slices.Max(b.Y)) + 1
}

// loadCSV reads a dataset the way xp's default pipeline would, reduced to
// what a numerics test needs: rows with a missing value dropped, numeric
// columns standardised, other columns one-hot, classes numbered in sorted
// order.
func loadCSV(t *testing.T, path, target string) *backends.Batches {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("dataset not in the tree: %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	head, rows := recs[0], recs[1:]
	rows = slices.DeleteFunc(rows, func(r []string) bool {
		return slices.ContainsFunc(r, func(v string) bool { return v == "" || v == "NA" || v == "?" })
	})
	ti := slices.Index(head, target)
	if ti < 0 {
		t.Fatalf("%s has no column %q", path, target)
	}
	var cols [][]float32
	for j := range head {
		if j == ti {
			continue
		}
		num := make([]float32, len(rows))
		numeric := true
		for i, r := range rows {
			v, err := strconv.ParseFloat(r[j], 64)
			if err != nil {
				numeric = false
				break
			}
			num[i] = float32(v)
		}
		if numeric {
			cols = append(cols, standardise(num))
			continue
		}
		var cats []string
		for _, r := range rows {
			if !slices.Contains(cats, r[j]) {
				cats = append(cats, r[j])
			}
		}
		slices.Sort(cats)
		for _, c := range cats {
			oh := make([]float32, len(rows))
			for i, r := range rows {
				if r[j] == c {
					oh[i] = 1
				}
			}
			cols = append(cols, oh)
		}
	}
	var classes []string
	for _, r := range rows {
		if !slices.Contains(classes, r[ti]) {
			classes = append(classes, r[ti])
		}
	}
	slices.Sort(classes)
	b := &backends.Batches{N: len(rows), D: len(cols), X: make([]float32, len(rows)*len(cols)), Y: make([]int32, len(rows))}
	for i, r := range rows {
		for j, c := range cols {
			b.X[i*b.D+j] = c[i]
		}
		b.Y[i] = int32(slices.Index(classes, r[ti]))
	}
	return b
}

func standardise(v []float32) []float32 {
	var mean, sq float64
	for _, x := range v {
		mean += float64(x)
	}
	mean /= float64(len(v))
	for _, x := range v {
		sq += (float64(x) - mean) * (float64(x) - mean)
	}
	sd := math.Sqrt(sq / float64(len(v)))
	if sd == 0 {
		sd = 1
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32((float64(x) - mean) / sd)
	}
	return out
}
