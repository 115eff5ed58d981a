package metric

import "fmt"

// ConfusionMatrix counts rows by true class (first index) and predicted
// class (second index, the argmax of probs, ties to the lower class), as
// scikit-learn's confusion_matrix with labels=range(k).
func ConfusionMatrix(probs []float32, y []int32, k int) ([][]int, error) {
	if len(probs) != len(y)*k {
		return nil, fmt.Errorf("metric: %d probabilities for %d rows of %d classes", len(probs), len(y), k)
	}
	c := newConfusion(predictions(probs, len(y), k), y, k)
	m := make([][]int, k)
	for t := range m {
		m[t] = append([]int(nil), c.counts[t*k:(t+1)*k]...)
	}
	return m, nil
}
