package chart

import (
	"math"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// Parallel is a parallel-coordinates plot: a vertical axis per dimension
// (a sweep's parameters and its metric), and each item (a point of the
// sweep) a line that crosses every axis at its value there. It reads which
// region of the space the good items come from: their lines bunch up.
type Parallel struct {
	Title         string
	Width, Height int // in cells: title, high labels, plot, low labels, names
	Axes          []ParallelAxis
	// Lines are drawn in order, the later owning a cell both touch: the
	// faint first, the one to read last.
	Lines []ParallelLine
	// Axis styles the axes and their labels, TitleStyle the title.
	Axis, TitleStyle lipgloss.Style
	// Empty is shown in the middle of a plot with no line to draw.
	Empty string
}

// ParallelAxis is one dimension: its name, written under it, and its
// labels at positions from 0 (bottom) to 1 (top). The label at 1 is
// written above the axis, the one at 0 below; others inside the plot, to
// the axis' right, where the items' values fall (a choice's values).
type ParallelAxis struct {
	Name   string
	Labels []AxisLabel
}

// AxisLabel is a label at a position on an axis, from 0 to 1.
type AxisLabel struct {
	Pos  float64
	Text string
}

// ParallelLine is one item: its position on each axis, from 0 to 1; NaN
// where it has no value, which breaks its line there.
type ParallelLine struct {
	Pos     []float64
	Style   lipgloss.Style
	Pattern Pattern
}

// Render draws the plot: Height lines, each Width cells wide. The first
// holds the title, the second the axes' high labels, the last two their
// low labels and names; the rest is the plot, where an item crosses an
// axis as a ● in its style.
func (p Parallel) Render() string {
	w, h := max(p.Width, 0), max(p.Height, 0)
	if w == 0 || h == 0 {
		return ""
	}
	lines := []string{p.TitleStyle.Render(fit(p.Title, w))}
	rows := h - 4
	n := len(p.Axes)
	if rows < 1 || n == 0 || w < 2*n {
		for len(lines) < h {
			lines = append(lines, strings.Repeat(" ", w))
		}
		return strings.Join(lines[:h], "\n")
	}
	cols := p.axisColumns(w)
	cv := newCanvas(w, rows)
	ydot := func(pos float64) int {
		return int(math.Round((1 - min(1, max(0, pos))) * float64(rows*4-1)))
	}
	// An item's crossing of each axis, by cell: the last to draw owns it.
	cross := map[[2]int]int16{}
	drawn := 0
	for li, l := range p.Lines {
		pen := &pen{on: l.Pattern.dots()}
		for a := 0; a < n && a < len(l.Pos); a++ {
			if !finite(l.Pos[a]) {
				continue
			}
			drawn++
			y := ydot(l.Pos[a])
			cross[[2]int{cols[a], y / 4}] = int16(li)
			if a+1 < n && a+1 < len(l.Pos) && finite(l.Pos[a+1]) {
				cv.line(2*cols[a]+1, y, 2*cols[a+1], ydot(l.Pos[a+1]), int16(li), pen, true)
			}
		}
	}
	lines = append(lines, p.labelRow(cols, w, func(ax ParallelAxis) string { return labelAt(ax, 1) }))
	inside := p.insideLabels(cols, rows, w)
	for row := 0; row < rows; row++ {
		lines = append(lines, p.plotRow(cv, cols, cross, inside[row], row, w))
	}
	if drawn == 0 && p.Empty != "" {
		mid := 2 + (rows-1)/2
		lines[mid] = p.Axis.Render(center(p.Empty, w))
	}
	lines = append(lines, p.labelRow(cols, w, func(ax ParallelAxis) string { return labelAt(ax, 0) }))
	lines = append(lines, p.labelRow(cols, w, func(ax ParallelAxis) string { return ax.Name }))
	return strings.Join(lines, "\n")
}

// axisColumns spreads the axes over w cells, the first and the last kept
// off the edges by half a label's room.
func (p Parallel) axisColumns(w int) []int {
	n := len(p.Axes)
	cols := make([]int, n)
	if n == 1 {
		cols[0] = w / 2
		return cols
	}
	gap := float64(w) / float64(n)
	for i := range cols {
		cols[i] = min(w-1, int(gap/2+float64(i)*gap))
	}
	return cols
}

// room is how many cells a label centred on axis i may take.
func room(cols []int, w int) int {
	gap := w
	if len(cols) > 1 {
		gap = cols[1] - cols[0]
	}
	return max(1, gap-1)
}

// labelRow writes text(axis) centred under each axis, within its room.
func (p Parallel) labelRow(cols []int, w int, text func(ParallelAxis) string) string {
	row := []rune(strings.Repeat(" ", w))
	for i, ax := range p.Axes {
		s := []rune(ansi.Truncate(text(ax), room(cols, w), "…"))
		start := min(max(0, cols[i]-(len(s)-1)/2), max(0, w-len(s)))
		copy(row[start:], s)
	}
	return p.Axis.Render(string(row))
}

// insideLabels are, by plot row, the labels to write right of an axis:
// by column, the text.
func (p Parallel) insideLabels(cols []int, rows, w int) []map[int]string {
	out := make([]map[int]string, rows)
	for i := range out {
		out[i] = map[int]string{}
	}
	for i, ax := range p.Axes {
		for _, l := range ax.Labels {
			if l.Pos <= 0 || l.Pos >= 1 {
				continue
			}
			row := int(math.Round((1 - l.Pos) * float64(rows-1)))
			out[row][cols[i]+1] = ansi.Truncate(l.Text, max(1, room(cols, w)/2), "…")
		}
	}
	return out
}

// plotRow writes one row of the plot: the lines' braille, the axes (a ●
// where an item crosses, in its style) and the labels inside the plot.
func (p Parallel) plotRow(cv *canvas, cols []int, cross map[[2]int]int16, labels map[int]string, row, w int) string {
	isAxis := map[int]bool{}
	for _, c := range cols {
		isAxis[c] = true
	}
	var b strings.Builder
	for col := 0; col < w; col++ {
		if text, ok := labels[col]; ok {
			n := min(len([]rune(text)), w-col)
			b.WriteString(p.Axis.Render(string([]rune(text)[:n])))
			col += n - 1
			continue
		}
		if isAxis[col] {
			if li, ok := cross[[2]int{col, row}]; ok {
				b.WriteString(p.Lines[li].Style.Render("●"))
			} else {
				b.WriteString(p.Axis.Render("│"))
			}
			continue
		}
		r, o := cv.cell(col, row)
		if o >= 0 {
			b.WriteString(p.Lines[o].Style.Render(string(r)))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// labelAt is the text of ax's label at pos, "" when it has none.
func labelAt(ax ParallelAxis, pos float64) string {
	for _, l := range ax.Labels {
		if l.Pos == pos {
			return l.Text
		}
	}
	return ""
}

// center pads s to w cells with it in the middle.
func center(s string, w int) string {
	s = ansi.Truncate(s, w, "…")
	pad := w - ansi.StringWidth(s)
	return strings.Repeat(" ", pad/2) + s + strings.Repeat(" ", pad-pad/2)
}
