package data

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
)

func TestDetectTask(t *testing.T) {
	many := "y,x\n"
	for i := range RegressionDistinct + 1 {
		many += fmt.Sprintf("%d,1\n", i)
	}
	few := "y,x\n"
	for i := range 3 * RegressionDistinct {
		few += fmt.Sprintf("%d,1\n", i%RegressionDistinct)
	}
	tests := []struct {
		name, csv string
		want      Task
	}{
		{"text", "y,x\ngood,1\nbad,2\n", TaskClassification},
		{"integers 0 and 1", "y,x\n0,1\n1,2\nNA,3\n", TaskClassification},
		{"a fraction", "y,x\n1,1\n2.5,2\n", TaskRegression},
		{"20 integers", few, TaskClassification},
		{"21 integers", many, TaskRegression},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DetectTask(mustParse(t, "t.csv", tt.csv), "y")
			if err != nil || got != tt.want {
				t.Fatalf("DetectTask = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := DetectTask(mustParse(t, "t.csv", "y,x\n1,2\n"), "z"); !errors.Is(err, ErrColumnNotFound) {
		t.Errorf("unknown target: %v", err)
	}
}

// TestPrepareRegression: the target is standardized with the training
// split's mean and population std, kept in its units too, and the
// pipeline encodes new rows' targets the same way.
func TestPrepareRegression(t *testing.T) {
	const rows = "Amount,Age,Home\n100,30,rent\n300,NA,owner\n250.5,45,rent\n,17,rent\n410,30,own\n"
	f := mustParse(t, "loans.csv", rows)
	d := spec.Data{Target: "Amount", Split: spec.Split{Seed: 1, Stratify: true}}
	p, err := PrepareTask(f, nil, d, TaskRegression)
	if err != nil {
		t.Fatal(err)
	}
	if p.Task != TaskRegression || len(p.Classes) != 0 || p.Train.Y != nil || p.DroppedTarget != 1 {
		t.Fatalf("task %v, classes %v, Y %v, dropped %d", p.Task, p.Classes, p.Train.Y, p.DroppedTarget)
	}
	vals := []float64{100, 300, 250.5, 410}
	var mean, ss float64
	for _, v := range vals {
		mean += v / 4
	}
	for _, v := range vals {
		ss += (v - mean) * (v - mean)
	}
	std := math.Sqrt(ss / 4)
	if math.Abs(p.Scale.Mean-mean) > 1e-12 || math.Abs(p.Scale.Std-std) > 1e-12 {
		t.Fatalf("scale %v, want mean %v std %v", p.Scale, mean, std)
	}
	for i, v := range p.Train.Target {
		if v != vals[i] || p.Train.T[i] != float32((v-mean)/std) {
			t.Fatalf("row %d: target %v, T %v", i, v, p.Train.T[i])
		}
		if p.Scale.Unscale(p.Train.T[i])-v > 1e-4 {
			t.Errorf("row %d: unscaled %v, want %v", i, p.Scale.Unscale(p.Train.T[i]), v)
		}
	}
	again, err := p.Pipeline.Transform(mustParse(t, "new.csv", "Amount,Age,Home\n250.5,45,rent\nNA,30,own\n"))
	if err != nil {
		t.Fatal(err)
	}
	if again.T[0] != p.Train.T[2] || !math.IsNaN(again.Target[1]) {
		t.Errorf("transform: T %v, target %v", again.T, again.Target)
	}

	for _, tt := range []struct {
		name, csv string
		want      error
	}{
		{"text", "Amount,Age\nlow,1\nhigh,2\n", ErrTextTarget},
		{"constant", "Amount,Age\n5,1\n5,2\n", ErrConstantTarget},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PrepareTask(mustParse(t, "t.csv", tt.csv), nil, d, TaskRegression)
			var fe *spec.FieldError
			if !errors.Is(err, tt.want) || !errors.As(err, &fe) || fe.Field != "data.target" || !strings.Contains(err.Error(), "Amount") {
				t.Fatalf("error %v, want %v at data.target", err, tt.want)
			}
		})
	}
}
