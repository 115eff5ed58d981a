package suggest

import (
	"strings"
	"unicode/utf8"
)

// Closest returns the candidate nearest to name and whether it is near enough
// to be worth suggesting.
//
// Distance is the optimal string alignment distance (Levenshtein plus the
// transposition of two adjacent characters, so "=>" is one edit from ">=")
// compared case-insensitively. A candidate is near enough when it is at most
// max(1, len(name)/3) edits away, and fewer edits than name has characters
// (so "x" does not suggest "y"); for a name of three characters or fewer,
// no edit may be a substitution. Ties go to the candidate sharing more
// characters with name (a swap beats a substitution: "=>" suggests ">=", not
// "=="), then to the longer common prefix ("!==" suggests "!=", not "=="),
// then to the one nearer in exact case, then to the earlier one, so the
// result is deterministic.
func Closest(name string, candidates []string) (string, bool) {
	n := utf8.RuneCountInString(name)
	limit := max(1, n/3)
	lower := strings.ToLower(name)
	type score struct{ dist, shared, prefix, caseDist int }
	better := func(a, b score) bool {
		if a.dist != b.dist {
			return a.dist < b.dist
		}
		if a.shared != b.shared {
			return a.shared > b.shared
		}
		if a.prefix != b.prefix {
			return a.prefix > b.prefix
		}
		return a.caseDist < b.caseDist
	}
	best, found := "", false
	var bestScore score
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := distance(lower, lc)
		if d > limit || d >= n {
			continue
		}
		s := score{dist: d, shared: shared(lower, lc), prefix: commonPrefix(lower, lc), caseDist: distance(name, c)}
		if n <= 3 && s.shared < min(n, utf8.RuneCountInString(c)) {
			// One substitution in a word this short changes its meaning
			// ("gpu" is not a typo of "cpu"); only missing, extra or
			// swapped characters count.
			continue
		}
		if !found || better(s, bestScore) {
			best, bestScore, found = c, s, true
		}
	}
	return best, found
}

// commonPrefix counts the leading runes a and b share.
func commonPrefix(a, b string) int {
	n := 0
	for _, r := range a {
		if !strings.HasPrefix(b, string(r)) {
			break
		}
		b = b[utf8.RuneLen(r):]
		n++
	}
	return n
}

// shared counts the characters a and b have in common, as multisets.
func shared(a, b string) int {
	count := map[rune]int{}
	for _, r := range a {
		count[r]++
	}
	n := 0
	for _, r := range b {
		if count[r] > 0 {
			count[r]--
			n++
		}
	}
	return n
}

// distance is the optimal string alignment distance between a and b, in runes.
func distance(a, b string) int {
	if a == b {
		return 0
	}
	s, t := []rune(a), []rune(b)
	// Three rows are enough: a transposition looks two rows back.
	prev2 := make([]int, len(t)+1)
	prev := make([]int, len(t)+1)
	cur := make([]int, len(t)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(s); i++ {
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(t)]
}
