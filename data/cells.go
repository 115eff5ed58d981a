package data

import "math"

// Cell is one value of a row that arrives typed, as a JSON value does: a
// number, text or missing. Columns of them become a Frame typed as
// ReadBytes types JSON Lines (FrameOfCells), for a reader of rows that
// are not a file (a server's request).
type Cell struct{ c jsonCell }

// NumberCell is a number; literal is its text as sent, which a column that
// turns out to hold text keeps. A number out of float64's range is text.
func NumberCell(x float64, literal string) Cell {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return TextCell(literal)
	}
	return Cell{jsonCell{kind: cellNumber, num: x, text: literal}}
}

// TextCell is a string (true and false come as text too); the empty
// string is a missing value, as in JSON Lines.
func TextCell(s string) Cell {
	if s == "" {
		return MissingCell()
	}
	return Cell{jsonCell{kind: cellText, text: s}}
}

// MissingCell is a missing value (JSON's null).
func MissingCell() Cell { return Cell{jsonCell{kind: cellMissing}} }

// FrameOfCells makes a frame of columns given cell by cell (cols[j][i] is
// row i of the column called names[j]), typed as JSON Lines are: a column
// is numeric when every value present is a number, else text, its numbers
// as their literals. Row i has line i+1.
func FrameOfCells(path string, names []string, cols [][]Cell) *Frame {
	f := &Frame{Path: path, Names: names}
	for j, name := range names {
		cells := make([]jsonCell, len(cols[j]))
		for i, c := range cols[j] {
			cells[i] = c.c
		}
		f.Cols = append(f.Cols, jsonColumn(name, cells))
		if j == 0 {
			f.Line = make([]int, len(cells))
			for i := range f.Line {
				f.Line[i] = i + 1
			}
		}
	}
	return f
}
