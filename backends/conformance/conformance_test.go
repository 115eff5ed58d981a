package conformance

import (
	"math"
	"strings"
	"testing"

	"github.com/xp-ml/xp/model"
)

func TestDiff(t *testing.T) {
	tol := Bound{Abs: 1e-6, Rel: 1e-3}
	tests := []struct {
		name      string
		got, want []float64
		wantMsg   string // "" when they agree
	}{
		{"equal", []float64{1, 2}, []float64{1, 2}, ""},
		{"within relative", []float64{1000.5}, []float64{1000}, ""},
		{"within absolute", []float64{5e-7}, []float64{0}, ""},
		{"one out", []float64{1, 2.1}, []float64{1, 2}, "1 of 2 values out"},
		{"worst named", []float64{1.01, 3}, []float64{1, 2}, "worst [1] = 3, reference 2"},
		{"nan", []float64{math.NaN()}, []float64{1}, "worst [0] = NaN"},
		{"lengths", []float64{1}, []float64{1, 2}, "1 values, reference 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := diff("x", tt.got, tt.want, tol)
			if tt.wantMsg == "" && msg != "" || tt.wantMsg != "" && !strings.Contains(msg, tt.wantMsg) {
				t.Fatalf("diff = %q, want %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestSyntheticIsDeterministicAndLearnable(t *testing.T) {
	a, b := Synthetic(200, 5, 3, 1), Synthetic(200, 5, 3, 1)
	for i := range a.X {
		if a.X[i] != b.X[i] {
			t.Fatalf("X[%d] differs between two draws with one seed", i)
		}
	}
	counts := make([]int, 3)
	for _, y := range a.Y {
		counts[y]++
	}
	for c, n := range counts {
		if n < 20 {
			t.Fatalf("class %d has %d of 200 rows: %v", c, n, counts)
		}
	}
}

func TestMLPValidates(t *testing.T) {
	for _, rate := range []float64{0, 0.5} {
		m := MLP(4, 3, []int{8, 6}, model.ActReLU, rate, model.Optimizer{Kind: model.SGD, LR: 1})
		if err := m.Validate(); err != nil {
			t.Fatalf("rate %v: %v", rate, err)
		}
	}
	if err := dropoutOnInput(4, 2, model.Optimizer{Kind: model.SGD, LR: 1}).Validate(); err != nil {
		t.Fatal(err)
	}
}
