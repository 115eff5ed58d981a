package data

import (
	"fmt"
	"math"

	"github.com/xp-ml/xp/cue/spec"
)

// Task is what a model learns from the target column.
type Task string

const (
	// TaskClassification: the target's values are classes (Matrix.Y).
	TaskClassification Task = "classification"
	// TaskRegression: the target is a number to predict (Matrix.T,
	// standardized with the training split's mean and standard deviation).
	TaskRegression Task = "regression"
)

// RegressionDistinct is how many distinct values a numeric target with
// integer values may have and still be taken for classes: 20 covers ratings,
// counts of categories and the 10 digits, while amounts and prices have
// far more.
const RegressionDistinct = 20

// DetectTask says what a target column asks for when the spec does not: a
// numeric column with a non-integer value, or with more than
// RegressionDistinct distinct values, is a regression target; any other
// is classes. Missing values are ignored.
func DetectTask(f *Frame, target string) (Task, error) {
	c, err := f.Col(target)
	if err != nil {
		return "", &spec.FieldError{Field: "data.target", Err: err}
	}
	if !c.Numeric {
		return TaskClassification, nil
	}
	seen := map[float64]bool{}
	for i, v := range c.Num {
		if c.Missing[i] {
			continue
		}
		if v != math.Trunc(v) {
			return TaskRegression, nil
		}
		seen[v] = true
		if len(seen) > RegressionDistinct {
			return TaskRegression, nil
		}
	}
	return TaskClassification, nil
}

// TargetScale is the standardization of a regression target: the model
// learns (y - Mean) / Std, with both from the training split (Std the
// population standard deviation, as scikit-learn's StandardScaler), and
// its predictions are mapped back with pred·Std + Mean.
type TargetScale struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// fitTargetScale standardizes the values of c at rows.
func fitTargetScale(c *Column, rows []int, name string) (TargetScale, error) {
	var mean float64
	for _, r := range rows {
		mean += c.Num[r]
	}
	mean /= float64(len(rows))
	var ss float64
	for _, r := range rows {
		d := c.Num[r] - mean
		ss += d * d
	}
	std := math.Sqrt(ss / float64(len(rows)))
	if !(std > 0) || math.IsInf(std, 0) || math.IsNaN(mean) {
		return TargetScale{}, fieldErrorf("data.target", ErrConstantTarget,
			"column %q is constant (%v) on the training split; a regression target must vary", name, mean)
	}
	return TargetScale{Mean: mean, Std: std}, nil
}

// scale writes the standardized targets of rows (float32) and their
// values in the target's units.
func (s TargetScale) scale(c *Column, rows []int) ([]float32, []float64) {
	t, orig := make([]float32, len(rows)), make([]float64, len(rows))
	for i, r := range rows {
		orig[i] = c.Num[r]
		t[i] = float32((c.Num[r] - s.Mean) / s.Std)
	}
	return t, orig
}

// Unscale maps a prediction on the standardized scale back to the
// target's units.
func (s TargetScale) Unscale(v float32) float64 { return float64(v)*s.Std + s.Mean }

func (s TargetScale) String() string { return fmt.Sprintf("mean %g, std %g", s.Mean, s.Std) }
