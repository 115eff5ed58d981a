package data

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
)

// RuleReport says what one cleaning rule changed, summed over the splits.
// Index is the rule's position in data.clean; entries with Index -1 report
// what encoding did on its own (Kind "impute": missing numbers set to the
// training mean; Kind "unknown_category": missing or unseen categories
// encoded as all zeros).
type RuleReport struct {
	Index        int
	Kind         string
	RowsDropped  int
	ValuesFilled int
	Detail       string
}

// workspace is the frame as the cleaning rules see it: the rows of each
// split, and columns that are copied before a rule first changes them, so
// the caller's Frame is never modified.
type workspace struct {
	f      *Frame
	cols   []*Column
	owned  []bool
	splits [numSplits][]int
	fills  []Fill
}

func newWorkspace(f *Frame, splits [numSplits][]int) *workspace {
	return &workspace{
		f:      f,
		cols:   slices.Clone(f.Cols),
		owned:  make([]bool, len(f.Cols)),
		splits: splits,
	}
}

func (w *workspace) lookup(field, name string) (int, error) {
	if j := w.f.index(name); j >= 0 {
		return j, nil
	}
	_, err := w.f.Col(name)
	return -1, &FieldError{Field: field, Err: err}
}

func (w *workspace) writable(j int) *Column {
	if !w.owned[j] {
		w.cols[j] = w.cols[j].clone()
		w.owned[j] = true
	}
	return w.cols[j]
}

// keep drops from every split the rows for which pred is false.
func (w *workspace) keep(pred func(row int) bool) (dropped [numSplits]int) {
	for s, rows := range w.splits {
		kept := rows[:0]
		for _, r := range rows {
			if pred(r) {
				kept = append(kept, r)
			} else {
				dropped[s]++
			}
		}
		w.splits[s] = kept
	}
	return dropped
}

// apply runs rule i on every split, with any statistic fitted on the
// training split as it stands after the rules before it.
func (w *workspace) apply(i int, r spec.Rule) (RuleReport, error) {
	field := fmt.Sprintf("data.clean[%d]", i)
	trainBefore := len(w.splits[splitTrain])
	var rep RuleReport
	var err error
	var what string
	switch r.Kind() {
	case "drop_na":
		rep, what, err = w.dropNA(field+".drop_na", r.DropNA)
	case "fill_na":
		rep, err = w.fillNA(field+".fill_na", r.FillNA)
	case "filter":
		rep, what, err = w.filter(field+".filter", r.Filter)
	case "drop_duplicates":
		what = "drop_duplicates"
		rep = dropReport(w.dropDuplicates(w.rowHash))
	default:
		err = fieldErrorf(field, ErrInvalidRule, "rule sets none of drop_na, fill_na, filter, drop_duplicates")
	}
	if err != nil {
		return RuleReport{}, err
	}
	rep.Index, rep.Kind = i, r.Kind()
	if len(w.splits[splitTrain]) == 0 {
		return RuleReport{}, fieldErrorf(field, ErrEmptyTrain, "%s removed all %d training rows", what, trainBefore)
	}
	return rep, nil
}

func dropReport(dropped [numSplits]int) RuleReport {
	total := dropped[splitTrain] + dropped[splitVal] + dropped[splitTest]
	return RuleReport{RowsDropped: total, Detail: fmt.Sprintf("dropped %d rows (%s)", total, perSplit(dropped))}
}

// perSplit reads "train 8, validation 2, test 1".
func perSplit(n [numSplits]int) string {
	return fmt.Sprintf("train %d, validation %d, test %d", n[splitTrain], n[splitVal], n[splitTest])
}

func (w *workspace) dropNA(field string, r *spec.DropNA) (RuleReport, string, error) {
	var cols []int
	what := "drop_na (all columns)"
	if len(r.Columns) == 0 {
		for j := range w.cols {
			cols = append(cols, j)
		}
	} else {
		for k, name := range r.Columns {
			j, err := w.lookup(fmt.Sprintf("%s.columns[%d]", field, k), name)
			if err != nil {
				return RuleReport{}, "", err
			}
			cols = append(cols, j)
		}
		what = "drop_na " + strings.Join(r.Columns, ", ")
	}
	dropped := w.keep(func(row int) bool {
		for _, j := range cols {
			if w.cols[j].Missing[row] {
				return false
			}
		}
		return true
	})
	return dropReport(dropped), what, nil
}

var filterOps = []string{"==", "!=", "<", "<=", ">", ">=", "in"}

// filter keeps the rows where the condition holds. A missing value makes
// no comparison true, so its row is dropped whatever the operator, as a
// comparison with NaN would in pandas (except !=) or NULL in SQL; the
// report says how many rows went for that reason.
func (w *workspace) filter(field string, r *spec.Filter) (RuleReport, string, error) {
	j, err := w.lookup(field+".column", r.Column)
	if err != nil {
		return RuleReport{}, "", err
	}
	if !slices.Contains(filterOps, r.Op) {
		return RuleReport{}, "", fieldErrorf(field+".op", ErrInvalidRule, "%q is not one of %s%s",
			r.Op, quoteList(filterOps), didYouMean(r.Op, filterOps))
	}
	what := fmt.Sprintf("filter %s %s %s", r.Column, r.Op, describeValue(r.Value))
	c := w.cols[j]
	var match func(row int) bool
	var bad *badPart
	if c.Numeric {
		match, bad = numericMatch(c, r)
	} else {
		match, bad = textMatch(c, r)
	}
	if bad != nil {
		return RuleReport{}, "", &FieldError{Field: field + "." + bad.part, Err: bad.err}
	}
	missing := 0
	dropped := w.keep(func(row int) bool {
		if c.Missing[row] {
			missing++
			return false
		}
		return match(row)
	})
	rep := dropReport(dropped)
	if missing > 0 {
		rep.Detail += fmt.Sprintf("; %d of them had no %s", missing, r.Column)
	}
	return rep, what, nil
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

var fillMethods = []string{"mean", "median", "mode", "constant"}

// Fill is a fitted fill_na rule: the value that replaces a missing value of
// Column, a number (Numeric) or a string.
type Fill struct {
	Column  string  `json:"column"`
	Numeric bool    `json:"numeric"`
	Number  float64 `json:"number,omitempty"`
	Text    string  `json:"text,omitempty"`
}

func (w *workspace) fillNA(field string, r *spec.FillNA) (RuleReport, error) {
	j, err := w.lookup(field+".column", r.Column)
	if err != nil {
		return RuleReport{}, err
	}
	c := w.cols[j]
	fill := Fill{Column: c.Name, Numeric: c.Numeric}
	var desc string
	switch r.With {
	case "mean", "median", "mode":
		if !c.Numeric && r.With != "mode" {
			return RuleReport{}, fieldErrorf(field+".with", ErrType, "%s needs numbers but column %q holds text (use mode or constant)", r.With, c.Name)
		}
		var ok bool
		if c.Numeric {
			fill.Number, ok = numberStat(r.With, c, w.splits[splitTrain])
			desc = fmt.Sprintf("the training %s %s", r.With, formatNumber(fill.Number))
		} else {
			fill.Text, ok = textMode(c, w.splits[splitTrain])
			desc = fmt.Sprintf("the training mode %q", fill.Text)
		}
		if !ok {
			return RuleReport{}, fieldErrorf(field, ErrInvalidRule, "column %q has no values in the training split to take the %s of", c.Name, r.With)
		}
	case "constant":
		if r.Value == nil {
			return RuleReport{}, fieldErrorf(field+".value", ErrInvalidRule, "with: \"constant\" needs a value")
		}
		if c.Numeric {
			x, ok := asNumber(r.Value)
			if !ok {
				return RuleReport{}, fieldErrorf(field+".value", ErrType, "column %q holds numbers; %s is not one", c.Name, describeValue(r.Value))
			}
			fill.Number = x
			desc = formatNumber(x)
		} else {
			s, ok := r.Value.(string)
			if !ok {
				return RuleReport{}, fieldErrorf(field+".value", ErrType, "column %q holds text; fill it with a string, not %s", c.Name, describeValue(r.Value))
			}
			fill.Text = s
			desc = fmt.Sprintf("%q", s)
		}
	default:
		return RuleReport{}, fieldErrorf(field+".with", ErrInvalidRule, "%q is not one of %s%s",
			r.With, quoteList(fillMethods), didYouMean(r.With, fillMethods))
	}
	var filled [numSplits]int
	for s, rows := range w.splits {
		for _, row := range rows {
			if w.cols[j].Missing[row] {
				fill.apply(w.writable(j), row)
				filled[s]++
			}
		}
	}
	w.fills = append(w.fills, fill)
	total := filled[splitTrain] + filled[splitVal] + filled[splitTest]
	return RuleReport{
		ValuesFilled: total,
		Detail:       fmt.Sprintf("filled %d missing %s with %s (%s)", total, c.Name, desc, perSplit(filled)),
	}, nil
}

func (f Fill) apply(c *Column, row int) {
	if c.Numeric {
		c.Num[row] = f.Number
	} else {
		c.Str[row] = f.Text
	}
	c.Missing[row] = false
}

// numberStat is the mean, median or mode of c over rows, ignoring missing
// values; false when there are none. The mode's ties go to the smallest
// value, so the answer does not depend on map order.
func numberStat(stat string, c *Column, rows []int) (float64, bool) {
	vals := make([]float64, 0, len(rows))
	for _, r := range rows {
		if !c.Missing[r] {
			vals = append(vals, c.Num[r])
		}
	}
	if len(vals) == 0 {
		return 0, false
	}
	switch stat {
	case "mean":
		return mean(vals), true
	case "median":
		slices.Sort(vals)
		n := len(vals)
		if n%2 == 1 {
			return vals[n/2], true
		}
		return (vals[n/2-1] + vals[n/2]) / 2, true
	}
	slices.Sort(vals)
	best, bestCount := vals[0], 0
	for i := 0; i < len(vals); {
		k := i
		for k < len(vals) && vals[k] == vals[i] {
			k++
		}
		if k-i > bestCount {
			best, bestCount = vals[i], k-i
		}
		i = k
	}
	return best, true
}

// textMode is the most frequent value of c over rows; ties go to the
// smallest string.
func textMode(c *Column, rows []int) (string, bool) {
	counts := map[string]int{}
	for _, r := range rows {
		if !c.Missing[r] {
			counts[c.Str[r]]++
		}
	}
	best, bestCount := "", 0
	for s, n := range counts {
		if n > bestCount || (n == bestCount && s < best) {
			best, bestCount = s, n
		}
	}
	return best, bestCount > 0
}

func mean(vals []float64) float64 {
	var sum float64
	for _, v := range vals {
		sum += v
	}
	return sum / float64(len(vals))
}

// dropDuplicates drops, within each split, every row equal in all columns
// to an earlier row of that split. Rows are bucketed by hash (w.rowHash;
// tests pass a worse one) and compared in full, so a collision never drops
// a distinct row.
func (w *workspace) dropDuplicates(hash func(row int) uint64) (dropped [numSplits]int) {
	for s, rows := range w.splits {
		first := make(map[uint64]int, len(rows)) // first row kept with each hash
		var more map[uint64][]int                // further distinct rows, on a collision
		kept := rows[:0]
		for _, r := range rows {
			h := hash(r)
			o, ok := first[h]
			switch {
			case !ok:
				first[h] = r
			case w.sameRow(o, r) || slices.ContainsFunc(more[h], func(o int) bool { return w.sameRow(o, r) }):
				dropped[s]++
				continue
			default:
				if more == nil {
					more = map[uint64][]int{}
				}
				more[h] = append(more[h], r)
			}
			kept = append(kept, r)
		}
		w.splits[s] = kept
	}
	return dropped
}

// rowHash is FNV-1a over the row's values.
func (w *workspace) rowHash(row int) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	mix := func(b byte) { h = (h ^ uint64(b)) * prime }
	for _, c := range w.cols {
		switch {
		case c.Missing[row]:
			mix(0)
		case c.Numeric:
			v := c.Num[row]
			if v == 0 {
				v = 0 // -0 equals 0
			}
			bits := math.Float64bits(v)
			for k := 0; k < 64; k += 8 {
				mix(byte(bits >> k))
			}
		default:
			s := c.Str[row]
			mix(1)
			for k := 0; k < len(s); k++ {
				mix(s[k])
			}
		}
	}
	return h
}

func (w *workspace) sameRow(a, b int) bool {
	for _, c := range w.cols {
		if c.Missing[a] != c.Missing[b] {
			return false
		}
		if c.Missing[a] {
			continue
		}
		if c.Numeric {
			if c.Num[a] != c.Num[b] {
				return false
			}
		} else if c.Str[a] != c.Str[b] {
			return false
		}
	}
	return true
}

// asNumber accepts the number types a decoded spec can hold (CUE decodes
// into int64, float64, *big.Int or *big.Float; JSON into float64 or
// json.Number).
func asNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	case *big.Float:
		f, _ := x.Float64()
		return f, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func asList(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, true
	case []float64:
		out := make([]any, len(x))
		for i, f := range x {
			out[i] = f
		}
		return out, true
	case []int:
		out := make([]any, len(x))
		for i, n := range x {
			out[i] = n
		}
		return out, true
	}
	return nil, false
}

// describeValue writes a spec value as the user would have: 18, "rent",
// ["a", "b"].
func describeValue(v any) string {
	if x, ok := asNumber(v); ok {
		return formatNumber(x)
	}
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case nil:
		return "null"
	case bool:
		return fmt.Sprint(x)
	}
	if list, ok := asList(v); ok {
		parts := make([]string, len(list))
		for i, e := range list {
			parts[i] = describeValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprintf("%v", v)
}

func quoteList(xs []string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(parts, ", ")
}
