package data

import (
	"fmt"
	"slices"

	"github.com/xp-ml/xp/cue/spec"
)

const kindFilter = "filter"

var filterOps = []string{"==", "!=", "<", "<=", ">", ">=", "in"}

// filter keeps the rows where a comparison holds.
type filter struct{ *spec.Filter }

func (filter) kind() string { return kindFilter }

// fit keeps the rows where the condition holds. A missing value makes no
// comparison true, so its row is dropped whatever the operator, as a
// comparison with NaN would in pandas (except !=) or NULL in SQL; the
// report says how many rows went for that reason.
func (r filter) fit(w *workspace, field string) (RuleReport, string, error) {
	f := field + "." + kindFilter
	j, err := w.lookup(f+".column", r.Column)
	if err != nil {
		return RuleReport{}, "", err
	}
	if !slices.Contains(filterOps, r.Op) {
		return RuleReport{}, "", fieldErrorf(f+".op", ErrInvalidRule, "%q is not one of %s%s",
			r.Op, quoteList(filterOps), didYouMean(r.Op, filterOps))
	}
	what := fmt.Sprintf("filter %s %s %s", r.Column, r.Op, describeValue(r.Value))
	c := w.cols[j]
	var match func(row int) bool
	var bad *badPart
	if c.Numeric {
		match, bad = numericMatch(c, r.Filter)
	} else {
		match, bad = textMatch(c, r.Filter)
	}
	if bad != nil {
		return RuleReport{}, "", &spec.FieldError{Field: f + "." + bad.part, Err: bad.err}
	}
	missing := 0
	dropped := w.keep(func(row int) bool {
		if c.Missing[row] {
			missing++
			return false
		}
		return match(row)
	})
	rep := w.dropReport(dropped)
	if missing > 0 {
		rep.Detail += fmt.Sprintf("; %d of them had no %s", missing, r.Column)
	}
	return rep, what, nil
}

func (r filter) vet(c *schemaCheck, field string) {
	f := field + "." + kindFilter
	j := c.has(f+".column", r.Column)
	if c.text(j) && slices.Contains([]string{"<", "<=", ">", ">="}, r.Op) {
		c.out = append(c.out, fieldErrorf(f+".op", ErrType, "%s compares numbers but column %q holds text (use ==, != or in)", r.Op, r.Column))
	}
}

// badPart is an error about one part of a filter ("op" or "value"), made
// where the rule's full path is not known.
type badPart struct {
	part string
	err  error
}

func numericMatch(c *Column, r *spec.Filter) (func(int) bool, *badPart) {
	if r.Op == "in" {
		list, ok := asList(r.Value)
		if !ok {
			return nil, &badPart{"value", errorf(ErrType, "in needs a list of numbers, not %s", describeValue(r.Value))}
		}
		var set []float64
		for _, v := range list {
			x, ok := asNumber(v)
			if !ok {
				return nil, &badPart{"value", errorf(ErrType, "column %q holds numbers; %s is not one", c.Name, describeValue(v))}
			}
			set = append(set, x)
		}
		return func(row int) bool { return slices.Contains(set, c.Num[row]) }, nil
	}
	x, ok := asNumber(r.Value)
	if !ok {
		return nil, &badPart{"value", errorf(ErrType, "column %q holds numbers; %s is not one", c.Name, describeValue(r.Value))}
	}
	num := c.Num
	switch r.Op {
	case "==":
		return func(row int) bool { return num[row] == x }, nil
	case "!=":
		return func(row int) bool { return num[row] != x }, nil
	case "<":
		return func(row int) bool { return num[row] < x }, nil
	case "<=":
		return func(row int) bool { return num[row] <= x }, nil
	case ">":
		return func(row int) bool { return num[row] > x }, nil
	default: // ">="
		return func(row int) bool { return num[row] >= x }, nil
	}
}

func textMatch(c *Column, r *spec.Filter) (func(int) bool, *badPart) {
	str := c.Str
	switch r.Op {
	case "==", "!=":
		s, ok := r.Value.(string)
		if !ok {
			return nil, &badPart{"value", errorf(ErrType, "column %q holds text; compare it with a string, not %s", c.Name, describeValue(r.Value))}
		}
		if r.Op == "==" {
			return func(row int) bool { return str[row] == s }, nil
		}
		return func(row int) bool { return str[row] != s }, nil
	case "in":
		list, ok := asList(r.Value)
		if !ok {
			return nil, &badPart{"value", errorf(ErrType, "in needs a list of strings, not %s", describeValue(r.Value))}
		}
		var set []string
		for _, v := range list {
			s, ok := v.(string)
			if !ok {
				return nil, &badPart{"value", errorf(ErrType, "column %q holds text; %s is not a string", c.Name, describeValue(v))}
			}
			set = append(set, s)
		}
		return func(row int) bool { return slices.Contains(set, str[row]) }, nil
	}
	return nil, &badPart{"op", errorf(ErrType, "%s compares numbers but column %q holds text (use ==, != or in)", r.Op, c.Name)}
}
