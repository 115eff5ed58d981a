package data

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// want describes a column as a test expects it: numbers (NaN = missing) or
// strings ("<NA>" = missing).
type wantCol struct {
	name string
	num  []float64
	str  []string
}

func checkFrame(t *testing.T, f *Frame, lines []int, cols []wantCol) {
	t.Helper()
	if !slices.Equal(f.Line, lines) {
		t.Errorf("lines = %v, want %v", f.Line, lines)
	}
	if len(f.Cols) != len(cols) || len(f.Names) != len(cols) {
		t.Fatalf("got %d columns %q, want %d", len(f.Cols), f.Names, len(cols))
	}
	for j, w := range cols {
		c := f.Cols[j]
		if c.Name != w.name || f.Names[j] != w.name {
			t.Errorf("column %d is %q, want %q", j, c.Name, w.name)
		}
		if c.Numeric != (w.str == nil) {
			t.Errorf("column %q: Numeric = %v, want %v", w.name, c.Numeric, w.str == nil)
			continue
		}
		if c.Numeric {
			for i, v := range w.num {
				if math.IsNaN(v) != c.Missing[i] || (!c.Missing[i] && c.Num[i] != v) || (c.Missing[i] && !math.IsNaN(c.Num[i])) {
					t.Errorf("column %q row %d: %v (missing %v), want %v", w.name, i, c.Num[i], c.Missing[i], v)
				}
			}
			if c.Str != nil {
				t.Errorf("column %q: numeric column keeps strings", w.name)
			}
			continue
		}
		for i, v := range w.str {
			miss := v == "<NA>"
			if miss != c.Missing[i] || (!miss && c.Str[i] != v) || (miss && c.Str[i] != "") {
				t.Errorf("column %q row %d: %q (missing %v), want %q", w.name, i, c.Str[i], c.Missing[i], v)
			}
		}
		if c.Num != nil {
			t.Errorf("column %q: string column keeps numbers", w.name)
		}
	}
}

var nan = math.NaN()

func TestReadCSV(t *testing.T) {
	tests := []struct {
		file  string
		lines []int
		cols  []wantCol
	}{
		{"quoted.csv", []int{2, 3, 5}, []wantCol{
			{name: "id", num: []float64{1, 2, 3}},
			{name: "name", str: []string{"Smith, John", "plain", "<NA>"}},
			{name: "comment", str: []string{`said "hi"`, "two\nlines", "x"}},
			{name: "score", num: []float64{3.5, 4, nan}},
		}},
		{"crlf.csv", []int{2, 3}, []wantCol{
			{name: "a", num: []float64{1, 2}},
			{name: "b", str: []string{"x", "y\nz"}},
			{name: "c", num: []float64{2.5, 3}},
		}},
		{"bom.csv", []int{2, 3}, []wantCol{
			{name: "Status", str: []string{"good", "bad"}},
			{name: "Age", num: []float64{30, 41}},
		}},
		{"missing.csv", []int{2, 3, 4, 5, 6}, []wantCol{
			{name: "num", num: []float64{1, nan, 3, nan, nan}},
			{name: "text", str: []string{"a", "<NA>", "<NA>", "b", "<NA>"}},
			{name: "allna", num: []float64{nan, nan, nan, nan, nan}},
		}},
		{"blanklines.csv", []int{4, 6}, []wantCol{
			{name: "a", num: []float64{1, 3}},
			{name: "b", num: []float64{2, 4}},
		}},
		// Text appears only in the third row: the rows before keep their
		// original spelling ("1.50", not "1.5").
		{"mixed.csv", []int{2, 3, 4, 5}, []wantCol{
			{name: "code", str: []string{"1", "2", "A7", "<NA>"}},
			{name: "v", num: []float64{1.5, 2, 3, 4}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			f, err := ReadCSV(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			if f.Path != path || f.Len() != len(tt.lines) {
				t.Errorf("Path %q Len %d, want %q %d", f.Path, f.Len(), path, len(tt.lines))
			}
			checkFrame(t, f, tt.lines, tt.cols)
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		file string
		kind error
		msg  string // the whole message after the path
	}{
		{"ragged.csv", ErrFieldCount, ":3: row has 2 fields, the header (line 1) has 3"},
		{"unterminated.csv", ErrQuote, ":3: quoted field starting here is never closed"},
		{"barequote.csv", ErrBareQuote, `:3: bare " in unquoted field`},
		{"extraquote.csv", ErrQuote, `:2: extraneous " in quoted field`},
		{"dupheader.csv", ErrDuplicateColumn, `:1: column "a" appears twice (columns 1 and 3)`},
		{"emptyname.csv", ErrEmptyColumnName, ":1: column 2 has no name"},
		{"empty.csv", ErrEmptyFile, ": empty file"},
		{"headeronly.csv", ErrNoRows, ":1: header but no data rows"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			_, err := ReadCSV(context.Background(), path)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want %v", err, tt.kind)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Path != path {
				t.Errorf("error %#v is not a *ParseError for %s", err, path)
			}
			if !strings.HasPrefix(err.Error(), path+tt.msg) {
				t.Errorf("error %q, want it to start with %q", err, path+tt.msg)
			}
		})
	}
}

func TestReadCSVMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.csv")
	_, err := ReadCSV(context.Background(), path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v does not match fs.ErrNotExist", err)
	}
	if want := "read " + path + ": "; !strings.HasPrefix(err.Error(), want) || strings.Count(err.Error(), path) != 1 {
		t.Errorf("error %q, want the path once, as %q...", err, want)
	}
}

func TestReadCSVCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadCSV(ctx, filepath.Join("testdata", "bom.csv")); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestColNotFound(t *testing.T) {
	f := mustParse(t, "credit_data.csv", "Status,Seniority,Home\ngood,1,rent\n")
	tests := []struct {
		name, want string
	}{
		{"Staus", `column "Staus" not found in credit_data.csv; did you mean "Status"?`},
		{"home", `column "home" not found in credit_data.csv; did you mean "Home"?`},
		{"Zebra", `column "Zebra" not found in credit_data.csv`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.Col(tt.name)
			if !errors.Is(err, ErrColumnNotFound) || err.Error() != tt.want {
				t.Errorf("error %q, want %q wrapping ErrColumnNotFound", err, tt.want)
			}
		})
	}
	if c, err := f.Col("Home"); err != nil || c.Str[0] != "rent" {
		t.Errorf("Col(Home) = %v, %v", c, err)
	}
}

// The credit data set the example experiments use; the lead copies it into
// experiments/data.
const creditPath = "../experiments/data/credit_data.csv"

func readCredit(t testing.TB) *Frame {
	t.Helper()
	if _, err := os.Stat(creditPath); err != nil {
		t.Skipf("%s not present: %v", creditPath, err)
	}
	f, err := ReadCSV(context.Background(), creditPath)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestReadCSVCredit(t *testing.T) {
	f := readCredit(t)
	if f.Len() != 4454 || len(f.Cols) != 14 {
		t.Fatalf("%d rows x %d columns, want 4454 x 14", f.Len(), len(f.Cols))
	}
	numeric := map[string]bool{"Seniority": true, "Time": true, "Age": true, "Expenses": true,
		"Income": true, "Assets": true, "Debt": true, "Amount": true, "Price": true}
	for _, c := range f.Cols {
		if c.Numeric != numeric[c.Name] {
			t.Errorf("column %s: Numeric = %v", c.Name, c.Numeric)
		}
	}
	// Cross-check every cell against encoding/csv.
	raw, err := os.ReadFile(creditPath)
	if err != nil {
		t.Fatal(err)
	}
	compareWithEncodingCSV(t, raw, f, nil)
	income, _ := f.Col("Income")
	missing := 0
	for _, m := range income.Missing {
		if m {
			missing++
		}
	}
	if missing == 0 {
		t.Error("Income has no missing values; the file has NA in it")
	}
}

func mustParse(t testing.TB, name, content string) *Frame {
	t.Helper()
	f, err := parseCSV(context.Background(), name, []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// compareWithEncodingCSV checks our reading of data against encoding/csv's
// records, with our typing rules applied to them. When encoding/csv fails,
// or the records do not make a table, err (ours) must be non-nil.
func compareWithEncodingCSV(t *testing.T, data []byte, f *Frame, err error) {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	r.FieldsPerRecord = -1
	var records [][]string
	var lines []int
	for {
		rec, rerr := r.Read()
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if err == nil {
				t.Fatalf("encoding/csv: %v; we read it without error", rerr)
			}
			return
		}
		line, _ := r.FieldPos(0)
		records, lines = append(records, rec), append(lines, line)
	}
	table := len(records) > 1
	if table {
		names := map[string]bool{}
		for _, n := range records[0] {
			if n == "" || names[n] {
				table = false
			}
			names[n] = true
		}
		for _, rec := range records[1:] {
			if len(rec) != len(records[0]) {
				table = false
			}
		}
	}
	if !table {
		if err == nil {
			t.Fatalf("records %q are not a table; we read them without error", records)
		}
		return
	}
	if err != nil {
		t.Fatalf("encoding/csv reads %q; we fail: %v", records, err)
	}
	if !slices.Equal(f.Names, records[0]) {
		t.Fatalf("names %q, want %q", f.Names, records[0])
	}
	if !slices.Equal(f.Line, lines[1:]) {
		t.Errorf("lines %v, want %v", f.Line, lines[1:])
	}
	for j, c := range f.Cols {
		numeric := true
		for _, rec := range records[1:] {
			if _, kind := classify([]byte(rec[j])); kind == cellText {
				numeric = false
			}
		}
		if c.Numeric != numeric {
			t.Fatalf("column %q: Numeric = %v, want %v", c.Name, c.Numeric, numeric)
		}
		for i, rec := range records[1:] {
			v, kind := classify([]byte(rec[j]))
			miss := kind == cellMissing
			if !numeric {
				miss = isMissingText([]byte(rec[j]))
			}
			if c.Missing[i] != miss {
				t.Fatalf("column %q row %d (%q): missing = %v", c.Name, i, rec[j], c.Missing[i])
			}
			switch {
			case miss:
			case numeric && math.Float64bits(c.Num[i]) != math.Float64bits(v):
				t.Fatalf("column %q row %d (%q): %v, want %v", c.Name, i, rec[j], c.Num[i], v)
			case !numeric && c.Str[i] != rec[j]:
				t.Fatalf("column %q row %d: %q, want %q", c.Name, i, c.Str[i], rec[j])
			}
		}
	}
}

// FuzzReadCSV checks that no input makes the reader panic, and that it reads
// every input as encoding/csv does.
func FuzzReadCSV(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.csv"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{"a\r\n1\r", "city\nM\xe1laga\n", "a,b\n\"1\"\r,2\n", "a\n\r\r\n", "a,b\n1,\"x\"\"\"\n", "a\n\"\"\n", "x,y\n1e3,inf\n-0,+.5\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := parseCSV(context.Background(), "fuzz.csv", data)
		var pe *ParseError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("error %v is not a *ParseError", err)
		}
		if !utf8.Valid(data) {
			// encoding/csv reads any bytes; xp refuses what is not UTF-8.
			if !errors.Is(err, ErrEncoding) || pe.Line < 1 || pe.Col < 1 {
				t.Fatalf("invalid UTF-8 read as %v, want ErrEncoding at a line and column", err)
			}
			return
		}
		compareWithEncodingCSV(t, data, fr, err)
	})
}

// FuzzParseSimpleNumber checks the fast path against strconv.ParseFloat.
func FuzzParseSimpleNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "1.5", ".5", "5.", "+7", "123456789012345678", "9007199254740993", "0.1234567890123456789", "1.2.3", "-", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseSimpleNumber([]byte(s))
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("fast path reads %q as %v; ParseFloat: %v", s, v, err)
		}
		if math.Float64bits(v) != math.Float64bits(want) {
			t.Fatalf("fast path reads %q as %v (%#x), ParseFloat %v (%#x)", s, v, math.Float64bits(v), want, math.Float64bits(want))
		}
	})
}

// writeBenchCSV writes a 100,000-row, 30-column file like the data sets xp
// is for: 22 numeric columns (integers, decimals, a few NA), 8 categorical
// ones (some quoted, some with a comma inside the quotes).
func writeBenchCSV(tb testing.TB) (string, int64) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "bench.csv")
	file, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(file)
	rng := rand.New(rand.NewPCG(1, 2))
	const rows, numeric, categorical = 100_000, 22, 8
	for j := range numeric {
		fmt.Fprintf(w, "n%d,", j)
	}
	for j := range categorical {
		fmt.Fprintf(w, "\"c%d\"", j)
		if j < categorical-1 {
			w.WriteByte(',')
		}
	}
	w.WriteByte('\n')
	cats := []string{"rent", "owner", "parents", "\"priv, other\"", "ignore", "\"married\""}
	for range rows {
		for j := range numeric {
			switch {
			case rng.IntN(50) == 0:
				w.WriteString("NA")
			case j%2 == 0:
				w.WriteString(strconv.Itoa(rng.IntN(100000)))
			default:
				w.WriteString(strconv.FormatFloat(rng.NormFloat64()*1000, 'f', 2, 64))
			}
			w.WriteByte(',')
		}
		for j := range categorical {
			w.WriteString(cats[rng.IntN(len(cats))])
			if j < categorical-1 {
				w.WriteByte(',')
			}
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := file.Close(); err != nil {
		tb.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return path, st.Size()
}

func BenchmarkReadCSV(b *testing.B) {
	path, size := writeBenchCSV(b)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := ReadCSV(context.Background(), path)
		if err != nil || f.Len() != 100_000 {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodingCSV is the baseline: encoding/csv splitting the same
// file into fields, with no typing, parsing or column building.
func BenchmarkEncodingCSV(b *testing.B) {
	path, size := writeBenchCSV(b)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		file, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r := csv.NewReader(bufio.NewReader(file))
		r.ReuseRecord = true
		n := 0
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		file.Close()
		if n != 100_001 {
			b.Fatalf("%d records", n)
		}
	}
}

// Every data set shipped with the examples reads as encoding/csv reads it.
func TestReadCSVExperimentData(t *testing.T) {
	paths, err := filepath.Glob("../experiments/data/*.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Skip("no data sets in ../experiments/data")
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := ReadCSV(context.Background(), path)
			compareWithEncodingCSV(t, raw, f, err)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d rows, %d columns", f.Len(), len(f.Cols))
		})
	}
}
