package export

import (
	"bufio"
	"encoding/csv"
	"io"
)

type csvWriter struct {
	buf *bufio.Writer
	w   *csv.Writer
	rec []string
}

func newCSVWriter(w io.Writer, cols []column) (*csvWriter, error) {
	buf := bufio.NewWriterSize(w, 1<<16)
	c := &csvWriter{buf: buf, w: csv.NewWriter(buf), rec: make([]string, len(cols))}
	header := make([]string, len(cols))
	for i, col := range cols {
		header[i] = col.name
	}
	return c, c.w.Write(header)
}

func (c *csvWriter) row(cells []any) error {
	for i, v := range cells {
		c.rec[i] = text(v)
	}
	return c.w.Write(c.rec)
}

func (c *csvWriter) close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.buf.Flush()
}
