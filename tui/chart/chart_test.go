package chart

import (
	"math"
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
