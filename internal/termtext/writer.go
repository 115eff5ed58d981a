package termtext

import (
	"bytes"
	"io"
)

// Writer cleans what goes through it line by line (Clean, keeping the
// newlines and the tabs that a tabwriter aligns on), for a command whose
// whole text output may quote user data: nothing it prints can then
// move the cursor, clear the screen or retitle the window. A line is held
// until its newline, so an escape sequence split across writes is still
// seen whole; Flush writes a last line without one.
type Writer struct {
	w    io.Writer
	line []byte
}

// NewWriter returns a Writer onto w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

func (c *Writer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.line = append(c.line, p...)
			return n, nil
		}
		c.line = append(c.line, p[:i]...)
		if err := c.emit(true); err != nil {
			return 0, err
		}
		p = p[i+1:]
	}
	return n, nil
}

// Flush writes the line held, if any.
func (c *Writer) Flush() error {
	if len(c.line) == 0 {
		return nil
	}
	return c.emit(false)
}

func (c *Writer) emit(newline bool) error {
	s := Lines(string(c.line))
	c.line = c.line[:0]
	if newline {
		s += "\n"
	}
	_, err := io.WriteString(c.w, s)
	return err
}
