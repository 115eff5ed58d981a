package metric

import (
	"fmt"
	"math"
	"slices"
)

// RegressionNames lists the regression metrics, in display order.
var RegressionNames = []string{"rmse", "mae", "r2", "mse"}

// IsRegression reports whether name is a regression metric; the others
// (Names) score class probabilities.
func IsRegression(name string) bool { return slices.Contains(RegressionNames, name) }

// Regression returns the named metrics of predictions pred against targets
// y, both in the target's own units, with scikit-learn's definitions:
// mse and rmse (mean_squared_error, squared=False), mae
// (mean_absolute_error) and r2 (r2_score: 1 - Σ(y-pred)²/Σ(y-ȳ)², which
// for a constant y is 1 when every prediction is exact and 0 otherwise).
// Sums are float64, in row order. With no rows every metric is NaN.
func Regression(names []string, pred, y []float64) (map[string]float64, error) {
	if len(pred) != len(y) {
		return nil, fmt.Errorf("metric: %d predictions for %d targets", len(pred), len(y))
	}
	n := float64(len(y))
	var sq, abs, mean float64
	for i, t := range y {
		d := t - pred[i]
		sq += d * d
		abs += math.Abs(d)
		mean += t
	}
	mean /= n
	out := make(map[string]float64, len(names))
	for _, name := range names {
		if len(y) == 0 {
			if !IsRegression(name) {
				return nil, fmt.Errorf("metric: unknown regression metric %q", name)
			}
			out[name] = math.NaN()
			continue
		}
		switch name {
		case "mse":
			out[name] = sq / n
		case "rmse":
			out[name] = math.Sqrt(sq / n)
		case "mae":
			out[name] = abs / n
		case "r2":
			var total float64
			for _, t := range y {
				total += (t - mean) * (t - mean)
			}
			switch {
			case total != 0:
				out[name] = 1 - sq/total
			case sq == 0:
				out[name] = 1
			default:
				out[name] = 0
			}
		default:
			return nil, fmt.Errorf("metric: unknown regression metric %q", name)
		}
	}
	return out, nil
}
