package export

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"
)

// parquetWriter writes rows as Parquet, every column optional, compressed
// with Snappy, in row groups of rowGroupRows so that memory stays bounded.
type parquetWriter struct {
	w *parquet.GenericWriter[any]
	// leaf is each column's index among the schema's leaves (Parquet
	// orders a group's fields by name).
	leaf  []int
	kinds []kind
	batch []parquet.Row
}

const (
	rowGroupRows = 16 << 10
	parquetBatch = 1024
)

func newParquetWriter(w io.Writer, cols []column) (*parquetWriter, error) {
	group := parquet.Group{}
	for _, c := range cols {
		if _, dup := group[c.name]; dup {
			return nil, fmt.Errorf("parquet: two columns named %q", c.name)
		}
		group[c.name] = parquet.Optional(parquetNode(c.kind))
	}
	schema := parquet.NewSchema("row", group)
	index := map[string]int{}
	for i, f := range schema.Fields() {
		index[f.Name()] = i
	}
	p := &parquetWriter{w: parquet.NewGenericWriter[any](w, schema, parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.Compression(&parquet.Snappy))}
	for _, c := range cols {
		p.leaf = append(p.leaf, index[c.name])
		p.kinds = append(p.kinds, c.kind)
	}
	return p, nil
}

func parquetNode(k kind) parquet.Node {
	switch k {
	case kindInt:
		return parquet.Int(64)
	case kindFloat:
		return parquet.Leaf(parquet.DoubleType)
	case kindBool:
		return parquet.Leaf(parquet.BooleanType)
	case kindTime:
		return parquet.Timestamp(parquet.Nanosecond)
	}
	// Strings repeat (keys, splits, metric names, a spec's values): a
	// dictionary each.
	return parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
}

func (p *parquetWriter) row(cells []any) error {
	row := make(parquet.Row, len(cells))
	for i, v := range cells {
		val := parquetValue(p.kinds[i], v)
		def := 1
		if val.IsNull() {
			def = 0
		}
		row[p.leaf[i]] = val.Level(0, def, p.leaf[i])
	}
	p.batch = append(p.batch, row)
	if len(p.batch) == parquetBatch {
		return p.flush()
	}
	return nil
}

func parquetValue(k kind, v any) parquet.Value {
	switch v := v.(type) {
	case nil:
		return parquet.NullValue()
	case int:
		return parquet.Int64Value(int64(v))
	case int64:
		return parquet.Int64Value(v)
	case float64:
		return parquet.DoubleValue(v)
	case bool:
		return parquet.BooleanValue(v)
	case time.Time:
		return parquet.Int64Value(v.UnixNano())
	case json.RawMessage:
		switch k {
		case kindFloat:
			var f float64
			if json.Unmarshal(v, &f) == nil {
				return parquet.DoubleValue(f)
			}
		case kindBool:
			var b bool
			if json.Unmarshal(v, &b) == nil {
				return parquet.BooleanValue(b)
			}
		}
		return parquet.ByteArrayValue([]byte(text(v)))
	}
	return parquet.ByteArrayValue([]byte(text(v)))
}

func (p *parquetWriter) flush() error {
	if len(p.batch) == 0 {
		return nil
	}
	_, err := p.w.WriteRows(p.batch)
	p.batch = p.batch[:0]
	return err
}

func (p *parquetWriter) close() error {
	if err := p.flush(); err != nil {
		return err
	}
	return p.w.Close()
}
