package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// ErrParquet is a Parquet file xp cannot read as a flat table.
var ErrParquet = errors.New("unsupported parquet file")

// parquetColumn is how one leaf column of a Parquet file becomes a Column.
type parquetColumn struct {
	name    string
	numeric bool
	scale   float64 // decimals: the unscaled integer is divided by it
}

// readParquet reads a flat Parquet file: every column a top-level
// primitive, required or optional (null is a missing value). Integers,
// floats and decimals become numbers; strings, booleans and the rest text.
// Repeated or nested columns are an error naming the column. Rows are
// numbered from 1 in errors, as Parquet has no lines.
func readParquet(ctx context.Context, path, display string) (*Frame, error) {
	file, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("read %s: %w", display, err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", display, err)
	}
	if st.Size() == 0 {
		return nil, &ParseError{Path: display, Err: ErrEmptyFile}
	}
	pf, err := parquet.OpenFile(file, st.Size())
	if err != nil {
		return nil, fmt.Errorf("read %s: not a parquet file: %w", display, err)
	}
	schema := pf.Schema()
	var cols []parquetColumn
	for _, p := range schema.Columns() {
		name := strings.Join(p, ".")
		leaf, ok := schema.Lookup(p...)
		if !ok || len(p) != 1 || leaf.MaxRepetitionLevel > 0 {
			return nil, fmt.Errorf("read %s: column %q: %w: xp reads flat tables (no nested or repeated columns)", display, name, ErrParquet)
		}
		cols = append(cols, parquetKind(name, leaf.Node.Type()))
	}
	if len(cols) == 0 {
		return nil, &ParseError{Path: display, Err: ErrEmptyFile}
	}
	n := int(pf.NumRows())
	if n == 0 {
		return nil, &ParseError{Path: display, Line: 1, Err: ErrNoRows}
	}
	f := &Frame{Path: display, Line: make([]int, 0, n)}
	for _, pc := range cols {
		f.Names = append(f.Names, pc.name)
		c := &Column{Name: pc.name, Numeric: pc.numeric, Missing: make([]bool, 0, n)}
		if pc.numeric {
			c.Num = make([]float64, 0, n)
		} else {
			c.Str = make([]string, 0, n)
		}
		f.Cols = append(f.Cols, c)
	}
	interned := make([]map[string]string, len(cols))
	for j := range interned {
		interned[j] = map[string]string{}
	}
	r := parquet.NewReader(pf)
	defer r.Close()
	rows := make([]parquet.Row, 256)
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %w", display, err)
		}
		k, err := r.ReadRows(rows)
		for _, row := range rows[:k] {
			f.Line = append(f.Line, len(f.Line)+1)
			for j, c := range f.Cols {
				v := parquet.Value{}
				if j < len(row) {
					v = row[j]
				}
				appendParquet(c, cols[j], v, interned[j])
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: row %d: %w", display, len(f.Line)+1, err)
		}
	}
	if err := checkFrameUTF8(display, f); err != nil {
		return nil, err
	}
	return f, nil
}

func parquetKind(name string, t parquet.Type) parquetColumn {
	pc := parquetColumn{name: name, scale: 1}
	switch t.Kind() {
	case parquet.Int32, parquet.Int64, parquet.Float, parquet.Double:
		pc.numeric = true
		if lt := t.LogicalType(); lt != nil {
			if d, ok := lt.Value.(*format.DecimalType); ok {
				pc.scale = math.Pow10(int(d.Scale))
			}
		}
	}
	return pc
}

func appendParquet(c *Column, pc parquetColumn, v parquet.Value, interned map[string]string) {
	if v.IsNull() {
		c.Missing = append(c.Missing, true)
		if c.Numeric {
			c.Num = append(c.Num, math.NaN())
		} else {
			c.Str = append(c.Str, "")
		}
		return
	}
	if c.Numeric {
		var x float64
		switch v.Kind() {
		case parquet.Int32:
			x = float64(v.Int32())
		case parquet.Int64:
			x = float64(v.Int64())
		case parquet.Float:
			x = float64(v.Float())
		default:
			x = v.Double()
		}
		x /= pc.scale
		miss := math.IsNaN(x) || math.IsInf(x, 0)
		if miss {
			x = math.NaN()
		}
		c.Num = append(c.Num, x)
		c.Missing = append(c.Missing, miss)
		return
	}
	var s string
	switch v.Kind() {
	case parquet.Boolean:
		s = strconv.FormatBool(v.Boolean())
	case parquet.ByteArray, parquet.FixedLenByteArray:
		b := v.ByteArray()
		if cached, ok := interned[string(b)]; ok {
			s = cached
		} else {
			s = string(b)
			if len(interned) < internLimit {
				interned[s] = s
			}
		}
	default:
		s = v.String()
	}
	c.Str = append(c.Str, s)
	c.Missing = append(c.Missing, s == "")
}
