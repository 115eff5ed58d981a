package chart

import (
	"math"
	"slices"
	"strings"
)

// draw plots the bands, then the faint series, then the others, each over
// what came before it.
func (c Chart) draw(cv *canvas, series []Series, bands []Band, xr Range, ax yAxis) {
	xdots := float64(cv.cols*2 - 1)
	ydots := cv.rows*4 - 1
	xdot := func(x float64) int { return int(math.Round((x - xr.Lo) / (xr.Hi - xr.Lo) * xdots)) }
	// A value far off the plot (a zoomed-in axis) is drawn toward its
	// edge, not walked to dot by dot.
	ydot := func(y float64) int { return max(-2, min(ydots+2, ax.dot(y, cv.rows))) }
	for i, b := range bands {
		fillBand(cv, b, int16(len(series)+i), xr, xdots, ydot)
	}
	for _, faint := range []bool{true, false} {
		for si, s := range series {
			if s.Faint != faint {
				continue
			}
			p := &pen{on: s.Pattern.dots()}
			havePrev := false
			var px, py int
			for _, pt := range s.Points {
				if !finite(pt.X) || !finite(pt.Y) {
					havePrev = false
					continue
				}
				x, y := xdot(pt.X), ydot(pt.Y)
				switch {
				case havePrev && !s.Dots:
					cv.line(px, py, x, y, int16(si), p, false)
				default:
					cv.set(x, y, int16(si))
				}
				px, py, havePrev = x, y, true
			}
		}
	}
}

// fillBand shades every other dot between the band's curves, column by
// column: a texture that reads as a region, lighter than a line.
func fillBand(cv *canvas, b Band, owner int16, xr Range, xdots float64, ydot func(float64) int) {
	for xd := 0; xd < cv.cols*2; xd++ {
		x := xr.Lo + float64(xd)/xdots*(xr.Hi-xr.Lo)
		lo, okLo := interpolate(b.Lo, x)
		hi, okHi := interpolate(b.Hi, x)
		if !okLo || !okHi {
			continue
		}
		top, bottom := ydot(hi), ydot(lo)
		if top > bottom {
			top, bottom = bottom, top
		}
		for yd := top; yd <= bottom; yd++ {
			if (xd+yd)%2 == 0 {
				cv.set(xd, yd, owner)
			}
		}
	}
}

// interpolate is the curve's value at x, linear between its points; false
// outside the curve or next to a missing value.
func interpolate(pts []Point, x float64) (float64, bool) {
	n := len(pts)
	if n == 0 || x < pts[0].X || x > pts[n-1].X {
		return 0, false
	}
	i := 0
	for i < n-1 && pts[i+1].X < x {
		i++
	}
	a := pts[i]
	if i == n-1 || a.X == x {
		return a.Y, finite(a.Y)
	}
	b := pts[i+1]
	if !finite(a.Y) || !finite(b.Y) {
		return 0, false
	}
	if b.X == a.X {
		return a.Y, true
	}
	return a.Y + (b.Y-a.Y)*(x-a.X)/(b.X-a.X), true
}

// writeRow writes one row of the canvas, one style run per owner.
func (c Chart) writeRow(b *strings.Builder, cv *canvas, row int) {
	var (
		run   []rune
		owner int16 = -2
	)
	flush := func() {
		if len(run) == 0 {
			return
		}
		switch {
		case owner >= 0 && int(owner) < len(c.Series):
			b.WriteString(c.Series[owner].Style.Render(string(run)))
		case owner >= 0 && int(owner)-len(c.Series) < len(c.Bands):
			b.WriteString(c.Bands[int(owner)-len(c.Series)].Style.Render(string(run)))
		default:
			b.WriteString(string(run))
		}
		run = run[:0]
	}
	for col := 0; col < cv.cols; col++ {
		r, o := cv.cell(col, row)
		if o != owner {
			flush()
			owner = o
		}
		run = append(run, r)
	}
	flush()
}

// Spread is the band of several curves: at every x any of them has a
// point at, the least and the greatest of their values there, each curve
// read between its points and only within its own x range.
func Spread(curves [][]Point) Band {
	var xs []float64
	for _, c := range curves {
		for _, p := range c {
			if finite(p.X) {
				xs = append(xs, p.X)
			}
		}
	}
	slices.Sort(xs)
	xs = slices.Compact(xs)
	var b Band
	for _, x := range xs {
		lo, hi, ok := math.Inf(1), math.Inf(-1), false
		for _, c := range curves {
			if v, in := interpolate(c, x); in {
				lo, hi, ok = math.Min(lo, v), math.Max(hi, v), true
			}
		}
		if ok {
			b.Lo = append(b.Lo, Point{X: x, Y: lo})
			b.Hi = append(b.Hi, Point{X: x, Y: hi})
		}
	}
	return b
}
