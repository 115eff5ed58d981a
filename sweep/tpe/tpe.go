package tpe

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Kind is the kind of a dimension.
type Kind int

const (
	Float       Kind = iota // a real in [Low, High], Log: log-uniform prior
	Int                     // an integer in [Low, High]
	Categorical             // one of N categories, coordinates 0..N-1
)

// Param is one dimension of a search space.
type Param struct {
	Kind      Kind
	Low, High float64 // Float, Int
	Log       bool    // Float: the estimators work on log(x)
	N         int     // Categorical
}

// Trial is a point tried and how it did: X holds one coordinate per Param
// (a category's index for a Categorical), Loss the value to minimise.
// A point that gave no value (it failed) has Loss +Inf: it counts among
// the worst.
type Trial struct {
	X    []float64
	Loss float64
}

// Sampler proposes points of Space. The zero values of its tunables are
// Optuna's defaults.
type Sampler struct {
	Space []Param
	// Candidates is how many draws from l are scored (0: 24).
	Candidates int
	// PriorWeight is the weight of the flat prior in each estimator (0: 1).
	PriorWeight float64
	// Normalized makes each Gaussian kernel of a number's estimator a
	// density. By default a kernel's density is scaled by its width, as
	// in Debian's Optuna 3.1 (optuna#5109 called it a bug, optuna#5110
	// normalized it): wide kernels, around trials far from others, weigh
	// more, which explores more. On bench-search's objectives the default
	// finds better points (README, "Sweeps").
	Normalized bool
}

// Validate checks the space.
func (s *Sampler) Validate() error {
	if len(s.Space) == 0 {
		return fmt.Errorf("tpe: empty space")
	}
	for i, p := range s.Space {
		switch {
		case p.Kind == Categorical && p.N < 1:
			return fmt.Errorf("tpe: param %d: %d categories", i, p.N)
		case p.Kind != Categorical && !(p.Low <= p.High):
			return fmt.Errorf("tpe: param %d: low %v above high %v", i, p.Low, p.High)
		case p.Kind == Float && p.Log && p.Low <= 0:
			return fmt.Errorf("tpe: param %d: log scale needs low > 0, got %v", i, p.Low)
		}
	}
	return nil
}

// Propose returns the next point to try given trials (in the order they
// were proposed: older trials weigh less once there are more than 25).
// Every trial's X must have one coordinate per param.
func (s *Sampler) Propose(trials []Trial, rng *rand.Rand) []float64 {
	below, above := split(trials)
	wb, wa := weights(len(below)), weights(len(above))
	out := make([]float64, len(s.Space))
	for j, p := range s.Space {
		if p.Kind == Categorical && p.N == 1 || p.Kind != Categorical && p.Low == p.High {
			out[j] = p.Low // one value: nothing to choose (a Categorical's Low is 0)
			continue
		}
		xb, xa := column(below, j), column(above, j)
		l := s.estimator(p, xb, wb)
		g := s.estimator(p, xa, wa)
		n := s.Candidates
		if n <= 0 {
			n = 24
		}
		best, bestScore := math.NaN(), math.Inf(-1)
		for range n {
			x := l.sample(rng)
			if score := l.logPDF(x) - g.logPDF(x); math.IsNaN(best) || score > bestScore {
				best, bestScore = x, score
			}
		}
		out[j] = l.external(best)
	}
	return out
}

// Gamma is how many of n trials count as good: min(⌈n/10⌉, 25).
func Gamma(n int) int { return min((n+9)/10, 25) }

// split sorts trials by loss and returns the best Gamma(n) and the rest,
// each back in the order of the trials (which the weights follow). Ties
// keep the trials' order; NaN losses count as +Inf.
func split(trials []Trial) (below, above []Trial) {
	idx := make([]int, len(trials))
	for i := range idx {
		idx[i] = i
	}
	loss := func(i int) float64 {
		if math.IsNaN(trials[i].Loss) {
			return math.Inf(1)
		}
		return trials[i].Loss
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		la, lb := loss(a), loss(b)
		switch {
		case la < lb:
			return -1
		case la > lb:
			return 1
		}
		return 0
	})
	nb := Gamma(len(trials))
	isBelow := make([]bool, len(trials))
	for _, i := range idx[:nb] {
		isBelow[i] = true
	}
	for i, t := range trials {
		if isBelow[i] {
			below = append(below, t)
		} else {
			above = append(above, t)
		}
	}
	return below, above
}

// weights are the trials' weights in an estimator, oldest first: 1 for
// the last 25, a ramp from 1/n up to 1 for the older ones.
func weights(n int) []float64 {
	w := make([]float64, n)
	ramp := n - 25
	for i := range w {
		switch {
		case i >= ramp:
			w[i] = 1
		case ramp == 1:
			w[i] = 1 / float64(n)
		default:
			w[i] = 1/float64(n) + (1-1/float64(n))*float64(i)/float64(ramp-1)
		}
	}
	return w
}

func column(trials []Trial, j int) []float64 {
	out := make([]float64, len(trials))
	for i, t := range trials {
		out[i] = t.X[j]
	}
	return out
}
