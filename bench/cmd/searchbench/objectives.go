package main

import (
	"encoding/json"
	"math"
	"slices"

	"github.com/xp-ml/xp/cue/spec"
)

// objective is a space, in the sweep's terms, and a function to
// minimise over it: one of search_reference.py's, or a real experiment
// (trainer).
type objective struct {
	name  string
	space map[string]spec.SweepParam
	eval  func(p map[string]any) (float64, error)
}

// pure makes a function that cannot fail an objective's eval.
func pure(f func(p map[string]any) float64) func(p map[string]any) (float64, error) {
	return func(p map[string]any) (float64, error) { return f(p), nil }
}

// names are the objective's params, sorted, as a sweep orders its paths.
func (o objective) names() []string {
	var out []string
	for n := range o.space {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func objectiveNames(objs map[string]objective) []string {
	var out []string
	for n := range objs {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func uniform(lo, hi float64) spec.SweepParam {
	return spec.SweepParam{Dist: spec.DistUniform, Low: lo, High: hi}
}

func choice(values ...any) spec.SweepParam {
	p := spec.SweepParam{Dist: spec.DistChoice}
	for _, v := range values {
		js, _ := json.Marshal(v)
		p.Choices = append(p.Choices, js)
	}
	return p
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

// branin is the Branin-Hoo function, minimum 0.397887.
func branin(x, y float64) float64 {
	a, b, c := 1.0, 5.1/(4*math.Pi*math.Pi), 5.0/math.Pi
	r, s, t := 6.0, 10.0, 1.0/(8*math.Pi)
	return a*math.Pow(y-b*x*x+c*x-r, 2) + s*(1-t)*math.Cos(x) + s
}

// objectives are search_reference.py's SPACES and evaluate(), ported.
var objectives = map[string]objective{
	"branin_mixed": {
		name: "branin_mixed",
		space: map[string]spec.SweepParam{
			"x":     uniform(-5, 10),
			"y":     uniform(0, 15),
			"scale": choice("a", "b", "c"),
			"k":     {Dist: spec.DistIntUniform, Low: 0, High: 8},
		},
		eval: pure(func(p map[string]any) float64 {
			mult := map[any]float64{"a": 1.0, "b": 1.5, "c": 3.0}[p["scale"]]
			return branin(num(p["x"]), num(p["y"]))*mult + 0.5*math.Pow(num(p["k"])-3, 2)
		}),
	},
	"lr_valley": {
		name: "lr_valley",
		space: map[string]spec.SweepParam{
			"lr":      {Dist: spec.DistLogUniform, Low: 1e-5, High: 1e-1},
			"width":   choice(16, 32, 64, 128, 256),
			"dropout": uniform(0, 0.6),
		},
		eval: pure(func(p map[string]any) float64 {
			lr := math.Pow(math.Log10(num(p["lr"]))-math.Log10(3e-3), 2)
			width := 1/num(p["width"])*256 - 1
			drop := 4 * math.Pow(num(p["dropout"])-0.2, 2)
			return lr + 0.1*width + drop
		}),
	},
	"rosenbrock4": {
		name: "rosenbrock4",
		space: map[string]spec.SweepParam{
			"x0": uniform(-2, 3), "x1": uniform(-2, 3), "x2": uniform(-2, 3), "x3": uniform(-2, 3),
		},
		eval: pure(func(p map[string]any) float64 {
			var xs [4]float64
			for i := range xs {
				xs[i] = num(p["x"+string(rune('0'+i))]) - 0.5
			}
			sum := 0.0
			for i := range 3 {
				sum += 100*math.Pow(xs[i+1]-xs[i]*xs[i], 2) + math.Pow(1-xs[i], 2)
			}
			return sum
		}),
	},
}
