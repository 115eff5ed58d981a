package numfmt

import (
	"math"
	"testing"
	"time"
)

func TestNum(t *testing.T) {
	tests := []struct {
		v      float64
		digits int
		want   string
	}{
		{0.79421, 4, "0.7942"},
		{0.5, 4, "0.5"},
		{293.43571, 4, "293.4"},
		{1000.0, 4, "1000"},
		{12345.6, 4, "12346"},
		{1e-8, 4, "1.000e-08"},
		{0.00012346, 4, "0.0001235"},
		{0, 4, "0"},
		{math.Copysign(0, -1), 4, "0"},
		{-1.23456, 4, "-1.235"},
		{0.79421, 6, "0.79421"},
		{0.79421, 2, "0.79"},
		{math.NaN(), 4, "NaN"},
		{math.Inf(1), 4, "+Inf"},
	}
	for _, tt := range tests {
		if got := Num(tt.v, tt.digits); got != tt.want {
			t.Errorf("Num(%v, %d) = %q, want %q", tt.v, tt.digits, got, tt.want)
		}
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		123456 * time.Microsecond:  "123ms",
		41234 * time.Millisecond:   "41.2s",
		60 * time.Second:           "1m0s",
		3723400 * time.Millisecond: "1h2m3s",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}
