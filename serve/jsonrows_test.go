package serve

import (
	"bytes"
	"encoding/json"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xp-ml/xp/data"
)

// fuzzSchema is a number input a, a text input b, and the target y.
func fuzzSchema(t testing.TB) *data.InputSchema {
	var p data.Pipeline
	err := json.Unmarshal([]byte(`{"version": 2, "target": "y", "classes": ["p", "q"], "steps": [],
		"columns": [{"name": "a", "encoding": "standardize", "mean": 0, "std": 1},
		            {"name": "b", "encoding": "onehot", "categories": ["x", "y"]}],
		"features": ["a", "b=x", "b=y"]}`), &p)
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.InputSchema()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A body of empty rows near the body limit (8 MiB, 2.8 million rows, each
// missing every column) is read only up to its first problems past
// maxProblems: a few rows, kilobytes, not the gigabytes that listing every
// problem took.
func TestJSONRowsStopsAtEnoughProblems(t *testing.T) {
	schema := fuzzSchema(t)
	body := `{"rows":[` + strings.Repeat(`{},`, 8<<20/3) + `{}]}`
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	frame, problems, err := jsonRows(body, schema, schema.Names())
	runtime.ReadMemStats(&after)
	if err != nil || frame != nil {
		t.Fatalf("frame %v, err %v; want problems", frame, err)
	}
	if len(problems) <= maxProblems || len(problems) > maxProblems+len(schema.Names()) {
		t.Errorf("%d problems, want the first past %d", len(problems), maxProblems)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("reading it allocated %d bytes, want under 1 MiB", got)
	}
	bad := badProblems(problems)
	if len(bad.problems) != maxProblems || !bad.more || !strings.Contains(bad.msg, "more than 100 problems; the first 100 are listed") {
		t.Errorf("400 lists %d problems (more %v): %q", len(bad.problems), bad.more, bad.msg)
	}
}

// A value nested as deep as the body limit allows is refused at a depth a
// row has no use for: read to the end, it overflowed the stack and ended
// the process.
func TestJSONRowsBoundsNesting(t *testing.T) {
	schema := fuzzSchema(t)
	for _, open := range []string{"[", `{"x":`} {
		body := `{"rows":[{"a":` + strings.Repeat(open, 8<<20/len(open)) + `}]}`
		_, _, err := jsonRows(body, schema, schema.Names())
		if err == nil || !strings.Contains(err.Error(), "a value nested more than 64 deep") {
			t.Errorf("%q nested: err %v", open, err)
		}
	}
}

// FuzzJSONRows holds jsonRows to encoding/json: what it accepts is valid
// JSON of the shape {"rows": [...]}, read to the same values; what it
// calls invalid JSON, encoding/json does too.
func FuzzJSONRows(f *testing.F) {
	for _, seed := range []string{
		`{"rows": [{"a": 1, "b": "x"}]}`,
		`{"rows": [{"a": -0.5e3, "b": "x\u00e9\ud83d\ude00", "y": "p"}, {"a": null, "b": ""}]}`,
		`{"rows": [{"a": "1", "b": true}]}`,
		`{"rows": [{"a": 1, "b": "x", "a": 2}]}`,
		`{"rows": [{"a": 1, "b": {"c": [1, 2, {}]}}]}`,
		`{"rows": [{"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}`,
		`{"rows": [{"a": 1e999, "b": "\ud800"}]}`,
		`{"rows": [[1], 2, "x"]}`,
		`{"rows": []}`,
		`{"rows": [{"a": 01}]}`,
		`{"rows": [{"a": 1,}]}`,
		"{\"rows\": [{\"a\": 1, \"b\": \"\xff\"}]}",
		`{"rows": [{"a": 1, "b": "x"}]} x`,
		`{"other": 1}`,
		`[1, 2]`,
	} {
		f.Add([]byte(seed))
	}
	schema := fuzzSchema(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		frame, problems, err := jsonRows(string(body), schema, schema.Names())
		if !json.Valid(body) {
			// A body with more problems than a 400 lists is read no
			// further, so a syntax error past them goes unseen.
			if err == nil && len(problems) <= maxProblems {
				t.Fatalf("accepted invalid JSON %q", body)
			}
			return
		}
		if err != nil {
			if strings.Contains(err.Error(), "invalid JSON") {
				t.Fatalf("valid JSON %q called invalid: %v", body, err)
			}
			return
		}
		if len(problems) > 0 {
			return
		}
		// readRows trusts jsonRows to have found whatever the schema's
		// own check of a frame would.
		if ps := schema.Check(frame, 0); len(ps) > 0 {
			t.Fatalf("accepted %q, in which the schema finds %+v", body, ps)
		}
		var doc struct {
			Rows []map[string]any `json:"rows"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("accepted %q, which encoding/json cannot read as rows: %v", body, err)
		}
		for i, row := range doc.Rows {
			for j, name := range frame.Names {
				c := frame.Cols[j]
				want, ok := row[name]
				switch v := want.(type) {
				case nil:
					if !c.Missing[i] {
						t.Fatalf("row %d %s: %q, want missing (present %v)", i, name, c.Text(i), ok)
					}
				case json.Number:
					x, _ := strconv.ParseFloat(string(v), 64)
					if c.Numeric && c.Num[i] != x || !c.Numeric && c.Str[i] != string(v) && !math.IsInf(x, 0) {
						t.Fatalf("row %d %s: %q, want %s", i, name, c.Text(i), v)
					}
				case string:
					if v == "" && !c.Missing[i] || v != "" && (c.Numeric || c.Str[i] != v || !utf8.ValidString(v)) {
						t.Fatalf("row %d %s: %q, want %q", i, name, c.Text(i), v)
					}
				case bool:
					if c.Str[i] != strconv.FormatBool(v) {
						t.Fatalf("row %d %s: %q, want %v", i, name, c.Text(i), v)
					}
				}
			}
		}
	})
}

func TestCSVHeaderFields(t *testing.T) {
	for body, want := range map[string]int{
		"":                        1,
		"a":                       1,
		"a,b,c\n1,2,3\n":          3,
		"a,b\r\n1,2,3,4\r\n":      2,
		`"a,b","c""d,e",f` + "\n": 3,
		"\"a\nb\",c\nx,y,z,w\n":   2,
	} {
		if got := csvHeaderFields([]byte(body)); got != want {
			t.Errorf("%q: %d fields, want %d", body, got, want)
		}
	}
}
