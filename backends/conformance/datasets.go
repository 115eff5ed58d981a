package conformance

import (
	"encoding/csv"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/xp-ml/xp/backends"
)

// Classes is the number of classes in b: its largest label plus one.
func Classes(b *backends.Batches) int {
	return int(slices.Max(b.Y)) + 1
}

// LoadCSV reads a dataset the way xp's default pipeline would, reduced to
// what a numerics test needs: rows with a missing value dropped, numeric
// columns standardised, other columns one-hot, classes numbered in sorted
// order.
func LoadCSV(t testing.TB, path, target string) *backends.Batches {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("dataset not in the tree: %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	head, rows := recs[0], recs[1:]
	rows = slices.DeleteFunc(rows, func(r []string) bool {
		return slices.ContainsFunc(r, func(v string) bool { return v == "" || v == "NA" || v == "?" })
	})
	ti := slices.Index(head, target)
	if ti < 0 {
		t.Fatalf("%s has no column %q", path, target)
	}
	var cols [][]float32
	for j := range head {
		if j == ti {
			continue
		}
		num := make([]float32, len(rows))
		numeric := true
		for i, r := range rows {
			v, err := strconv.ParseFloat(r[j], 64)
			if err != nil {
				numeric = false
				break
			}
			num[i] = float32(v)
		}
		if numeric {
			cols = append(cols, standardise(num))
			continue
		}
		var cats []string
		for _, r := range rows {
			if !slices.Contains(cats, r[j]) {
				cats = append(cats, r[j])
			}
		}
		slices.Sort(cats)
		for _, c := range cats {
			oh := make([]float32, len(rows))
			for i, r := range rows {
				if r[j] == c {
					oh[i] = 1
				}
			}
			cols = append(cols, oh)
		}
	}
	var classes []string
	for _, r := range rows {
		if !slices.Contains(classes, r[ti]) {
			classes = append(classes, r[ti])
		}
	}
	slices.Sort(classes)
	b := &backends.Batches{N: len(rows), D: len(cols), X: make([]float32, len(rows)*len(cols)), Y: make([]int32, len(rows))}
	for i, r := range rows {
		for j, c := range cols {
			b.X[i*b.D+j] = c[i]
		}
		b.Y[i] = int32(slices.Index(classes, r[ti]))
	}
	return b
}

func standardise(v []float32) []float32 {
	var mean, sq float64
	for _, x := range v {
		mean += float64(x)
	}
	mean /= float64(len(v))
	for _, x := range v {
		sq += (float64(x) - mean) * (float64(x) - mean)
	}
	sd := math.Sqrt(sq / float64(len(v)))
	if sd == 0 {
		sd = 1
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32((float64(x) - mean) / sd)
	}
	return out
}
