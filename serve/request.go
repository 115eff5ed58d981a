package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/internal/suggest"
)

// Problems of a JSON body that a table read from a file cannot have.
const (
	problemDuplicate = "duplicate column"
	problemNested    = "not a number, text or null"
	problemNotObject = "not an object"
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

// badRequest is a body that cannot be scored: why, and each problem.
type badRequest struct {
	msg      string
	problems []problem
}

func (e *badRequest) Error() string { return e.msg }

func badProblems(ps []problem) *badRequest {
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
// checks it whole: a *badRequest names every problem found.
func (m *Model) readRows(ctx context.Context, format string, body []byte) (*data.Frame, error) {
	var f *data.Frame
	if format == formatJSON {
		jsonl, err := m.jsonRows(body)
		if err != nil {
			return nil, err
		}
		if f, err = data.ReadBytes(ctx, "request", data.FormatJSONL, jsonl); err != nil {
			return nil, &badRequest{msg: "bad input: " + err.Error()}
		}
	} else {
		var err error
		if f, err = data.ReadBytes(ctx, "request", data.FormatCSV, body); err != nil {
			return nil, &badRequest{msg: "bad input: " + err.Error()}
		}
	}
	found, err := m.Predictor.Pipeline.Check(f)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return f, nil
	}
	ps := make([]problem, len(found))
	for i, pr := range found {
		p := newProblem(pr.Row, pr.Column, pr.Kind).withValue(pr.Value)
		p.Hint = pr.Hint
		if format == formatCSV {
			p.Line = pr.Line
		}
		ps[i] = p
	}
	return nil, badProblems(ps)
}

// jsonRows reads {"rows": [{column: value, ...}, ...]} and writes its rows
// as JSON Lines, which data reads as it reads a .jsonl file. It checks what
// JSON Lines would lose: a column absent from one row (a missing column,
// where null is a missing value), a text value in a numeric column (which
// would make the whole column text), duplicate or nested members, and
// invalid UTF-8 (which decoding would replace).
func (m *Model) jsonRows(body []byte) ([]byte, error) {
	r := &rowReader{m: m, body: body, dec: json.NewDecoder(bytes.NewReader(body))}
	r.dec.UseNumber()
	if err := r.document(); err != nil {
		var bad *badRequest
		if errors.As(err, &bad) {
			return nil, err
		}
		return nil, &badRequest{msg: "bad input: " + jsonError(err, r.dec.InputOffset())}
	}
	if len(r.problems) > 0 {
		return nil, badProblems(r.problems)
	}
	if r.rows == 0 {
		return nil, &badRequest{msg: `bad input: no rows; send {"rows": [{"column": value, ...}]}`}
	}
	return r.out, nil
}

// rowReader walks a JSON body token by token.
type rowReader struct {
	m        *Model
	body     []byte
	dec      *json.Decoder
	out      []byte // JSON Lines
	rows     int
	problems []problem
}

// token reads the next token and the bytes it came from (with any
// separator before it).
func (r *rowReader) token() (json.Token, []byte, error) {
	start := r.dec.InputOffset()
	tok, err := r.dec.Token()
	return tok, r.body[start:r.dec.InputOffset()], err
}

func (r *rowReader) document() error {
	if tok, _, err := r.token(); err != nil {
		return err
	} else if tok != json.Delim('{') {
		return &badRequest{msg: `bad input: want a JSON object {"rows": [...]}`}
	}
	seen := false
	for r.dec.More() {
		tok, _, err := r.token()
		if err != nil {
			return err
		}
		if tok != "rows" {
			return &badRequest{msg: fmt.Sprintf(`bad input: unknown member %q; want {"rows": [...]}`, tok)}
		}
		if seen {
			return &badRequest{msg: `bad input: "rows" appears twice`}
		}
		seen = true
		if err := r.rowList(); err != nil {
			return err
		}
	}
	if _, _, err := r.token(); err != nil {
		return err
	}
	if _, _, err := r.token(); err != io.EOF {
		if err == nil {
			return &badRequest{msg: "bad input: more after the JSON object"}
		}
		return err
	}
	return nil
}

func (r *rowReader) rowList() error {
	if tok, _, err := r.token(); err != nil {
		return err
	} else if tok != json.Delim('[') {
		return &badRequest{msg: `bad input: "rows" must be an array of objects`}
	}
	for r.dec.More() {
		if err := r.row(r.rows); err != nil {
			return err
		}
		r.rows++
	}
	_, _, err := r.token() // ]
	return err
}

// row reads one row, appends it to out as a line, and notes its problems.
func (r *rowReader) row(i int) error {
	tok, _, err := r.token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		r.problems = append(r.problems, problem{Row: &i, Problem: problemNotObject})
		return r.skip(tok)
	}
	inputs := r.m.inputs
	seen := make([]bool, len(inputs))
	names := map[string]bool{}
	line := append(r.out, '{')
	first := true
	for r.dec.More() {
		tok, raw, err := r.token()
		if err != nil {
			return err
		}
		key := tok.(string) // a member's name comes before its value
		vtok, vraw, err := r.token()
		if err != nil {
			return err
		}
		k, p := r.member(i, key, raw, vtok, vraw)
		if names[key] {
			dup := newProblem(i, key, problemDuplicate)
			p = &dup
		}
		names[key] = true
		if err := r.skip(vtok); err != nil {
			return err
		}
		if k >= 0 {
			seen[k] = true // present, if wrong: not missing too
		}
		if p != nil {
			r.problems = append(r.problems, *p)
			continue
		}
		if !first {
			line = append(line, ',')
		}
		first = false
		line = strconv.AppendQuote(line, key)
		line = append(line, ':')
		line = appendValue(line, vtok)
	}
	if _, _, err := r.token(); err != nil { // }
		return err
	}
	for k, in := range inputs {
		if !seen[k] {
			r.problems = append(r.problems, newProblem(i, in.Name, data.ProblemMissingColumn))
		}
	}
	r.out = append(line, '}', '\n')
	return nil
}

// member checks one member of row i: the input it is (-1 for the target
// or an unknown name) and what is wrong with it, if anything.
func (r *rowReader) member(i int, key string, raw []byte, v json.Token, vraw []byte) (int, *problem) {
	if !utf8.Valid(raw) {
		p := newProblem(i, rawString(raw), data.ProblemInvalidUTF8)
		return -1, &p
	}
	k := slices.IndexFunc(r.m.inputs, func(in data.Input) bool { return in.Name == key })
	if k < 0 && key != r.m.Predictor.Pipeline.Target {
		p := newProblem(i, key, data.ProblemUnknownColumn)
		if c, ok := suggest.Closest(key, r.m.inputNames()); ok {
			p.Hint = "did you mean " + strconv.Quote(c) + "?"
		}
		return -1, &p
	}
	var p problem
	numeric := k >= 0 && r.m.inputs[k].Type == data.TypeNumber
	switch v := v.(type) {
	case json.Delim:
		p = newProblem(i, key, problemNested)
	case string:
		switch {
		case !utf8.Valid(vraw):
			p = newProblem(i, key, data.ProblemInvalidUTF8).withValue(rawString(vraw))
		case numeric && v != "":
			p = newProblem(i, key, data.ProblemNotNumber).withValue(v)
		}
	case bool:
		if numeric {
			p = newProblem(i, key, data.ProblemNotNumber).withValue(strconv.FormatBool(v))
		}
	}
	if p.Problem == "" {
		return k, nil
	}
	return k, &p
}

// skip reads past the rest of a value that started with tok.
func (r *rowReader) skip(tok json.Token) error {
	if d, ok := tok.(json.Delim); !ok || (d != '{' && d != '[') {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, _, err := r.token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// appendValue writes a scalar token as JSON.
func appendValue(b []byte, tok json.Token) []byte {
	switch v := tok.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, v)
	case json.Number:
		return append(b, v...)
	case string:
		q, _ := json.Marshal(v) // valid UTF-8: checked before
		return append(b, q...)
	}
	return append(b, "null"...)
}

// rawString is a JSON string token as it was sent, without its quotes: its
// bytes unchanged, since what is wrong with it is the bytes.
func rawString(raw []byte) string {
	raw = bytes.TrimLeft(raw, " \t\r\n,:")
	raw = bytes.TrimPrefix(raw, []byte(`"`))
	return string(bytes.TrimSuffix(raw, []byte(`"`)))
}

// jsonError says where a body stopped being JSON.
func jsonError(err error, offset int64) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Sprintf("the JSON ends early, at byte %d", offset)
	}
	return "invalid JSON: " + err.Error()
}

func (m *Model) inputNames() []string {
	out := make([]string, len(m.inputs))
	for k, in := range m.inputs {
		out[k] = in.Name
	}
	return out
}
