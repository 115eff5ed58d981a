package data

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/xp-ml/xp/internal/suggest"
)

// Types of an Input.
const (
	TypeNumber = "number" // a number, or missing; text is an error
	TypeText   = "text"   // any value, read as text (a number as its shortest form)
)

// Input is a column that a table to score must have, as that table names
// it (before any rename), and what Transform accepts there.
type Input struct {
	Name string
	// Type is TypeNumber when the column must hold numbers (its first
	// fitted step or its encoder reads numbers), else TypeText.
	Type     string
	Encoding string
	// Categories are the values a one-hot or embedding encoder knows,
	// sorted; any other value takes Other's input, or none.
	Categories []string
	Other      string
}

// InputSchema is what a table to score must hold: its inputs, and the target,
// which it may hold (scoring does not read it).
type InputSchema struct {
	Inputs []Input // in the pipeline's column order
	Target string
}

// InputSchema is the pipeline's input schema.
func (p *Pipeline) InputSchema() (*InputSchema, error) {
	routes, err := p.Routes()
	if err != nil {
		return nil, err
	}
	out := make([]Input, len(routes))
	for k, r := range routes {
		in := Input{Name: r.Input, Type: TypeText, Encoding: r.Encoding.Encoding,
			Categories: r.Encoding.Categories, Other: r.Encoding.Other}
		if numericInput(r) {
			in.Type = TypeNumber
		}
		out[k] = in
	}
	return &InputSchema{Inputs: out, Target: p.Target}, nil
}

// Names lists the inputs' names.
func (s *InputSchema) Names() []string {
	out := make([]string, len(s.Inputs))
	for k, in := range s.Inputs {
		out[k] = in.Name
	}
	return out
}

// numericInput reports whether the first step that reads r's values, or
// else its encoder, needs numbers (table.conform refuses text there).
func numericInput(r Route) bool {
	for _, s := range r.Steps {
		switch s.Kind {
		case StepCast:
			return false // it takes text or numbers alike
		case StepFillNA, StepReplace, StepClip, StepNormalize:
			return s.Numeric
		}
	}
	return r.Encoding.Numeric()
}

// Problems a table to score can have, as Problem.Kind names them.
const (
	ProblemUnknownColumn = "unknown column"
	ProblemMissingColumn = "missing column"
	ProblemNotNumber     = "text in a numeric column"
	ProblemInvalidUTF8   = "invalid UTF-8"
)

// Problem is a column, or one value of it, that stops a table from being
// scored.
type Problem struct {
	Row    int // 0-based row of the table; -1 for the column as a whole
	Line   int // the row's line in its source; 0 for a column
	Column string
	Kind   string
	Value  string // the offending value, when there is one
	Hint   string // "did you mean \"Income\"?", when a name is close
}

// Check lists the problems of f as a table to score: a column that is
// neither an input nor the target, an input that is missing, text where an
// input must hold numbers, and names or values that are not valid UTF-8,
// each value named by its row. Transform ignores extra columns; a caller
// that wants them refused, as a server does, checks first.
//
// A limit above 0 stops it at the first limit+1 problems, so that a
// caller that lists limit can say there are more without the cost of a
// table's every cell found wrong; 0 lists them all.
func (s *InputSchema) Check(f *Frame, limit int) []Problem {
	c := checker{limit: limit}
	for _, n := range f.Names {
		if c.full() {
			break // a header of a million unknown names: no hint for each
		}
		switch {
		case !utf8.ValidString(n):
			c.add(Problem{Row: -1, Column: n, Kind: ProblemInvalidUTF8})
		case n != s.Target && !slices.ContainsFunc(s.Inputs, func(in Input) bool { return in.Name == n }):
			c.add(Problem{Row: -1, Column: n, Kind: ProblemUnknownColumn, Hint: hint(n, s.Names())})
		}
	}
	for _, in := range s.Inputs {
		j := f.index(in.Name)
		if j < 0 {
			c.add(Problem{Row: -1, Column: in.Name, Kind: ProblemMissingColumn, Hint: hint(in.Name, f.Names)})
			continue
		}
		c.values(f, j, in.Type == TypeNumber)
	}
	if j := f.index(s.Target); j >= 0 {
		c.values(f, j, false)
	}
	return c.out
}

// checker collects Check's problems up to its limit.
type checker struct {
	limit int
	out   []Problem
}

func (c *checker) full() bool { return c.limit > 0 && len(c.out) > c.limit }

func (c *checker) add(p Problem) {
	if !c.full() {
		c.out = append(c.out, p)
	}
}

// values adds the values of column j that are not valid UTF-8 and, when
// it must hold numbers, those that are text.
func (c *checker) values(f *Frame, j int, numeric bool) {
	col := f.Cols[j]
	if col.Numeric {
		return
	}
	found := len(c.out)
	for i, v := range col.Str {
		if c.full() {
			return
		}
		if col.Missing[i] {
			continue
		}
		switch {
		case !utf8.ValidString(v):
			c.add(Problem{Row: i, Line: f.Line[i], Column: f.Names[j], Kind: ProblemInvalidUTF8, Value: v})
		case numeric:
			if _, kind := classify([]byte(v)); kind == cellText {
				c.add(Problem{Row: i, Line: f.Line[i], Column: f.Names[j], Kind: ProblemNotNumber, Value: v})
			}
		}
	}
	if numeric && len(c.out) == found {
		// Every value reads as a number, yet the column is text: strings
		// in JSON ("12"). Transform refuses the column; name each value.
		for i, v := range col.Str {
			if c.full() {
				return
			}
			if !col.Missing[i] && utf8.ValidString(v) {
				c.add(Problem{Row: i, Line: f.Line[i], Column: f.Names[j], Kind: ProblemNotNumber, Value: v})
			}
		}
	}
}

func hint(name string, candidates []string) string {
	if c, ok := suggest.Closest(name, candidates); ok {
		return "did you mean " + strconv.Quote(c) + "?"
	}
	return ""
}
