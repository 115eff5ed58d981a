package data

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// tableRow is the table every format test writes, in each format.
type tableRow struct {
	ID    int64    `parquet:"id"`
	Home  *string  `parquet:"home,optional"`
	Score *float64 `parquet:"score,optional"`
	Ok    bool     `parquet:"ok"`
}

func ptr[T any](v T) *T { return &v }

var tableRows = []tableRow{
	{ID: 1, Home: ptr("rent"), Score: ptr(3.5), Ok: true},
	{ID: 2, Home: nil, Score: ptr(-1.25), Ok: false},
	{ID: 3, Home: ptr("own, big"), Score: nil, Ok: true},
}

var tableWant = []wantCol{
	{name: "id", num: []float64{1, 2, 3}},
	{name: "home", str: []string{"rent", "<NA>", "own, big"}},
	{name: "score", num: []float64{3.5, -1.25, nan}},
	{name: "ok", str: []string{"true", "false", "true"}},
}

const (
	tableCSV   = "id,home,score,ok\n1,rent,3.5,true\n2,NA,-1.25,false\n3,\"own, big\",,true\n"
	tableTSV   = "id\thome\tscore\tok\n1\trent\t3.5\ttrue\n2\t\t-1.25\tfalse\n3\town, big\tNA\ttrue\n"
	tableJSONL = `{"id": 1, "home": "rent", "score": 3.5, "ok": true}
{"id": 2, "home": null, "score": -1.25, "ok": false}

{"id": 3, "ok": true, "home": "own, big"}
`
)

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeParquet(t testing.TB, path string, rows []tableRow) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[tableRow](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReadFileFormats(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var pq bytes.Buffer
	pqPath := filepath.Join(dir, "t.parquet")
	writeParquet(t, pqPath, tableRows)
	raw, err := os.ReadFile(pqPath)
	if err != nil {
		t.Fatal(err)
	}
	pq.Write(raw)
	tests := []struct {
		name  string
		path  string
		lines []int
	}{
		{"csv", write("t.csv", []byte(tableCSV)), []int{2, 3, 4}},
		{"csv.gz", write("t.csv.gz", gz(t, []byte(tableCSV))), []int{2, 3, 4}},
		{"tsv", write("t.tsv", []byte(tableTSV)), []int{2, 3, 4}},
		{"jsonl", write("t.jsonl", []byte(tableJSONL)), []int{1, 2, 4}},
		{"ndjson.gz", write("t.ndjson.gz", gz(t, []byte(tableJSONL))), []int{1, 2, 4}},
		{"parquet", pqPath, []int{1, 2, 3}},
		{"parquet.gz is read by content", write("t.parquet.gz", pq.Bytes()), []int{1, 2, 3}},
		// A .csv that is gzip inside is still read: the bytes decide.
		{"gzip named csv", write("u.csv", gz(t, []byte(tableCSV))), []int{2, 3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ReadFile(context.Background(), tt.path)
			if err != nil {
				t.Fatal(err)
			}
			checkFrame(t, f, tt.lines, tableWant)
		})
	}
}

func TestFormatOf(t *testing.T) {
	tests := []struct{ name, want string }{
		{"a.csv", FormatCSV}, {"A.CSV.GZ", FormatCSV}, {"dir/x.tsv", FormatTSV}, {"x.tab", FormatTSV},
		{"x.jsonl", FormatJSONL}, {"x.ndjson.gz", FormatJSONL}, {"s3/key/x.parquet", FormatParquet},
		{"x.parq", FormatParquet}, {"x.txt", ""}, {"x", ""}, {"x.gz", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FormatOf(tt.name)
			if got != tt.want || (tt.want == "") != errors.Is(err, ErrFormat) {
				t.Errorf("FormatOf(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
			}
		})
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		kind          error
		msg           string // after the path
	}{
		{"ragged.tsv", "a\tb\n1\t2\n3\n", ErrFieldCount, ":3: row has 1 fields"},
		{"unterminated.tsv", "a\tb\n1\t\"x\n", ErrQuote, ":2: quoted field starting here is never closed"},
		{"empty.jsonl", "", ErrEmptyFile, ": empty file"},
		{"blank.jsonl", "\n\n", ErrNoRows, ":1: header but no data rows"},
		{"array.jsonl", "{\"a\": 1}\n[1, 2]\n", ErrJSON, ":2: want an object {...} per line, found ["},
		{"nested.jsonl", "{\"a\": 1}\n{\"a\": {\"b\": 2}}\n", ErrJSON, `:2: member "a" holds a nested object`},
		{"unclosed.jsonl", "{\"a\": 1}\n{\"a\": 2\n", ErrJSON, ":2: unexpected end of line"},
		{"twice.jsonl", "{\"a\": 1, \"a\": 2}\n", ErrJSON, `:1: member "a" appears twice`},
		{"trailing.jsonl", "{\"a\": 1} 7\n", ErrJSON, ":1: more after the object"},
		{"bad.jsonl", "{\"a\": tru}\n", ErrJSON, ":1: invalid character"},
		{"empty.parquet", "", ErrEmptyFile, ": empty file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadFile(context.Background(), path)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want %v", err, tt.kind)
			}
			if !strings.HasPrefix(err.Error(), path+tt.msg) {
				t.Errorf("error %q, want it to start with %q", err, path+tt.msg)
			}
		})
	}
	t.Run("not parquet", func(t *testing.T) {
		path := filepath.Join(dir, "x.parquet")
		if err := os.WriteFile(path, []byte("a,b\n1,2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadFile(context.Background(), path)
		if err == nil || !strings.Contains(err.Error(), "not a parquet file") {
			t.Errorf("error %v, want 'not a parquet file'", err)
		}
	})
	t.Run("corrupt gzip", func(t *testing.T) {
		path := filepath.Join(dir, "x.csv.gz")
		b := gz(t, []byte(tableCSV))
		if err := os.WriteFile(path, b[:len(b)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadFile(context.Background(), path)
		if err == nil || !strings.Contains(err.Error(), "gunzip") {
			t.Errorf("error %v, want a gunzip error", err)
		}
	})
}

func FuzzReadJSONL(f *testing.F) {
	f.Add([]byte(tableJSONL))
	f.Add([]byte("{\"a\": 1e400}\n{\"a\": \"x\"}\n"))
	f.Add([]byte("{}\n{\"\": 1}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := parseJSONL(context.Background(), "f.jsonl", b)
		if err != nil {
			return
		}
		for _, c := range fr.Cols {
			if len(c.Missing) != fr.Len() || (c.Numeric && len(c.Num) != fr.Len()) || (!c.Numeric && len(c.Str) != fr.Len()) {
				t.Fatalf("column %q has the wrong length", c.Name)
			}
		}
	})
}
