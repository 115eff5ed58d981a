package data

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
)

// labelsFor makes n rows whose class is "a" for the first nA rows and "b"
// after.
func labelsFor(n, nA int) ([]int, []string) {
	rows := make([]int, n)
	labels := make([]string, n)
	for i := range rows {
		rows[i] = i
		labels[i] = "b"
		if i < nA {
			labels[i] = "a"
		}
	}
	return rows, labels
}

func checkPartition(t *testing.T, rows []int, got [numSplits][]int) {
	t.Helper()
	var all []int
	for s, part := range got {
		if !slices.IsSorted(part) {
			t.Errorf("%s rows are not in file order", splitNames[s])
		}
		all = append(all, part...)
	}
	slices.Sort(all)
	if !slices.Equal(all, rows) {
		t.Errorf("splits do not partition the rows: %d rows in, %d out", len(rows), len(all))
	}
}

func TestSplitRows(t *testing.T) {
	rows, labels := labelsFor(1000, 700)
	tests := []struct {
		name     string
		split    spec.Split
		wantSize [numSplits]int // test, validation, train
		wantA    [numSplits]int // rows of class "a" in each
	}{
		// Stratified: each class is dealt on its own, so the proportions are
		// exact: 700 "a" give 140 / 70 / 490, 300 "b" give 60 / 30 / 210.
		{"stratified", spec.Split{Test: 0.2, Validation: 0.1, Seed: 42, Stratify: true},
			[numSplits]int{200, 100, 700}, [numSplits]int{140, 70, 490}},
		{"stratified rounding", spec.Split{Test: 0.25, Validation: 0.15, Seed: 1, Stratify: true},
			[numSplits]int{175 + 75, 105 + 45, 420 + 180}, [numSplits]int{175, 105, 420}},
		{"plain", spec.Split{Test: 0.2, Validation: 0.1, Seed: 42},
			[numSplits]int{200, 100, 700}, [numSplits]int{-1, -1, -1}},
		{"no test, no validation", spec.Split{Seed: 3},
			[numSplits]int{0, 0, 1000}, [numSplits]int{0, 0, 700}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitRows(rows, labels, tt.split)
			checkPartition(t, rows, got)
			for s := range got {
				if len(got[s]) != tt.wantSize[s] {
					t.Errorf("%s has %d rows, want %d", splitNames[s], len(got[s]), tt.wantSize[s])
				}
				nA := 0
				for _, r := range got[s] {
					if labels[r] == "a" {
						nA++
					}
				}
				if tt.wantA[s] >= 0 && nA != tt.wantA[s] {
					t.Errorf("%s has %d rows of class a, want %d", splitNames[s], nA, tt.wantA[s])
				}
			}
			if again := splitRows(rows, labels, tt.split); !slices.Equal(again[splitTest], got[splitTest]) ||
				!slices.Equal(again[splitVal], got[splitVal]) || !slices.Equal(again[splitTrain], got[splitTrain]) {
				t.Error("the same seed split differently")
			}
		})
	}
}

func TestSplitSeed(t *testing.T) {
	rows, labels := labelsFor(200, 100)
	a := splitRows(rows, labels, spec.Split{Test: 0.3, Seed: 1})
	b := splitRows(rows, labels, spec.Split{Test: 0.3, Seed: 2})
	if slices.Equal(a[splitTest], b[splitTest]) {
		t.Error("seeds 1 and 2 chose the same test rows")
	}
	// The split of a recorded run must never change: pin one. If this
	// fails, the shuffle changed and old runs no longer reproduce.
	got := splitRows(rows, labels, spec.Split{Test: 0.05, Seed: 42})[splitTest]
	want := []int{32, 34, 45, 58, 80, 82, 110, 118, 146, 155}
	if !slices.Equal(got, want) {
		t.Errorf("seed 42 test rows = %#v, want %#v", got, want)
	}
}

func TestBoundedDrawUniform(t *testing.T) {
	var counts [7]int
	src := newTestPCG()
	const draws = 70000
	for range draws {
		counts[boundedDraw(src, 7)]++
	}
	for v, n := range counts {
		// 10,000 expected; 5 standard deviations is about 480.
		if math.Abs(float64(n)-draws/7) > 500 {
			t.Errorf("value %d drawn %d times in %d, want about %d", v, n, draws, draws/7)
		}
	}
}

func TestCheckSplit(t *testing.T) {
	tests := []struct {
		split spec.Split
		field string
	}{
		{spec.Split{Test: 1.2}, "data.split.test"},
		{spec.Split{Test: -0.1}, "data.split.test"},
		{spec.Split{Validation: math.NaN()}, "data.split.validation"},
		{spec.Split{Test: 0.6, Validation: 0.4}, "data.split"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.split.Test, tt.split.Validation), func(t *testing.T) {
			err := checkSplit(tt.split)
			var fe *spec.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, ErrInvalidSplit) {
				t.Errorf("error %v, want a FieldError on %s", err, tt.field)
			}
		})
	}
	if err := checkSplit(spec.Split{Test: 0.2, Validation: 0.1}); err != nil {
		t.Errorf("a valid split: %v", err)
	}
}

func newTestPCG() *rand.PCG { return rand.NewPCG(9, 9) }
