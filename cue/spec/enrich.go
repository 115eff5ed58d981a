package spec

import (
	stderrors "errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/xp-ml/xp/internal/suggest"
)

// enrich rewrites the errors of one experiment v for its author, while v is
// at hand: every error gets a position in the user's file (CUE places a
// missing required field, or a rule the schema states with error(), only in
// the schema), a "field not allowed" gets the closest allowed field, and a
// one-of struct with none or several fields set names its choices.
func enrich(err error, v cue.Value) errors.Error {
	errs := errors.Errors(err)
	notAllowed := map[string]bool{}
	for _, e := range errs {
		if f, _ := e.Msg(); f == "field not allowed" {
			notAllowed[strings.Join(e.Path(), ".")] = true
		}
	}
	var out errors.Error
	for _, e := range errs {
		out = errors.Append(out, enrichOne(e, v, notAllowed))
	}
	return out
}

func enrichOne(e errors.Error, v cue.Value, notAllowed map[string]bool) errors.Error {
	path := e.Path()
	if len(path) == 0 {
		return e
	}
	sels := selectors(path[1:]) // path[0] is the experiment's label
	r := &rewritten{err: e, keepDetail: true}
	r.format, r.args = e.Msg()
	changed := false

	if !hasUserPos(e) {
		if pos := userPos(v, sels); pos.IsValid() {
			r.extra = append(r.extra, pos)
			changed = true
		}
	}

	switch {
	case r.format == "field not allowed" && len(sels) > 0:
		parent := path[:len(path)-1]
		var allowed []string
		for _, f := range fieldNames(v, sels[:len(sels)-1]) {
			if !notAllowed[strings.Join(append(slices.Clip(parent), f), ".")] {
				allowed = append(allowed, f)
			}
		}
		if s, ok := suggest.Closest(path[len(path)-1], allowed); ok {
			r.format, r.args = "field not allowed (did you mean %q?)", []any{s}
			changed = true
		}
	// A model with a head counts it among its fields: its one-of is
	// MinFields(2) and MaxFields(2).
	case isValidator(r.format, r.args, "struct.MinFields(1)") || isValidator(r.format, r.args, "struct.MinFields(2)"):
		if names := oneOf(v, sels); len(names) > 0 {
			r.format, r.args = "needs one of %s", []any{strings.Join(names, ", ")}
			r.keepDetail, changed = false, true
		}
	case isValidator(r.format, r.args, "struct.MaxFields(1)") || isValidator(r.format, r.args, "struct.MaxFields(2)"):
		if names := oneOf(v, sels); len(names) > 0 {
			r.format = "sets %s: only one of %s may be set"
			r.args = []any{andList(userFields(v, sels, names)), strings.Join(names, ", ")}
			r.keepDetail, changed = false, true
		}
	case r.format == "invalid value %s (does not satisfy %s)" && len(r.args) == 2:
		validator := fmt.Sprint(r.args[1])
		if max, ok := strings.CutPrefix(validator, "list.MaxItems("); ok {
			r.format, r.args = "more entries than the %s allowed", []any{strings.TrimSuffix(max, ")")}
			r.keepDetail, changed = false, true
			break
		}
		// A long value (a list of a thousand tags) is shown by its start.
		if value := fmt.Sprint(r.args[0]); len(value) > 60 {
			r.args = []any{value[:57] + "...", validator}
			changed = true
		}
	}
	if !changed {
		return e
	}
	return r
}

// rewritten is a CUE error with a clearer message or more positions. It is
// still an errors.Error, so nothing is flattened before printing.
type rewritten struct {
	err    errors.Error
	format string
	args   []any
	extra  []token.Pos
	// keepDetail keeps the detail CUE wraps in some errors ("len(fields)
	// < MinFields(1) (0 < 1)"); a new message that says it better drops it.
	keepDetail bool
}

func (r *rewritten) Msg() (string, []any) { return r.format, r.args }
func (r *rewritten) Position() token.Pos  { return r.err.Position() }
func (r *rewritten) Path() []string       { return r.err.Path() }
func (r *rewritten) Error() string        { return errors.String(r) }

func (r *rewritten) InputPositions() []token.Pos {
	return slices.Concat(r.err.InputPositions(), r.extra)
}

// Unwrap exposes the wrapped detail, which errors.Print prints after the
// message.
func (r *rewritten) Unwrap() error {
	if !r.keepDetail {
		return nil
	}
	return stderrors.Unwrap(r.err)
}

// hasUserPos reports whether any of e's positions lies in a user's file.
func hasUserPos(e errors.Error) bool {
	for _, p := range errors.Positions(e) {
		if p.IsValid() && !inSchema(p) {
			return true
		}
	}
	return false
}

// selectors turns an error path into selectors; numeric labels are list
// indices (the schema has no numeric field names).
func selectors(path []string) []cue.Selector {
	sels := make([]cue.Selector, len(path))
	for i, p := range path {
		if n, err := strconv.Atoi(p); err == nil && n >= 0 {
			sels[i] = cue.Index(n)
		} else {
			sels[i] = cue.Str(p)
		}
	}
	return sels
}

// fieldNames lists the fields of the struct at sels, optional ones (the
// schema's choices) included.
func fieldNames(v cue.Value, sels []cue.Selector) []string {
	it, err := v.LookupPath(cue.MakePath(sels...)).Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var names []string
	for it.Next() {
		if s := it.Selector(); s.LabelType() == cue.StringLabel {
			names = append(names, s.Unquoted())
		}
	}
	return names
}

// oneOf lists the fields of which the one-of struct at sels takes exactly
// one, from its @xp(oneof="a,b") attribute in the schema. An attribute,
// not the struct's fields: the struct is in error, so it may not list
// them, and a dense layer's activation is a field but not a choice.
func oneOf(v cue.Value, sels []cue.Selector) []string {
	for _, a := range v.LookupPath(cue.MakePath(sels...)).Attributes(cue.DeclAttr) {
		if a.Name() != "xp" {
			continue
		}
		if list, ok, err := a.Lookup(0, "oneof"); err == nil && ok {
			return strings.Split(list, ",")
		}
	}
	return nil
}

// userFields lists which of names the user wrote at sels. It asks for
// positions rather than iterating fields because the struct, being in
// error, may not list its fields.
func userFields(v cue.Value, sels []cue.Selector, names []string) []string {
	var set []string
	for _, n := range names {
		x := v.LookupPath(cue.MakePath(append(slices.Clip(sels), cue.Str(n))...))
		if x.Exists() && firstUserPos(x).IsValid() {
			set = append(set, n)
		}
	}
	return set
}

// isValidator reports whether format and args are CUE's "invalid value X
// (does not satisfy validator)".
func isValidator(format string, args []any, validator string) bool {
	return format == "invalid value %s (does not satisfy %s)" && len(args) == 2 &&
		fmt.Sprint(args[1]) == validator
}

// andList writes "a", "a and b", "a, b and c".
func andList(names []string) string {
	switch len(names) {
	case 0:
		return "none of them"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
