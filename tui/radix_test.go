package tui

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// radixSort orders like a comparison sort on (value, id descending),
// through negative values, zeros of both signs, infinities and ties.
func TestRadixSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	special := []float64{0, math.Copysign(0, -1), -1, 1, math.Inf(1), math.Inf(-1), 1e-300, -1e300, 0.5}
	for _, n := range []int{0, 1, 2, 17, 1000, 70000} {
		vals := make([]float64, n)
		for i := range vals {
			switch rng.IntN(3) {
			case 0:
				vals[i] = special[rng.IntN(len(special))]
			case 1:
				vals[i] = float64(rng.IntN(5)) // many ties
			default:
				vals[i] = rng.NormFloat64() * 1e6
			}
		}
		items := make([]sortItem, n)
		type pair struct {
			v  float64
			id int64
		}
		want := make([]pair, n)
		for i, v := range vals {
			id := int64(rng.IntN(1 << 40))
			items[i] = sortItem{key: orderedBits(v), tie: ^uint64(id), r: &row{sortKey: v}}
			items[i].r.ID = id
			want[i] = pair{v, id}
		}
		radixSort(items, make([]sortItem, n))
		slices.SortFunc(want, func(a, b pair) int {
			if c := cmp.Compare(a.v, b.v); c != 0 {
				return c
			}
			return cmp.Compare(b.id, a.id)
		})
		for i := range items {
			if items[i].r.sortKey != want[i].v || items[i].r.ID != want[i].id {
				t.Fatalf("n=%d: item %d is (%v, %d), want (%v, %d)", n, i, items[i].r.sortKey, items[i].r.ID, want[i].v, want[i].id)
			}
		}
	}
}
