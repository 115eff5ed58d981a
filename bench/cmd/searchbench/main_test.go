package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"slices"
	"testing"
)

// The ported objectives have search_reference.py's known minima.
func TestObjectivesKnownMinima(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
		want   float64
	}{
		{"branin_mixed", map[string]any{"x": math.Pi, "y": 2.275, "scale": "a", "k": 3.0}, 0.397887},
		{"lr_valley", map[string]any{"lr": 3e-3, "width": 256.0, "dropout": 0.2}, 0},
		{"rosenbrock4", map[string]any{"x0": 1.5, "x1": 1.5, "x2": 1.5, "x3": 1.5}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := objectives[tt.name].eval(tt.params); err != nil || math.Abs(got-tt.want) > 1e-6 {
				t.Errorf("minimum %v, want %v", got, tt.want)
			}
		})
	}
}

// A search is a function of its seed; its curve never gets worse; TPE's
// first startup points are random search's.
func TestSearchCurves(t *testing.T) {
	obj := objectives["branin_mixed"]
	a, err := search(obj, "tpe", 3, 20, 10)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := search(obj, "tpe", 3, 20, 10)
	r, _ := search(obj, "random", 3, 20, 10)
	if !slices.Equal(a, b) {
		t.Errorf("seed 3 gave %v, then %v", a, b)
	}
	if !slices.Equal(a[:10], r[:10]) {
		t.Errorf("startup %v, random %v", a[:10], r[:10])
	}
	for i := 1; i < len(a); i++ {
		if a[i] > a[i-1] {
			t.Fatalf("best after %d is %v, after %d %v", i+1, a[i], i, a[i-1])
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-seeds", "2", "-trials", "16", "-objective", "lr_valley", "-sampler", "tpe"}, nil, &out); err != nil {
		t.Fatal(err)
	}
	var line struct {
		Median map[string]float64 `json:"median_best_after"`
		Curves [][]float64        `json:"curves"`
	}
	if err := json.Unmarshal(out.Bytes(), &line); err != nil || len(line.Curves) != 2 || len(line.Median) != 1 {
		t.Errorf("output %s: %v", out.String(), err)
	}
}
