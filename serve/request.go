package serve

import (
	"context"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/xp-ml/xp/data"
)

// problem is one thing wrong with a request, as a 400 answer lists it.
type problem struct {
	Row     *int    `json:"row,omitempty"` // 0-based; absent for a column of a CSV body
	Line    int     `json:"line,omitempty"`
	Column  *string `json:"column,omitempty"`
	Problem string  `json:"problem"`
	// Value is the offending value; one that is not valid UTF-8 is
	// written as a Go string literal ("M\xe1laga").
	Value string `json:"value,omitempty"`
	Hint  string `json:"hint,omitempty"`
}

func newProblem(row int, column, kind string) problem {
	p := problem{Problem: kind, Column: &column}
	if row >= 0 {
		p.Row = &row
	}
	if !utf8.ValidString(column) {
		q := strconv.Quote(column)
		p.Column = &q
	}
	return p
}

func (p problem) withValue(v string) problem {
	if !utf8.ValidString(v) {
		v = strconv.Quote(v)
	}
	p.Value = v
	return p
}

// maxProblems bounds the problems a 400 lists, and so what a hostile body
// costs: 8 MiB of {"rows": [{}, {}, ...]} is 2.8 million rows missing
// every column, which listed whole took tens of GB and minutes. A body
// with more is read no further than its first maxProblems.
const maxProblems = 100

// badRequest is a body that cannot be scored: why, and each problem (the
// first maxProblems, more telling there were others).
type badRequest struct {
	msg      string
	problems []problem
	more     bool
}

func (e *badRequest) Error() string { return e.msg }

func badProblems(ps []problem) *badRequest {
	if len(ps) > maxProblems {
		return &badRequest{msg: fmt.Sprintf("bad input: more than %d problems; the first %d are listed", maxProblems, maxProblems),
			problems: ps[:maxProblems], more: true}
	}
	msg := "1 problem"
	if len(ps) != 1 {
		msg = fmt.Sprintf("%d problems", len(ps))
	}
	return &badRequest{msg: "bad input: " + msg, problems: ps}
}

// The formats a request may come in.
const (
	formatJSON = "json"
	formatCSV  = "csv"
)

// readRows reads a request's body as a table of rows to score with m and
// checks it whole: a *badRequest names every problem found. The table
// keeps no part of body, which the caller may reuse.
func (m *Model) readRows(ctx context.Context, format string, body []byte) (*data.Frame, error) {
	var f *data.Frame
	var ps []problem
	if format == formatJSON {
		// jsonRows checks every row against the schema as it reads it,
		// which is all the schema's Check would find (FuzzJSONRows holds
		// it to that).
		var err error
		if f, ps, err = jsonRows(string(body), m.schema, m.names); err != nil {
			return nil, err
		}
	} else {
		// Each column beyond the model's is a problem, and a frame costs
		// hundreds of bytes a column: a header too wide to list is refused
		// before it is read (8 MB of names took 3 GB and 13 s).
		if n, most := csvHeaderFields(body), len(m.names)+1+maxProblems; n > most {
			return nil, &badRequest{msg: fmt.Sprintf("bad input: the header has %d columns, more than %d of them unknown; the model reads %d (GET /v1/models lists them)",
				n, maxProblems, len(m.names))}
		}
		var err error
		if f, err = data.ReadBytesUnchecked(ctx, "request", data.FormatCSV, body); err != nil {
			return nil, &badRequest{msg: "bad input: " + err.Error()}
		}
		for _, pr := range m.schema.Check(f, maxProblems) {
			p := newProblem(pr.Row, pr.Column, pr.Kind).withValue(pr.Value)
			p.Hint, p.Line = pr.Hint, pr.Line
			ps = append(ps, p)
		}
	}
	if len(ps) > 0 {
		return nil, badProblems(ps)
	}
	return f, nil
}

// csvHeaderFields counts the fields of a CSV body's first record: its
// commas outside quotes, up to the first line end outside them, plus one.
func csvHeaderFields(body []byte) int {
	n, quoted := 1, false
	for _, c := range body {
		switch {
		case c == '"':
			quoted = !quoted // "" inside a quoted field toggles twice
		case quoted:
		case c == ',':
			n++
		case c == '\n' || c == '\r':
			return n
		}
	}
	return n
}
