package data

import (
	"math"
	"path/filepath"
	"strconv"
)

// Frame is a table read from a file, one typed column per header field.
type Frame struct {
	Path  string
	Names []string
	Cols  []*Column
	Line  []int // source line of each row, for errors
}

// Column is one column of a Frame. A column is numeric when every value
// that is not missing parses as a finite number; a column with no values at
// all is numeric too.
type Column struct {
	Name    string
	Numeric bool
	Num     []float64 // numeric columns only; NaN where missing
	Str     []string  // string columns only; "" where missing
	Missing []bool
}

// Len is the number of data rows.
func (f *Frame) Len() int { return len(f.Line) }

// Col returns the column called name. An unknown name gives an error that
// wraps ErrColumnNotFound and suggests the closest existing name.
func (f *Frame) Col(name string) (*Column, error) {
	if i := f.index(name); i >= 0 {
		return f.Cols[i], nil
	}
	return nil, errorf(ErrColumnNotFound, "column %q not found in %s%s",
		name, filepath.Base(f.Path), didYouMean(name, f.Names))
}

func (f *Frame) index(name string) int {
	for i, n := range f.Names {
		if n == name {
			return i
		}
	}
	return -1
}

// Subset is a new frame holding the given rows of f, in the order given.
// Prepared.TestRows and its siblings are such row lists.
func (f *Frame) Subset(rows []int) *Frame {
	out := &Frame{Path: f.Path, Names: f.Names, Cols: make([]*Column, len(f.Cols)), Line: make([]int, len(rows))}
	for i, r := range rows {
		out.Line[i] = f.Line[r]
	}
	for j, c := range f.Cols {
		nc := &Column{Name: c.Name, Numeric: c.Numeric, Missing: make([]bool, len(rows))}
		if c.Numeric {
			nc.Num = make([]float64, len(rows))
		} else {
			nc.Str = make([]string, len(rows))
		}
		for i, r := range rows {
			nc.Missing[i] = c.Missing[r]
			if c.Numeric {
				nc.Num[i] = c.Num[r]
			} else {
				nc.Str[i] = c.Str[r]
			}
		}
		out.Cols[j] = nc
	}
	return out
}

// clone is a copy of c whose values can be changed without touching c.
func (c *Column) clone() *Column {
	nc := *c
	nc.Missing = append([]bool(nil), c.Missing...)
	if c.Numeric {
		nc.Num = append([]float64(nil), c.Num...)
	} else {
		nc.Str = append([]string(nil), c.Str...)
	}
	return &nc
}

// Text is the value of row i as a user would write it: a number in its
// shortest form, "" when missing.
func (c *Column) Text(i int) string { return c.text(i) }

// text is the value of row i as a user would write it, for messages and for
// treating a numeric column as categories.
func (c *Column) text(i int) string {
	if c.Missing[i] {
		return ""
	}
	if c.Numeric {
		return formatNumber(c.Num[i])
	}
	return c.Str[i]
}

// formatNumber is the shortest text that reads back as v; 1 and 1.0 in a
// file both become "1".
func formatNumber(v float64) string {
	if v == 0 {
		v = 0 // -0 and 0 are the same value; name them the same
	}
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
