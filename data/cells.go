package data

import "math"

// Cell is one value of a row that arrives typed, as a JSON value does: a
// number, text or missing. JSON Lines files are read as cells, and so are
// rows that are not a file (a server's request, FrameOfCells); a column of
// them is typed when the whole column is known (typedColumns).
type Cell struct {
	kind cellKind
	num  float64
	text string // the string, or the number's literal, or "true"/"false"
}

// NumberCell is a number; literal is its text as sent, which a column that
// turns out to hold text keeps. A number out of float64's range is text.
func NumberCell(x float64, literal string) Cell {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return TextCell(literal)
	}
	return Cell{kind: cellNumber, num: x, text: literal}
}

// TextCell is a string (true and false come as text too); the empty
// string is a missing value, as in JSON Lines.
func TextCell(s string) Cell {
	if s == "" {
		return MissingCell()
	}
	return Cell{kind: cellText, text: s}
}

// MissingCell is a missing value (JSON's null).
func MissingCell() Cell { return Cell{kind: cellMissing} }

// FrameOfCells makes a frame of rows given cell by cell, row after row:
// row i's value of the column called names[j] is cells[i*stride+j], and
// a row's cells past len(names) are not read. Its columns are typed as
// JSON Lines are (typedColumns); row i has line i+1.
func FrameOfCells(path string, names []string, cells []Cell, stride int) *Frame {
	rows := 0
	if stride > 0 {
		rows = len(cells) / stride
	}
	f := &Frame{Path: path, Names: names, Line: make([]int, rows)}
	for i := range f.Line {
		f.Line[i] = i + 1
	}
	f.Cols = typedColumns(names, rows, func(i, j int) Cell { return cells[i*stride+j] })
	return f
}

// typedColumns makes the columns called names, of rows rows, from their
// cells (cell(i, j) is row i of column j), typed as JSON Lines are: a
// column is numeric when every value present is a number, else text, its
// numbers as their literals. Their storage is allocated once for all of
// them, each column's slices capped at their end (an append copies), so
// that a frame of one row costs a few allocations rather than a few per
// column.
func typedColumns(names []string, rows int, cell func(i, j int) Cell) []*Column {
	cols := make([]Column, len(names))
	numeric := 0
	for j := range cols {
		cols[j] = Column{Name: names[j], Numeric: true}
		for i := range rows {
			if cell(i, j).kind == cellText {
				cols[j].Numeric = false
				break
			}
		}
		if cols[j].Numeric {
			numeric++
		}
	}
	missing := make([]bool, rows*len(cols))
	var nums []float64
	var strs []string
	if numeric > 0 {
		nums = make([]float64, rows*numeric)
	}
	if numeric < len(cols) {
		strs = make([]string, rows*(len(cols)-numeric))
	}
	out := make([]*Column, len(cols))
	for j := range cols {
		c := &cols[j]
		c.Missing, missing = missing[:rows:rows], missing[rows:]
		if c.Numeric {
			c.Num, nums = nums[:rows:rows], nums[rows:]
		} else {
			c.Str, strs = strs[:rows:rows], strs[rows:]
		}
		for i := range rows {
			v := cell(i, j)
			switch {
			case v.kind == cellMissing:
				c.Missing[i] = true
				if c.Numeric {
					c.Num[i] = math.NaN()
				}
			case c.Numeric:
				c.Num[i] = v.num
			default:
				c.Str[i] = v.text
			}
		}
		out[j] = c
	}
	return out
}
