package data

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
)

// loans is a small frame with every kind of value: row 5 repeats row 1,
// Age and Income have gaps, Home has one.
const loans = `Status,Age,Home,Income
good,30,rent,100
bad,NA,owner,200
good,45,,NA
bad,17,rent,150
good,30,rent,100
bad,60,parents,NA
`

// allTrain keeps every row in the training split, so a rule's effect on the
// rows can be read off directly.
func allTrain(rules ...spec.Rule) spec.Data {
	return spec.Data{Target: "Status", Clean: rules, Split: spec.Split{Seed: 1}}
}

func TestCleanRules(t *testing.T) {
	tests := []struct {
		name        string
		rule        spec.Rule
		wantRows    []int // frame rows left in train
		wantDropped int
		wantFilled  int
		wantFill    *Fill
		wantDetail  string
	}{
		{name: "drop_na columns", rule: spec.Rule{DropNA: &spec.DropNA{Columns: []string{"Income"}}},
			wantRows: []int{0, 1, 3, 4}, wantDropped: 2, wantDetail: "dropped 2 rows (train 2, validation 0, test 0)"},
		{name: "drop_na all", rule: spec.Rule{DropNA: &spec.DropNA{}},
			wantRows: []int{0, 3, 4}, wantDropped: 3},
		{name: "fill_na mean", rule: spec.Rule{FillNA: &spec.FillNA{Column: "Income", With: "mean"}},
			wantRows: []int{0, 1, 2, 3, 4, 5}, wantFilled: 2,
			wantFill:   &Fill{Column: "Income", Numeric: true, Number: 137.5},
			wantDetail: "filled 2 missing Income with the training mean 137.5 (train 2, validation 0, test 0)"},
		{name: "fill_na median", rule: spec.Rule{FillNA: &spec.FillNA{Column: "Age", With: "median"}},
			wantRows: []int{0, 1, 2, 3, 4, 5}, wantFilled: 1, wantFill: &Fill{Column: "Age", Numeric: true, Number: 30}},
		{name: "fill_na median of an even count", rule: spec.Rule{FillNA: &spec.FillNA{Column: "Income", With: "median"}},
			wantRows: []int{0, 1, 2, 3, 4, 5}, wantFilled: 2, wantFill: &Fill{Column: "Income", Numeric: true, Number: 125}},
		{name: "fill_na mode of numbers", rule: spec.Rule{FillNA: &spec.FillNA{Column: "Income", With: "mode"}},
			wantRows: []int{0, 1, 2, 3, 4, 5}, wantFilled: 2, wantFill: &Fill{Column: "Income", Numeric: true, Number: 100}},
		{name: "fill_na mode of text", rule: spec.Rule{FillNA: &spec.FillNA{Column: "Home", With: "mode"}},
			wantRows: []int{0, 1, 2, 3, 4, 5}, wantFilled: 1, wantFill: &Fill{Column: "Home", Text: "rent"}},
		{name: "fill_na constant text", rule: spec.Rule{FillNA: &spec.FillNA{Column: "Home", With: "constant", Value: "none"}},
			wantRows: []int{0, 1, 2, 3, 4, 5}, wantFilled: 1, wantFill: &Fill{Column: "Home", Text: "none"}},
		{name: "fill_na constant number", rule: spec.Rule{FillNA: &spec.FillNA{Column: "Age", With: "constant", Value: int64(-1)}},
			wantRows: []int{0, 1, 2, 3, 4, 5}, wantFilled: 1, wantFill: &Fill{Column: "Age", Numeric: true, Number: -1}},
		{name: "filter >=", rule: spec.Rule{Filter: &spec.Filter{Column: "Age", Op: ">=", Value: int64(18)}},
			wantRows: []int{0, 2, 4, 5}, wantDropped: 2,
			wantDetail: "dropped 2 rows (train 2, validation 0, test 0); 1 of them had no Age"},
		{name: "filter <", rule: spec.Rule{Filter: &spec.Filter{Column: "Age", Op: "<", Value: 30.0}},
			wantRows: []int{3}, wantDropped: 5},
		{name: "filter <=", rule: spec.Rule{Filter: &spec.Filter{Column: "Age", Op: "<=", Value: 30.0}},
			wantRows: []int{0, 3, 4}, wantDropped: 3},
		{name: "filter >", rule: spec.Rule{Filter: &spec.Filter{Column: "Income", Op: ">", Value: 100}},
			wantRows: []int{1, 3}, wantDropped: 4},
		{name: "filter == number", rule: spec.Rule{Filter: &spec.Filter{Column: "Age", Op: "==", Value: 30}},
			wantRows: []int{0, 4}, wantDropped: 4},
		{name: "filter != number", rule: spec.Rule{Filter: &spec.Filter{Column: "Age", Op: "!=", Value: 30}},
			wantRows: []int{2, 3, 5}, wantDropped: 3},
		{name: "filter in numbers", rule: spec.Rule{Filter: &spec.Filter{Column: "Age", Op: "in", Value: []any{int64(17), 60.0}}},
			wantRows: []int{3, 5}, wantDropped: 4},
		{name: "filter == text", rule: spec.Rule{Filter: &spec.Filter{Column: "Home", Op: "==", Value: "rent"}},
			wantRows: []int{0, 3, 4}, wantDropped: 3},
		{name: "filter != text", rule: spec.Rule{Filter: &spec.Filter{Column: "Home", Op: "!=", Value: "rent"}},
			wantRows: []int{1, 5}, wantDropped: 4},
		{name: "filter in text", rule: spec.Rule{Filter: &spec.Filter{Column: "Home", Op: "in", Value: []any{"owner", "parents"}}},
			wantRows: []int{1, 5}, wantDropped: 4},
		{name: "drop_duplicates", rule: spec.Rule{DropDuplicates: &spec.DropDuplicates{}},
			wantRows: []int{0, 1, 2, 3, 5}, wantDropped: 1},
	}
	f := mustParse(t, "loans.csv", loans)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorkspace(f, [numSplits][]int{splitTrain: {0, 1, 2, 3, 4, 5}})
			rep, err := w.apply(0, tt.rule)
			if err != nil {
				t.Fatal(err)
			}
			if got := w.splits[splitTrain]; !slices.Equal(got, tt.wantRows) {
				t.Errorf("train rows %v, want %v", got, tt.wantRows)
			}
			if rep.Index != 0 || rep.Kind != tt.rule.Kind() || rep.RowsDropped != tt.wantDropped || rep.ValuesFilled != tt.wantFilled {
				t.Errorf("report %+v, want kind %s, %d dropped, %d filled", rep, tt.rule.Kind(), tt.wantDropped, tt.wantFilled)
			}
			if tt.wantDetail != "" && rep.Detail != tt.wantDetail {
				t.Errorf("detail %q, want %q", rep.Detail, tt.wantDetail)
			}
			if tt.wantFill != nil {
				if len(w.steps) != 1 || fillOf(w.steps[0]) == nil || *fillOf(w.steps[0]) != *tt.wantFill {
					t.Errorf("steps %+v, want one filling %+v", w.steps, *tt.wantFill)
				}
				c := w.cols[f.index(tt.wantFill.Column)]
				for _, r := range w.splits[splitTrain] {
					if c.Missing[r] {
						t.Errorf("row %d still missing after the fill", r)
					}
				}
			}
		})
	}
	// No rule changed the caller's frame.
	if again := mustParse(t, "loans.csv", loans); !sameFrame(f, again) {
		t.Error("a rule modified the input frame")
	}
}

func sameFrame(a, b *Frame) bool {
	if !slices.Equal(a.Names, b.Names) || !slices.Equal(a.Line, b.Line) {
		return false
	}
	for j := range a.Cols {
		ca, cb := a.Cols[j], b.Cols[j]
		if ca.Numeric != cb.Numeric || !slices.Equal(ca.Missing, cb.Missing) || !slices.Equal(ca.Str, cb.Str) {
			return false
		}
		for i := range ca.Num {
			if ca.Num[i] != cb.Num[i] && !(ca.Missing[i] && cb.Missing[i]) {
				return false
			}
		}
	}
	return true
}

// Rules run in order, each on what the one before left.
func TestCleanRulesInOrder(t *testing.T) {
	f := mustParse(t, "loans.csv", loans)
	p, err := Prepare(f, allTrain(
		spec.Rule{FillNA: &spec.FillNA{Column: "Age", With: "constant", Value: 99}},
		spec.Rule{Filter: &spec.Filter{Column: "Age", Op: ">=", Value: 18}},
		spec.Rule{DropDuplicates: &spec.DropDuplicates{}},
	))
	if err != nil {
		t.Fatal(err)
	}
	// The filled Age 99 passes the filter; only the 17-year-old and the
	// duplicate go.
	if want := []int{0, 1, 2, 5}; !slices.Equal(p.TrainRows, want) {
		t.Errorf("train rows %v, want %v", p.TrainRows, want)
	}
	if len(p.Report) < 3 || p.Report[1].RowsDropped != 1 || p.Report[2].RowsDropped != 1 {
		t.Errorf("report %+v", p.Report)
	}
}

func wantFieldError(t *testing.T, err error, field string, kind error, parts ...string) {
	t.Helper()
	var fe *spec.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want a *spec.FieldError", err, err)
	}
	if fe.Field != field {
		t.Errorf("field %q, want %q (error %q)", fe.Field, field, err)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %q does not match %v", err, kind)
	}
	if !strings.HasPrefix(err.Error(), field+": ") {
		t.Errorf("error %q does not start with the field", err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q, want it to contain %q", err, p)
		}
	}
}

func TestCleanErrors(t *testing.T) {
	f := mustParse(t, "loans.csv", loans)
	tests := []struct {
		name  string
		rules []spec.Rule
		field string
		kind  error
		parts []string
	}{
		{"drop_na unknown column",
			[]spec.Rule{{DropNA: &spec.DropNA{Columns: []string{"Age", "Incme"}}}},
			"data.clean[0].drop_na.columns[1]", ErrColumnNotFound,
			[]string{`column "Incme" not found in loans.csv; did you mean "Income"?`}},
		{"fill_na unknown column",
			[]spec.Rule{{DropDuplicates: &spec.DropDuplicates{}}, {FillNA: &spec.FillNA{Column: "Agee", With: "mean"}}},
			"data.clean[1].fill_na.column", ErrColumnNotFound, []string{`did you mean "Age"?`}},
		{"filter unknown column",
			[]spec.Rule{{Filter: &spec.Filter{Column: "Hme", Op: "==", Value: "rent"}}},
			"data.clean[0].filter.column", ErrColumnNotFound, []string{`did you mean "Home"?`}},
		{"filter numeric op on text",
			[]spec.Rule{{Filter: &spec.Filter{Column: "Home", Op: ">", Value: "rent"}}},
			"data.clean[0].filter.op", ErrType, []string{`> compares numbers but column "Home" holds text`}},
		{"filter unknown op",
			[]spec.Rule{{Filter: &spec.Filter{Column: "Age", Op: "=>", Value: 1}}},
			"data.clean[0].filter.op", ErrInvalidRule, []string{`"=>" is not one of "==", "!=", "<", "<=", ">", ">=", "in"; did you mean ">="?`}},
		{"filter text value on numbers",
			[]spec.Rule{{Filter: &spec.Filter{Column: "Age", Op: ">=", Value: "18"}}},
			"data.clean[0].filter.value", ErrType, []string{`column "Age" holds numbers; "18" is not one`}},
		{"filter number on text",
			[]spec.Rule{{Filter: &spec.Filter{Column: "Home", Op: "==", Value: 3}}},
			"data.clean[0].filter.value", ErrType, []string{"not 3"}},
		{"filter in needs a list",
			[]spec.Rule{{Filter: &spec.Filter{Column: "Home", Op: "in", Value: "rent"}}},
			"data.clean[0].filter.value", ErrType, []string{"list"}},
		{"filter in with a wrong element",
			[]spec.Rule{{Filter: &spec.Filter{Column: "Age", Op: "in", Value: []any{1, "x"}}}},
			"data.clean[0].filter.value", ErrType, []string{`"x" is not one`}},
		{"fill_na mean of text",
			[]spec.Rule{{FillNA: &spec.FillNA{Column: "Home", With: "mean"}}},
			"data.clean[0].fill_na.with", ErrType, []string{"mean needs numbers"}},
		{"fill_na unknown method",
			[]spec.Rule{{FillNA: &spec.FillNA{Column: "Age", With: "medain"}}},
			"data.clean[0].fill_na.with", ErrInvalidRule, []string{`did you mean "median"?`}},
		{"fill_na constant of the wrong type",
			[]spec.Rule{{FillNA: &spec.FillNA{Column: "Age", With: "constant", Value: "old"}}},
			"data.clean[0].fill_na.value", ErrType, nil},
		{"fill_na constant without a value",
			[]spec.Rule{{FillNA: &spec.FillNA{Column: "Home", With: "constant"}}},
			"data.clean[0].fill_na.value", ErrInvalidRule, nil},
		{"fill_na with nothing to learn from",
			[]spec.Rule{{DropNA: &spec.DropNA{Columns: []string{"Age"}}}, {Filter: &spec.Filter{Column: "Age", Op: "<", Value: 40}},
				{Filter: &spec.Filter{Column: "Home", Op: "==", Value: "rent"}}, {FillNA: &spec.FillNA{Column: "Income", With: "median"}}},
			"", nil, nil}, // fine: Income has values in what is left
		{"filter removes every training row",
			[]spec.Rule{{DropDuplicates: &spec.DropDuplicates{}}, {DropNA: &spec.DropNA{}}, {Filter: &spec.Filter{Column: "Age", Op: ">=", Value: 180}}},
			"data.clean[2]", ErrEmptyTrain, []string{"data.clean[2]: filter Age >= 180 removed all 2 training rows"}},
		{"empty rule",
			[]spec.Rule{{}},
			"data.clean[0]", ErrInvalidRule, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Prepare(f, allTrain(tt.rules...))
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantFieldError(t, err, tt.field, tt.kind, tt.parts...)
		})
	}
}

// A fill_na with no value in the training split to learn from is an error,
// even when other splits have values.
func TestFillNANoTrainingValues(t *testing.T) {
	var b strings.Builder
	b.WriteString("Status,x\n")
	for i := range 40 {
		if i%2 == 0 {
			b.WriteString("a,NA\n")
		} else {
			b.WriteString("b,NA\n")
		}
	}
	f := mustParse(t, "gaps.csv", b.String())
	_, err := Prepare(f, allTrain(spec.Rule{FillNA: &spec.FillNA{Column: "x", With: "mean"}}))
	wantFieldError(t, err, "data.clean[0].fill_na", ErrInvalidRule, `column "x" has no values in the training split`)
}

// Duplicates are found by comparing rows, not hashes: with every row in one
// hash bucket the result is the same as a brute-force search.
func TestDropDuplicatesCollisions(t *testing.T) {
	var b strings.Builder
	b.WriteString("y,x,s\n")
	for i := range 300 {
		x, s := fmt.Sprint(i%5), fmt.Sprintf("s%d", i%7)
		if i%11 == 0 {
			x = "NA"
		}
		if i%13 == 0 {
			s = ""
		}
		fmt.Fprintf(&b, "%c,%s,%s\n", 'a'+i%2, x, s)
	}
	f := mustParse(t, "dups.csv", b.String())
	all := make([]int, f.Len())
	for i := range all {
		all[i] = i
	}
	var want []int
	for _, r := range all {
		dup := false
		for _, o := range want {
			if sameRowBrute(f, o, r) {
				dup = true
				break
			}
		}
		if !dup {
			want = append(want, r)
		}
	}
	for name, hash := range map[string]func(*workspace) func(int) uint64{
		"fnv":      func(w *workspace) func(int) uint64 { return w.rowHash },
		"one hash": func(*workspace) func(int) uint64 { return func(int) uint64 { return 7 } },
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorkspace(f, [numSplits][]int{splitTrain: slices.Clone(all)})
			dropped := w.dropDuplicates(hash(w))
			if !slices.Equal(w.splits[splitTrain], want) || dropped[splitTrain] != len(all)-len(want) {
				t.Errorf("kept %d rows %v, want %d %v", len(w.splits[splitTrain]), w.splits[splitTrain], len(want), want)
			}
		})
	}
	if len(want) == len(all) || len(want) < 20 {
		t.Fatalf("%d distinct rows of %d: the test data do not test much", len(want), len(all))
	}
}

func sameRowBrute(f *Frame, a, b int) bool {
	for _, c := range f.Cols {
		if c.text(a) != c.text(b) || c.Missing[a] != c.Missing[b] {
			return false
		}
	}
	return true
}

// A spec value arrives as whatever its decoder made of it.
func TestAsNumber(t *testing.T) {
	tests := []struct {
		v    any
		want float64
		ok   bool
	}{
		{int64(18), 18, true},
		{18, 18, true},
		{int32(-3), -3, true},
		{uint8(7), 7, true},
		{float32(0.5), 0.5, true},
		{2.25, 2.25, true},
		{big.NewInt(1 << 40), 1 << 40, true},
		{big.NewFloat(1.5), 1.5, true},
		{json.Number("12.5"), 12.5, true},
		{json.Number("x"), 0, false},
		{"18", 0, false},
		{nil, 0, false},
		{true, 0, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%T %v", tt.v, tt.v), func(t *testing.T) {
			got, ok := asNumber(tt.v)
			if got != tt.want || ok != tt.ok {
				t.Errorf("asNumber(%#v) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.ok)
			}
		})
	}
	for _, v := range []any{[]any{1, "a"}, []string{"a"}, []float64{1}, []int{1}} {
		if list, ok := asList(v); !ok || len(list) == 0 {
			t.Errorf("asList(%#v) = %v, %v", v, list, ok)
		}
	}
	if _, ok := asList("a"); ok {
		t.Error(`asList("a") is a list`)
	}
	if got := describeValue([]any{int64(1), "a", nil, true}); got != `[1, "a", null, true]` {
		t.Errorf("describeValue = %s", got)
	}
}

// fillOf is the fill of a fill_na step, nil for a step of another kind.
func fillOf(s Step) *Fill {
	if f, ok := s.step.(*fillStep); ok {
		return f.Fill
	}
	return nil
}
