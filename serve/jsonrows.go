package serve

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/internal/jsonstr"
	"github.com/xp-ml/xp/internal/suggest"
)

// Problems of a JSON body that a table read from a file cannot have.
const (
	problemDuplicate = "duplicate column"
	problemNested    = "not a number, text or null"
	problemNotObject = "not an object"
)

// jsonRows reads {"rows": [{column: value, ...}, ...]} in one pass into a
// frame typed as data types JSON Lines (data.FrameOfCells): a column is
// numeric when every value in it is a number. It checks each row whole,
// and what a frame would no longer show: a column absent from a row (a
// missing column; null is a missing value), text in a numeric column
// (which would make the whole column text), duplicate and nested members,
// and invalid UTF-8 (which decoding would replace). A syntax error or a
// body of another shape is a *badRequest; problems are returned. names
// are the schema's inputs' names.
//
// It is a parser of its own rather than encoding/json's Decoder.Token,
// which costs a server more than the rest of a one-row request together;
// FuzzJSONRows holds it to encoding/json's reading. Names and values are
// cut from the body, and a request's cells are one slice, so that a row
// costs no allocation of its own beyond the escaped strings it has.
func jsonRows(body string, schema *data.InputSchema, names []string) (*data.Frame, []problem, error) {
	p := &rowsParser{b: body, schema: schema, names: names,
		width: len(names) + 1, seen: make([]bool, len(names)+1)}
	if err := p.document(); err != nil && err != errEnoughProblems {
		return nil, nil, err
	}
	if p.rows == 0 && len(p.problems) == 0 {
		return nil, nil, &badRequest{msg: `bad input: no rows; send {"rows": [{"column": value, ...}]}`}
	}
	if len(p.problems) > 0 {
		return nil, p.problems, nil
	}
	if p.target {
		names = append(names[:len(names):len(names)], schema.Target)
	}
	return data.FrameOfCells("request", names, p.cells, p.width), nil, nil
}

// rowsParser walks a JSON body byte by byte.
type rowsParser struct {
	b      string // the body: names and values are cut from it, not copied
	pos    int
	schema *data.InputSchema
	names  []string
	// width is the cells of a row: one per input, then the target's.
	width int
	// cells are the rows' cells, row after row.
	cells    []data.Cell
	seen     []bool   // the columns of the row being read seen so far
	unknown  []string // the names that are no column seen in that row
	target   bool     // some row has the target
	rows     int
	problems []problem
	depth    int // of the nested value being read past
}

// maxNesting bounds the nesting of a value in a row, which is refused
// whatever it holds (encoding/json allows 10,000).
const maxNesting = 64

func (p *rowsParser) syntax(format string, args ...any) error {
	return &badRequest{msg: fmt.Sprintf("bad input: invalid JSON at byte %d: ", p.pos) + fmt.Sprintf(format, args...)}
}

func (p *rowsParser) ws() { p.pos = jsonstr.SkipSpace(p.b, p.pos) }

// peek is the next byte after white space, 0 at the end.
func (p *rowsParser) peek() byte {
	p.ws()
	if p.pos >= len(p.b) {
		return 0
	}
	return p.b[p.pos]
}

func (p *rowsParser) expect(c byte) error {
	if got := p.peek(); got != c {
		if got == 0 {
			return p.syntax("the body ends where %q belongs", c)
		}
		return p.syntax("%q where %q belongs", got, c)
	}
	p.pos++
	return nil
}

func (p *rowsParser) document() error {
	if p.peek() != '{' {
		return &badRequest{msg: `bad input: want a JSON object {"rows": [...]}; send CSV with Content-Type: text/csv`}
	}
	seen := false
	err := p.members(func(key string, raw string) error {
		if key != "rows" || seen {
			if seen {
				return &badRequest{msg: `bad input: "rows" appears twice`}
			}
			return &badRequest{msg: fmt.Sprintf(`bad input: unknown member %q; want {"rows": [...]}`, key)}
		}
		seen = true
		return p.rowList()
	})
	if err != nil {
		return err
	}
	if p.peek() != 0 {
		return p.syntax("more after the JSON object")
	}
	return nil
}

// members reads an object, calling member after each name and its colon;
// member reads the value.
func (p *rowsParser) members(member func(key string, raw string) error) error {
	if err := p.expect('{'); err != nil {
		return err
	}
	if p.peek() == '}' {
		p.pos++
		return nil
	}
	for {
		if p.peek() != '"' {
			return p.syntax("a member's name must be a string")
		}
		key, raw, err := p.str()
		if err != nil {
			return err
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		if err := member(key, raw); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return nil
		default:
			return p.syntax("want , or } after a member")
		}
	}
}

func (p *rowsParser) rowList() error {
	if p.peek() != '[' {
		return &badRequest{msg: `bad input: "rows" must be an array of objects`}
	}
	p.pos++
	if p.peek() == ']' {
		p.pos++
		return nil
	}
	for {
		start := p.pos
		if err := p.row(p.rows); err != nil {
			return err
		}
		p.rows++
		if p.rows == 1 && len(p.problems) == 0 {
			p.reserve(p.pos - start)
		}
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return nil
		default:
			return p.syntax("want , or ] after a row")
		}
	}
}

// errEnoughProblems stops reading a body that has more problems than a
// 400 lists (maxProblems): its rows past them cost without telling more.
var errEnoughProblems = errors.New("enough problems")

// note records a problem; past maxProblems it stops the reading.
func (p *rowsParser) note(pr problem) error {
	p.problems = append(p.problems, pr)
	if len(p.problems) > maxProblems {
		return errEnoughProblems
	}
	return nil
}

// reserve grows the cells once for the rows the body seems to hold, at
// the first row's size: a large request's cells would otherwise be copied
// each time append outgrew them (5x their size in all, at append's 1.25x
// for large slices). The guess is bounded by the rows the body could hold
// were each as short as a row can be without a problem: every input a
// member, each at least 6 bytes ("a":1,).
func (p *rowsParser) reserve(firstRow int) {
	rest := len(p.b) - p.pos
	rows := min(rest/max(firstRow, 1), rest/(6*max(len(p.names), 1))) + 1
	p.cells = slices.Grow(p.cells, rows*p.width-len(p.cells))
}

// row reads row i into the cells and notes its problems.
func (p *rowsParser) row(i int) error {
	p.cells = slices.Grow(p.cells, p.width)
	for range p.width {
		p.cells = append(p.cells, data.MissingCell())
	}
	if p.peek() != '{' {
		row := i // i itself would escape, an allocation for every row
		if err := p.note(problem{Row: &row, Problem: problemNotObject}); err != nil {
			return err
		}
		_, _, _, err := p.value()
		return err
	}
	clear(p.seen)
	p.unknown = p.unknown[:0]
	err := p.members(func(key string, raw string) error {
		cell, kind, vraw, err := p.value()
		if err != nil {
			return err
		}
		k := p.column(key)
		dup := false
		if k >= 0 {
			dup, p.seen[k] = p.seen[k], true
		} else {
			for _, u := range p.unknown {
				dup = dup || u == key
			}
			p.unknown = append(p.unknown, key)
		}
		if pr, bad := p.check(i, key, raw, k, dup, kind, vraw); bad {
			return p.note(pr)
		}
		if k == len(p.names) {
			p.target = true
		}
		p.cells[i*p.width+k] = cell
		return nil
	})
	if err != nil {
		return err
	}
	for k, name := range p.names {
		if !p.seen[k] {
			if err := p.note(newProblem(i, name, data.ProblemMissingColumn)); err != nil {
				return err
			}
		}
	}
	return nil
}

// column is the index of the column called key: an input's, len(names)
// for the target, -1 for neither.
func (p *rowsParser) column(key string) int {
	for k, n := range p.names {
		if n == key {
			return k
		}
	}
	if key == p.schema.Target {
		return len(p.names)
	}
	return -1
}

// check says what is wrong with member key (raw as sent) of row i, column
// k, whose value is of kind (raw as sent), if anything: false when
// nothing is.
func (p *rowsParser) check(i int, key string, raw string, k int, dup bool, kind valueKind, vraw string) (problem, bool) {
	var pr problem
	numeric := k >= 0 && k < len(p.names) && p.schema.Inputs[k].Type == data.TypeNumber
	switch {
	case !utf8.ValidString(raw):
		pr = newProblem(i, raw, data.ProblemInvalidUTF8)
	case dup:
		pr = newProblem(i, key, problemDuplicate)
	case k < 0:
		pr = newProblem(i, key, data.ProblemUnknownColumn)
		if c, ok := suggest.Closest(key, p.names); ok {
			pr.Hint = "did you mean " + strconv.Quote(c) + "?"
		}
	case kind == valueNested:
		pr = newProblem(i, key, problemNested)
	case kind == valueString && !utf8.ValidString(vraw):
		pr = newProblem(i, key, data.ProblemInvalidUTF8).withValue(vraw)
	case numeric && (kind == valueString && len(vraw) > 0 || kind == valueBool):
		pr = newProblem(i, key, data.ProblemNotNumber).withValue(p.text(vraw, kind))
	case numeric && kind == valueHuge:
		pr = newProblem(i, key, data.ProblemNotNumber).withValue(vraw)
		pr.Hint = "beyond the range of a 64-bit float"
	default:
		return problem{}, false
	}
	return pr, true
}

// text is a string or a boolean as the answer shows it.
func (p *rowsParser) text(raw string, kind valueKind) string {
	if kind == valueString {
		s, _ := jsonstr.Unescape(raw)
		return s
	}
	return raw
}

type valueKind uint8

const (
	valueString valueKind = iota
	valueNumber
	valueBool
	valueNull
	valueNested
	// valueHuge is a number beyond float64's range, which a frame holds as
	// text (data.NumberCell).
	valueHuge
)

// value reads one value: as a cell, its kind, and its bytes as sent (a
// string's without the quotes).
func (p *rowsParser) value() (data.Cell, valueKind, string, error) {
	switch c := p.peek(); {
	case c == '"':
		s, raw, err := p.str()
		return data.TextCell(s), valueString, raw, err
	case c == '-' || c >= '0' && c <= '9':
		lit, err := p.number()
		if err != nil {
			return data.Cell{}, 0, "", err
		}
		x, _ := strconv.ParseFloat(lit, 64) // out of range: ±Inf, which NumberCell makes text
		if math.IsInf(x, 0) {
			return data.NumberCell(x, lit), valueHuge, lit, nil
		}
		return data.NumberCell(x, lit), valueNumber, lit, nil
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if strings.HasPrefix(p.b[p.pos:], lit) {
				p.pos += len(lit)
				if lit == "null" {
					return data.MissingCell(), valueNull, "", nil
				}
				return data.TextCell(lit), valueBool, lit, nil
			}
		}
	case c == '{' || c == '[':
		// A nested value is a problem of its own; it is read past, to the
		// depth a row could have any use for: 8 MiB of [ overflowed the
		// stack, which no recover catches, and ended the server.
		if p.depth++; p.depth > maxNesting {
			return data.Cell{}, 0, "", &badRequest{msg: fmt.Sprintf("bad input: a value nested more than %d deep at byte %d", maxNesting, p.pos)}
		}
		var err error
		if c == '{' {
			err = p.members(func(string, string) error { _, _, _, err := p.value(); return err })
		} else {
			err = p.array()
		}
		p.depth--
		return data.Cell{}, valueNested, "", err
	case c == 0:
		return data.Cell{}, 0, "", p.syntax("the body ends where a value belongs")
	}
	return data.Cell{}, 0, "", p.syntax("%q where a value belongs", p.b[p.pos])
}

// array reads past an array of any values.
func (p *rowsParser) array() error {
	p.pos++ // [
	if p.peek() == ']' {
		p.pos++
		return nil
	}
	for {
		if _, _, _, err := p.value(); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return nil
		default:
			return p.syntax("want , or ] in an array")
		}
	}
}

// number reads a number as JSON writes one: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
func (p *rowsParser) number() (string, error) {
	start := p.pos
	b := p.b
	digits := func() int {
		n := 0
		for p.pos < len(b) && b[p.pos] >= '0' && b[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if b[p.pos] == '-' {
		p.pos++
	}
	if p.pos < len(b) && b[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return "", p.syntax("a number needs digits")
	}
	if p.pos < len(b) && b[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return "", p.syntax("a number needs digits after its point")
		}
	}
	if p.pos < len(b) && (b[p.pos] == 'e' || b[p.pos] == 'E') {
		p.pos++
		if p.pos < len(b) && (b[p.pos] == '+' || b[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return "", p.syntax("a number needs digits in its exponent")
		}
	}
	return b[start:p.pos], nil
}

// str reads a string: its value, and its bytes between the quotes as sent.
func (p *rowsParser) str() (string, string, error) {
	start := p.pos + 1 // after the opening quote
	end, escaped, err := jsonstr.Scan(p.b, start)
	p.pos = end
	if err != nil {
		return "", "", p.syntax("%v", err)
	}
	raw := p.b[start:end]
	p.pos++
	if !escaped {
		return raw, raw, nil
	}
	s, ok := jsonstr.Unescape(raw)
	if !ok {
		return "", "", p.syntax("a string has an invalid escape")
	}
	return s, raw, nil
}
