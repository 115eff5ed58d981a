package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"unicode/utf8"
)

// streamTable writes tab-separated rows as aligned columns, as
// text/tabwriter does (two spaces between columns, the last cell as it
// is), a batch of rows at a time, so that a listing of 200,000 runs is not
// held in memory: a column is as wide as its widest cell so far, and a
// later batch may widen it, never narrow it.
type streamTable struct {
	w       io.Writer
	widths  []int
	pending [][]string
}

// row adds a row, its cells separated by tabs.
func (t *streamTable) row(line string) {
	t.pending = append(t.pending, strings.Split(line, "\t"))
}

// flush writes the rows added since the last flush.
func (t *streamTable) flush() error {
	for _, cells := range t.pending {
		for i, c := range cells[:len(cells)-1] {
			if i == len(t.widths) {
				t.widths = append(t.widths, 0)
			}
			t.widths[i] = max(t.widths[i], utf8.RuneCountInString(c))
		}
	}
	var b bytes.Buffer
	for _, cells := range t.pending {
		for i, c := range cells[:len(cells)-1] {
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", t.widths[i]-utf8.RuneCountInString(c)+2))
		}
		b.WriteString(cells[len(cells)-1])
		b.WriteByte('\n')
	}
	clear(t.pending)
	t.pending = t.pending[:0]
	_, err := t.w.Write(b.Bytes())
	return err
}

// jsonArray writes a JSON array element by element, exactly as writeJSON
// writes the whole slice.
type jsonArray struct {
	w   io.Writer
	n   int
	buf bytes.Buffer
}

func (a *jsonArray) add(v any) error {
	a.buf.Reset()
	if a.n == 0 {
		a.buf.WriteString("[\n  ")
	} else {
		a.buf.WriteString(",\n  ")
	}
	enc := json.NewEncoder(&a.buf)
	enc.SetIndent("  ", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	a.buf.Truncate(a.buf.Len() - 1) // Encode's newline
	a.n++
	_, err := a.w.Write(a.buf.Bytes())
	return err
}

// close ends the array: "[]" when it has no element.
func (a *jsonArray) close() error {
	end := "\n]\n"
	if a.n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(a.w, end)
	return err
}
