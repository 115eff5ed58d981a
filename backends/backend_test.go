package backends

import (
	"math"
	"strings"
	"testing"

	"github.com/xp-ml/xp/model"
)

func TestBatchesCheck(t *testing.T) {
	good := &Batches{X: make([]float32, 6), Y: []int32{0, 1, 1}, N: 3, D: 2}
	tests := []struct {
		name   string
		b      *Batches
		labels bool
		want   string // "" for no error
	}{
		{"fits", good, true, ""},
		{"nil", nil, false, "no data"},
		{"width", &Batches{X: make([]float32, 9), N: 3, D: 3}, false, "3 features, model takes 2"},
		{"short X", &Batches{X: make([]float32, 5), N: 3, D: 2}, false, "5 values for 3 x 2"},
		{"labels not needed", &Batches{X: make([]float32, 6), N: 3, D: 2}, false, ""},
		{"missing labels", &Batches{X: make([]float32, 6), N: 3, D: 2}, true, "0 labels for 3 rows"},
		{"label out of range", &Batches{X: make([]float32, 6), Y: []int32{0, 2, 1}, N: 3, D: 2}, true, "row 1: label 2"},
		{"negative label", &Batches{X: make([]float32, 6), Y: []int32{0, 1, -1}, N: 3, D: 2}, true, "row 2: label -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.b.Check(2, 2, tc.labels)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestBatchesCheckFor(t *testing.T) {
	regression := &model.Model{Inputs: 2, Head: model.HeadRegression}
	classifier := &model.Model{Inputs: 2, Classes: 2}
	x := make([]float32, 6)
	embedded := &model.Model{Inputs: 2, Classes: 2, Embeddings: []model.Embedding{{Column: 1, Vocab: 3, Dim: 2}}}
	indices := func(v ...float32) []float32 { return []float32{0, v[0], 0, v[1], 0, v[2]} }
	y := []int32{0, 1, 1}
	tests := []struct {
		name    string
		m       *model.Model
		b       *Batches
		targets bool
		want    string
	}{
		{"regression", regression, &Batches{X: x, T: []float32{1, 2, 3}, N: 3, D: 2}, true, ""},
		{"regression predict", regression, &Batches{X: x, N: 3, D: 2}, false, ""},
		{"regression no targets", regression, &Batches{X: x, Y: []int32{0, 1, 1}, N: 3, D: 2}, true, "0 targets for 3 rows"},
		{"regression nan", regression, &Batches{X: x, T: []float32{1, float32(math.NaN()), 3}, N: 3, D: 2}, true, "row 1: target NaN"},
		{"classifier", classifier, &Batches{X: x, Y: []int32{0, 1, 1}, N: 3, D: 2}, true, ""},
		{"classifier label", classifier, &Batches{X: x, Y: []int32{0, 2, 1}, N: 3, D: 2}, true, "row 1: label 2"},
		{"embedding indices", embedded, &Batches{X: indices(0, 2, 1), Y: y, N: 3, D: 2}, true, ""},
		{"embedding index vocab", embedded, &Batches{X: indices(0, 3, 1), Y: y, N: 3, D: 2}, false, "row 1: embedding 0 index 3 not an integer in [0, 3)"},
		{"embedding index negative", embedded, &Batches{X: indices(0, 1, -1), Y: y, N: 3, D: 2}, false, "row 2: embedding 0 index -1"},
		{"embedding index fraction", embedded, &Batches{X: indices(0.5, 1, 1), Y: y, N: 3, D: 2}, true, "row 0: embedding 0 index 0.5"},
		{"embedding index nan", embedded, &Batches{X: indices(float32(math.NaN()), 1, 1), Y: y, N: 3, D: 2}, true, "index NaN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.b.CheckFor(tc.m, tc.targets)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
