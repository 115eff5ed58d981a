package chart

import (
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// Point is one value of a series at position X (an epoch, a step).
type Point struct{ X, Y float64 }

// Series is one line of a chart.
type Series struct {
	Name   string
	Points []Point // in X order; NaN or infinite Y breaks the line
	Style  lipgloss.Style
}

// Chart is a titled line chart of several series with a legend.
type Chart struct {
	Title string
	// XLabel names the x axis ("epoch"), written in the axis line.
	XLabel        string
	Width, Height int // in cells, the whole chart: title, plot and axis
	Series        []Series
	// Axis styles the axes and their labels, TitleStyle the title.
	Axis, TitleStyle lipgloss.Style
	// Empty is shown in the middle of a chart with nothing to draw.
	Empty string
}

// MinHeight is the least Height that draws a plot: title, one row, axis.
const MinHeight = 3

// Render draws the chart: Height lines, each Width cells wide, joined by
// newlines. The first line holds the title and a legend with each series'
// last value; the last is the x axis.
func (c Chart) Render() string {
	w, h := max(c.Width, 0), max(c.Height, 0)
	if w == 0 || h == 0 {
		return ""
	}
	lines := make([]string, 0, h)
	lines = append(lines, fit(c.header(), w))
	if h < MinHeight {
		for len(lines) < h {
			lines = append(lines, strings.Repeat(" ", w))
		}
		return strings.Join(lines[:h], "\n")
	}
	plotRows := h - 2
	xmin, xmax, ymin, ymax, ok := c.bounds()

	// Y labels at the top, the bottom and, with room, the middle.
	labels := map[int]string{}
	if ok {
		labels[0] = Format(ymax)
		labels[plotRows-1] = Format(ymin)
		if plotRows >= 5 {
			labels[(plotRows-1)/2] = Format(ymax - (ymax-ymin)*float64((plotRows-1)/2)/float64(plotRows-1))
		}
	}
	gutter := 0
	for _, l := range labels {
		gutter = max(gutter, ansi.StringWidth(l))
	}
	plotCols := w - gutter - 1
	if plotCols < 1 {
		// Too narrow for labels: drop them.
		labels, gutter, plotCols = map[int]string{}, 0, w-1
	}
	if plotCols < 1 {
		for len(lines) < h {
			lines = append(lines, strings.Repeat(" ", w))
		}
		return strings.Join(lines, "\n")
	}

	cv := newCanvas(plotCols, plotRows)
	if ok {
		c.draw(cv, xmin, xmax, ymin, ymax)
	}
	empty := ""
	if !ok && c.Empty != "" {
		empty = ansi.Truncate(c.Empty, plotCols, "…")
	}
	for row := 0; row < plotRows; row++ {
		var b strings.Builder
		tick := "│"
		if l, has := labels[row]; has {
			b.WriteString(c.Axis.Render(strings.Repeat(" ", gutter-ansi.StringWidth(l)) + l))
			tick = "┤"
		} else {
			b.WriteString(strings.Repeat(" ", gutter))
		}
		b.WriteString(c.Axis.Render(tick))
		if empty != "" && row == (plotRows-1)/2 {
			pad := plotCols - ansi.StringWidth(empty)
			b.WriteString(strings.Repeat(" ", pad/2) + c.Axis.Render(empty) + strings.Repeat(" ", pad-pad/2))
		} else {
			c.writeRow(&b, cv, row)
		}
		lines = append(lines, b.String())
	}
	lines = append(lines, strings.Repeat(" ", gutter)+c.Axis.Render(c.axisLine(plotCols, xmin, xmax, ok)))
	return strings.Join(lines, "\n")
}

// header is the title and the legend: each series' name and last value in
// its style.
func (c Chart) header() string {
	parts := []string{}
	if c.Title != "" {
		parts = append(parts, c.TitleStyle.Render(c.Title))
	}
	for _, s := range c.Series {
		entry := s.Style.Render("●") + " " + s.Name
		if v, ok := last(s.Points); ok {
			entry += " " + FormatValue(v)
		}
		parts = append(parts, entry)
	}
	return strings.Join(parts, "  ")
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
		if owner >= 0 {
			b.WriteString(c.Series[owner].Style.Render(string(run)))
		} else {
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

// axisLine is the x axis, its range written into it: └1──── epoch ────20.
func (c Chart) axisLine(cols int, xmin, xmax float64, ok bool) string {
	if !ok {
		return "└" + strings.Repeat("─", cols)
	}
	lo, hi := Format(xmin), Format(xmax)
	mid := ""
	if c.XLabel != "" {
		mid = " " + c.XLabel + " "
	}
	fill := cols - ansi.StringWidth(lo) - ansi.StringWidth(hi) - ansi.StringWidth(mid)
	if fill < 2 {
		mid, fill = "", cols-ansi.StringWidth(lo)-ansi.StringWidth(hi)
	}
	if fill < 1 {
		return "└" + strings.Repeat("─", cols)
	}
	return "└" + lo + strings.Repeat("─", fill/2) + mid + strings.Repeat("─", fill-fill/2) + hi
}

// bounds is the range of the finite points of every series, the y range
// padded so that lines stay off the frame; ok is false with no such point.
func (c Chart) bounds() (xmin, xmax, ymin, ymax float64, ok bool) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, s := range c.Series {
		for _, p := range s.Points {
			if !finite(p.X) || !finite(p.Y) {
				continue
			}
			ok = true
			xmin, xmax = math.Min(xmin, p.X), math.Max(xmax, p.X)
			ymin, ymax = math.Min(ymin, p.Y), math.Max(ymax, p.Y)
		}
	}
	if !ok {
		return 0, 0, 0, 0, false
	}
	if xmax == xmin {
		xmax = xmin + 1
	}
	if ymax == ymin {
		d := math.Max(math.Abs(ymin)*0.1, 0.5)
		return xmin, xmax, ymin - d, ymax + d, true
	}
	pad := (ymax - ymin) * 0.05
	lo := ymin - pad
	if ymin >= 0 && lo < 0 {
		// Padding must not invent negative values for a quantity that
		// has none (a loss, a count).
		lo = 0
	}
	return xmin, xmax, lo, ymax + pad, true
}

// draw plots every series, later ones over earlier ones.
func (c Chart) draw(cv *canvas, xmin, xmax, ymin, ymax float64) {
	xdots, ydots := float64(cv.cols*2-1), float64(cv.rows*4-1)
	for si, s := range c.Series {
		havePrev := false
		var px, py int
		for _, p := range s.Points {
			if !finite(p.X) || !finite(p.Y) {
				havePrev = false
				continue
			}
			x := int(math.Round((p.X - xmin) / (xmax - xmin) * xdots))
			y := int(math.Round((ymax - p.Y) / (ymax - ymin) * ydots))
			if havePrev {
				cv.line(px, py, x, y, int16(si))
			} else {
				cv.set(x, y, int16(si))
			}
			px, py, havePrev = x, y, true
		}
	}
}

// last is the value of the last finite point.
func last(pts []Point) (float64, bool) {
	for i := len(pts) - 1; i >= 0; i-- {
		if finite(pts[i].Y) {
			return pts[i].Y, true
		}
	}
	return 0, false
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Format writes a value in at most about six cells: three significant
// digits, with k and M for large magnitudes.
func Format(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return strconv.FormatFloat(v, 'g', 3, 64)
	case a >= 1e6:
		return trimZeros(strconv.FormatFloat(v/1e6, 'f', 2, 64)) + "M"
	case a >= 1e4:
		return trimZeros(strconv.FormatFloat(v/1e3, 'f', 1, 64)) + "k"
	case a >= 1000 || v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// FormatValue writes a value with four significant digits, for reading
// rather than for an axis.
func FormatValue(v float64) string {
	if !finite(v) || math.Abs(v) >= 1e4 {
		return Format(v)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// fit truncates or pads s to exactly w cells.
func fit(s string, w int) string {
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}
