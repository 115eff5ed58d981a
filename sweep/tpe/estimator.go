package tpe

import (
	"math"
	"math/rand/v2"
	"slices"
)

// estimator is a Parzen estimator of one parameter: a mixture of one
// kernel per observed value and a flat prior (the last component).
type estimator struct {
	p Param
	w []float64 // the components' weights, summing to 1
	// normalized: each Gaussian kernel is a density (Sampler.Normalized);
	// otherwise it is scaled by its width, as Optuna 3.1 has it.
	normalized bool
	// Float and Int: truncated Gaussians on [low, high], in log space for
	// a log Float; an Int's bounds are widened by ½ on each side.
	mu, sigma []float64
	low, high float64
	// Categorical: each component's probabilities of the categories.
	probs [][]float64
}

// estimator builds the estimator of p from observed coordinates xs with
// weights ws (Optuna's _ParzenEstimator, univariate, prior considered,
// magic clip on, endpoints not considered).
func (s *Sampler) estimator(p Param, xs, ws []float64) *estimator {
	prior := s.PriorWeight
	if prior <= 0 {
		prior = 1
	}
	n := len(xs)
	e := &estimator{p: p, w: append(slices.Clone(ws), prior), normalized: s.Normalized}
	sum := 0.0
	for _, w := range e.w {
		sum += w
	}
	for i := range e.w {
		e.w[i] /= sum
	}
	if p.Kind == Categorical {
		fill := prior / float64(n+1)
		e.probs = make([][]float64, n+1)
		for i := range e.probs {
			row := make([]float64, p.N)
			for c := range row {
				row[c] = fill
			}
			if i < n {
				row[int(xs[i])]++
			}
			total := 0.0
			for _, v := range row {
				total += v
			}
			for c := range row {
				row[c] /= total
			}
			e.probs[i] = row
		}
		return e
	}
	e.low, e.high = p.Low, p.High
	if p.Kind == Int {
		e.low, e.high = p.Low-0.5, p.High+0.5
	}
	if p.Log {
		e.low, e.high = math.Log(p.Low), math.Log(p.High)
	}
	e.mu = make([]float64, n+1)
	for i, x := range xs {
		e.mu[i] = e.internal(x)
	}
	e.mu[n] = 0.5 * (e.low + e.high)
	e.sigma = neighbourWidths(e.mu, e.low, e.high)
	span := e.high - e.low
	minSigma := span / min(100, 1+float64(n+1))
	for i := range e.sigma {
		e.sigma[i] = min(max(e.sigma[i], minSigma), span)
	}
	e.sigma[n] = span
	return e
}

// neighbourWidths gives each kernel the larger of its distances to the
// kernels on either side in sorted order (the bounds standing in for
// missing neighbours), the outermost two their inner distance only.
func neighbourWidths(mu []float64, low, high float64) []float64 {
	order := make([]int, len(mu))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case mu[a] < mu[b]:
			return -1
		case mu[a] > mu[b]:
			return 1
		}
		return 0
	})
	ends := make([]float64, 0, len(mu)+2)
	ends = append(ends, low)
	for _, i := range order {
		ends = append(ends, mu[i])
	}
	ends = append(ends, high)
	sorted := make([]float64, len(mu))
	for k := range sorted {
		sorted[k] = max(ends[k+1]-ends[k], ends[k+2]-ends[k+1])
	}
	if len(ends) >= 4 {
		sorted[0] = ends[2] - ends[1]
		sorted[len(sorted)-1] = ends[len(ends)-2] - ends[len(ends)-3]
	}
	out := make([]float64, len(mu))
	for k, i := range order {
		out[i] = sorted[k]
	}
	return out
}

// internal is a parameter's coordinate in the estimator's space.
func (e *estimator) internal(x float64) float64 {
	if e.p.Log {
		return math.Log(x)
	}
	return x
}

// external is a sample's coordinate as a parameter value: back from log
// space, an Int rounded into its bounds.
func (e *estimator) external(x float64) float64 {
	switch {
	case e.p.Kind == Categorical:
		return x
	case e.p.Log:
		x = math.Exp(x)
	case e.p.Kind == Int:
		x = math.Round(x)
	}
	return min(max(x, e.p.Low), e.p.High)
}

// sample draws one value from the mixture, in the estimator's space
// (a category's index for a Categorical).
func (e *estimator) sample(rng *rand.Rand) float64 {
	k := pick(e.w, rng.Float64())
	if e.p.Kind == Categorical {
		return float64(pick(e.probs[k], rng.Float64()))
	}
	x := truncNormal(rng, e.mu[k], e.sigma[k], e.low, e.high)
	if e.p.Kind == Int {
		x = min(max(math.Round(x), e.p.Low), e.p.High)
	}
	return x
}

// logPDF is the log density of the mixture at x, a value sample drew
// (for an Int, the log of its probability mass).
func (e *estimator) logPDF(x float64) float64 {
	terms := make([]float64, len(e.w))
	for k, w := range e.w {
		var lp float64
		switch e.p.Kind {
		case Categorical:
			lp = math.Log(e.probs[k][int(x)])
		case Int:
			lo, hi := max(x-0.5, e.low), min(x+0.5, e.high)
			lp = logMass((lo-e.mu[k])/e.sigma[k], (hi-e.mu[k])/e.sigma[k]) -
				logMass((e.low-e.mu[k])/e.sigma[k], (e.high-e.mu[k])/e.sigma[k])
		default:
			z := (x - e.mu[k]) / e.sigma[k]
			lp = -0.5*z*z - math.Log(math.Sqrt(2*math.Pi)) -
				logMass((e.low-e.mu[k])/e.sigma[k], (e.high-e.mu[k])/e.sigma[k])
			if e.normalized {
				lp -= math.Log(e.sigma[k])
			}
		}
		terms[k] = lp + math.Log(w)
	}
	return logSumExp(terms)
}

// pick is the index whose cumulative weight first passes u.
func pick(w []float64, u float64) int {
	acc := 0.0
	for i, x := range w {
		acc += x
		if u < acc {
			return i
		}
	}
	return len(w) - 1
}

// truncNormal draws from N(mu, sigma²) truncated to [lo, hi] by inverting
// the CDF, which needs one uniform draw whatever the truncation.
func truncNormal(rng *rand.Rand, mu, sigma, lo, hi float64) float64 {
	a, b := phi((lo-mu)/sigma), phi((hi-mu)/sigma)
	u := a + (b-a)*rng.Float64()
	if u <= 0 || u >= 1 || b-a < 1e-12 {
		// Far in a tail: the CDF has no resolution left there.
		return min(max(mu, lo), hi)
	}
	x := mu + sigma*math.Sqrt2*math.Erfinv(2*u-1)
	return min(max(x, lo), hi)
}

// phi is the standard normal CDF.
func phi(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// logMass is log(Φ(b) - Φ(a)) for a < b, computed on the side of the
// distribution where it keeps its precision.
func logMass(a, b float64) float64 {
	if a > 0 {
		// Both in the upper tail: use the symmetric lower one.
		a, b = -b, -a
	}
	m := phi(b) - phi(a)
	if m <= 0 {
		return math.Inf(-1)
	}
	return math.Log(m)
}

func logSumExp(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = max(m, x)
	}
	if math.IsInf(m, -1) {
		return m
	}
	sum := 0.0
	for _, x := range xs {
		sum += math.Exp(x - m)
	}
	return m + math.Log(sum)
}
