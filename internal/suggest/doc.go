// Package suggest finds the closest of a set of names to a misspelt one, for
// the "did you mean" hints in xp's error messages (unknown fields, enum
// values, column names, experiment names).
package suggest
