package data

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
)

// rule is one kind of cleaning rule, an element of data.clean: one type and
// one file per kind (rule_*.go), each with its step when it has one. A new
// kind is a new file, a field of spec.Rule, a case of ruleOf and, if it
// changes values or columns, an entry of stepKinds.
type rule interface {
	// kind is the rule's field in the spec ("drop_na").
	kind() string
	// fit runs the rule on every split of w, fitting what it needs on
	// the training split as the rules before it left it. A rule that
	// drops rows drops them; one that changes values or columns fits a
	// step and applies it (w.applyStep). field is the rule's path
	// ("data.clean[2]"); what names the rule in the error for one that
	// removed every training row.
	fit(w *workspace, field string) (rep RuleReport, what string, err error)
	// vet follows the rule over columns known only by name and kind (the
	// first rows of a source), reporting what fit would find wrong.
	vet(c *schemaCheck, field string)
}

// ruleOf is r as the type of its kind, nil when r sets no field. It looks
// at the fields in the order spec.Rule.Kind does.
func ruleOf(r spec.Rule) rule {
	switch {
	case r.DropColumns != nil:
		return dropColumns{r.DropColumns}
	case r.Rename != nil:
		return rename(r.Rename)
	case r.Cast != nil:
		return cast{r.Cast}
	case r.DropNA != nil:
		return dropNA{r.DropNA}
	case r.FillNA != nil:
		return fillNA{r.FillNA}
	case r.Filter != nil:
		return filter{r.Filter}
	case r.DropDuplicates != nil:
		return dropDuplicates{r.DropDuplicates}
	case r.Clip != nil:
		return clip{r.Clip}
	case r.Replace != nil:
		return replace{r.Replace}
	case r.NormalizeText != nil:
		return normalize{r.NormalizeText}
	}
	return nil
}

// ruleKinds lists the kinds in the schema's order, for messages.
var ruleKinds = []string{kindDropColumns, kindRename, kindCast, kindDropNA, kindFillNA, kindFilter,
	kindDropDuplicates, kindClip, kindReplace, kindNormalize}

// step is a fitted rule that changes values or columns rather than
// choosing rows: what Transform replays, in spec order, on new rows so they
// reach the encoders as the training rows did. Rules that drop rows
// (drop_na, filter, drop_duplicates) have none: scoring keeps every row.
type step interface {
	kind() string
	// apply runs the step on the rows of each group and returns how many
	// values it changed in each. A column the table does not have is
	// skipped: Prepare checked them all when it fitted the step, and for
	// Transform only the columns the encoders need matter, which they
	// check themselves.
	apply(t *table, groups [][]int) ([]int, error)
}

// stepKinds makes an empty step of each kind, for reading a Pipeline.
var stepKinds = map[string]func() step{
	kindRename:      func() step { return &renameStep{} },
	kindDropColumns: func() step { return &dropColumnsStep{} },
	kindCast:        func() step { return &castStep{} },
	kindFillNA:      func() step { return &fillStep{} },
	kindClip:        func() step { return &clipStep{} },
	kindReplace:     func() step { return &replaceStep{} },
	kindNormalize:   func() step { return &normalizeStep{} },
}

// Step is one fitted step of a Pipeline. Its JSON is the step's kind and
// its own fields: {"kind": "clip", "column": "Age", "min": 18}.
type Step struct{ step }

// MarshalJSON writes "kind" first, then the step's fields.
func (s Step) MarshalJSON() ([]byte, error) {
	if s.step == nil {
		return nil, errors.New("pipeline step: empty")
	}
	kind, err := json.Marshal(s.kind())
	if err != nil {
		return nil, err
	}
	fields, err := json.Marshal(s.step)
	if err != nil {
		return nil, fmt.Errorf("pipeline step %s: %w", s.kind(), err)
	}
	out := append([]byte(`{"kind":`), kind...)
	if len(fields) > len("{}") {
		out = append(out, ',')
		return append(out, fields[1:]...), nil
	}
	return append(out, '}'), nil
}

// UnmarshalJSON reads a step of any kind; one of a kind this xp does not
// know is read, and refused by Transform.
func (s *Step) UnmarshalJSON(b []byte) error {
	var head struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	newStep, ok := stepKinds[head.Kind]
	if !ok {
		s.step = unknownStep{head.Kind}
		return nil
	}
	st := newStep()
	if err := json.Unmarshal(b, st); err != nil {
		return fmt.Errorf("pipeline step %s: %w", head.Kind, err)
	}
	s.step = st
	return nil
}

// unknownStep is a step of a kind this xp does not know.
type unknownStep struct{ name string }

func (s unknownStep) kind() string { return s.name }

func (s unknownStep) apply(*table, [][]int) ([]int, error) {
	return nil, fmt.Errorf("pipeline step %q: unknown kind", s.name)
}

// applyStep applies a fitted step to every split, keeps it for the
// pipeline, and reports the values it changed (ValuesChanged) with
// detail(n, total): n of them in each split, total in all.
func (w *workspace) applyStep(st step, detail func(n [numSplits]int, total int) string) (RuleReport, string, error) {
	counts, err := st.apply(w.table, w.splits[:])
	if err != nil {
		return RuleReport{}, "", err
	}
	var n [numSplits]int
	total := 0
	for s := range n {
		n[s] = counts[s]
		total += counts[s]
	}
	w.steps = append(w.steps, Step{st})
	return RuleReport{ValuesChanged: total, Detail: detail(n, total)}, "", nil
}

// count adds, for each group, how many of its rows mark sets.
func count(changed []int, groups [][]int, mark []bool) {
	for g, rows := range groups {
		for _, r := range rows {
			if mark[r] {
				changed[g]++
			}
		}
	}
}

// schemaCheck is what Vet knows of a source's columns as the rules leave
// them, and the problems found so far.
type schemaCheck struct {
	t      *table
	kinds  []Kind
	target string
	out    []*spec.FieldError
}

// report keeps err when it is about a field.
func (c *schemaCheck) report(err error) {
	var fe *spec.FieldError
	if errors.As(err, &fe) {
		c.out = append(c.out, fe)
	}
}

// has looks a column up, reporting it when it is not there.
func (c *schemaCheck) has(field, name string) int {
	j, err := c.t.lookup(field, name)
	c.report(err)
	return j
}

// changeable is has for a rule that changes or removes the column, which
// must not be the target (as workspace.changeable).
func (c *schemaCheck) changeable(field, name string) int {
	j := c.has(field, name)
	if j >= 0 && name == c.target {
		c.out = append(c.out, targetChanged(field, name))
		return -1
	}
	return j
}

// text reports whether column j is known to hold text.
func (c *schemaCheck) text(j int) bool { return j >= 0 && c.kinds[j] == KindText }

// perSplit reads "train 8, validation 2, test 1".
func perSplit(n [numSplits]int) string {
	return fmt.Sprintf("train %d, validation %d, test %d", n[splitTrain], n[splitVal], n[splitTest])
}

// dropReport is the report of a rule that dropped rows: per split, or,
// before the split, in all.
func (w *workspace) dropReport(dropped [numSplits]int) RuleReport {
	total := dropped[splitTrain] + dropped[splitVal] + dropped[splitTest]
	if w.stage == stagePrepare {
		return RuleReport{RowsDropped: total, Detail: fmt.Sprintf("dropped %d rows before the split", total)}
	}
	return RuleReport{RowsDropped: total, Detail: fmt.Sprintf("dropped %d rows (%s)", total, perSplit(dropped))}
}

// quoteList writes "a", "b", "c".
func quoteList(xs []string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(parts, ", ")
}
