package data

import (
	"strconv"
	"unicode"
)

// cueLabel writes a column name as a label of a CUE path: as it is when it
// is an identifier, else quoted ("Sepal.Length" -> "\"Sepal.Length\"").
func cueLabel(name string) string {
	if isIdent(name) {
		return name
	}
	return strconv.Quote(name)
}

func isIdent(s string) bool {
	if s == "" || s[0] == '#' || s[0] == '_' {
		return false // definitions and hidden fields are not data fields
	}
	for i, r := range s {
		if r == '_' || r == '$' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r)) {
			continue
		}
		return false
	}
	return true
}

// featureField is the spec path of a column's entry in data.features.
func featureField(name string) string {
	return "data.features." + cueLabel(name)
}
