package metric

import (
	"encoding/json"
	"math"
	"os"
	"reflect"
	"testing"
)

type sklearnCase struct {
	Name  string              `json:"name"`
	K     int                 `json:"k"`
	Y     []int32             `json:"y"`
	Probs []float64           `json:"probs"`
	Want  map[string]*float64 `json:"want"`
	// Confusion is scikit-learn's confusion_matrix(y, argmax).
	Confusion [][]int `json:"confusion"`
}

// The expected values were computed once with scikit-learn 1.2 by
// testdata/gen_sklearn.py (the command is in its doc string).
func TestAgainstScikitLearn(t *testing.T) {
	raw, err := os.ReadFile("testdata/sklearn_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []sklearnCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 5 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			probs := make([]float32, len(c.Probs))
			for i, p := range c.Probs {
				probs[i] = float32(p)
			}
			got, err := Compute(Names, probs, c.Y, c.K)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Want) < len(Names) {
				t.Fatalf("%d expected metrics, package computes %d: regenerate the cases", len(c.Want), len(Names))
			}
			cm, err := ConfusionMatrix(probs, c.Y, c.K)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cm, c.Confusion) {
				t.Errorf("confusion matrix %v, scikit-learn %v", cm, c.Confusion)
			}
			for name, want := range c.Want {
				g := got[name]
				if want == nil {
					if !math.IsNaN(g) {
						t.Errorf("%s = %v, want undefined (NaN)", name, g)
					}
					continue
				}
				if math.Abs(g-*want) > 1e-6 {
					t.Errorf("%s = %.9f, scikit-learn %.9f", name, g, *want)
				}
			}
		})
	}
}

func TestComputeErrors(t *testing.T) {
	if _, err := Compute([]string{"accuracy"}, []float32{1, 0}, []int32{0, 1}, 2); err == nil {
		t.Error("short probabilities accepted")
	}
	if _, err := Compute([]string{"bogus"}, []float32{1, 0}, []int32{0}, 2); err == nil {
		t.Error("unknown metric accepted")
	}
}

func TestLower(t *testing.T) {
	for name, want := range map[string]bool{"log_loss": true, "loss": true, "accuracy": false, "auc": false} {
		if Lower(name) != want {
			t.Errorf("Lower(%q) = %v", name, !want)
		}
	}
}

// The names a store may hold, xp's and others': one rule for all (it was
// store.Lower's before metric.Lower was the only one).
func TestLowerByName(t *testing.T) {
	tests := []struct {
		name  string
		lower bool
	}{
		{"loss", true},
		{"log_loss", true},
		{"val_loss", true},
		{"LogLoss", true},
		{"rmse", true},
		{"mae", true},
		{"mean_squared_error", true},
		{"accuracy", false},
		{"auc", false},
		{"f1", false},
		{"precision", false},
		{"mape", true},
		{"r2", false},
		{"pr_auc", false},
		{"top_k_error", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Lower(tt.name); got != tt.lower {
				t.Errorf("Lower(%q) = %v, want %v", tt.name, got, tt.lower)
			}
		})
	}
}

// Every metric xp computes has its direction written down, not guessed
// from its name.
func TestEveryMetricHasADirection(t *testing.T) {
	for _, name := range append(append([]string{"loss"}, Names...), RegressionNames...) {
		if _, ok := directions[name]; !ok {
			t.Errorf("metric %q has no direction", name)
		}
	}
}

func TestArgmax(t *testing.T) {
	nan := float32(math.NaN())
	for _, tt := range []struct {
		p    []float32
		want int
	}{
		{[]float32{0.2, 0.7, 0.1}, 1},
		{[]float32{0.4, 0.4, 0.2}, 0}, // a tie goes to the lower class
		{[]float32{nan, 0.3, 0.7}, 0}, // NaN compares false: it stays
		{[]float32{0.3, nan, 0.7}, 2},
		{[]float32{1}, 0},
		{nil, 0},
	} {
		if got := Argmax(tt.p); got != tt.want {
			t.Errorf("Argmax(%v) = %d, want %d", tt.p, got, tt.want)
		}
	}
	if got := predictions([]float32{0.1, 0.9, 0.8, 0.2}, 2, 2); got[0] != 1 || got[1] != 0 {
		t.Errorf("predictions = %v, want [1 0]", got)
	}
}
