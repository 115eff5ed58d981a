package predict

import (
	"math"
	"testing"
)

func TestFormatProb(t *testing.T) {
	tests := []struct {
		p    float32
		want string
	}{
		{0.25, "0.250000"},
		{1, "1.000000"},
		{0, "0.000000"},
		{1.2345e-5, "0.000012"},
		{0.33333334, "0.333333"},
		{0.9999996, "1.000000"},
		{1e-9, "0.000000"},
	}
	for _, tt := range tests {
		if got := FormatProb(tt.p); got != tt.want {
			t.Errorf("FormatProb(%v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{25.5, "25.5"},
		{1234567, "1234570"},
		{-0.000012345678, "-0.0000123457"},
		{3, "3"},
		{2.0000001, "2"},
		{123456.7, "123457"},
		{1e-8, "0.00000001"},
		{math.Inf(1), "+Inf"},
	}
	for _, tt := range tests {
		if got := FormatValue(tt.v); got != tt.want {
			t.Errorf("FormatValue(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
