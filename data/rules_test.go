package data

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
)

// people has a column of each kind the new rules act on: numbers with a
// sentinel (-999), numbers written as text, categories, free text with
// HTML, and a duplicate of row 0 in every column but id.
const people = `id,Status,Age,Income,Home,Note
1,good,30,100,rent,"<b>Great</b>  customer &amp; friend"
2,bad,-999,200,Owner,"  late  PAYER "
3,good,45,x,rent,NA
4,bad,17,150,parents,"<p>ok</p>"
5,good,30,100,rent,"<b>Great</b>  customer &amp; friend"
6,bad,90,1000000,owner,fine
`

func f64(x float64) *float64 { return &x }

func TestValueRules(t *testing.T) {
	type want struct {
		col     string
		num     []float64 // NaN = missing
		str     []string  // "<NA>" = missing
		changed int
		detail  string
		name    []string // the table's column names after the rule, if it renames or drops
	}
	tests := []struct {
		name string
		rule spec.Rule
		want want
	}{
		{"cast text to number", spec.Rule{Cast: &spec.Cast{Column: "Income", To: "number"}},
			want{col: "Income", num: []float64{100, 200, nan, 150, 100, 1e6}, changed: 1,
				detail: "cast Income to number; 1 values were not numbers and became missing (train 1, validation 0, test 0)"}},
		{"cast number to text", spec.Rule{Cast: &spec.Cast{Column: "Age", To: "text"}},
			want{col: "Age", str: []string{"30", "-999", "45", "17", "30", "90"}, detail: "cast Age to text"}},
		{"replace a sentinel with missing", spec.Rule{Replace: &spec.Replace{Column: "Age", Values: map[string]any{"-999": nil, "90": 89.5}}},
			want{col: "Age", num: []float64{30, nan, 45, 17, 30, 89.5}, changed: 2,
				detail: "replaced 2 values of Age (train 2, validation 0, test 0)"}},
		{"replace text", spec.Rule{Replace: &spec.Replace{Column: "Home", Values: map[string]any{"Owner": "owner", "parents": nil}}},
			want{col: "Home", str: []string{"rent", "owner", "rent", "<NA>", "rent", "owner"}, changed: 2}},
		{"clip to bounds", spec.Rule{Clip: &spec.Clip{Column: "Age", Min: f64(18), Max: f64(80)}},
			want{col: "Age", num: []float64{30, 18, 45, 18, 30, 80}, changed: 3,
				detail: "clip Age to [18, 80]: 3 values changed (train 3, validation 0, test 0)"}},
		{"clip one side", spec.Rule{Clip: &spec.Clip{Column: "Age", Min: f64(0)}},
			want{col: "Age", num: []float64{30, 0, 45, 17, 30, 90}, changed: 1}},
		// Training Age sorted: -999 17 30 30 45 90; the 0.2 quantile is at
		// rank 1 (17), the 0.9 at rank 4.5 (45 + 0.5*45 = 67.5).
		{"clip to training quantiles", spec.Rule{Clip: &spec.Clip{Column: "Age", Quantiles: []float64{0.2, 0.9}}},
			want{col: "Age", num: []float64{30, 17, 45, 17, 30, 67.5}, changed: 2,
				detail: "clip Age to [17, 67.5]: 2 values changed (train 2, validation 0, test 0)"}},
		{"normalize text", spec.Rule{NormalizeText: &spec.NormalizeText{Columns: []string{"Note"}, Lowercase: true, Trim: true, StripHTML: true}},
			want{col: "Note", str: []string{"great customer & friend", "late payer", "<NA>", "ok", "great customer & friend", "fine"}, changed: 4}},
		{"normalize trims only", spec.Rule{NormalizeText: &spec.NormalizeText{Columns: []string{"Note"}, Trim: true}},
			want{col: "Note", str: []string{"<b>Great</b> customer &amp; friend", "late PAYER", "<NA>", "<p>ok</p>", "<b>Great</b> customer &amp; friend", "fine"}, changed: 3}},
		{"rename", spec.Rule{Rename: map[string]string{"Home": "Housing", "Note": "Comment"}},
			want{col: "Housing", str: []string{"rent", "Owner", "rent", "parents", "rent", "owner"},
				name: []string{"id", "Status", "Age", "Income", "Housing", "Comment"}, detail: "renamed Home to Housing, Note to Comment"}},
		{"rename swaps", spec.Rule{Rename: map[string]string{"Home": "Note", "Note": "Home"}},
			want{col: "Home", str: []string{"<b>Great</b>  customer &amp; friend", "  late  PAYER ", "<NA>", "<p>ok</p>", "<b>Great</b>  customer &amp; friend", "fine"},
				name: []string{"id", "Status", "Age", "Income", "Note", "Home"}}},
		{"drop columns", spec.Rule{DropColumns: &spec.DropColumns{Columns: []string{"id", "Note"}}},
			want{name: []string{"Status", "Age", "Income", "Home"}, detail: "dropped columns id, Note"}},
	}
	f := mustParse(t, "people.csv", people)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorkspace(f, [numSplits][]int{splitTrain: {0, 1, 2, 3, 4, 5}})
			w.target = "Status"
			rep, err := w.apply(0, tt.rule)
			if err != nil {
				t.Fatal(err)
			}
			if rep.ValuesChanged != tt.want.changed || rep.Kind != tt.rule.Kind() {
				t.Errorf("report %+v, want %d values changed", rep, tt.want.changed)
			}
			if tt.want.detail != "" && rep.Detail != tt.want.detail {
				t.Errorf("detail %q, want %q", rep.Detail, tt.want.detail)
			}
			if tt.want.name != nil && !slices.Equal(w.present(), tt.want.name) {
				t.Errorf("columns %q, want %q", w.present(), tt.want.name)
			}
			if tt.want.col == "" {
				return
			}
			c := w.cols[w.index(tt.want.col)]
			if c.Numeric != (tt.want.str == nil) {
				t.Fatalf("column %s numeric = %v", tt.want.col, c.Numeric)
			}
			for i := range c.Missing {
				switch {
				case c.Numeric && math.IsNaN(tt.want.num[i]) != c.Missing[i],
					c.Numeric && !c.Missing[i] && c.Num[i] != tt.want.num[i],
					!c.Numeric && (tt.want.str[i] == "<NA>") != c.Missing[i],
					!c.Numeric && !c.Missing[i] && c.Str[i] != tt.want.str[i]:
					t.Errorf("row %d: %v %q missing %v, want %v %q", i, c.Num, c.Str, c.Missing[i], tt.want.num, tt.want.str)
				}
			}
		})
	}
	if again := mustParse(t, "people.csv", people); !sameFrame(f, again) {
		t.Error("a rule modified the input frame")
	}
}

func TestDropDuplicatesSubset(t *testing.T) {
	f := mustParse(t, "people.csv", people)
	tests := []struct {
		subset []string
		want   []int
	}{
		{nil, []int{0, 1, 2, 3, 4, 5}}, // id differs everywhere
		{[]string{"Age", "Home"}, []int{0, 1, 2, 3, 5}},
		{[]string{"Status"}, []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.subset, ","), func(t *testing.T) {
			w := newWorkspace(f, [numSplits][]int{splitTrain: {0, 1, 2, 3, 4, 5}})
			if _, err := w.apply(0, spec.Rule{DropDuplicates: &spec.DropDuplicates{Subset: tt.subset}}); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(w.splits[splitTrain], tt.want) {
				t.Errorf("kept %v, want %v", w.splits[splitTrain], tt.want)
			}
		})
	}
}

func TestValueRuleErrors(t *testing.T) {
	f := mustParse(t, "people.csv", people)
	data := func(rules ...spec.Rule) spec.Data {
		return spec.Data{Target: "Status", Clean: rules, Split: spec.Split{Seed: 1}}
	}
	tests := []struct {
		name  string
		rules []spec.Rule
		field string
		kind  error
		parts []string
	}{
		{"unknown column in a rule", []spec.Rule{{Clip: &spec.Clip{Column: "Aeg", Min: f64(0)}}},
			"data.clean[0].clip.column", ErrColumnNotFound, []string{`column "Aeg" not found in people.csv; did you mean "Age"?`}},
		{"a dropped column", []spec.Rule{{DropColumns: &spec.DropColumns{Columns: []string{"Note"}}}, {NormalizeText: &spec.NormalizeText{Columns: []string{"Note"}}}},
			"data.clean[1].normalize_text.columns[0]", ErrColumnNotFound, []string{`column "Note" not found: it was dropped by data.clean[0]`}},
		{"a renamed column", []spec.Rule{{Rename: map[string]string{"Age": "Years"}}, {Clip: &spec.Clip{Column: "Age", Max: f64(3)}}},
			"data.clean[1].clip.column", ErrColumnNotFound, []string{`it was renamed to "Years" by data.clean[0]`}},
		{"rename onto a column", []spec.Rule{{Rename: map[string]string{"Age": "Income"}}},
			"data.clean[0].rename", ErrInvalidRule, []string{`two columns would be called "Income"`}},
		{"rename the target", []spec.Rule{{Rename: map[string]string{"Status": "y"}}},
			"data.clean[0].rename.Status", ErrInvalidRule, []string{`"Status" is the target`}},
		{"drop the target", []spec.Rule{{DropColumns: &spec.DropColumns{Columns: []string{"Status"}}}},
			"data.clean[0].drop_columns.columns[0]", ErrInvalidRule, []string{"is the target"}},
		{"clip text", []spec.Rule{{Clip: &spec.Clip{Column: "Home", Min: f64(0)}}},
			"data.clean[0].clip.column", ErrType, []string{`clip needs numbers but column "Home" holds text`}},
		{"clip without bounds", []spec.Rule{{Clip: &spec.Clip{Column: "Age"}}},
			"data.clean[0].clip", ErrInvalidRule, []string{"needs min, max or quantiles"}},
		{"clip both", []spec.Rule{{Clip: &spec.Clip{Column: "Age", Min: f64(0), Quantiles: []float64{0, 1}}}},
			"data.clean[0].clip", ErrInvalidRule, []string{"not both"}},
		{"clip min above max", []spec.Rule{{Clip: &spec.Clip{Column: "Age", Min: f64(5), Max: f64(1)}}},
			"data.clean[0].clip", ErrInvalidRule, []string{"min 5 is above max 1"}},
		{"clip bad quantiles", []spec.Rule{{Clip: &spec.Clip{Column: "Age", Quantiles: []float64{0.9, 0.1}}}},
			"data.clean[0].clip.quantiles", ErrInvalidRule, nil},
		{"replace text key on numbers", []spec.Rule{{Replace: &spec.Replace{Column: "Age", Values: map[string]any{"old": 1}}}},
			"data.clean[0].replace.values.old", ErrType, []string{`column "Age" holds numbers; "old" is not one`}},
		{"replace numbers with text", []spec.Rule{{Replace: &spec.Replace{Column: "Age", Values: map[string]any{"-999": "none"}}}},
			"data.clean[0].replace.values.\"-999\"", ErrType, []string{"replace with a number or null"}},
		{"normalize numbers", []spec.Rule{{NormalizeText: &spec.NormalizeText{Columns: []string{"Age"}}}},
			"data.clean[0].normalize_text.columns[0]", ErrType, []string{"needs text"}},
		{"cast to a bad type", []spec.Rule{{Cast: &spec.Cast{Column: "Age", To: "numbr"}}},
			"data.clean[0].cast.to", ErrInvalidRule, []string{`did you mean "number"?`}},
		{"drop_duplicates unknown subset", []spec.Rule{{DropDuplicates: &spec.DropDuplicates{Subset: []string{"Hme"}}}},
			"data.clean[0].drop_duplicates.subset[0]", ErrColumnNotFound, []string{`did you mean "Home"?`}},
		{"fill_na on the target", []spec.Rule{{FillNA: &spec.FillNA{Column: "Status", With: "mode"}}},
			"data.clean[0].fill_na.column", ErrInvalidRule, []string{"is the target"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Prepare(f, data(tt.rules...))
			wantFieldError(t, err, tt.field, tt.kind, tt.parts...)
		})
	}
}

// Transform replays every value rule on new rows exactly as Prepare
// applied it, also after the pipeline went through JSON.
func TestTransformReplaysRules(t *testing.T) {
	var b strings.Builder
	b.WriteString("y,Age,Income,Home,Note,junk\n")
	homes := []string{"rent", "Owner", "owner", "parents", "other"}
	notes := []string{"<b>Great</b> stuff", "  meh  ", "NA", "<i>BAD</i> &amp; worse", "fine fine"}
	for i := range 300 {
		age := "NA"
		if i%7 != 0 {
			age = fmt.Sprint(15 + (i*37)%70)
		}
		if i%11 == 0 {
			age = "-999"
		}
		income := fmt.Sprint((i * 7919) % 5000)
		if i%13 == 0 {
			income = "unknown"
		}
		fmt.Fprintf(&b, "%c,%s,%s,%s,%q,%d\n", 'a'+byte(i%3%2), age, income, homes[i%5], notes[(i/3)%5], i)
	}
	f := mustParse(t, "t.csv", b.String())
	d := spec.Data{Target: "y", Split: spec.Split{Test: 0.3, Validation: 0.2, Seed: 7, Stratify: true},
		Clean: []spec.Rule{
			{DropColumns: &spec.DropColumns{Columns: []string{"junk"}}},
			{Rename: map[string]string{"Home": "Housing"}},
			{Replace: &spec.Replace{Column: "Age", Values: map[string]any{"-999": nil}}},
			{Cast: &spec.Cast{Column: "Income", To: "number"}},
			{FillNA: &spec.FillNA{Column: "Age", With: "median"}},
			{Clip: &spec.Clip{Column: "Income", Quantiles: []float64{0.05, 0.95}}},
			{Replace: &spec.Replace{Column: "Housing", Values: map[string]any{"Owner": "owner"}}},
			{NormalizeText: &spec.NormalizeText{Columns: []string{"Note"}, Lowercase: true, Trim: true, StripHTML: true}},
			{DropDuplicates: &spec.DropDuplicates{Subset: []string{"Age", "Income", "Housing"}}},
		},
		Features: map[string]spec.Feature{
			"Note":    {Text: &spec.TextFeature{Encoding: "hashing", Buckets: 64, NGrams: 2, Norm: "l2"}},
			"Housing": {Categorical: &spec.CategoricalFeature{Encoding: "onehot", MaxCategories: 2}},
			"Income":  {Numeric: &spec.NumericFeature{Encoding: "minmax"}},
		}}
	p, err := Prepare(f, d)
	if err != nil {
		t.Fatal(err)
	}
	if p.Test.N < 50 || !slices.Contains(p.Features, "Housing=<other>") || !slices.Contains(p.Features, "Note#63") || len(p.Features) != 1+1+3+64 {
		t.Fatalf("%d test rows, features %q: not what the test means to check", p.Test.N, p.Features)
	}
	raw, err := json.Marshal(p.Pipeline)
	if err != nil {
		t.Fatal(err)
	}
	var saved Pipeline
	if err := json.Unmarshal(raw, &saved); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		name string
		rows []int
		m    Matrix
	}{{"test", p.TestRows, p.Test}, {"validation", p.ValRows, p.Val}, {"train", p.TrainRows, p.Train}} {
		got, err := saved.Transform(f.Subset(s.rows))
		if err != nil {
			t.Fatal(err)
		}
		sameMatrix(t, s.name, got, s.m)
	}
	if want := []string{"Age", "Income", "Housing", "Note"}; !slices.Equal(saved.Inputs(), []string{"Age", "Income", "Home", "Note"}) {
		t.Errorf("inputs %q, want the file's names of %q", saved.Inputs(), want)
	}
	// The file's own name is asked for when a renamed column is missing.
	_, err = saved.Transform(mustParse(t, "new.csv", "Age,Income,Hme,Note\n1,2,rent,x\n"))
	if err == nil || !strings.Contains(err.Error(), `column "Home" not found in new.csv; did you mean "Hme"?`) {
		t.Errorf("error %v, want it to ask for Home", err)
	}
}

// A version 1 pipeline (fill_na values only, saved by runs before steps
// existed) still transforms as it did.
func TestTransformVersion1(t *testing.T) {
	f := mustParse(t, "loans.csv", loans)
	p, err := Prepare(f, allTrain(spec.Rule{FillNA: &spec.FillNA{Column: "Income", With: "median"}}))
	if err != nil {
		t.Fatal(err)
	}
	v1 := *p.Pipeline
	v1.Version, v1.Steps, v1.Fills = 1, nil, []Fill{*fillOf(p.Pipeline.Steps[0])}
	for i := range v1.Columns {
		v1.Columns[i].Kind = ""
	}
	raw, err := json.Marshal(v1)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), `"kind"`) || !strings.Contains(string(raw), `"fills"`) {
		t.Fatalf("not a version 1 pipeline: %s", raw)
	}
	var read Pipeline
	if err := json.Unmarshal(raw, &read); err != nil {
		t.Fatal(err)
	}
	got, err := read.Transform(f.Subset(p.TrainRows))
	if err != nil {
		t.Fatal(err)
	}
	sameMatrix(t, "version 1", got, p.Train)
}
