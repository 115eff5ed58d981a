package data

import (
	"encoding/json"
	"errors"
	"fmt"
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
	// Stage is "prepare" for a rule of data.prepare (Index is then its
	// position there), empty for data.clean and encoding.
	Stage         string `json:"stage,omitempty"`
	Index         int    `json:"index"`
	Kind          string `json:"kind"`
	RowsDropped   int    `json:"rows_dropped,omitempty"`
	ValuesFilled  int    `json:"values_filled,omitempty"`
	ValuesChanged int    `json:"values_changed,omitempty"`
	Detail        string `json:"detail"`
}

// Where names the report's rule as the run's log and xp show do:
// "prepare[0] drop_duplicates", "clean[2] filter", "encode impute".
func (r RuleReport) Where() string {
	switch {
	case r.Stage == stagePrepare:
		return fmt.Sprintf("prepare[%d] %s", r.Index, r.Kind)
	case r.Index < 0:
		return "encode " + r.Kind
	}
	return fmt.Sprintf("clean[%d] %s", r.Index, r.Kind)
}

// stagePrepare is data.prepare: rules run on all the rows, before the split.
const stagePrepare = "prepare"

// prepareKinds are the kinds of rule data.prepare takes: they drop rows by
// each row's own values (or by its equal to an earlier row) and fit
// nothing, so running them before the split lets no test row shape a
// training row. The schema allows only these (#PrepareRule).
var prepareKinds = []string{kindDropDuplicates, kindDropNA, kindFilter}

// workspace is the frame as the cleaning rules see it: the rows of each
// split, and the table of columns the rules change.
type workspace struct {
	f *Frame
	*table
	splits [numSplits][]int
	steps  []Step
	target string // the target column, which rules may not change
	// stage is stagePrepare while data.prepare runs, on all the rows as
	// one group in splits[splitTrain]; empty for data.clean.
	stage string
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
	if w.stage == stagePrepare {
		field = fmt.Sprintf("data.prepare[%d]", i)
	}
	ru := ruleOf(r)
	if ru == nil {
		return RuleReport{}, fieldErrorf(field, ErrInvalidRule, "rule sets none of %s", strings.Join(ruleKinds, ", "))
	}
	if w.stage == stagePrepare && !slices.Contains(prepareKinds, ru.kind()) {
		return RuleReport{}, fieldErrorf(field+"."+ru.kind(), ErrInvalidRule, "%s goes in data.clean: data.prepare only drops rows (%s)",
			ru.kind(), strings.Join(prepareKinds, ", "))
	}
	trainBefore := len(w.splits[splitTrain])
	rep, what, err := ru.fit(w, field)
	if err != nil {
		// An error of a step that names no field of the rule (a column
		// of the wrong type) is the rule's.
		var fe *spec.FieldError
		if !errors.As(err, &fe) {
			err = &spec.FieldError{Field: field, Err: err}
		}
		return RuleReport{}, err
	}
	rep.Stage, rep.Index, rep.Kind = w.stage, i, ru.kind()
	if len(w.splits[splitTrain]) == 0 {
		if w.stage == stagePrepare {
			return RuleReport{}, fieldErrorf(field, ErrEmptyTrain, "%s removed all %d rows", what, trainBefore)
		}
		return RuleReport{}, fieldErrorf(field, ErrEmptyTrain, "%s removed all %d training rows", what, trainBefore)
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
		return -1, targetChanged(field, name)
	}
	return j, nil
}

// targetChanged is the error for a rule that would change or remove the
// target column.
func targetChanged(field, name string) *spec.FieldError {
	return fieldErrorf(field, ErrInvalidRule, "%q is the target; cleaning rules may drop rows by it but not change it (its classes are read before cleaning)", name)
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
