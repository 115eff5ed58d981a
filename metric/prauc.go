package metric

import (
	"math"
	"sort"
)

// PRAUC is the area under the precision-recall curve as scikit-learn's
// average_precision_score computes it, Σ (R_n - R_{n-1})·P_n over the
// distinct scores from the highest down (no interpolation): on the
// probability of class 1 for two classes, and the macro mean of
// one-vs-rest for more. NaN when a class it needs has no positive row.
func PRAUC(probs []float32, y []int32, k int) float64 {
	return oneVsRest(probs, y, k, averagePrecision)
}

func averagePrecision(probs []float32, y []int32, k, class int) float64 {
	n := len(y)
	positives := 0
	for _, c := range y {
		if int(c) == class {
			positives++
		}
	}
	if positives == 0 {
		return math.NaN()
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	score := func(i int) float32 { return probs[i*k+class] }
	sort.SliceStable(idx, func(a, b int) bool { return score(idx[a]) > score(idx[b]) })
	var tp, fp int
	var ap, prevRecall float64
	for i := 0; i < n; {
		// Tied scores are one threshold: all of them enter together.
		j := i
		for j < n && score(idx[j]) == score(idx[i]) {
			if int(y[idx[j]]) == class {
				tp++
			} else {
				fp++
			}
			j++
		}
		recall := float64(tp) / float64(positives)
		ap += (recall - prevRecall) * float64(tp) / float64(tp+fp)
		prevRecall = recall
		i = j
	}
	return ap
}
