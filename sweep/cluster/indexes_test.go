package cluster

import (
	"slices"
	"testing"
)

func TestParseIndexes(t *testing.T) {
	for in, want := range map[string][]int{
		"":               nil,
		"0,2-4,7":        {0, 2, 3, 4, 7},
		"5":              {5},
		"3-1,x,-2,4":     {4},
		"0-2000000000,9": {9},
	} {
		if got := ParseIndexes(in); !slices.Equal(got, want) {
			t.Errorf("ParseIndexes(%q) = %v, want %v", in, got, want)
		}
	}
}
