package spec

import (
	"cmp"
	stderrors "errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// Problem is one error about a spec, flattened for a reader that is not a
// person: xp vet --json writes these, one object per problem, for editors
// and CI annotations. File is relative to the directory the problems were
// made for where it lies below it, and always a user's file, never xp's
// embedded schema; Line and Column are 1-based, 0 when unknown.
// Experiment is the top-level label the problem is under ("" for a file
// that does not parse); Field is the path below it in CUE syntax
// ("data.clean[0].filter.op"). Suggestion is the "did you mean" of the
// message, without its quotes, when it has one.
type Problem struct {
	File       string `json:"file,omitempty"`
	Line       int    `json:"line,omitempty"`
	Column     int    `json:"column,omitempty"`
	Experiment string `json:"experiment,omitempty"`
	Field      string `json:"field,omitempty"`
	Message    string `json:"message"`
	Suggestion string `json:"suggestion,omitempty"`
}

// String is the problem as xp prints it: "file:line:col: field: message",
// leaving out what is not known.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
			if p.Column > 0 {
				fmt.Fprintf(&b, ":%d", p.Column)
			}
		}
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems flattens err into problems: each CUE error it holds (simplified
// as PrintError simplifies them, at its first position in a user's file),
// each *FieldError, or else err's message alone. File names are made
// relative to cwd where they lie below it.
func Problems(err error, cwd string) []Problem {
	if err == nil {
		return nil
	}
	var ce errors.Error
	var fe *FieldError
	switch {
	case stderrors.As(err, &ce):
		return cueProblems(err, cwd)
	case stderrors.As(err, &fe):
		return []Problem{FieldProblem(fe, cwd)}
	}
	msg := RelativePaths(err.Error(), cwd)
	return []Problem{{Message: msg, Suggestion: suggestionIn(msg)}}
}

// RelativePaths writes the paths below cwd in msg relative to it, as the
// user would type them ("read experiments/data/x.csv"): every message xp
// prints names files this way.
func RelativePaths(msg, cwd string) string {
	if cwd == "" || filepath.Dir(cwd) == cwd {
		return msg // "" or the root: every path would change
	}
	return strings.ReplaceAll(msg, strings.TrimSuffix(cwd, string(filepath.Separator))+string(filepath.Separator), "")
}

// FieldProblem is a *FieldError as a Problem.
func FieldProblem(fe *FieldError, cwd string) Problem {
	p := Problem{Field: fe.Field, Message: RelativePaths(fe.Err.Error(), cwd)}
	p.File, p.Line, p.Column = splitPos(relativePos(fe.Pos, cwd))
	p.Suggestion = suggestionIn(p.Message)
	return p
}

// cueProblems is Problems for CUE errors, in file order.
func cueProblems(err error, cwd string) []Problem {
	var list errors.Error
	for _, e := range simplify(errors.Errors(err)) {
		list = errors.Append(list, e)
	}
	var out []Problem
	for _, e := range errors.Errors(errors.Sanitize(list)) {
		f, args := e.Msg()
		p := Problem{Message: fmt.Sprintf(f, args...)}
		if path := e.Path(); len(path) > 0 {
			p.Experiment = path[0]
			p.Field = fieldPath(path[1:])
		}
		pos := problemPosition(e)
		if pos.IsValid() {
			p.File = relativePos(pos.Filename(), cwd)
			p.Line, p.Column = pos.Line(), pos.Column()
		}
		p.Message = inPlainWords(p.Message, f, args, otherUserPositions(e, pos), cwd)
		p.Suggestion = suggestionIn(p.Message)
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b Problem) int {
		if (a.File == "") != (b.File == "") {
			return cmp.Compare(b.File, a.File) // those without a file last
		}
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column), cmp.Compare(a.Field, b.Field))
	})
	return out
}

// otherUserPositions are e's positions in a user's file other than at.
func otherUserPositions(e errors.Error, at token.Pos) []token.Pos {
	var out []token.Pos
	for _, p := range errors.Positions(e) {
		if p.IsValid() && !inSchema(p) && p != at && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// inPlainWords rewrites CUE's words for a value that conflicts with another
// into words a user acts on: an int where the schema wants a float (or the
// reverse), and two values for one field, the other's position named
// (the usual cause: unifying an experiment with & cannot change a value it
// sets; see the README's "Variants").
func inPlainWords(msg, format string, args []any, others []token.Pos, cwd string) string {
	if !strings.HasPrefix(format, "conflicting values %s and %s") || len(args) < 2 {
		return msg
	}
	a, b := fmt.Sprint(args[0]), fmt.Sprint(args[1])
	kind := func(s string) string {
		switch s {
		case "int", "float", "string", "bool", "number":
			return s
		}
		return ""
	}
	literal := func(s string) string {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return "int"
		}
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return "float"
		}
		return ""
	}
	for _, pair := range [][2]string{{a, b}, {b, a}} {
		v, want := pair[0], pair[1]
		switch {
		case kind(want) == "float" && literal(v) == "int":
			return fmt.Sprintf("%s is an integer, but this field takes a float: write %s.0", v, v)
		case kind(want) == "int" && literal(v) == "float":
			if f, _ := strconv.ParseFloat(v, 64); f == math.Trunc(f) && !math.IsInf(f, 0) {
				return fmt.Sprintf("%s is written as a float, but this field takes an integer: write %s", v, strconv.FormatFloat(f, 'f', -1, 64))
			}
			return fmt.Sprintf("%s is not a whole number, but this field takes an integer", v)
		}
	}
	if kind(a) != "" || kind(b) != "" {
		return msg
	}
	// A value against a constraint of another kind (tags: "risk" where
	// the schema has a list) is the wrong kind of value, not two values.
	if strings.Contains(format, "(mismatched types %s and %s)") && len(args) >= 4 {
		kinds := [2]string{fmt.Sprint(args[2]), fmt.Sprint(args[3])}
		for i, pair := range [][2]string{{a, b}, {b, a}} {
			if isLiteral(pair[0]) && !isLiteral(pair[1]) {
				return fmt.Sprintf("%s is %s, but this field takes %s", pair[0], withArticle(kinds[i]), withArticle(kinds[1-i]))
			}
		}
	}
	where := ""
	if len(others) > 0 {
		o := others[0]
		where = fmt.Sprintf(" (one set at %s:%d:%d)", relativePos(o.Filename(), cwd), o.Line(), o.Column())
	}
	return fmt.Sprintf("two values for one field, %s and %s%s: a CUE field holds one value, so A & {...} cannot change a value A sets; write the variant as {from: \"A\", ...} (README: \"Variants\")", a, b, where)
}

// isLiteral says whether s is how CUE prints a concrete scalar: a quoted
// string, a number, true, false or null.
func isLiteral(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return true
	}
	return strings.HasPrefix(s, `"`) || s == "true" || s == "false" || s == "null"
}

// withArticle is a CUE kind with its article: "a list", "an int".
func withArticle(kind string) string {
	if kind == "int" {
		return "an int"
	}
	return "a " + kind
}

// fieldPath writes a CUE error path, whose labels CUE already quotes where
// they need it, as one field path: "data.clean[0].filter.op".
func fieldPath(path []string) string {
	var b strings.Builder
	for _, p := range path {
		if n, err := strconv.Atoi(p); err == nil && n >= 0 {
			fmt.Fprintf(&b, "[%d]", n)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// problemPosition is the one position a problem prints: CUE's own for the
// error when it is in a user's file, else the last of the user's positions,
// which is the innermost (the offending value rather than the experiment
// that holds it).
func problemPosition(e errors.Error) token.Pos {
	if p := e.Position(); p.IsValid() && !inSchema(p) {
		return p
	}
	var last token.Pos
	for _, p := range errors.Positions(e) {
		if p.IsValid() && !inSchema(p) && (!last.IsValid() || p.Compare(last) > 0) {
			last = p
		}
	}
	return last
}

// splitPos splits "file:line:col" (or "file:line", or "file").
func splitPos(pos string) (file string, line, col int) {
	file = pos
	for _, n := range []*int{&col, &line} {
		i := strings.LastIndexByte(file, ':')
		if i < 0 {
			break
		}
		v, err := strconv.Atoi(file[i+1:])
		if err != nil {
			break
		}
		*n, file = v, file[:i]
	}
	if line == 0 && col > 0 {
		line, col = col, 0 // "file:line"
	}
	return file, line, col
}

// didYouMeanRe finds the hint that xp's messages end with, wherever it was
// made: `did you mean "epochs"?`, `did you mean ">="?`, `did you mean x?`.
var didYouMeanRe = regexp.MustCompile(`did you mean ("(?:[^"\\]|\\.)*"|[^\s?]+)\?`)

// suggestionIn is the suggestion of a message's "did you mean", unquoted.
func suggestionIn(msg string) string {
	m := didYouMeanRe.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	if s, err := strconv.Unquote(m[1]); err == nil {
		return s
	}
	return m[1]
}
