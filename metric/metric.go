package metric

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Names lists the metrics xp computes, in display order.
var Names = []string{"accuracy", "log_loss", "f1", "precision", "recall", "auc",
	"f1_macro", "f1_weighted", "precision_macro", "precision_weighted", "recall_macro", "recall_weighted", "pr_auc"}

// Lower reports whether a smaller value of the metric is better: the one
// rule for which way a metric improves, for early stopping, a run's best
// epoch, the sweep's best point and every table sorted by a metric. Each
// metric xp computes, and the training "loss", has its direction in
// directions; any other name (a metric of another tool, one an xp to come
// records) is lower-is-better when its name says it is a loss or an error
// (rmse, mse, mae, mape, a name ending in "loss" or "error", in any case),
// higher-is-better otherwise.
func Lower(name string) bool {
	if lower, ok := directions[name]; ok {
		return lower
	}
	n := strings.ToLower(name)
	switch n {
	case "rmse", "mse", "mae", "mape":
		return true
	}
	return strings.HasSuffix(n, "loss") || strings.HasSuffix(n, "error")
}

// directions says, for every metric xp computes (Names, RegressionNames)
// and the training loss, whether lower is better.
var directions = map[string]bool{
	"loss": true, "log_loss": true, "rmse": true, "mae": true, "mse": true,
	"accuracy": false, "f1": false, "precision": false, "recall": false, "auc": false,
	"f1_macro": false, "f1_weighted": false, "precision_macro": false, "precision_weighted": false,
	"recall_macro": false, "recall_weighted": false, "pr_auc": false, "r2": false,
}

// Compute returns the named metrics of probabilities probs (n x k,
// row-major) against labels y. A metric that is undefined for the data (AUC
// with a single class present) is NaN.
func Compute(names []string, probs []float32, y []int32, k int) (map[string]float64, error) {
	n := len(y)
	if len(probs) != n*k {
		return nil, fmt.Errorf("metric: %d probabilities for %d rows of %d classes", len(probs), n, k)
	}
	out := make(map[string]float64, len(names))
	var pred []int32
	var conf *confusion
	for _, name := range names {
		if pred == nil && name != "log_loss" && name != "auc" && name != "pr_auc" {
			pred = predictions(probs, n, k)
			conf = newConfusion(pred, y, k)
		}
		switch name {
		case "accuracy":
			out[name] = conf.accuracy()
		case "log_loss":
			out[name] = LogLoss(probs, y, k)
		case "precision":
			out[name] = conf.average(conf.precision)
		case "recall":
			out[name] = conf.average(conf.recall)
		case "f1":
			out[name] = conf.average(conf.f1)
		case "auc":
			out[name] = AUC(probs, y, k)
		case "f1_macro":
			out[name] = conf.macro(conf.f1)
		case "f1_weighted":
			out[name] = conf.weighted(conf.f1)
		case "precision_macro":
			out[name] = conf.macro(conf.precision)
		case "precision_weighted":
			out[name] = conf.weighted(conf.precision)
		case "recall_macro":
			out[name] = conf.macro(conf.recall)
		case "recall_weighted":
			out[name] = conf.weighted(conf.recall)
		case "pr_auc":
			out[name] = PRAUC(probs, y, k)
		default:
			return nil, fmt.Errorf("metric: unknown metric %q", name)
		}
	}
	return out, nil
}

// Argmax is the index of the largest of p, the predicted class of one row
// of probabilities; ties (and NaNs) go to the lower index.
func Argmax(p []float32) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}

// predictions is the predicted class (Argmax) of each row of probs (n x k,
// row-major).
func predictions(probs []float32, n, k int) []int32 {
	pred := make([]int32, n)
	for i := range pred {
		pred[i] = int32(Argmax(probs[i*k : (i+1)*k]))
	}
	return pred
}

// LogLoss is the mean negative log probability of the true class.
func LogLoss(probs []float32, y []int32, k int) float64 {
	// scikit-learn 1.2 clips to the float64 machine epsilon (eps="auto").
	const eps = 2.220446049250313e-16
	if len(y) == 0 {
		return math.NaN()
	}
	clip := func(p float32) float64 { return math.Min(math.Max(float64(p), eps), 1-eps) }
	var sum float64
	for i, c := range y {
		// Renormalise after clipping, as scikit-learn does.
		var total float64
		for j := 0; j < k; j++ {
			total += clip(probs[i*k+j])
		}
		sum -= math.Log(clip(probs[i*k+int(c)]) / total)
	}
	return sum / float64(len(y))
}

type confusion struct {
	k      int
	n      int
	counts []int // counts[true*k+pred]
}

func newConfusion(pred, y []int32, k int) *confusion {
	c := &confusion{k: k, n: len(y), counts: make([]int, k*k)}
	for i := range y {
		c.counts[int(y[i])*k+int(pred[i])]++
	}
	return c
}

func (c *confusion) accuracy() float64 {
	if c.n == 0 {
		return math.NaN()
	}
	var right int
	for j := 0; j < c.k; j++ {
		right += c.counts[j*c.k+j]
	}
	return float64(right) / float64(c.n)
}

func (c *confusion) tpFpFn(class int) (tp, fp, fn int) {
	tp = c.counts[class*c.k+class]
	for j := 0; j < c.k; j++ {
		if j != class {
			fp += c.counts[j*c.k+class]
			fn += c.counts[class*c.k+j]
		}
	}
	return tp, fp, fn
}

// ratio is scikit-learn's zero_division=0.
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (c *confusion) precision(class int) float64 {
	tp, fp, _ := c.tpFpFn(class)
	return ratio(tp, tp+fp)
}

func (c *confusion) recall(class int) float64 {
	tp, _, fn := c.tpFpFn(class)
	return ratio(tp, tp+fn)
}

func (c *confusion) f1(class int) float64 {
	tp, fp, fn := c.tpFpFn(class)
	return ratio(2*tp, 2*tp+fp+fn)
}

// average is the binary score of class 1, or the macro average over the
// classes for more than two.
func (c *confusion) average(score func(int) float64) float64 {
	if c.k == 2 {
		return score(1)
	}
	var sum float64
	for j := 0; j < c.k; j++ {
		sum += score(j)
	}
	return sum / float64(c.k)
}

// macro is the unweighted mean of a per-class score over all k classes
// (scikit-learn's average="macro" with labels=range(k)).
func (c *confusion) macro(score func(int) float64) float64 {
	var sum float64
	for j := 0; j < c.k; j++ {
		sum += score(j)
	}
	return sum / float64(c.k)
}

// weighted is the mean of a per-class score weighted by each class's
// number of true rows (average="weighted"); 0 with no rows, as
// scikit-learn's zero_division=0.
func (c *confusion) weighted(score func(int) float64) float64 {
	var sum float64
	for j := 0; j < c.k; j++ {
		support := 0
		for p := 0; p < c.k; p++ {
			support += c.counts[j*c.k+p]
		}
		if support > 0 {
			sum += float64(support) * score(j)
		}
	}
	if c.n == 0 {
		return 0
	}
	return sum / float64(c.n)
}

// AUC is the area under the ROC curve: binary on the probability of class 1,
// one-vs-rest macro otherwise. NaN when a class has no positive or no
// negative row.
func AUC(probs []float32, y []int32, k int) float64 {
	return oneVsRest(probs, y, k, aucOf)
}

// oneVsRest scores class 1 for two classes, else the macro mean over every
// class of score against the rest; NaN when any class's score is.
func oneVsRest(probs []float32, y []int32, k int, score func(probs []float32, y []int32, k, class int) float64) float64 {
	if k == 2 {
		return score(probs, y, k, 1)
	}
	var sum float64
	for c := 0; c < k; c++ {
		a := score(probs, y, k, c)
		if math.IsNaN(a) {
			return math.NaN()
		}
		sum += a
	}
	return sum / float64(k)
}

func aucOf(probs []float32, y []int32, k, class int) float64 {
	n := len(y)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	score := func(i int) float32 { return probs[i*k+class] }
	sort.Slice(idx, func(a, b int) bool { return score(idx[a]) < score(idx[b]) })
	// Mann-Whitney U: sum of the (tie-averaged) ranks of the positives.
	var pos, neg int
	var rankSum float64
	for i := 0; i < n; {
		j := i
		for j < n && score(idx[j]) == score(idx[i]) {
			j++
		}
		mid := float64(i+j+1) / 2 // ranks i+1..j averaged
		for t := i; t < j; t++ {
			if int(y[idx[t]]) == class {
				pos++
				rankSum += mid
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - float64(pos)*float64(pos+1)/2) / (float64(pos) * float64(neg))
}
