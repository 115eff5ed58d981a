package chart

import (
	"math"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// Point is one value of a series at position X (an epoch, a step, a
// number of seconds).
type Point struct{ X, Y float64 }

// Series is one line of a chart.
type Series struct {
	Name   string
	Points []Point // in X order; NaN or infinite Y breaks the line
	Style  lipgloss.Style
	// Pattern is the line's dashes; the legend shows it when the chart's
	// LineKeys is set.
	Pattern Pattern
	// Faint series are drawn first, under the others, and left out of the
	// legend: a raw curve behind its smoothed one, a sweep's other runs
	// behind its best.
	Faint bool
	// Dots draws the points alone, without lines between them.
	Dots bool
	// Value is the legend's value; empty shows the last point's.
	Value string
}

// Band is a shaded region between two curves: the least and the greatest
// value of a sweep's runs at each epoch. Lo and Hi are in X order.
type Band struct {
	Lo, Hi []Point
	Style  lipgloss.Style
}

// Chart is a titled line chart of several series with a legend.
type Chart struct {
	Title string
	// XLabel names the x axis ("epoch"), written in the axis line.
	XLabel        string
	Width, Height int // in cells, the whole chart: legend, plot and axis
	Series        []Series
	Bands         []Band
	// Axis styles the axes and their labels, TitleStyle the title.
	Axis, TitleStyle lipgloss.Style
	// Empty is shown in the middle of a chart with nothing to draw.
	Empty string
	// YLimit, when set, is the range the quantity can take (accuracy in
	// [0, 1], a loss in [0, +Inf)): the axis never goes beyond it.
	YLimit *Range
	// XRange, when set, is the x range shown: a zoom. Points outside it
	// are not drawn and do not scale the y axis.
	XRange *Range
	// LogY draws the y axis in powers of ten; values <= 0 are not drawn.
	LogY bool
	// XFormat writes the x axis' end labels; nil writes numbers.
	XFormat func(float64) string
	// LineKeys makes the legend show each series' line pattern instead of
	// a coloured dot: what tells curves apart without colour.
	LineKeys bool
	// Note follows the legend, in the axis style.
	Note string
}

// MinHeight is the least Height that draws a plot: title, one row, axis.
const MinHeight = 3

// Render draws the chart: Height lines, each Width cells wide, joined by
// newlines. The first line (two when the legend needs them and there is
// room) holds the title and a legend with each series' last value; the
// last is the x axis.
func (c Chart) Render() string {
	w, h := max(c.Width, 0), max(c.Height, 0)
	if w == 0 || h == 0 {
		return ""
	}
	lines := c.legend(w, h)
	blank := func() string {
		for len(lines) < h {
			lines = append(lines, strings.Repeat(" ", w))
		}
		return strings.Join(lines[:h], "\n")
	}
	if h < len(lines)+2 {
		return blank()
	}
	plotRows := h - len(lines) - 1
	series, bands := c.plotted()
	xr, yr, ok := c.bounds(series, bands)
	var ax yAxis
	if ok {
		ax = newYAxis(yr.Lo, yr.Hi, c.yLimit(yr.Lo), plotRows, c.LogY)
	}
	labels := map[int]string{}
	gutter := 0
	for _, t := range ax.ticks {
		labels[t.row] = t.label
		gutter = max(gutter, ansi.StringWidth(t.label))
	}
	plotCols := w - gutter - 1
	if plotCols < 1 {
		// Too narrow for labels: drop them.
		labels, gutter, plotCols = map[int]string{}, 0, w-1
	}
	if plotCols < 1 {
		return blank()
	}
	cv := newCanvas(plotCols, plotRows)
	if ok {
		c.draw(cv, series, bands, xr, ax)
	}
	empty := ""
	if !ok && c.Empty != "" {
		empty = ansi.Truncate(c.Empty, plotCols, "…")
	}
	for row := 0; row < plotRows; row++ {
		var b strings.Builder
		mark := "│"
		if l, has := labels[row]; has {
			b.WriteString(c.Axis.Render(strings.Repeat(" ", gutter-ansi.StringWidth(l)) + l))
			mark = "┤"
		} else {
			b.WriteString(strings.Repeat(" ", gutter))
		}
		b.WriteString(c.Axis.Render(mark))
		if empty != "" && row == (plotRows-1)/2 {
			pad := plotCols - ansi.StringWidth(empty)
			b.WriteString(strings.Repeat(" ", pad/2) + c.Axis.Render(empty) + strings.Repeat(" ", pad-pad/2))
		} else {
			c.writeRow(&b, cv, row)
		}
		lines = append(lines, b.String())
	}
	lines = append(lines, strings.Repeat(" ", gutter)+c.Axis.Render(c.axisLine(plotCols, xr, ok)))
	return strings.Join(lines, "\n")
}

// legend is the title, each series with points (its key, name and last
// value) and the note: one line, or two when they do not fit in one and the chart is
// tall enough to spare a plot row.
func (c Chart) legend(w, h int) []string {
	var parts []string
	if c.Title != "" {
		parts = append(parts, c.TitleStyle.Render(c.Title))
	}
	for _, s := range c.Series {
		if s.Faint || len(s.Points) == 0 {
			continue
		}
		key := s.Style.Render("●")
		if c.LineKeys {
			key = s.Style.Render(s.Pattern.Glyph())
		}
		entry := key + " " + s.Name
		v := s.Value
		if last, ok := last(s.Points); ok && v == "" {
			v = FormatValue(last)
		}
		if v != "" {
			entry += " " + v
		}
		parts = append(parts, entry)
	}
	if c.Note != "" {
		parts = append(parts, c.Axis.Render(c.Note))
	}
	const sep = "  "
	one := strings.Join(parts, sep)
	if ansi.StringWidth(one) <= w || h < MinHeight+4 {
		return []string{fit(one, w)}
	}
	first, n := "", 0
	for n < len(parts) {
		next := parts[n]
		if first != "" {
			next = first + sep + next
		}
		if ansi.StringWidth(next) > w && first != "" {
			break
		}
		first, n = next, n+1
	}
	return []string{fit(first, w), fit(strings.Join(parts[n:], sep), w)}
}

// plotted are the series and bands in plotted units: x within XRange,
// y as log10 on a log axis.
func (c Chart) plotted() ([]Series, []Band) {
	conv := func(pts []Point) []Point {
		out := make([]Point, 0, len(pts))
		for _, p := range pts {
			if c.XRange != nil && (p.X < c.XRange.Lo || p.X > c.XRange.Hi) {
				continue
			}
			if c.LogY {
				if p.Y > 0 {
					p.Y = math.Log10(p.Y)
				} else {
					p.Y = math.NaN()
				}
			}
			out = append(out, p)
		}
		return out
	}
	series := make([]Series, len(c.Series))
	for i, s := range c.Series {
		s.Points = conv(s.Points)
		series[i] = s
	}
	bands := make([]Band, len(c.Bands))
	for i, b := range c.Bands {
		bands[i] = Band{Lo: conv(b.Lo), Hi: conv(b.Hi), Style: b.Style}
	}
	return series, bands
}

// yLimit is YLimit in plotted units. A quantity with no negative value in
// view gets no negative axis: padding must not invent one.
func (c Chart) yLimit(dataLo float64) Range {
	r := Unbounded
	if c.YLimit != nil {
		r = *c.YLimit
	}
	if c.LogY {
		lo, hi := math.Inf(-1), math.Inf(1)
		if r.Lo > 0 {
			lo = math.Log10(r.Lo)
		}
		if r.Hi > 0 && !math.IsInf(r.Hi, 1) {
			hi = math.Log10(r.Hi)
		}
		return Range{lo, hi}
	}
	if dataLo >= 0 {
		r.Lo = math.Max(r.Lo, 0)
	}
	return r
}

// bounds is the x range (XRange, else the data's) and the range of the
// finite values in view; ok is false with no such value.
func (c Chart) bounds(series []Series, bands []Band) (x, y Range, ok bool) {
	x, y = Range{math.Inf(1), math.Inf(-1)}, Range{math.Inf(1), math.Inf(-1)}
	add := func(pts []Point) {
		for _, p := range pts {
			if !finite(p.X) || !finite(p.Y) {
				continue
			}
			ok = true
			x.Lo, x.Hi = math.Min(x.Lo, p.X), math.Max(x.Hi, p.X)
			y.Lo, y.Hi = math.Min(y.Lo, p.Y), math.Max(y.Hi, p.Y)
		}
	}
	for _, s := range series {
		add(s.Points)
	}
	for _, b := range bands {
		add(b.Lo)
		add(b.Hi)
	}
	if !ok {
		return x, y, false
	}
	if c.XRange != nil {
		x = *c.XRange
	}
	if x.Hi <= x.Lo {
		x.Hi = x.Lo + 1
	}
	return x, y, true
}

// axisLine is the x axis, its range written into it: └1──── epoch ────20.
func (c Chart) axisLine(cols int, xr Range, ok bool) string {
	if !ok {
		return "└" + strings.Repeat("─", cols)
	}
	format := c.XFormat
	if format == nil {
		format = Format
	}
	lo, hi := format(xr.Lo), format(xr.Hi)
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

// last is the value of the last finite point.
func last(pts []Point) (float64, bool) {
	for i := len(pts) - 1; i >= 0; i-- {
		if finite(pts[i].Y) {
			return pts[i].Y, true
		}
	}
	return 0, false
}
