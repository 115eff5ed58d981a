package chart

import (
	"math"
	"strconv"
)

// Range is an interval of values; an infinite end is open.
type Range struct{ Lo, Hi float64 }

// Unbounded is the range of a value with no known limits.
var Unbounded = Range{Lo: math.Inf(-1), Hi: math.Inf(1)}

// clamp keeps v within r.
func (r Range) clamp(v float64) float64 { return math.Max(r.Lo, math.Min(r.Hi, v)) }

// yAxis is the vertical scale: the range shown, in plotted units (log10
// of the value on a log axis), and the ticks labelled on it.
type yAxis struct {
	lo, hi float64
	ticks  []tick
	log    bool
}

// tick is a labelled value and the row it is drawn on.
type tick struct {
	row   int
	label string
}

// row is the plot row value v (in plotted units) falls on, with rows rows
// of four dots each: the row a line through v is drawn in.
func (a yAxis) row(v float64, rows int) int {
	return a.dot(v, rows) / 4
}

// dot is the dot row of v, from the top.
func (a yAxis) dot(v float64, rows int) int {
	ydots := float64(rows*4 - 1)
	return int(math.Round((a.hi - v) / (a.hi - a.lo) * ydots))
}

// newYAxis scales [lo, hi], the data's range in plotted units, to rows
// rows: it pads it and clamps it to limit (also in plotted units), then
// labels the round values in it, as many as keep labels apart (minGap).
func newYAxis(lo, hi float64, limit Range, rows int, log bool) yAxis {
	if hi == lo {
		d := math.Max(math.Abs(lo)*0.1, 0.5)
		if log {
			d = 0.5
		}
		lo, hi = lo-d, hi+d
	} else {
		pad := (hi - lo) * 0.05
		lo, hi = lo-pad, hi+pad
	}
	lo, hi = limit.clamp(lo), limit.clamp(hi)
	if hi <= lo {
		hi = lo + 1
	}
	if log {
		return logAxis(lo, hi, rows)
	}
	// The finest round step whose labels keep their distance.
	for n := max(2, rows); n >= 1; n-- {
		a := yAxis{lo: lo, hi: hi}
		if a.linearTicks(niceStep(hi-lo, n), rows) {
			return a
		}
	}
	a := yAxis{lo: lo, hi: hi}
	a.ticks = []tick{{row: 0, label: Format(hi)}, {row: rows - 1, label: Format(lo)}}
	return a
}

// minGap is the least distance in rows between two labels: labels on
// every row of a tall chart are noise, a short chart needs what it gets.
func minGap(rows int) int {
	switch {
	case rows <= 5:
		return 1
	case rows < 10:
		return 2
	}
	return 3
}

// linearTicks labels every multiple of step in the range; it reports
// false when fewer than two fit, or two would be closer than minGap.
func (a *yAxis) linearTicks(step float64, rows int) bool {
	dec := decimals(step)
	prev := math.MinInt / 2
	for k := math.Floor(a.hi/step + 1e-9); k*step >= a.lo-step*1e-9; k-- {
		v := k * step
		r := a.row(v, rows)
		if r-prev < minGap(rows) {
			a.ticks = nil
			return false
		}
		prev = r
		a.ticks = append(a.ticks, tick{row: r, label: tickLabel(v, dec)})
	}
	if len(a.ticks) < 2 {
		a.ticks = nil
		return false
	}
	return true
}

// logAxis labels powers of ten, and 2 and 5 times them when decades are
// few, on a range given in log10 units.
func logAxis(lo, hi float64, rows int) yAxis {
	for _, mults := range [][]float64{{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}} {
		a := yAxis{lo: lo, hi: hi, log: true}
		used := map[int]bool{}
		for e := math.Floor(lo); e <= math.Ceil(hi); e++ {
			for _, m := range mults {
				v := m * math.Pow(10, e)
				lv := math.Log10(v)
				r := a.row(lv, rows)
				if lv < lo-1e-9 || lv > hi+1e-9 || used[r] || used[r-1] || used[r+1] {
					continue
				}
				used[r] = true
				a.ticks = append(a.ticks, tick{row: r, label: Format(v)})
			}
		}
		if len(a.ticks) >= 2 {
			return a
		}
	}
	// Less than a decade: round values in value space, placed on the
	// log scale.
	vlo, vhi := math.Pow(10, lo), math.Pow(10, hi)
	for n := max(2, rows); n >= 1; n-- {
		step := niceStep(vhi-vlo, n)
		dec := decimals(step)
		a := yAxis{lo: lo, hi: hi, log: true}
		prev := math.MinInt / 2
		ok := true
		for k := math.Floor(vhi/step + 1e-9); k*step >= vlo-step*1e-9 && k > 0; k-- {
			r := a.row(math.Log10(k*step), rows)
			if r-prev < minGap(rows) {
				ok = false
				break
			}
			prev = r
			a.ticks = append(a.ticks, tick{row: r, label: tickLabel(k*step, dec)})
		}
		if ok && len(a.ticks) >= 2 {
			return a
		}
	}
	a := yAxis{lo: lo, hi: hi, log: true}
	a.ticks = []tick{{row: 0, label: Format(vhi)}, {row: rows - 1, label: Format(vlo)}}
	return a
}

// niceStep is a round step (1, 2, 2.5 or 5 times a power of ten) that
// cuts span into about n intervals.
func niceStep(span float64, n int) float64 {
	raw := span / float64(max(n, 1))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, f := range []float64{1, 2, 2.5, 5} {
		if f*mag >= raw*(1-1e-9) {
			return f * mag
		}
	}
	return 10 * mag
}

// decimals is how many decimals write multiples of step exactly.
func decimals(step float64) int {
	for d := 0; d < 12; d++ {
		s := step * math.Pow(10, float64(d))
		if math.Abs(s-math.Round(s)) < 1e-6 {
			return d
		}
	}
	return 12
}

// tickLabel writes a tick's value with the step's decimals; large values
// take Format's k and M.
func tickLabel(v float64, dec int) string {
	if math.Abs(v) >= 1e4 {
		return Format(v)
	}
	if math.Abs(v) < 1e-12 {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}
