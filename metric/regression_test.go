package metric

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// The expected values were computed once with scikit-learn 1.2 by
// testdata/gen_sklearn_regression.py (the command is in its doc string).
func TestRegressionAgainstScikitLearn(t *testing.T) {
	raw, err := os.ReadFile("testdata/sklearn_regression.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name string             `json:"name"`
		Y    []float64          `json:"y"`
		Pred []float64          `json:"pred"`
		Want map[string]float64 `json:"want"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 5 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			got, err := Regression(RegressionNames, c.Pred, c.Y)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Want) != len(RegressionNames) {
				t.Fatalf("case has %d metrics, want %d", len(c.Want), len(RegressionNames))
			}
			for name, want := range c.Want {
				if g := got[name]; math.Abs(g-want) > 1e-9*(1+math.Abs(want)) {
					t.Errorf("%s = %v, scikit-learn %v", name, g, want)
				}
			}
		})
	}
}

func TestRegressionErrors(t *testing.T) {
	if _, err := Regression([]string{"accuracy"}, []float64{1}, []float64{1}); err == nil {
		t.Error("accuracy accepted as a regression metric")
	}
	if _, err := Regression([]string{"rmse"}, []float64{1, 2}, []float64{1}); err == nil {
		t.Error("2 predictions for 1 target accepted")
	}
	got, err := Regression([]string{"rmse", "r2"}, nil, nil)
	if err != nil || !math.IsNaN(got["rmse"]) || !math.IsNaN(got["r2"]) {
		t.Errorf("no rows: %v, %v; want NaN", got, err)
	}
	for name, lower := range map[string]bool{"rmse": true, "mae": true, "mse": true, "r2": false, "accuracy": false, "log_loss": true} {
		if Lower(name) != lower {
			t.Errorf("Lower(%q) = %v", name, !lower)
		}
	}
}
