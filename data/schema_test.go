package data

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// v2Pipeline is testdata/pipeline-v2's pipeline: every kind of step.
func v2Pipeline(t *testing.T) *Pipeline {
	t.Helper()
	var p Pipeline
	if err := json.Unmarshal(readTestdata(t, "preprocessing.json"), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func TestRoutes(t *testing.T) {
	routes, err := v2Pipeline(t).Routes()
	if err != nil {
		t.Fatal(err)
	}
	// input: step kinds -> encoding
	var got []string
	for _, r := range routes {
		var kinds []string
		for _, s := range r.Steps {
			k := s.Kind
			if s.Kind == StepCast {
				k += ":" + s.To
			}
			kinds = append(kinds, k)
		}
		got = append(got, fmt.Sprintf("%s: %s -> %s", r.Input, strings.Join(kinds, " "), r.Encoding.Encoding))
	}
	want := []string{
		"Age: replace fill_na clip -> standardize",
		"Income: cast:number clip -> minmax",
		"Home: replace -> onehot", // renamed to Housing, then replaced
		"Note: normalize_text -> hashing",
		"Score: cast:text fill_na -> onehot",
		"City: fill_na -> onehot", // renamed to Town
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("routes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := routes[0].Steps[0]; !s.Numeric || len(s.Replace) != 2 || s.Replace[0].To != nil {
		t.Errorf("Age's replace: %+v", s)
	}
	if s := routes[5].Steps[0]; s.Numeric || s.Fill.Text == "" {
		t.Errorf("Town's fill: %+v", s)
	}
}

func TestSchema(t *testing.T) {
	schema, err := v2Pipeline(t).InputSchema()
	if err != nil {
		t.Fatal(err)
	}
	if schema.Target != "y" {
		t.Errorf("target %q", schema.Target)
	}
	var got []string
	for _, in := range schema.Inputs {
		got = append(got, fmt.Sprintf("%s %s %s [%s] %s", in.Name, in.Type, in.Encoding, strings.Join(in.Categories, " "), in.Other))
	}
	want := []string{
		"Age number standardize [] ", // replace on numbers reads numbers
		"Income text minmax [] ",     // cast to number takes text
		"Home text onehot [owner rent] <other>",
		"Note text hashing [] ",
		"Score text onehot [0 1 2 3 4 5 6 7 8 none] ",
		"City text onehot [Lima Oslo Rome] ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("schema:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCheck(t *testing.T) {
	p, err := v2Pipeline(t).InputSchema()
	if err != nil {
		t.Fatal(err)
	}
	read := func(body string) *Frame {
		t.Helper()
		f, err := ReadBytesUnchecked(context.Background(), "rows.csv", FormatCSV, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	tests := []struct {
		name, body string
		want       []string // row/line/column/kind/value/hint
	}{
		{"the training file", string(readTestdata(t, "rows.csv")), []string{"-1/0/junk/unknown column//"}},
		{"clean", "y,Age,Income,Home,Note,Score,City\na,30,1,rent,x,1,Oslo\n", nil},
		{"no target", "Age,Income,Home,Note,Score,City\n30,1,rent,x,1,Oslo\n", nil},
		{"unknown and missing", "y,Agee,Income,Home,Note,Score,City\na,30,1,rent,x,1,Oslo\n", []string{
			`-1/0/Agee/unknown column//did you mean "Age"?`, `-1/0/Age/missing column//did you mean "Agee"?`}},
		{"text in a numeric column", "Age,Income,Home,Note,Score,City\n30,1,rent,x,1,Oslo\nold,2,rent,x,1,Oslo\n?,3,rent,x,1,Oslo\n", []string{
			"1/3/Age/text in a numeric column/old/"}},
		{"invalid UTF-8", "Age,Income,Home,Note,Score,City\n30,1,r\xe9nt,x,1,Oslo\n", []string{
			"0/2/Home/invalid UTF-8/r\xe9nt/"}},
		{"an invalid name", "Age,Income,Home,Note,Score,City,\xff\n30,1,rent,x,1,Oslo,1\n", []string{"-1/0/\xff/invalid UTF-8//"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := p.Check(read(tt.body), 0)
			var got []string
			for _, pr := range ps {
				got = append(got, fmt.Sprintf("%d/%d/%s/%s/%s/%s", pr.Row, pr.Line, pr.Column, pr.Kind, pr.Value, pr.Hint))
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
				t.Errorf("problems %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("a limit", func(t *testing.T) {
		body := "Age,Income,Home,Note,Score,City\n" + strings.Repeat("old,x,rent,x,1,Oslo\n", 1000)
		ps := p.Check(read(body), 5)
		if len(ps) != 6 || ps[5].Row != 5 || ps[5].Kind != ProblemNotNumber {
			t.Errorf("limit 5: %d problems (%+v), want the first 6", len(ps), ps)
		}
		if all := p.Check(read(body), 0); len(all) != 1000 {
			t.Errorf("no limit: %d problems, want 1000", len(all))
		}
	})
	t.Run("JSON strings in a numeric column", func(t *testing.T) {
		f, err := ReadBytes(context.Background(), "rows.jsonl", FormatJSONL,
			[]byte(`{"Age":"30","Income":1,"Home":"rent","Note":"x","Score":1,"City":"Oslo"}`+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if ps := p.Check(f, 0); len(ps) != 1 || ps[0].Kind != ProblemNotNumber || ps[0].Value != "30" {
			t.Errorf("problems %+v, want the string 30 named", ps)
		}
	})
}

// ReadBytes reads a body exactly as ReadFile reads the same bytes from a
// file.
func TestReadBytesIsReadFile(t *testing.T) {
	ctx := context.Background()
	body := readTestdata(t, "rows.csv")
	path := filepath.Join(t.TempDir(), "rows.csv")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := ReadFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadBytes(ctx, path, FormatCSV, body)
	if err != nil {
		t.Fatal(err)
	}
	show := func(f *Frame) string { // %v prints NaN, which JSON cannot hold
		s := fmt.Sprint(f.Path, f.Names, f.Line)
		for _, c := range f.Cols {
			s += fmt.Sprintf("\n%+v", *c)
		}
		return s
	}
	if show(a) != show(b) || a.Len() == 0 {
		t.Errorf("ReadBytes and ReadFile differ:\n%s\n%s", show(b), show(a))
	}
	if _, err := ReadBytes(ctx, "x", FormatParquet, body); err == nil {
		t.Errorf("ReadBytes read parquet from memory; want an error")
	}
}
