package suggest

import "testing"

func TestClosest(t *testing.T) {
	ops := []string{"==", "!=", "<", "<=", ">", ">=", "in"}
	fields := []string{"epochs", "batch_size", "seed", "optimizer", "loss"}
	tests := []struct {
		name       string
		in         string
		candidates []string
		want       string
		ok         bool
	}{
		{"transposition", "=>", ops, ">=", true},
		{"missing letter", "epoch", fields, "epochs", true},
		{"extra letter", "optimizerr", fields, "optimizer", true},
		{"case only", "status", []string{"Income", "Status"}, "Status", true},
		{"exact case wins a tie", "Income", []string{"income", "Income"}, "Income", true},
		{"too far", "learning_rate", fields, "", false},
		{"one letter never suggests another", "x", []string{"y", "z"}, "", false},
		{"first of equals wins", "abcd", []string{"abce", "abcf"}, "abce", true},
		{"no candidates", "epochs", nil, "", false},
		{"unicode counts runes", "größe", []string{"grösse", "größe2"}, "größe2", true},
		{"short words need more than a substitution", "gpu", []string{"auto", "cpu", "cuda"}, "", false},
		{"short words may drop a character", "!==", ops, "!=", true},
		{"column typo", "Incme", []string{"Seniority", "Income", "Assets"}, "Income", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Closest(tt.in, tt.candidates)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Closest(%q, %q) = %q, %v; want %q, %v", tt.in, tt.candidates, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"kitten", "sitting", 3},
		{"=>", ">=", 1},
		{"ca", "abc", 3}, // optimal string alignment, not full Damerau (which gives 2)
		{"accuracy", "acuracy", 1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_"+tt.b, func(t *testing.T) {
			if got := distance(tt.a, tt.b); got != tt.want {
				t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := distance(tt.b, tt.a); got != tt.want {
				t.Errorf("distance(%q, %q) = %d, want %d (not symmetric)", tt.b, tt.a, got, tt.want)
			}
		})
	}
}
