package data

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
)

// twice is a table of n distinct rows, each written twice in a row, as a
// scraped data set often is.
func twice(n int) string {
	var b strings.Builder
	b.WriteString("y,x,g\n")
	for i := range n {
		row := fmt.Sprintf("%c,%d,g%d\n", 'a'+i%2, i, i%3)
		b.WriteString(row + row)
	}
	return b.String()
}

// key is a frame row's values, to find the same row in two splits.
func rowKey(f *Frame, r int) string {
	var parts []string
	for _, c := range f.Cols {
		switch {
		case c.Missing[r]:
			parts = append(parts, "NA")
		case c.Numeric:
			parts = append(parts, fmt.Sprint(c.Num[r]))
		default:
			parts = append(parts, c.Str[r])
		}
	}
	return strings.Join(parts, ",")
}

// shared counts the rows of a whose values some row of b has too.
func shared(f *Frame, a, b []int) int {
	in := map[string]bool{}
	for _, r := range b {
		in[rowKey(f, r)] = true
	}
	n := 0
	for _, r := range a {
		if in[rowKey(f, r)] {
			n++
		}
	}
	return n
}

// data.prepare runs before the split, so a row and its duplicate never
// land in train and test at once; data.clean's drop_duplicates, after the
// split, leaves such pairs.
func TestPrepareBeforeSplit(t *testing.T) {
	f := mustParse(t, "twice.csv", twice(100))
	split := spec.Split{Test: 0.3, Validation: 0.2, Seed: 7}
	dedupe := []spec.Rule{{DropDuplicates: &spec.DropDuplicates{}}}

	after, err := Prepare(f, spec.Data{Target: "y", Split: split, Clean: dedupe})
	if err != nil {
		t.Fatal(err)
	}
	if shared(f, after.TestRows, after.TrainRows) == 0 {
		t.Fatal("deduplicating after the split left no train row in test; the test data cannot tell the stages apart")
	}

	before, err := Prepare(f, spec.Data{Target: "y", Split: split, Prepare: dedupe})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(before.TrainRows) + len(before.ValRows) + len(before.TestRows); n != 100 {
		t.Errorf("%d rows in the splits, want the 100 distinct ones", n)
	}
	for _, pair := range []struct {
		name string
		a, b []int
	}{{"test and train", before.TestRows, before.TrainRows}, {"validation and train", before.ValRows, before.TrainRows}, {"test and validation", before.TestRows, before.ValRows}} {
		if n := shared(f, pair.a, pair.b); n != 0 {
			t.Errorf("%s share %d rows after data.prepare's drop_duplicates", pair.name, n)
		}
	}
	want := RuleReport{Stage: "prepare", Index: 0, Kind: "drop_duplicates", RowsDropped: 100, Detail: "dropped 100 rows before the split"}
	if len(before.Report) == 0 || before.Report[0] != want {
		t.Errorf("report %+v, want first %+v", before.Report, want)
	}
	if got := before.Report[0].Where(); got != "prepare[0] drop_duplicates" {
		t.Errorf("Where() = %q", got)
	}
	// Row-dropping rules leave no step: xp predict scores every row it is
	// given, duplicates included.
	if len(before.Pipeline.Steps) != 0 {
		t.Errorf("data.prepare left pipeline steps %v", before.Pipeline.Steps)
	}
	m, err := before.Pipeline.Transform(f)
	if err != nil {
		t.Fatal(err)
	}
	if m.N != 200 {
		t.Errorf("Transform scored %d of the 200 rows", m.N)
	}
}

func TestPrepareStageRules(t *testing.T) {
	f := mustParse(t, "twice.csv", twice(20))
	tests := []struct {
		name      string
		prepare   []spec.Rule
		wantRows  int
		wantField string
		wantErr   error
		wantMsg   string
	}{
		{name: "filter then dedupe on a subset", prepare: []spec.Rule{
			{Filter: &spec.Filter{Column: "x", Op: "<", Value: 10}},
			{DropDuplicates: &spec.DropDuplicates{Subset: []string{"g"}}},
		}, wantRows: 3},
		{name: "drop_na", prepare: []spec.Rule{{DropNA: &spec.DropNA{}}}, wantRows: 40},
		{name: "a fitted rule is refused", prepare: []spec.Rule{{FillNA: &spec.FillNA{Column: "x", With: "mean"}}},
			wantField: "data.prepare[0].fill_na", wantErr: ErrInvalidRule, wantMsg: "fill_na goes in data.clean"},
		{name: "a column it does not have", prepare: []spec.Rule{{DropNA: &spec.DropNA{}}, {DropDuplicates: &spec.DropDuplicates{Subset: []string{"z"}}}},
			wantField: "data.prepare[1].drop_duplicates.subset[0]", wantErr: ErrColumnNotFound},
		{name: "one class left", prepare: []spec.Rule{{Filter: &spec.Filter{Column: "y", Op: "==", Value: "a"}}},
			wantField: "data.prepare", wantErr: ErrTooFewClasses, wantMsg: `after data.prepare, column "y" has only the class "a"`},
		{name: "every row removed", prepare: []spec.Rule{{Filter: &spec.Filter{Column: "x", Op: ">", Value: 100}}},
			wantField: "data.prepare[0]", wantErr: ErrEmptyTrain, wantMsg: "removed all 40 rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Prepare(f, spec.Data{Target: "y", Split: spec.Split{Seed: 1}, Prepare: tt.prepare})
			if tt.wantField == "" {
				if err != nil {
					t.Fatal(err)
				}
				if p.Train.N != tt.wantRows {
					t.Errorf("%d training rows, want %d", p.Train.N, tt.wantRows)
				}
				return
			}
			var fe *spec.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.wantField || !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %v, want %v at %s saying %q", err, tt.wantErr, tt.wantField, tt.wantMsg)
			}
		})
	}
}

// With test_source, the test rows are the test split still, less those
// that repeat an earlier row.
func TestPrepareStageTestSource(t *testing.T) {
	f := mustParse(t, "train.csv", "y,x\na,1\nb,2\na,3\nb,4\na,5\nb,6\n")
	test := mustParse(t, "test.csv", "y,x\na,1\nb,7\nb,7\na,8\n")
	p, err := PrepareSources(f, test, spec.Data{Target: "y", Split: spec.Split{Seed: 1},
		Prepare: []spec.Rule{{DropDuplicates: &spec.DropDuplicates{}}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 3}; !slices.Equal(p.TestRows, want) {
		t.Errorf("test rows %v, want %v (b,7 and a,8)", p.TestRows, want)
	}
	if p.Train.N != 6 {
		t.Errorf("%d training rows, want all 6", p.Train.N)
	}
}
