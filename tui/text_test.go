package tui

import (
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

func TestFit(t *testing.T) {
	for _, tc := range []struct {
		in    string
		w     int
		want  string
		right bool
	}{
		{"abc", 5, "abc  ", false},
		{"abc", 5, "  abc", true},
		{"abcdef", 4, "abc…", false},
		{"日本語", 5, "日本…", false},
		{"x", 0, "", false},
		{"\x1b[1mbold\x1b[0m", 6, "\x1b[1mbold\x1b[0m  ", false},
	} {
		got := fit(tc.in, tc.w)
		if tc.right {
			got = fitRight(tc.in, tc.w)
		}
		if got != tc.want {
			t.Errorf("fit(%q, %d) = %q, want %q", tc.in, tc.w, got, tc.want)
		}
		if tc.w > 0 && ansi.StringWidth(got) != tc.w {
			t.Errorf("fit(%q, %d) is %d wide", tc.in, tc.w, ansi.StringWidth(got))
		}
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{850 * time.Millisecond, "850ms"}, {4200 * time.Millisecond, "4.2s"}, {42 * time.Second, "42s"},
		{80 * time.Second, "1m20s"}, {125 * time.Minute, "2h5m0s"}, {76 * time.Hour, "76h0m0s"}, {-time.Second, "-"},
	} {
		if got := formatDuration(tc.d); got != tc.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	for _, tc := range []struct {
		v    float64
		ok   bool
		want string
	}{
		{0.79421, true, "0.7942"}, {1000, true, "1000"}, {1e-8, true, "1.000e-08"}, {0.5, true, "0.5"}, {0, false, "-"},
	} {
		if got := formatValue(tc.v, tc.ok); got != tc.want {
			t.Errorf("formatValue(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
	for d, want := range map[float64]string{0.01234: "+0.01234", -0.5: "-0.5", 0: "0"} {
		if got := formatDelta(d); got != want {
			t.Errorf("formatDelta(%v) = %q, want %q", d, got, want)
		}
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		ago  time.Duration
		want string
	}{
		{12 * time.Second, "12s ago"}, {3 * time.Minute, "3m ago"}, {47 * time.Hour, "47h ago"}, {72 * time.Hour, "3d ago"},
		{-time.Minute, "0s ago"},
	} {
		if got := formatAge(now, now.Add(-tc.ago)); got != tc.want {
			t.Errorf("formatAge(%v) = %q, want %q", tc.ago, got, tc.want)
		}
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567", -1500: "-1,500"} {
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
	for _, tc := range []struct {
		done, total, w int
		want           string
	}{
		{0, 10, 4, "░░░░"}, {10, 10, 4, "████"}, {5, 10, 4, "██░░"}, {1, 3, 4, "█▎░░"}, {12, 10, 3, "███"}, {3, 0, 2, "░░"},
	} {
		if got := bar(tc.done, tc.total, tc.w); got != tc.want {
			t.Errorf("bar(%d/%d, %d) = %q, want %q", tc.done, tc.total, tc.w, got, tc.want)
		}
	}
}
