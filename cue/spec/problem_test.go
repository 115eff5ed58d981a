package spec

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
)

func TestLoadValidProblems(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"good.cue": `good: #Experiment & {
	data: {source: file: "d.csv", target: "y"}
	model: logreg: {}
}
`,
		"bad.cue": `bad: #Experiment & {
	data: {
		source: file: "d.csv"
		target: "y"
		clean: [{filter: {column: "a", op: "=>", value: 1}}]
		split: validation: 0.1
	}
	model: logreg: {}
	train: {epoch: 3}
}
`,
	})
	exps, invalid, err := LoadValid(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := experimentNames(exps); !reflect.DeepEqual(got, []string{"good"}) {
		t.Errorf("valid experiments %q, want good alone", got)
	}
	want := []Problem{
		{File: "bad.cue", Line: 5, Column: 38, Experiment: "bad", Field: "data.clean[0].filter.op",
			Message:    `"=>" is not one of "==", "!=", "<", "<=", ">", ">=", "in" (did you mean ">="?)`,
			Suggestion: ">="},
		{File: "bad.cue", Line: 9, Column: 10, Experiment: "bad", Field: "train.epoch",
			Message: `field not allowed (did you mean "epochs"?)`, Suggestion: "epochs"},
	}
	if got := Problems(invalid, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("problems\n%#v\nwant\n%#v", got, want)
	}
	if got, want := want[1].String(), `bad.cue:9:10: train.epoch: field not allowed (did you mean "epochs"?)`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestFieldProblem(t *testing.T) {
	cwd := t.TempDir()
	tests := []struct {
		name string
		fe   *FieldError
		want Problem
	}{
		{"below cwd", &FieldError{Pos: filepath.Join(cwd, "e", "x.cue") + ":9:11", Field: "data.target",
			Err: errors.New(`column "Staus" not found in d.csv; did you mean "Status"?`)},
			Problem{File: "e/x.cue", Line: 9, Column: 11, Field: "data.target",
				Message: `column "Staus" not found in d.csv; did you mean "Status"?`, Suggestion: "Status"}},
		{"outside cwd", &FieldError{Pos: "/elsewhere/x.cue:3:1", Field: "device", Err: errors.New("no GPU")},
			Problem{File: "/elsewhere/x.cue", Line: 3, Column: 1, Field: "device", Message: "no GPU"}},
		{"no position", &FieldError{Field: "device", Err: errors.New("no GPU")},
			Problem{Field: "device", Message: "no GPU"}},
		{"line only", &FieldError{Pos: filepath.Join(cwd, "x.cue") + ":4", Field: "f", Err: errors.New("m")},
			Problem{File: "x.cue", Line: 4, Field: "f", Message: "m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FieldProblem(tt.fe, cwd); got != tt.want {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestSuggestionIn(t *testing.T) {
	for msg, want := range map[string]string{
		`field not allowed (did you mean "epochs"?)`:         "epochs",
		`"=>" is not one of "==", ">=" (did you mean ">="?)`: ">=",
		`unknown status "runing"; did you mean running?`:     "running",
		`column "a\"b" not found; did you mean "a\"c"?`:      `a"c`,
		`no hint here`: "",
	} {
		if got := suggestionIn(msg); got != want {
			t.Errorf("suggestionIn(%q) = %q, want %q", msg, got, want)
		}
	}
}

func TestInPlainWords(t *testing.T) {
	conflict := "conflicting values %s and %s"
	tests := []struct {
		name string
		args []any
		want string
	}{
		{"an int for a float", []any{"3", "float"}, "3 is an integer, but this field takes a float: write 3.0"},
		{"a float for an int", []any{"int", "2.5"}, "2.5 is not a whole number, but this field takes an integer"},
		{"a whole float for an int", []any{"8.0", "int"}, "8.0 is written as a float, but this field takes an integer: write 8"},
		{"a string for an int: CUE's words", []any{`"ten"`, "int"}, `conflicting values "ten" and int`},
		{"two values", []any{"0.1", "0"}, "two values for one field, 0.1 and 0: a CUE field holds one value, so A & {...} cannot change a value A sets; write the variant as {from: \"A\", ...} (README: \"Variants\")"},
	}
	// With CUE's kinds: a value against a constraint of another kind is
	// the wrong kind, two values stay two values.
	kinds := conflict + " (mismatched types %s and %s)"
	for _, tt := range []struct {
		name string
		args []any
		want string
	}{
		{"a string for a list", []any{`"risk"`, "[...string]", "string", "list"}, `"risk" is a string, but this field takes a list`},
		{"a number for a struct", []any{"{a: int}", "3", "struct", "int"}, "3 is an int, but this field takes a struct"},
		{"two values of two kinds", []any{"0.1", "0", "float", "int"}, "two values for one field, 0.1 and 0: a CUE field holds one value, so A & {...} cannot change a value A sets; write the variant as {from: \"A\", ...} (README: \"Variants\")"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg := fmt.Sprintf(kinds, tt.args...)
			if got := inPlainWords(msg, kinds, tt.args, nil, ""); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := fmt.Sprintf(conflict, tt.args...)
			if got := inPlainWords(msg, conflict, tt.args, nil, ""); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
