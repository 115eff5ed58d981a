package data

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
)

const kindDropDuplicates = "drop_duplicates"

// dropDuplicates drops, within each split, the rows equal to an earlier
// one in every column (or in its subset).
type dropDuplicates struct{ *spec.DropDuplicates }

func (dropDuplicates) kind() string { return kindDropDuplicates }

func (r dropDuplicates) fit(w *workspace, field string) (RuleReport, string, error) {
	what := kindDropDuplicates
	cols := w.liveColumns()
	if r.DropDuplicates != nil && len(r.Subset) > 0 {
		cols = nil
		for k, name := range r.Subset {
			j, err := w.lookup(fmt.Sprintf("%s.%s.subset[%d]", field, kindDropDuplicates, k), name)
			if err != nil {
				return RuleReport{}, "", err
			}
			cols = append(cols, j)
		}
		what += " " + strings.Join(r.Subset, ", ")
	}
	w.dupCols = cols
	return w.dropReport(w.dropDuplicates(w.rowHash)), what, nil
}

func (r dropDuplicates) vet(c *schemaCheck, field string) {
	for k, name := range r.Subset {
		c.has(fmt.Sprintf("%s.%s.subset[%d]", field, kindDropDuplicates, k), name)
	}
}

// dropDuplicates drops, within each split, every row equal in the columns
// w.dupCols to an earlier row of that split. Rows are bucketed by hash (w.rowHash;
// tests pass a worse one) and compared in full, so a collision never drops
// a distinct row.
func (w *workspace) dropDuplicates(hash func(row int) uint64) (dropped [numSplits]int) {
	for s, rows := range w.splits {
		first := make(map[uint64]int, len(rows)) // first row kept with each hash
		var more map[uint64][]int                // further distinct rows, on a collision
		kept := rows[:0]
		for _, r := range rows {
			h := hash(r)
			o, ok := first[h]
			switch {
			case !ok:
				first[h] = r
			case w.sameRow(o, r) || slices.ContainsFunc(more[h], func(o int) bool { return w.sameRow(o, r) }):
				dropped[s]++
				continue
			default:
				if more == nil {
					more = map[uint64][]int{}
				}
				more[h] = append(more[h], r)
			}
			kept = append(kept, r)
		}
		w.splits[s] = kept
	}
	return dropped
}

// rowHash is FNV-1a over the row's values in w.dupCols.
func (w *workspace) rowHash(row int) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	mix := func(b byte) { h = (h ^ uint64(b)) * prime }
	for _, j := range w.dupCols {
		c := w.cols[j]
		switch {
		case c.Missing[row]:
			mix(0)
		case c.Numeric:
			v := c.Num[row]
			if v == 0 {
				v = 0 // -0 equals 0
			}
			bits := math.Float64bits(v)
			for k := 0; k < 64; k += 8 {
				mix(byte(bits >> k))
			}
		default:
			s := c.Str[row]
			mix(1)
			for k := 0; k < len(s); k++ {
				mix(s[k])
			}
		}
	}
	return h
}

func (w *workspace) sameRow(a, b int) bool {
	for _, j := range w.dupCols {
		c := w.cols[j]
		if c.Missing[a] != c.Missing[b] {
			return false
		}
		if c.Missing[a] {
			continue
		}
		if c.Numeric {
			if c.Num[a] != c.Num[b] {
				return false
			}
		} else if c.Str[a] != c.Str[b] {
			return false
		}
	}
	return true
}
