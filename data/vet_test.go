package data

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data/fetch"
)

func TestVet(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("people.csv", people)
	ctx := context.Background()
	o := SourceOptions{Dir: dir, CacheDir: filepath.Join(dir, "cache")}
	d := spec.Data{
		Source: spec.Source{File: "people.csv"},
		Target: "Status",
		Clean: []spec.Rule{
			{FillNA: &spec.FillNA{Column: "Incme", With: "median"}},
			{FillNA: &spec.FillNA{Column: "Home", With: "mean"}},
			{Filter: &spec.Filter{Column: "Note", Op: "<", Value: 3}},
			{Rename: map[string]string{"Age": "Years"}},
			{Clip: &spec.Clip{Column: "Age", Min: f64(0)}},
			{Cast: &spec.Cast{Column: "Income", To: "number"}},
			{Clip: &spec.Clip{Column: "Income", Max: f64(10)}},
			{DropColumns: &spec.DropColumns{Columns: []string{"id"}}},
			{NormalizeText: &spec.NormalizeText{Columns: []string{"Years"}}},
		},
		Features: map[string]spec.Feature{
			"Home": {Numeric: &spec.NumericFeature{Encoding: "standardize"}},
			"id":   {Categorical: &spec.CategoricalFeature{}},
			"Nte":  {Text: &spec.TextFeature{}},
		},
	}
	problems, notes := Vet(ctx, &spec.Spec{Data: d}, o)
	var got []string
	for _, p := range problems {
		got = append(got, p.Error())
	}
	want := []string{
		`data.clean[0].fill_na.column: column "Incme" not found in people.csv; did you mean "Income"?`,
		`data.clean[1].fill_na.with: mean needs numbers but column "Home" holds text (use mode or constant)`,
		`data.clean[2].filter.op: < compares numbers but column "Note" holds text (use ==, != or in)`,
		`data.clean[4].clip.column: column "Age" not found: it was renamed to "Years" by data.clean[3]`,
		`data.clean[8].normalize_text.columns[0]: normalize_text needs text but column "Years" holds numbers`,
		`data.features.Home.numeric: column "Home" holds text; a numeric feature needs numbers (cast it to number first, or make it categorical)`,
		`data.features.Nte: column "Nte" not found in people.csv; did you mean "Note"?`,
		`data.features.id: column "id" not found: it was dropped by data.clean[7]`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(notes) != 0 {
		t.Errorf("notes %q", notes)
	}

	t.Run("a good spec has no problems", func(t *testing.T) {
		good := spec.Data{Source: spec.Source{File: "people.csv"}, Target: "Status",
			Clean: []spec.Rule{{Cast: &spec.Cast{Column: "Income", To: "number"}}, {Clip: &spec.Clip{Column: "Income", Min: f64(0)}}}}
		if problems, notes := Vet(ctx, &spec.Spec{Data: good}, o); len(problems)+len(notes) != 0 {
			t.Errorf("problems %v, notes %q", problems, notes)
		}
	})
	t.Run("unknown target", func(t *testing.T) {
		problems, _ := Vet(ctx, &spec.Spec{Data: spec.Data{Source: spec.Source{File: "people.csv"}, Target: "status"}}, o)
		if len(problems) != 1 || problems[0].Field != "data.target" || !strings.Contains(problems[0].Error(), `did you mean "Status"?`) {
			t.Errorf("problems %v", problems)
		}
	})
	t.Run("a remote file not fetched is a note", func(t *testing.T) {
		for _, src := range []spec.Source{
			{HTTP: &spec.HTTP{URL: "https://example.com/p.csv", SHA256: strings.Repeat("0", 64)}},
			{S3: &spec.S3{Bucket: "b", Key: "p.csv"}},
		} {
			problems, notes := Vet(ctx, &spec.Spec{Data: spec.Data{Source: src, Target: "nothing"}}, o)
			if len(problems) != 0 || len(notes) != 1 {
				t.Errorf("%s: problems %v, notes %q; want one note", src.Kind(), problems, notes)
			}
		}
	})
	// What stops xp run before it trains stops vet, at the spec field.
	write("empty.csv", "")
	write("header.csv", "a,b,y\n")
	write("ragged.csv", "a,b,y\n1,2,x\n3,4\n")
	write("latin1.csv", "a,b,y\n1,2,caf\xe9\n")
	write("one.csv", "a,y\n1,x\n2,x\n3,x\n4,x\n5,x\n")
	for _, tt := range []struct {
		name, file string
		clean      []spec.Rule
		features   map[string]spec.Feature
		field      string
		msg        string
	}{
		{"missing file", "nope.csv", nil, nil, "data.source.file", "nope.csv: no such file"},
		{"empty file", "empty.csv", nil, nil, "data.source.file", "empty.csv: empty file"},
		{"header only", "header.csv", nil, nil, "data.source.file", "header.csv:1: header but no data rows"},
		{"ragged rows", "ragged.csv", nil, nil, "data.source.file", "ragged.csv:3: row has 2 fields, the header (line 1) has 3"},
		{"not UTF-8", "latin1.csv", nil, nil, "data.source.file", "latin1.csv:2:8: invalid UTF-8"},
		{"target dropped", "people.csv", []spec.Rule{{DropColumns: &spec.DropColumns{Columns: []string{"Status"}}}}, nil,
			"data.clean[0].drop_columns.columns[0]", `"Status" is the target`},
		{"target renamed", "people.csv", []spec.Rule{{Rename: map[string]string{"Status": "s"}}}, nil,
			"data.clean[0].rename.Status", `"Status" is the target`},
		{"target filled", "people.csv", []spec.Rule{{FillNA: &spec.FillNA{Column: "Status", With: "mode"}}}, nil,
			"data.clean[0].fill_na.column", `"Status" is the target`},
		{"target as a feature", "people.csv", nil, map[string]spec.Feature{"Status": {Categorical: &spec.CategoricalFeature{}}},
			"data.features.Status", `"Status" is the target, not a feature`},
		{"a rule removes every row", "people.csv", []spec.Rule{{Filter: &spec.Filter{Column: "Age", Op: ">", Value: 1000}}}, nil,
			"data.clean[0]", "removed all"},
		{"one class", "one.csv", nil, nil, "data.target", "class"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			target := "Status"
			if !strings.HasPrefix(tt.file, "people") {
				target = "y"
			}
			d := spec.Data{Source: spec.Source{File: tt.file}, Target: target, Clean: tt.clean, Features: tt.features}
			problems, notes := Vet(ctx, &spec.Spec{Data: d}, o)
			if len(problems) != 1 || problems[0].Field != tt.field || !strings.Contains(problems[0].Err.Error(), tt.msg) || len(notes) != 0 {
				t.Errorf("problems %v, notes %q; want one at %s saying %q", problems, notes, tt.field, tt.msg)
			}
		})
	}
	t.Run("a cached remote file is checked", func(t *testing.T) {
		c := &fetch.Cache{Dir: o.CacheDir}
		b, err := c.Put(ctx, strings.NewReader(people), "", "test")
		if err != nil {
			t.Fatal(err)
		}
		problems, notes := Vet(ctx, &spec.Spec{Data: spec.Data{Source: spec.Source{HTTP: &spec.HTTP{URL: "https://example.com/p.csv", SHA256: b.SHA256}}, Target: "Statu"}}, o)
		if len(notes) != 0 || len(problems) != 1 || !strings.Contains(problems[0].Error(), "p.csv") {
			t.Errorf("problems %v, notes %q", problems, notes)
		}
	})
	t.Run("synthetic columns", func(t *testing.T) {
		src := spec.Source{Synthetic: &spec.Synthetic{Interactions: &spec.SynthInteractions{Users: 3, Items: 3, Interactions: 2, Factors: 1, Negatives: 1}}}
		problems, _ := Vet(ctx, &spec.Spec{Data: spec.Data{Source: src, Target: "label", Features: map[string]spec.Feature{"usr": {ID: &spec.IDFeature{}}}}}, o)
		if len(problems) != 1 || !strings.Contains(problems[0].Error(), `did you mean "user"?`) {
			t.Errorf("problems %v", problems)
		}
	})
	t.Run("a big file is read whole", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("n,t,y\n")
		for b.Len() < 2*vetPeekBytes {
			b.WriteString("1,x,a\n")
		}
		b.WriteString("oops,x,a\n") // text far past the first rows
		write("big.csv", b.String())
		d := spec.Data{Source: spec.Source{File: "big.csv"}, Target: "y",
			Clean: []spec.Rule{{Clip: &spec.Clip{Column: "n", Min: f64(0)}}, {Clip: &spec.Clip{Column: "t", Min: f64(0)}}}}
		problems, _ := Vet(ctx, &spec.Spec{Data: d}, o)
		if len(problems) != 2 || problems[0].Field != "data.clean[0].clip.column" || problems[1].Field != "data.clean[1].clip.column" {
			t.Errorf("problems %v; want both clips of text columns", problems)
		}
	})
}
