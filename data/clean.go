package data

import (
	"encoding/json"
	"fmt"
	"maps"
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
// encoded as all zeros; Kind "other_category": categories encoded as the
// shared "other" input).
type RuleReport struct {
	Index         int    `json:"index"`
	Kind          string `json:"kind"`
	RowsDropped   int    `json:"rows_dropped,omitempty"`
	ValuesFilled  int    `json:"values_filled,omitempty"`
	ValuesChanged int    `json:"values_changed,omitempty"`
	Detail        string `json:"detail"`
}

// workspace is the frame as the cleaning rules see it: the rows of each
// split, and the table of columns the rules change.
type workspace struct {
	f *Frame
	*table
	splits [numSplits][]int
	steps  []Step
	target string // the target column, which rules may not change
	// dupCols are the columns drop_duplicates compares.
	dupCols []int
}

func newWorkspace(f *Frame, splits [numSplits][]int) *workspace {
	w := &workspace{f: f, table: newTable(f), splits: splits}
	w.dupCols = w.liveColumns()
	return w
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
	case "filter":
		rep, what, err = w.filter(field+".filter", r.Filter)
	case "drop_duplicates":
		rep, what, err = w.dropDuplicatesRule(field+".drop_duplicates", r.DropDuplicates)
	case "fill_na", "drop_columns", "rename", "cast", "clip", "replace", "normalize_text":
		rep, err = w.step(i, field, r)
	default:
		err = fieldErrorf(field, ErrInvalidRule, "rule sets none of %s", strings.Join(ruleKinds, ", "))
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

var ruleKinds = []string{"drop_columns", "rename", "cast", "drop_na", "fill_na", "filter", "drop_duplicates", "clip", "replace", "normalize_text"}

// step fits a rule that changes values or columns into a Step, applies it
// to every split, and keeps it for the pipeline.
func (w *workspace) step(i int, field string, r spec.Rule) (RuleReport, error) {
	var st Step
	var err error
	var detail func(changed [numSplits]int, total int) string
	switch r.Kind() {
	case "fill_na":
		var desc string
		st, desc, err = w.fitFill(field+".fill_na", r.FillNA)
		detail = func(n [numSplits]int, total int) string {
			return fmt.Sprintf("filled %d missing %s with %s (%s)", total, r.FillNA.Column, desc, perSplit(n))
		}
	case "drop_columns":
		st, err = w.fitDropColumns(i, field+".drop_columns", r.DropColumns)
		detail = func([numSplits]int, int) string { return "dropped columns " + strings.Join(st.Columns, ", ") }
	case "rename":
		st, err = w.fitRename(i, field+".rename", r.Rename)
		detail = func([numSplits]int, int) string {
			var parts []string
			for _, old := range slices.Sorted(maps.Keys(st.Rename)) {
				parts = append(parts, fmt.Sprintf("%s to %s", old, st.Rename[old]))
			}
			return "renamed " + strings.Join(parts, ", ")
		}
	case "cast":
		st, err = w.fitCast(field+".cast", r.Cast)
		detail = func(n [numSplits]int, total int) string {
			d := fmt.Sprintf("cast %s to %s", r.Cast.Column, r.Cast.To)
			if total > 0 {
				d += fmt.Sprintf("; %d values were not numbers and became missing (%s)", total, perSplit(n))
			}
			return d
		}
	case "clip":
		st, err = w.fitClip(field+".clip", r.Clip)
		detail = func(n [numSplits]int, total int) string {
			return fmt.Sprintf("%s: %d values changed (%s)", st.describe(), total, perSplit(n))
		}
	case "replace":
		st, err = w.fitReplace(field+".replace", r.Replace)
		detail = func(n [numSplits]int, total int) string {
			return fmt.Sprintf("replaced %d values of %s (%s)", total, r.Replace.Column, perSplit(n))
		}
	case "normalize_text":
		st, err = w.fitNormalize(field+".normalize_text", r.NormalizeText)
		detail = func(n [numSplits]int, total int) string {
			return fmt.Sprintf("%s: %d values changed (%s)", st.describe(), total, perSplit(n))
		}
	}
	if err != nil {
		return RuleReport{}, err
	}
	counts, err := st.apply(w.table, w.splits[:])
	if err != nil {
		return RuleReport{}, &spec.FieldError{Field: field, Err: err}
	}
	var n [numSplits]int
	total := 0
	for s := range n {
		n[s] = counts[s]
		total += counts[s]
	}
	w.steps = append(w.steps, st)
	rep := RuleReport{Detail: detail(n, total)}
	if st.Kind == "fill_na" {
		rep.ValuesFilled = total
	} else {
		rep.ValuesChanged = total
	}
	return rep, nil
}

// changeable is the column a value-changing rule names, which must not be
// the target: the labels are read before cleaning.
func (w *workspace) changeable(field, name string) (int, error) {
	j, err := w.lookup(field, name)
	if err != nil {
		return -1, err
	}
	if name == w.target {
		return -1, fieldErrorf(field, ErrInvalidRule, "%q is the target; cleaning rules may drop rows by it but not change it (its classes are read before cleaning)", name)
	}
	return j, nil
}

func (w *workspace) fitDropColumns(i int, field string, r *spec.DropColumns) (Step, error) {
	if len(r.Columns) == 0 {
		return Step{}, fieldErrorf(field+".columns", ErrInvalidRule, "names no columns")
	}
	for k, name := range r.Columns {
		if _, err := w.changeable(fmt.Sprintf("%s.columns[%d]", field, k), name); err != nil {
			return Step{}, err
		}
	}
	for _, name := range r.Columns {
		w.formerly[name] = fmt.Sprintf("dropped by data.clean[%d]", i)
	}
	return Step{Kind: "drop_columns", Columns: slices.Clone(r.Columns)}, nil
}

func (w *workspace) fitRename(i int, field string, m map[string]string) (Step, error) {
	if len(m) == 0 {
		return Step{}, fieldErrorf(field, ErrInvalidRule, "renames nothing")
	}
	olds := slices.Sorted(maps.Keys(m))
	for _, old := range olds {
		if _, err := w.changeable(field+"."+cueLabel(old), old); err != nil {
			return Step{}, err
		}
	}
	// The names after the rename must be distinct.
	after := map[string]string{}
	for _, name := range w.present() {
		if to, ok := m[name]; ok {
			name = to
		}
		if prev, dup := after[name]; dup {
			return Step{}, fieldErrorf(field, ErrInvalidRule, "two columns would be called %q (%s)", name, andQuoted(prev, name, m))
		}
		after[name] = name
	}
	for _, old := range olds {
		if m[old] != old {
			w.formerly[old] = fmt.Sprintf("renamed to %q by data.clean[%d]", m[old], i)
		}
		delete(w.formerly, m[old])
	}
	return Step{Kind: "rename", Rename: maps.Clone(m)}, nil
}

// andQuoted names the columns that would collide at name.
func andQuoted(_, name string, m map[string]string) string {
	var from []string
	for _, old := range slices.Sorted(maps.Keys(m)) {
		if m[old] == name {
			from = append(from, fmt.Sprintf("%q", old))
		}
	}
	if len(from) == 1 {
		return fmt.Sprintf("%s is renamed to an existing column", from[0])
	}
	return strings.Join(from, " and ") + " are renamed to it"
}

var castTargets = []string{"number", "text"}

func (w *workspace) fitCast(field string, r *spec.Cast) (Step, error) {
	if _, err := w.changeable(field+".column", r.Column); err != nil {
		return Step{}, err
	}
	if !slices.Contains(castTargets, r.To) {
		return Step{}, fieldErrorf(field+".to", ErrInvalidRule, "%q is not one of %s%s", r.To, quoteList(castTargets), didYouMean(r.To, castTargets))
	}
	return Step{Kind: "cast", Column: r.Column, To: r.To}, nil
}

func (w *workspace) fitClip(field string, r *spec.Clip) (Step, error) {
	j, err := w.changeable(field+".column", r.Column)
	if err != nil {
		return Step{}, err
	}
	c := w.cols[j]
	if !c.Numeric {
		return Step{}, fieldErrorf(field+".column", ErrType, "clip needs numbers but column %q holds text (cast it to number first)", r.Column)
	}
	st := Step{Kind: "clip", Column: r.Column}
	switch {
	case len(r.Quantiles) > 0:
		if r.Min != nil || r.Max != nil {
			return Step{}, fieldErrorf(field, ErrInvalidRule, "clip takes min/max or quantiles, not both")
		}
		q := r.Quantiles
		if len(q) != 2 || !(q[0] >= 0 && q[0] <= q[1] && q[1] <= 1) {
			return Step{}, fieldErrorf(field+".quantiles", ErrInvalidRule, "want [lower, upper] with 0 <= lower <= upper <= 1, not %v", q)
		}
		vals := presentValues(c, w.splits[splitTrain])
		if len(vals) == 0 {
			return Step{}, fieldErrorf(field, ErrInvalidRule, "column %q has no values in the training split to take quantiles of", r.Column)
		}
		slices.Sort(vals)
		lo, hi := quantile(vals, q[0]), quantile(vals, q[1])
		st.Min, st.Max = &lo, &hi
	case r.Min == nil && r.Max == nil:
		return Step{}, fieldErrorf(field, ErrInvalidRule, "clip needs min, max or quantiles")
	default:
		if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
			return Step{}, fieldErrorf(field, ErrInvalidRule, "min %v is above max %v", *r.Min, *r.Max)
		}
		st.Min, st.Max = r.Min, r.Max
	}
	return st, nil
}

func presentValues(c *Column, rows []int) []float64 {
	vals := make([]float64, 0, len(rows))
	for _, r := range rows {
		if !c.Missing[r] {
			vals = append(vals, c.Num[r])
		}
	}
	return vals
}

// quantile is the q-quantile of sorted by linear interpolation between the
// closest ranks (numpy's default, pandas' too).
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	i := int(math.Floor(pos))
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(i)
	return sorted[i] + frac*(sorted[i+1]-sorted[i])
}

func (w *workspace) fitReplace(field string, r *spec.Replace) (Step, error) {
	j, err := w.changeable(field+".column", r.Column)
	if err != nil {
		return Step{}, err
	}
	if len(r.Values) == 0 {
		return Step{}, fieldErrorf(field+".values", ErrInvalidRule, "replaces nothing")
	}
	c := w.cols[j]
	st := Step{Kind: "replace", Column: r.Column, Numeric: c.Numeric}
	for _, from := range slices.Sorted(maps.Keys(r.Values)) {
		vf := field + ".values." + cueLabel(from)
		to := r.Values[from]
		rep := Replacement{From: from}
		if c.Numeric {
			x, kind := classify([]byte(from))
			if kind != cellNumber {
				return Step{}, fieldErrorf(vf, ErrType, "column %q holds numbers; %q is not one (cast the column to text to replace text)", r.Column, from)
			}
			rep.From = formatNumber(x)
			if to != nil {
				y, ok := asNumber(to)
				if !ok {
					return Step{}, fieldErrorf(vf, ErrType, "column %q holds numbers; replace with a number or null, not %s", r.Column, describeValue(to))
				}
				s := formatNumber(y)
				rep.To = &s
			}
		} else if to != nil {
			s, ok := to.(string)
			if !ok {
				x, isNum := asNumber(to)
				if !isNum {
					return Step{}, fieldErrorf(vf, ErrType, "replace with a string or null, not %s", describeValue(to))
				}
				s = formatNumber(x)
			}
			rep.To = &s
		}
		st.Replace = append(st.Replace, rep)
	}
	return st, nil
}

func (w *workspace) fitNormalize(field string, r *spec.NormalizeText) (Step, error) {
	if len(r.Columns) == 0 {
		return Step{}, fieldErrorf(field+".columns", ErrInvalidRule, "names no columns")
	}
	for k, name := range r.Columns {
		f := fmt.Sprintf("%s.columns[%d]", field, k)
		j, err := w.changeable(f, name)
		if err != nil {
			return Step{}, err
		}
		if w.cols[j].Numeric {
			return Step{}, fieldErrorf(f, ErrType, "normalize_text needs text but column %q holds numbers", name)
		}
	}
	return Step{Kind: "normalize_text", Columns: slices.Clone(r.Columns), Lowercase: r.Lowercase, Trim: r.Trim, StripHTML: r.StripHTML}, nil
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
			if !w.gone[j] {
				cols = append(cols, j)
			}
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

func (w *workspace) dropDuplicatesRule(field string, r *spec.DropDuplicates) (RuleReport, string, error) {
	what := "drop_duplicates"
	cols := w.liveColumns()
	if r != nil && len(r.Subset) > 0 {
		cols = nil
		for k, name := range r.Subset {
			j, err := w.lookup(fmt.Sprintf("%s.subset[%d]", field, k), name)
			if err != nil {
				return RuleReport{}, "", err
			}
			cols = append(cols, j)
		}
		what += " " + strings.Join(r.Subset, ", ")
	}
	w.dupCols = cols
	return dropReport(w.dropDuplicates(w.rowHash)), what, nil
}

// liveColumns lists the indices of the columns still in the table.
func (w *workspace) liveColumns() []int {
	var out []int
	for j := range w.cols {
		if !w.gone[j] {
			out = append(out, j)
		}
	}
	return out
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
		return RuleReport{}, "", &spec.FieldError{Field: field + "." + bad.part, Err: bad.err}
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

// fitFill fits a fill_na rule on the training split; desc says what it
// fills with, for the report.
func (w *workspace) fitFill(field string, r *spec.FillNA) (Step, string, error) {
	j, err := w.changeable(field+".column", r.Column)
	if err != nil {
		return Step{}, "", err
	}
	c := w.cols[j]
	fill := Fill{Column: c.Name, Numeric: c.Numeric}
	var desc string
	switch r.With {
	case "mean", "median", "mode":
		if !c.Numeric && r.With != "mode" {
			return Step{}, "", fieldErrorf(field+".with", ErrType, "%s needs numbers but column %q holds text (use mode or constant)", r.With, c.Name)
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
			return Step{}, "", fieldErrorf(field, ErrInvalidRule, "column %q has no values in the training split to take the %s of", c.Name, r.With)
		}
	case "constant":
		if r.Value == nil {
			return Step{}, "", fieldErrorf(field+".value", ErrInvalidRule, "with: \"constant\" needs a value")
		}
		if c.Numeric {
			x, ok := asNumber(r.Value)
			if !ok {
				return Step{}, "", fieldErrorf(field+".value", ErrType, "column %q holds numbers; %s is not one", c.Name, describeValue(r.Value))
			}
			fill.Number = x
			desc = formatNumber(x)
		} else {
			s, ok := r.Value.(string)
			if !ok {
				return Step{}, "", fieldErrorf(field+".value", ErrType, "column %q holds text; fill it with a string, not %s", c.Name, describeValue(r.Value))
			}
			fill.Text = s
			desc = fmt.Sprintf("%q", s)
		}
	default:
		return Step{}, "", fieldErrorf(field+".with", ErrInvalidRule, "%q is not one of %s%s",
			r.With, quoteList(fillMethods), didYouMean(r.With, fillMethods))
	}
	return Step{Kind: "fill_na", Fill: &fill}, desc, nil
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

// dropDuplicates drops, within each split, every row equal in the columns
// w.dupCols to an earlier row of that split. Rows are bucketed by hash (w.rowHash;
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

// rowHash is FNV-1a over the row's values in w.dupCols.
func (w *workspace) rowHash(row int) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	mix := func(b byte) { h = (h ^ uint64(b)) * prime }
	for _, j := range w.dupCols {
		c := w.cols[j]
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
	for _, j := range w.dupCols {
		c := w.cols[j]
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
