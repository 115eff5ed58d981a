package export

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"time"
)

// jsonlWriter writes one flat JSON object per row, keys in column order,
// without the columns a row has no value for. NaN and infinities, which
// JSON has no numbers for, are written as the strings "NaN", "Inf", "-Inf".
type jsonlWriter struct {
	w    *bufio.Writer
	keys [][]byte // each column's name, quoted, with its colon
	line []byte
}

func newJSONLWriter(w io.Writer, cols []column) *jsonlWriter {
	j := &jsonlWriter{w: bufio.NewWriterSize(w, 1<<16)}
	for _, c := range cols {
		k, _ := json.Marshal(c.name)
		j.keys = append(j.keys, append(k, ':'))
	}
	return j
}

func (j *jsonlWriter) row(cells []any) error {
	b := append(j.line[:0], '{')
	first := true
	for i, v := range cells {
		if v == nil {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, j.keys[i]...)
		var err error
		if b, err = appendJSON(b, v); err != nil {
			return err
		}
	}
	b = append(b, '}', '\n')
	j.line = b
	_, err := j.w.Write(b)
	return err
}

func appendJSON(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return strconv.AppendQuote(b, formatFloat(v)), nil
		}
		return strconv.AppendFloat(b, v, 'g', -1, 64), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case time.Time:
		return strconv.AppendQuote(b, v.UTC().Format(time.RFC3339Nano)), nil
	case json.RawMessage:
		return append(b, v...), nil
	}
	raw, err := json.Marshal(v)
	return append(b, raw...), err
}

func (j *jsonlWriter) close() error { return j.w.Flush() }
