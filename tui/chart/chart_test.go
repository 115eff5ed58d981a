package chart

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"
)

// curve is y = f(x) at x = 1..n.
func curve(n int, f func(x float64) float64) []Point {
	pts := make([]Point, n)
	for i := range pts {
		x := float64(i + 1)
		pts[i] = Point{X: x, Y: f(x)}
	}
	return pts
}

func TestRenderGolden(t *testing.T) {
	loss := curve(20, func(x float64) float64 { return 0.4 + 0.5/x })
	val := curve(20, func(x float64) float64 { return 0.45 + 0.4/x + 0.01*math.Sin(x) })
	noisy := curve(20, func(x float64) float64 { return 0.4 + 0.5/x + 0.08*math.Sin(3*x) })
	gap := curve(20, func(x float64) float64 {
		if x > 8 && x < 12 {
			return math.NaN()
		}
		return x * x
	})
	for _, tc := range []struct {
		name string
		c    Chart
	}{
		{"two-series", Chart{Title: "loss", XLabel: "epoch", Width: 40, Height: 10,
			Series: []Series{{Name: "train", Points: loss}, {Name: "val", Points: val}}}},
		{"nan-gap", Chart{Title: "gap", Width: 30, Height: 8, Series: []Series{{Name: "y", Points: gap}}}},
		{"empty", Chart{Title: "accuracy", Width: 30, Height: 6, Empty: "waiting for epoch 1"}},
		{"one-point", Chart{Title: "one", Width: 20, Height: 5, Series: []Series{{Name: "y", Points: []Point{{1, 0.5}}}}}},
		{"flat", Chart{Title: "flat", Width: 24, Height: 6, Series: []Series{{Name: "y", Points: curve(5, func(float64) float64 { return 2 })}}}},
		{"large-values", Chart{Title: "rows", Width: 30, Height: 7, Series: []Series{{Name: "n", Points: curve(10, func(x float64) float64 { return x * 12345 })}}}},
		{"clamped-accuracy", Chart{Title: "accuracy", Width: 40, Height: 10, YLimit: &Range{0, 1},
			Series: []Series{{Name: "val", Points: curve(20, func(x float64) float64 { return 1 - 0.3/x })}}}},
		{"log-y", Chart{Title: "loss", Width: 40, Height: 10, LogY: true,
			Series: []Series{{Name: "train", Points: curve(20, func(x float64) float64 { return 10 * math.Pow(0.7, x) })}}}},
		{"zoom", Chart{Title: "loss", XLabel: "epoch", Width: 40, Height: 8, XRange: &Range{5, 10},
			Series: []Series{{Name: "train", Points: loss}}}},
		{"time-axis", Chart{Title: "loss", XLabel: "time", Width: 40, Height: 8,
			XFormat: func(v float64) string { return strconv.Itoa(int(v)) + "s" }, Series: []Series{{Name: "train", Points: loss}}}},
		{"smoothed-over-raw", Chart{Title: "loss", Width: 40, Height: 10, Series: []Series{
			{Name: "raw", Points: noisy, Faint: true, Dots: true},
			{Name: "train", Points: EMA(noisy, 0.8), Value: "0.45"}}}},
		{"band-and-best", Chart{Title: "sweep", Width: 40, Height: 10, Note: "band: min-max of 3 runs",
			Bands:  []Band{{Lo: curve(20, func(x float64) float64 { return 0.3 + 0.5/x }), Hi: curve(20, func(x float64) float64 { return 0.5 + 0.6/x })}},
			Series: []Series{{Name: "best", Points: curve(20, func(x float64) float64 { return 0.3 + 0.5/x })}}}},
		{"line-keys", Chart{Title: "loss", Width: 40, Height: 10, LineKeys: true, Series: []Series{
			{Name: "a", Points: loss, Pattern: Solid}, {Name: "b", Points: val, Pattern: Dashed},
			{Name: "c", Points: curve(20, func(x float64) float64 { return 0.5 + 0.2/x }), Pattern: Dotted}}}},
		{"legend-wraps", Chart{Title: "validation", Width: 30, Height: 10, Series: []Series{
			{Name: "accuracy", Points: val}, {Name: "auc", Points: loss}, {Name: "precision", Points: val}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden.RequireEqual(t, []byte(tc.c.Render()+"\n"))
		})
	}
}

// Every size gives exactly Height lines of exactly Width cells, including
// sizes too small for a plot.
func TestRenderSize(t *testing.T) {
	pts := curve(50, func(x float64) float64 { return math.Log(x) })
	for w := 0; w <= 12; w++ {
		for h := 0; h <= 6; h++ {
			c := Chart{Title: "a long title", Width: w, Height: h, Series: []Series{{Name: "s", Points: pts}}}
			out := c.Render()
			if w == 0 || h == 0 {
				if out != "" {
					t.Errorf("%dx%d: got %q, want empty", w, h, out)
				}
				continue
			}
			lines := strings.Split(out, "\n")
			if len(lines) != h {
				t.Errorf("%dx%d: %d lines", w, h, len(lines))
			}
			for i, l := range lines {
				if got := ansi.StringWidth(l); got != w {
					t.Errorf("%dx%d: line %d is %d wide: %q", w, h, i, got, l)
				}
			}
		}
	}
}

// A cell two series touch is drawn wholly in the later series' style, so
// colours never mix; the earlier series keeps the cells only it touches.
func TestRenderOpaque(t *testing.T) {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.ANSI)
	red, blue := r.NewStyle().Foreground(lipgloss.Color("1")), r.NewStyle().Foreground(lipgloss.Color("4"))
	c := Chart{Width: 12, Height: 4, Series: []Series{
		{Name: "a", Points: []Point{{0, 0}, {1, 1}}, Style: red},
		{Name: "b", Points: []Point{{0, 1}, {1, 0}}, Style: blue},
	}}
	out := c.Render()
	plot := strings.Join(strings.Split(out, "\n")[1:3], "\n")
	if !strings.Contains(plot, "\x1b[31m") || !strings.Contains(plot, "\x1b[34m") {
		t.Fatalf("want both colours in the plot:\n%q", plot)
	}
	// The crossing cell in the middle belongs to b (blue): the red run
	// that precedes it ends before it.
	mid := strings.Split(out, "\n")[2]
	if strings.Count(mid, "\x1b[34m") == 0 {
		t.Errorf("middle row has no blue run: %q", mid)
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0.43349, "0.433"}, {20, "20"}, {-3, "-3"}, {1234.5, "1234"}, {12345, "12.3k"},
		{2.5e6, "2.5M"}, {3e9, "3e+09"}, {1e-5, "1e-05"}, {math.NaN(), "NaN"}, {math.Inf(1), "+Inf"},
	} {
		if got := Format(tc.v); got != tc.want {
			t.Errorf("Format(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// A metric with bounds never gets an axis beyond them: an accuracy near 1
// tops out at 1, not at 1 plus padding, and every label is a round value.
func TestAxisClampedAndRound(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pts   []Point
		limit *Range
		max   float64
	}{
		{"accuracy near 1", curve(20, func(x float64) float64 { return 1 - 0.3/x }), &Range{0, 1}, 1},
		{"accuracy at 1", curve(5, func(float64) float64 { return 1 }), &Range{0, 1}, 1},
		{"percent", curve(10, func(x float64) float64 { return 90 + x }), &Range{0, 100}, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, rows := range []int{3, 7, 14} {
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, p := range tc.pts {
					lo, hi = math.Min(lo, p.Y), math.Max(hi, p.Y)
				}
				ax := newYAxis(lo, hi, *tc.limit, rows, false)
				if ax.hi > tc.max {
					t.Errorf("%d rows: axis goes to %v, beyond %v", rows, ax.hi, tc.max)
				}
				if len(ax.ticks) < 2 {
					t.Errorf("%d rows: %d ticks", rows, len(ax.ticks))
				}
				for _, tk := range ax.ticks {
					v, err := strconv.ParseFloat(tk.label, 64)
					if err != nil {
						t.Fatalf("label %q: %v", tk.label, err)
					}
					if v > tc.max {
						t.Errorf("%d rows: label %q beyond %v", rows, tk.label, tc.max)
					}
					if len(tk.label) > 5 {
						t.Errorf("%d rows: label %q is not a round value", rows, tk.label)
					}
				}
			}
		})
	}
}

// A dashed line leaves gaps a solid one does not, and the two draw
// different cells: what tells curves apart without colour.
func TestPatternsDiffer(t *testing.T) {
	pts := []Point{{0, 0.5}, {1, 0.5}}
	draw := func(p Pattern) string {
		c := Chart{Width: 21, Height: 4, Series: []Series{{Name: "s", Points: pts, Pattern: p}}}
		return strings.Split(c.Render(), "\n")[2]
	}
	solid, dashed, dotted := draw(Solid), draw(Dashed), draw(Dotted)
	if solid == dashed || solid == dotted || dashed == dotted {
		t.Errorf("patterns draw alike:\n%s\n%s\n%s", solid, dashed, dotted)
	}
	seen := map[string]bool{}
	for p := Pattern(0); p < numPatterns; p++ {
		if g := p.Glyph(); seen[g] || ansi.StringWidth(g) != 2 {
			t.Errorf("pattern %d: glyph %q repeated or not two cells", p, g)
		}
		seen[p.Glyph()] = true
	}
}

func TestEMA(t *testing.T) {
	pts := []Point{{1, 1}, {2, 3}, {3, math.NaN()}, {4, 3}}
	if got := EMA(pts, 0); &got[0] != &pts[0] {
		t.Error("weight 0 should return the points")
	}
	got := EMA(pts, 0.5)
	// Debiased: the first value is itself; then (0.5*0.5 + 0.5*3)/(1-0.25).
	want := []float64{1, (0.25 + 1.5) / 0.75, math.NaN(), ((0.25+1.5)*0.5 + 1.5) / 0.875}
	for i := range want {
		if math.IsNaN(want[i]) != math.IsNaN(got[i].Y) || (!math.IsNaN(want[i]) && math.Abs(got[i].Y-want[i]) > 1e-12) {
			t.Errorf("point %d: %v, want %v", i, got[i].Y, want[i])
		}
	}
}
