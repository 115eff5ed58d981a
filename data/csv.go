package data

import (
	"bytes"
	"context"
	"fmt"
	"math"
)

// ReadCSV reads a comma-separated file with a header row into a Frame.
//
// The syntax is RFC 4180 as encoding/csv reads it: quoted fields may hold
// commas, doubled quotes and line breaks; CRLF and LF line endings both work
// (CRLF inside a quoted field becomes LF); blank lines are skipped; a UTF-8
// byte order mark is dropped. Every row must have as many fields as the
// header. Missing values are "", "NA", "N/A", "?" and NaN in any case,
// quoted or not, with surrounding spaces. See Column for how types are
// inferred.
//
// The whole file is read into memory and scanned in place: fields of numeric
// columns are parsed straight from the file's bytes, and each string column
// keeps one copy of each distinct value, so reading allocates little more
// than the columns themselves.
func ReadCSV(ctx context.Context, path string) (*Frame, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	buf, _, err := readBytes(ctx, path, false, limitsOf(nil))
	if err != nil {
		return nil, err
	}
	return parseDelimited(ctx, path, buf, ',')
}

// csvScanner splits a file's bytes into records. Fields point into buf,
// except quoted fields that needed unescaping, which are built in scratch.
type csvScanner struct {
	path    string
	sep     byte
	end     *[256]bool // the bytes that end an unquoted field, or make it an error
	buf     []byte
	pos     int
	line    int // physical line of buf[pos], 1-based
	recLine int // line the last record started on
	spans   []span
	scratch []byte
	fields  [][]byte
}

type span struct {
	start, end int
	inScratch  bool
}

func newScanner(path string, buf []byte, sep byte) *csvScanner {
	buf = bytes.TrimPrefix(buf, []byte("\xef\xbb\xbf"))
	end := &fieldEnd
	if sep != ',' {
		end = new([256]bool)
		*end = fieldEnd
		end[','] = false
		end[sep] = true
	}
	return &csvScanner{path: path, sep: sep, end: end, buf: buf, line: 1}
}

func (s *csvScanner) errorf(line int, kind error, format string, args ...any) error {
	return &ParseError{Path: s.path, Line: line, Err: errorf(kind, format, args...)}
}

// fieldEnd marks the bytes that end an unquoted field of a comma-separated
// file, or make it an error.
var fieldEnd = [256]bool{',': true, '\n': true, '"': true}

// next reads one record into s.fields. It returns false at the end of the
// file. The semantics follow encoding/csv (FuzzReadCSV compares the two).
func (s *csvScanner) next() (bool, error) {
	buf := s.buf
	// Skip blank lines; a lone CR before the end of the file counts as one.
	for {
		if s.pos >= len(buf) {
			return false, nil
		}
		switch c := buf[s.pos]; {
		case c == '\n':
			s.pos++
			s.line++
			continue
		case c == '\r' && s.pos+1 == len(buf):
			s.pos++
			continue
		case c == '\r' && buf[s.pos+1] == '\n':
			s.pos += 2
			s.line++
			continue
		}
		break
	}
	s.recLine = s.line
	s.fields = s.fields[:0]
	rest := buf[s.pos:]
	n := bytes.IndexByte(rest, '\n')
	if n < 0 {
		n = len(rest)
	}
	if line := rest[:n]; bytes.IndexByte(line, '"') < 0 {
		// Most records are one line without quotes: split it on commas
		// with the vectorised IndexByte, as encoding/csv does.
		s.pos += n
		if s.pos < len(buf) {
			s.pos++
			s.line++
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		for {
			i := bytes.IndexByte(line, s.sep)
			if i < 0 {
				s.fields = append(s.fields, line)
				return true, nil
			}
			s.fields = append(s.fields, line[:i])
			line = line[i+1:]
		}
	}
	s.spans = s.spans[:0]
	s.scratch = s.scratch[:0]
	for {
		if s.pos < len(buf) && buf[s.pos] == '"' {
			done, err := s.quoted()
			if err != nil {
				return false, err
			}
			if done {
				break
			}
			continue
		}
		start, end := s.pos, s.pos
		for end < len(buf) && !s.end[buf[end]] {
			end++
		}
		s.pos = end
		if end < len(buf) && buf[end] == '"' {
			return false, s.errorf(s.line, ErrBareQuote, `bare " in unquoted field (quote the whole field and double the quote: "a ""b"" c")`)
		}
		// The CR of a CRLF, or a CR just before the end of the file, ends the line.
		if end > start && buf[end-1] == '\r' && (end == len(buf) || buf[end] == '\n') {
			end--
		}
		s.spans = append(s.spans, span{start: start, end: end})
		if s.pos < len(buf) && buf[s.pos] == s.sep {
			s.pos++
			continue
		}
		if s.pos < len(buf) { // '\n'
			s.pos++
			s.line++
		}
		break
	}
	for _, sp := range s.spans {
		if sp.inScratch {
			s.fields = append(s.fields, s.scratch[sp.start:sp.end])
		} else {
			s.fields = append(s.fields, buf[sp.start:sp.end])
		}
	}
	return true, nil
}

// quoted reads a quoted field starting at s.pos and what ends it; done
// reports that it was the last field of the record.
func (s *csvScanner) quoted() (done bool, err error) {
	buf := s.buf
	openLine := s.line
	s.pos++
	start := s.pos // start of the text not yet copied to scratch
	copied := false
	scratchStart := len(s.scratch)
	for {
		q := bytes.IndexByte(buf[s.pos:], '"')
		if q < 0 {
			return false, s.errorf(openLine, ErrQuote, "quoted field starting here is never closed")
		}
		if text := buf[s.pos : s.pos+q]; bytes.IndexByte(text, '\n') >= 0 {
			s.line += bytes.Count(text, []byte{'\n'})
			if bytes.Contains(text, []byte("\r\n")) {
				// CRLF inside quotes reads as LF, as in encoding/csv.
				s.scratch = append(s.scratch, buf[start:s.pos]...)
				for len(text) > 0 {
					i := bytes.Index(text, []byte("\r\n"))
					if i < 0 {
						s.scratch = append(s.scratch, text...)
						break
					}
					s.scratch = append(s.scratch, text[:i]...)
					s.scratch = append(s.scratch, '\n')
					text = text[i+2:]
				}
				copied = true
				start = s.pos + q
			}
		}
		s.pos += q
		if s.pos+1 < len(buf) && buf[s.pos+1] == '"' {
			// A doubled quote is one quote: keep the first, skip the second.
			s.scratch = append(s.scratch, buf[start:s.pos+1]...)
			copied = true
			s.pos += 2
			start = s.pos
			continue
		}
		if copied {
			s.scratch = append(s.scratch, buf[start:s.pos]...)
			s.spans = append(s.spans, span{start: scratchStart, end: len(s.scratch), inScratch: true})
		} else {
			s.spans = append(s.spans, span{start: start, end: s.pos})
		}
		s.pos++
		switch {
		case s.pos == len(buf):
			return true, nil
		case buf[s.pos] == s.sep:
			s.pos++
			return false, nil
		case buf[s.pos] == '\n':
			s.pos++
			s.line++
			return true, nil
		case buf[s.pos] == '\r' && s.pos+1 == len(buf):
			s.pos++
			return true, nil
		case buf[s.pos] == '\r' && buf[s.pos+1] == '\n':
			s.pos += 2
			s.line++
			return true, nil
		}
		return false, s.errorf(s.line, ErrQuote, `extraneous " in quoted field (double a quote inside quotes: "a ""b"" c")`)
	}
}

// columnBuilder accumulates one column while the file is scanned.
type columnBuilder struct {
	col      *Column
	estimate int // rows expected, to size the value slice on first use
	flipRow  int // row at which the column turned out to be text; -1 if never
	interned map[string]string
	// recent caches a few interned values by a cheap hash: categories
	// repeat row after row, and a hit here costs less than a map lookup.
	// Made by the first text value: a numeric column needs none, and a
	// file of many columns would pay 1 KiB for each.
	recent *[64]string
}

// internLimit bounds the strings a column remembers for reuse: categories
// repeat and are worth sharing, free text does not repeat and would only
// grow the map.
const internLimit = 1 << 16

// str returns v as a string, one copy per distinct value. v is not empty.
func (b *columnBuilder) str(v []byte) string {
	if b.recent == nil {
		b.recent = new([64]string)
	}
	slot := &b.recent[(uint(len(v))*7+uint(v[0])+uint(v[len(v)-1])*3)%uint(len(b.recent))]
	if *slot == string(v) {
		return *slot
	}
	s, ok := b.interned[string(v)]
	if !ok {
		s = string(v)
		if len(b.interned) < internLimit {
			b.interned[s] = s
		}
	}
	*slot = s
	return s
}

func (b *columnBuilder) add(row int, v []byte) {
	c := b.col
	if c.Numeric {
		x, kind := classify(v)
		if kind != cellText {
			if c.Num == nil {
				c.Num = make([]float64, 0, b.estimate)
			}
			if kind == cellMissing {
				x = math.NaN()
			}
			c.Num = append(c.Num, x)
			c.Missing = append(c.Missing, kind == cellMissing)
			return
		}
		// The first text value: the column holds strings after all. The
		// rows before it are filled in by a second look at the file.
		c.Numeric = false
		c.Num = nil
		c.Str = make([]string, row, b.estimate)
		b.flipRow = row
		c.Str = append(c.Str, b.str(v))
		c.Missing = append(c.Missing, false)
		return
	}
	if isMissingText(v) {
		c.Str = append(c.Str, "")
		c.Missing = append(c.Missing, true)
		return
	}
	c.Str = append(c.Str, b.str(v))
	c.Missing = append(c.Missing, false)
}

// ctxCheckRows is how many rows are read between looks at the context.
const ctxCheckRows = 1 << 12

// parseCSV parses a comma-separated file held in buf.
func parseCSV(ctx context.Context, path string, buf []byte) (*Frame, error) {
	return parseDelimited(ctx, path, buf, ',')
}

// parseDelimited parses buf as a table whose fields are separated by sep
// (',' or '\t'), with CSV's quoting.
func parseDelimited(ctx context.Context, path string, buf []byte, sep byte) (*Frame, error) {
	if err := checkUTF8(path, buf); err != nil {
		return nil, err
	}
	return parseDelimitedUnchecked(ctx, path, buf, sep)
}

// parseDelimitedUnchecked is parseDelimited without the UTF-8 check.
func parseDelimitedUnchecked(ctx context.Context, path string, buf []byte, sep byte) (*Frame, error) {
	if err := checkNUL(path, buf); err != nil {
		return nil, err
	}
	s := newScanner(path, buf, sep)
	ok, err := s.next()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &ParseError{Path: path, Err: ErrEmptyFile}
	}
	headerLine := s.recLine
	f := &Frame{Path: path}
	seen := make(map[string]int, len(s.fields))
	for j, field := range s.fields {
		name := string(field)
		if name == "" {
			return nil, s.errorf(headerLine, ErrEmptyColumnName, "column %d has no name", j+1)
		}
		if k, dup := seen[name]; dup {
			return nil, s.errorf(headerLine, ErrDuplicateColumn, "column %q appears twice (columns %d and %d)", name, k+1, j+1)
		}
		seen[name] = j
		f.Names = append(f.Names, name)
	}
	// Size the columns once rather than regrow them: rows are at most the
	// lines left, and at most the bytes left over the bytes a row needs at
	// least (one per field), which keeps a wide header over blank lines
	// from reserving rows x columns it will never fill.
	rest := s.buf[s.pos:]
	estimate := min(bytes.Count(rest, []byte{'\n'})+1, len(rest)/len(f.Names)+1)
	builders := make([]columnBuilder, len(f.Names))
	for j, name := range f.Names {
		builders[j] = columnBuilder{
			col: &Column{
				Name:    name,
				Numeric: true,
				Missing: make([]bool, 0, estimate),
			},
			estimate: estimate,
			flipRow:  -1,
			interned: make(map[string]string),
		}
	}
	f.Line = make([]int, 0, estimate)
	for row := 0; ; row++ {
		if row%ctxCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("read %s: %w", path, err)
			}
		}
		ok, err := s.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if len(s.fields) != len(f.Names) {
			return nil, s.errorf(s.recLine, ErrFieldCount, "row has %d fields, the header (line %d) has %d", len(s.fields), headerLine, len(f.Names))
		}
		f.Line = append(f.Line, s.recLine)
		for j, v := range s.fields {
			builders[j].add(row, v)
		}
	}
	if len(f.Line) == 0 {
		return nil, &ParseError{Path: path, Line: headerLine, Err: ErrNoRows}
	}
	if err := refill(s, builders); err != nil {
		return nil, err
	}
	f.Cols = make([]*Column, len(builders))
	for j := range builders {
		f.Cols[j] = builders[j].col
	}
	return f, nil
}

// refill reads the file a second time, only as far as needed, to recover
// the text of the rows a column held before it showed a non-number: those
// were parsed as numbers, and "1.50" formatted back would be "1.5".
func refill(s *csvScanner, builders []columnBuilder) error {
	last := -1
	for _, b := range builders {
		last = max(last, b.flipRow)
	}
	if last <= 0 {
		return nil
	}
	s.pos, s.line = 0, 1
	if _, err := s.next(); err != nil { // the header
		return err
	}
	for row := 0; row < last; row++ {
		if _, err := s.next(); err != nil {
			return err
		}
		for j := range builders {
			b := &builders[j]
			if row >= b.flipRow || b.col.Missing[row] {
				continue
			}
			b.col.Str[row] = b.str(s.fields[j])
		}
	}
	return nil
}
