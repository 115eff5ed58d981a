package spec

import (
	stderrors "errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/xp-ml/xp/internal/suggest"
)

// IsSpecError reports whether err is an error in a spec: a CUE error
// (loading, validation, a sweep's points) or a *FieldError found after
// loading. The CLI prints these with PrintError and exits with its error
// code.
func IsSpecError(err error) bool {
	var ce errors.Error
	var fe *FieldError
	return stderrors.As(err, &ce) || stderrors.As(err, &fe)
}

// PrintError prints err, a command's error about a spec, once: the one
// place that decides how spec errors read. Each problem it holds (see
// Problems) is one line, "file:line:col: field: message", with the file
// relative to cwd, the field path below the experiment
// ("data.clean[0].filter.op"), never a position in xp's schema. CUE's
// errors are simplified first:
//
//   - the N "conflicting values" errors of one enum mismatch become one
//     line, `path: "=>" is not one of "==", "!=", ... (did you mean ">="?)`;
//   - errors against the X of a schema default `(*X | _)`, which only
//     repeat the real error ("conflicting values 1.5 and 0" beside "out of
//     bound <1"), are dropped, as are the "N errors in empty disjunction"
//     headers whose counts no longer hold.
//
// A problem with no position is printed after "xp: ".
func PrintError(w io.Writer, err error, cwd string) {
	for _, p := range Problems(err, cwd) {
		if p.File == "" {
			fmt.Fprintf(w, "xp: %v\n", p)
			continue
		}
		fmt.Fprintln(w, p)
	}
}

// PrintFieldErrors prints problems found together, one a line, positions
// relative to cwd where they are below it.
func PrintFieldErrors(w io.Writer, problems []*FieldError, cwd string) {
	for _, p := range problems {
		PrintError(w, p, cwd)
	}
}

// relativePos is pos ("file:line:col") with its file relative to cwd when
// it lies below cwd, else as it is.
func relativePos(pos, cwd string) string {
	if pos == "" || cwd == "" {
		return pos
	}
	abs, err := filepath.Abs(pos)
	if err != nil {
		return pos
	}
	rel, err := filepath.Rel(cwd, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return pos
	}
	return rel
}

const disjunctionHeader = "%d errors in empty disjunction:"

// simplify applies PrintError's two simplifications to a flat error list.
func simplify(errs []errors.Error) []errors.Error {
	var disjunctions [][]string
	for _, e := range errs {
		if f, _ := e.Msg(); f == disjunctionHeader {
			disjunctions = append(disjunctions, e.Path())
		}
	}
	if len(disjunctions) == 0 {
		return errs
	}
	// Each error under a failed disjunction belongs to the outermost one.
	root := func(e errors.Error) string {
		var best []string
		for _, d := range disjunctions {
			if hasPrefix(e.Path(), d) && (best == nil || len(d) < len(best)) {
				best = d
			}
		}
		if best == nil {
			return ""
		}
		return "\x00" + strings.Join(best, "\x00")
	}

	// A group takes the place of its first member, keeping CUE's order.
	groups := map[string][]errors.Error{}
	var order []string // "" for a lone error, else the group's key
	var lone []errors.Error
	for _, e := range errs {
		if f, _ := e.Msg(); f == disjunctionHeader {
			continue
		}
		r := root(e)
		if r == "" {
			order = append(order, "")
			lone = append(lone, e)
			continue
		}
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], e)
	}
	var result []errors.Error
	for _, k := range order {
		if k == "" {
			result = append(result, lone[0])
			lone = lone[1:]
			continue
		}
		result = append(result, foldGroup(groups[k])...)
	}
	return result
}

// foldGroup simplifies the errors of one failed disjunction.
func foldGroup(errs []errors.Error) []errors.Error {
	kept := slices.DeleteFunc(slices.Clone(errs), defaultOnly)
	if len(kept) == 0 {
		kept = errs
	}
	// Fold each path's errors into one enum error where they are one.
	byPath := map[string][]errors.Error{}
	var order []string
	for _, e := range kept {
		k := strings.Join(e.Path(), "\x00")
		if _, ok := byPath[k]; !ok {
			order = append(order, k)
		}
		byPath[k] = append(byPath[k], e)
	}
	var out []errors.Error
	for _, k := range order {
		if e := userConflict(byPath[k]); e != nil {
			out = append(out, e)
			continue
		}
		if f := foldEnum(byPath[k]); f != nil {
			out = append(out, f)
		} else {
			out = append(out, byPath[k]...)
		}
	}
	return out
}

// userConflict is the error among errs, one path's, that two values in
// the user's files conflict (nil if none). Where a variant sets a field
// that its experiment already set to another of an enum's alternatives
// (credit & {device: "cpu"}, credit having "auto"), every branch fails
// and the enum folded would say "cpu" is not one of the rest, as if "cpu"
// were not allowed; the branch that failed without the schema's help
// names the two values.
func userConflict(errs []errors.Error) errors.Error {
	if len(errs) < 2 {
		return nil
	}
	for _, e := range errs {
		f, _ := e.Msg()
		if !strings.HasPrefix(f, "conflicting values %s and %s") {
			continue
		}
		ps := errors.Positions(e)
		if len(ps) > 0 && !slices.ContainsFunc(ps, inSchema) {
			return e
		}
	}
	return nil
}

// defaultOnly reports whether e is the failure of a schema default's branch.
func defaultOnly(e errors.Error) bool {
	set := defaultOnlyPositions()
	for _, p := range errors.Positions(e) {
		if inSchema(p) && set[[2]int{p.Line(), p.Column()}] {
			return true
		}
	}
	return false
}

// alternative is one failed branch of an enum: the value it wanted and
// where the schema states it.
type alternative struct {
	text string
	pos  token.Pos
}

// foldEnum folds errors at one path that each say the user's value is not
// one alternative ("conflicting values ">=" and "=>"", "invalid value "gpu"
// (out of bound =~"^cuda:[0-9]+$")") into one. It returns nil when they are
// not such a set.
func foldEnum(errs []errors.Error) errors.Error {
	if len(errs) < 2 {
		return nil
	}
	pairs := make([][2]string, len(errs))
	for i, e := range errs {
		f, args := e.Msg()
		switch {
		case strings.HasPrefix(f, "conflicting values %s and %s") && len(args) >= 2:
			pairs[i] = [2]string{fmt.Sprint(args[0]), fmt.Sprint(args[1])}
		case f == "invalid value %v (out of bound %s)" && len(args) == 2:
			pairs[i] = [2]string{fmt.Sprint(args[0]), fmt.Sprint(args[1])}
		default:
			return nil
		}
	}
	// The user's value is the side every error shares.
	value := ""
	for _, cand := range pairs[0] {
		if !slices.ContainsFunc(pairs, func(p [2]string) bool { return p[0] != cand && p[1] != cand }) {
			value = cand
			break
		}
	}
	if value == "" {
		return nil
	}

	// The schema position of an alternative is the one its error does not
	// share with the others; sorting by it lists them as the schema does.
	count := map[token.Pos]int{}
	for _, e := range errs {
		for _, p := range errors.Positions(e) {
			count[p]++
		}
	}
	alts := make([]alternative, len(errs))
	var userPositions []token.Pos
	for i, e := range errs {
		alts[i].text = pairs[i][0]
		if alts[i].text == value {
			alts[i].text = pairs[i][1]
		}
		for _, p := range errors.Positions(e) {
			if !inSchema(p) {
				if !slices.Contains(userPositions, p) {
					userPositions = append(userPositions, p)
				}
				continue
			}
			// The last unshared position: an out-of-bound error also
			// carries the start of the whole disjunction.
			if count[p] < len(errs) && (!alts[i].pos.IsValid() || p.Compare(alts[i].pos) > 0) {
				alts[i].pos = p
			}
		}
	}
	slices.SortStableFunc(alts, func(a, b alternative) int {
		switch {
		case !a.pos.IsValid() && !b.pos.IsValid():
			return 0
		case !a.pos.IsValid():
			return 1
		case !b.pos.IsValid():
			return -1
		}
		return a.pos.Compare(b.pos)
	})
	texts := make([]string, 0, len(alts))
	for _, a := range alts {
		if !slices.Contains(texts, a.text) {
			texts = append(texts, a.text)
		}
	}
	if len(userPositions) == 0 {
		userPositions = errors.Positions(errs[0])
	}
	slices.SortFunc(userPositions, token.Pos.Compare)
	return &enumError{
		path:      errs[0].Path(),
		value:     value,
		alts:      texts,
		hint:      didYouMean(value, texts),
		positions: userPositions,
	}
}

// didYouMean suggests the string alternative closest to a string value.
func didYouMean(value string, alts []string) string {
	v, err := strconv.Unquote(value)
	if err != nil {
		return ""
	}
	var names, quoted []string
	for _, a := range alts {
		if s, err := strconv.Unquote(a); err == nil {
			names = append(names, s)
			quoted = append(quoted, a)
		}
	}
	s, ok := suggest.Closest(v, names)
	if !ok {
		return ""
	}
	return quoted[slices.Index(names, s)]
}

// enumError is a value that is none of an enum's alternatives.
type enumError struct {
	path      []string
	value     string
	alts      []string
	hint      string // an alternative, quoted as CUE quotes it; "" for none
	positions []token.Pos
}

func (e *enumError) Position() token.Pos         { return token.NoPos }
func (e *enumError) InputPositions() []token.Pos { return e.positions }
func (e *enumError) Path() []string              { return e.path }
func (e *enumError) Error() string               { return errors.String(e) }

func (e *enumError) Msg() (string, []any) {
	if e.hint != "" {
		return "%s is not one of %s (did you mean %s?)", []any{e.value, strings.Join(e.alts, ", "), e.hint}
	}
	return "%s is not one of %s", []any{e.value, strings.Join(e.alts, ", ")}
}

func hasPrefix(path, prefix []string) bool {
	return len(path) >= len(prefix) && slices.Equal(path[:len(prefix)], prefix)
}
