package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// Format is a kind of table file.
type Format string

const (
	CSV     Format = "csv"
	JSONL   Format = "jsonl"
	Parquet Format = "parquet"
)

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case CSV, JSONL, Parquet:
		return f, nil
	}
	return "", fmt.Errorf("format %q: want csv, jsonl or parquet", s)
}

// kind is a column's type, for the formats that keep types.
type kind int

const (
	kindString kind = iota
	kindInt
	kindFloat
	kindBool
	kindTime
	// kindJSON is a spec leaf: canonical JSON of any type.
	kindJSON
)

type column struct {
	name string
	kind kind
}

// tableWriter writes rows of a fixed set of columns. A row's cell is nil
// where the row has no value.
type tableWriter interface {
	row(cells []any) error
	close() error
}

func newTableWriter(w io.Writer, f Format, cols []column) (tableWriter, error) {
	switch f {
	case CSV:
		return newCSVWriter(w, cols)
	case JSONL:
		return newJSONLWriter(w, cols), nil
	case Parquet:
		return newParquetWriter(w, cols)
	}
	return nil, fmt.Errorf("format %q: want csv, jsonl or parquet", f)
}

// text is a cell as CSV writes it: a spec's JSON string without its
// quotes, a number in its shortest form, a time in RFC 3339.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return formatFloat(v)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case json.RawMessage:
		return jsonText(v)
	}
	return fmt.Sprint(v)
}

func formatFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// jsonText is a spec leaf's canonical JSON as text: a string's value
// without its quotes, any other value as written.
func jsonText(v json.RawMessage) string {
	if len(v) < 2 || v[0] != '"' {
		return string(v)
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1])
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return string(v)
	}
	return s
}
