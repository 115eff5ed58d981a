package tpe

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Optuna's default_gamma and default_weights, by value.
func TestGammaAndWeights(t *testing.T) {
	for n, want := range map[int]int{1: 1, 10: 1, 11: 2, 64: 7, 250: 25, 1000: 25} {
		if got := Gamma(n); got != want {
			t.Errorf("Gamma(%d) = %d, want %d", n, got, want)
		}
	}
	if w := weights(24); slices.ContainsFunc(w, func(x float64) bool { return x != 1 }) {
		t.Errorf("weights(24) = %v, want all 1", w)
	}
	w := weights(30) // linspace(1/30, 1, 5) then 25 ones
	want := []float64{1.0 / 30, 1.0/30 + (1-1.0/30)/4, 1.0/30 + (1-1.0/30)/2, 1.0/30 + 3*(1-1.0/30)/4, 1}
	for i, x := range want {
		if math.Abs(w[i]-x) > 1e-12 {
			t.Errorf("weights(30)[%d] = %v, want %v", i, w[i], x)
		}
	}
	if w[29] != 1 || len(w) != 30 {
		t.Errorf("weights(30) ends %v (len %d)", w[29], len(w))
	}
	if w := weights(26); w[0] != 1.0/26 || w[1] != 1 {
		t.Errorf("weights(26) starts %v", w[:2])
	}
}

func TestSplitKeepsOrderAndPutsFailuresAbove(t *testing.T) {
	var trials []Trial
	for i, loss := range []float64{5, math.Inf(1), 1, math.NaN(), 3, 2, 9, 0.5, 7, 8, 6, 4} {
		trials = append(trials, Trial{X: []float64{float64(i)}, Loss: loss})
	}
	below, above := split(trials) // 12 trials: the best 2
	if got := column(below, 0); !slices.Equal(got, []float64{2, 7}) {
		t.Errorf("below = trials %v, want [2 7] (losses 1 and 0.5, in trial order)", got)
	}
	if len(above) != 10 || above[0].X[0] != 0 || above[1].X[0] != 1 {
		t.Errorf("above = %v, want the other 10 in trial order", column(above, 0))
	}
}

// Each estimator is a distribution: a Float's density integrates to 1 over
// its bounds (Normalized; by default, to the kernels' widths weighted by
// the components' weights, as in Optuna 3.1), an Int's masses and a
// Categorical's probabilities sum to 1.
func TestEstimatorsAreDistributions(t *testing.T) {
	for _, normalized := range []bool{true, false} {
		t.Run(map[bool]string{true: "normalized", false: "optuna3.1"}[normalized], func(t *testing.T) {
			testEstimators(t, &Sampler{Normalized: normalized})
		})
	}
}

func testEstimators(t *testing.T, s *Sampler) {
	xs := []float64{0.2, 0.25, 0.9, 0.5}
	ws := weights(len(xs))
	cases := []struct {
		name string
		p    Param
		xs   []float64
	}{
		{"float", Param{Kind: Float, Low: 0, High: 1}, xs},
		{"log", Param{Kind: Float, Low: 1e-4, High: 1, Log: true}, []float64{1e-3, 3e-3, 0.5, 1e-4}},
		{"int", Param{Kind: Int, Low: -2, High: 6}, []float64{0, 0, 6, 3}},
		{"categorical", Param{Kind: Categorical, N: 3}, []float64{0, 2, 2, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := s.estimator(c.p, c.xs, ws)
			total := 0.0
			switch c.p.Kind {
			case Float:
				const steps = 20000
				h := (e.high - e.low) / steps
				for i := range steps {
					total += math.Exp(e.logPDF(e.low+(float64(i)+0.5)*h)) * h
				}
			case Int:
				for x := c.p.Low; x <= c.p.High; x++ {
					total += math.Exp(e.logPDF(x))
				}
			case Categorical:
				for x := range c.p.N {
					total += math.Exp(e.logPDF(float64(x)))
				}
			}
			want := 1.0
			if c.p.Kind == Float && !s.Normalized {
				want = 0
				for k, w := range e.w {
					want += w * e.sigma[k]
				}
			}
			if math.Abs(total-want) > 1e-3*want {
				t.Errorf("total mass %v, want %v", total, want)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for range 1000 {
				x := e.external(e.sample(rng))
				if x < c.p.Low || x > max(c.p.High, float64(c.p.N-1)) || (c.p.Kind != Float && x != math.Round(x)) {
					t.Fatalf("sample %v outside the param %+v", x, c.p)
				}
			}
		})
	}
}

func TestProposeIsAFunctionOfTrialsAndSeed(t *testing.T) {
	s := &Sampler{Space: []Param{{Kind: Float, Low: -1, High: 1}, {Kind: Int, Low: 0, High: 9}, {Kind: Categorical, N: 4}}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	var trials []Trial
	rng := rand.New(rand.NewPCG(3, 4))
	for range 15 {
		x := []float64{rng.Float64()*2 - 1, float64(rng.IntN(10)), float64(rng.IntN(4))}
		trials = append(trials, Trial{X: x, Loss: x[0] * x[0]})
	}
	a := s.Propose(trials, rand.New(rand.NewPCG(7, 7)))
	b := s.Propose(slices.Clone(trials), rand.New(rand.NewPCG(7, 7)))
	c := s.Propose(trials, rand.New(rand.NewPCG(7, 8)))
	if !slices.Equal(a, b) {
		t.Errorf("same trials and seed: %v then %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("another seed proposed the same point %v", a)
	}
}

// On a narrow quadratic bowl, TPE's best after 40 trials (10 random, 30
// proposed) beats random search's best of 40 on the median of 11 seeds.
func TestProposeBeatsRandomOnABowl(t *testing.T) {
	space := []Param{{Kind: Float, Low: 0, High: 1}, {Kind: Float, Low: 1e-5, High: 1, Log: true}, {Kind: Int, Low: 0, High: 20}, {Kind: Categorical, N: 5}}
	f := func(x []float64) float64 {
		cat := 0.0
		if x[3] != 2 {
			cat = 0.3
		}
		return 10*math.Pow(x[0]-0.3, 2) + math.Pow(math.Log10(x[1])+3, 2) + math.Pow(x[2]-13, 2)/20 + cat
	}
	randomPoint := func(rng *rand.Rand) []float64 {
		return []float64{rng.Float64(), math.Exp(math.Log(1e-5) + rng.Float64()*math.Log(1e5)), float64(rng.IntN(21)), float64(rng.IntN(5))}
	}
	var tpeBest, randBest []float64
	for seed := range uint64(11) {
		s := &Sampler{Space: space}
		rng := rand.New(rand.NewPCG(seed, 1))
		var trials []Trial
		best := math.Inf(1)
		for i := range 40 {
			x := randomPoint(rng)
			if i >= 10 {
				x = s.Propose(trials, rng)
			}
			trials = append(trials, Trial{X: x, Loss: f(x)})
			best = min(best, f(x))
		}
		tpeBest = append(tpeBest, best)
		rr := rand.New(rand.NewPCG(seed, 2))
		best = math.Inf(1)
		for range 40 {
			best = min(best, f(randomPoint(rr)))
		}
		randBest = append(randBest, best)
	}
	slices.Sort(tpeBest)
	slices.Sort(randBest)
	if tpeBest[5] >= randBest[5] {
		t.Errorf("median best: tpe %.4g, random %.4g", tpeBest[5], randBest[5])
	}
	t.Logf("median best of 40: tpe %.4g, random %.4g", tpeBest[5], randBest[5])
}
