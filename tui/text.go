package tui

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/xp-ml/xp/internal/numfmt"
)

// fit truncates s, which may hold escape sequences, to w cells with an
// ellipsis, and pads it with spaces to exactly w.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	return s + strings.Repeat(" ", w-sw)
}

// fitRight is fit aligned right.
func fitRight(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	return strings.Repeat(" ", w-sw) + s
}

// block makes text exactly w cells wide and h lines tall: the lines are
// fitted, missing lines are blank and extra lines are dropped.
func block(text string, w, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(text, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i := range lines {
		lines[i] = fit(lines[i], w)
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", max(w, 0)))
	}
	return strings.Join(lines, "\n")
}

// sideBySide joins two blocks of the same height column by column with a
// separator.
func sideBySide(left, right, sep string) string {
	l, r := strings.Split(left, "\n"), strings.Split(right, "\n")
	n := max(len(l), len(r))
	out := make([]string, n)
	for i := range out {
		var a, b string
		if i < len(l) {
			a = l[i]
		}
		if i < len(r) {
			b = r[i]
		}
		out[i] = a + sep + b
	}
	return strings.Join(out, "\n")
}

// formatValue writes a metric value as the CLI does (numfmt.Num, four
// significant digits), "-" when there is none.
func formatValue(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	return numfmt.Num(v, numfmt.Digits)
}

// formatDelta writes a signed difference.
func formatDelta(d float64) string {
	switch {
	case math.IsNaN(d):
		return ""
	case d > 0 || math.IsInf(d, 1):
		return "+" + strings.TrimPrefix(numfmt.Num(d, numfmt.Digits), "+")
	}
	return numfmt.Num(d, numfmt.Digits)
}

// formatDuration writes d as Go does (850ms, 4.2s, 1m20s, 2h5m0s), as the
// CLI does; "-" for a negative one.
func formatDuration(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	return numfmt.Duration(d)
}

// formatAge writes how long ago t was: "12s ago", "3m ago", "5h ago",
// "12d ago".
func formatAge(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// formatAgeShort writes a duration as an age's number and unit: 45s, 3m,
// 5h, 12d.
func formatAgeShort(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// formatCount writes n with thousands separators: 100,000.
func formatCount(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + formatCount(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// bar draws a progress bar of w cells for done of total, in eighths.
func bar(done, total, w int) string {
	if w <= 0 {
		return ""
	}
	if total <= 0 {
		return strings.Repeat("░", w)
	}
	eighths := min(w*8, max(0, done*w*8/total))
	full, part := eighths/8, eighths%8
	s := strings.Repeat("█", full)
	if part > 0 {
		s += string([]rune(" ▏▎▍▌▋▊▉")[part])
	}
	return s + strings.Repeat("░", w-utf8.RuneCountInString(s))
}

// rule is a titled horizontal line across w cells: ── log ─────.
func rule(t *theme, title string, w int) string {
	head := "── " + title + " "
	return t.dim.Render(fit(head+strings.Repeat("─", max(0, w-ansi.StringWidth(head))), w))
}
