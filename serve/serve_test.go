package serve_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/internal/runtest"
	"github.com/xp-ml/xp/predict"
	"github.com/xp-ml/xp/serve"
)

// TestServe trains the shipped credit (classification) and amount
// (regression) experiments once and serves them over real loopback
// connections.
func TestServe(t *testing.T) {
	proj := runtest.Shipped(t, "credit", "amount")
	rows := testRows(t, proj, "credit")

	t.Run("answers are xp predict's bytes", func(t *testing.T) { sameAsPredict(t, proj, rows) })
	t.Run("regression", func(t *testing.T) { regression(t, proj) })
	t.Run("bad input", func(t *testing.T) { badInput(t, proj, rows) })
	t.Run("models", func(t *testing.T) { models(t, proj) })
	t.Run("metrics", func(t *testing.T) { metricsExposition(t, proj, rows) })
	t.Run("batching", func(t *testing.T) { batching(t, proj, rows) })
	t.Run("shutdown drains requests in flight", func(t *testing.T) { drain(t, proj, rows) })
	t.Run("slow client", func(t *testing.T) { slowClient(t, proj, rows) })
	t.Run("bodies in flight are bounded", func(t *testing.T) { bodiesInFlight(t, proj, rows) })
}

// load loads the run of experiment name as xp serve does.
func load(t *testing.T, proj *runtest.Project, name string) *serve.Model {
	t.Helper()
	return loadRun(t, proj, proj.Runs[name].Key)
}

func loadRun(t testing.TB, proj *runtest.Project, key string) *serve.Model {
	t.Helper()
	r, err := proj.Store.Resolve(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	p, err := predict.Load(proj.Store.ArtifactDir(r), r, "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := serve.NewModel(r, p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// start serves models on a loopback port until the test ends and returns
// the base URL and a function that stops the server and returns Serve's
// error.
func start(t *testing.T, opts serve.Options, models ...*serve.Model) (string, func() error) {
	t.Helper()
	srv, err := serve.New(context.Background(), models, opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case serveErr = <-done:
			case <-time.After(30 * time.Second):
				serveErr = errors.New("Serve did not return 30 s after its context ended")
			}
		})
		return serveErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return "http://" + ln.Addr().String(), stop
}

// testRows is the CSV of the run's test split.
func testRows(t *testing.T, proj *runtest.Project, name string) []byte {
	return proj.TestRows(t, name, "data/credit_data.csv")
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// xpPredict is what `xp predict` writes for a file holding body.
func xpPredict(t *testing.T, proj *runtest.Project, name string, body []byte) []byte {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rows.csv")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	m := load(t, proj, name)
	f, err := data.ReadFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Predictor.Predict(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Predictor.WriteCSV(&buf, f, out); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// jsonRows is a CSV's rows as the JSON a client sends: numbers as
// numbers, the rest as strings, missing values (NA) as null.
func jsonRows(t *testing.T, body []byte) []byte {
	t.Helper()
	recs := readCSV(t, body)
	var b bytes.Buffer
	b.WriteString(`{"rows":[`)
	for i, rec := range recs[1:] {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for j, v := range rec {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q:", recs[0][j])
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				b.WriteString(v)
			} else if v == "NA" || v == "" {
				b.WriteString("null")
			} else {
				fmt.Fprintf(&b, "%q", v)
			}
		}
		b.WriteByte('}')
	}
	b.WriteString("]}")
	return b.Bytes()
}

func post(t *testing.T, url, contentType string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

type answer struct {
	Model       string `json:"model"`
	Key         string `json:"key"`
	Predictions []struct {
		Class         string                     `json:"class"`
		Probabilities map[string]json.RawMessage `json:"probabilities"`
		Value         json.RawMessage            `json:"value"`
	} `json:"predictions"`
}

// sameAsPredict: a CSV request is answered with the bytes xp predict writes
// for the same file, and a JSON request with the same rows with the same
// classes and probabilities, as text.
func sameAsPredict(t *testing.T, proj *runtest.Project, rows []byte) {
	m := load(t, proj, "credit")
	base, _ := start(t, serve.Options{}, m)
	want := xpPredict(t, proj, "credit", rows)

	code, got, h := post(t, base+"/v1/models/credit:predict", "text/csv", rows)
	if code != 200 || !bytes.Equal(got, want) {
		t.Fatalf("CSV: status %d, answer differs from xp predict's:\n%.300s\nwant\n%.300s", code, got, want)
	}
	if h.Get("X-Xp-Run-Key") != m.Run.Key {
		t.Errorf("X-Xp-Run-Key %q, want %q", h.Get("X-Xp-Run-Key"), m.Run.Key)
	}

	code, got, _ = post(t, base+"/v1/models/"+m.Run.Short()+":predict", "application/json", jsonRows(t, rows))
	if code != 200 {
		t.Fatalf("JSON: status %d: %s", code, got)
	}
	var a answer
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	recs := readCSV(t, want)
	header := recs[0]
	if a.Key != m.Run.Key || a.Model != "credit" || len(a.Predictions) != len(recs)-1 {
		t.Fatalf("answer for %q (%s), %d predictions; want credit, %s, %d", a.Model, a.Key, len(a.Predictions), m.Run.Key, len(recs)-1)
	}
	for i, p := range a.Predictions {
		rec := recs[i+1]
		n := len(header)
		if p.Class != rec[n-3] || string(p.Probabilities["bad"]) != rec[n-2] || string(p.Probabilities["good"]) != rec[n-1] {
			t.Fatalf("row %d: JSON %s %s %s, xp predict %v", i, p.Class, p.Probabilities["bad"], p.Probabilities["good"], rec[n-3:])
		}
	}

	// curl -d without -H sends its bytes as a form: they are read as JSON.
	code, form, _ := post(t, base+"/v1/models/credit:predict", "application/x-www-form-urlencoded", jsonRows(t, rows))
	if code != 200 || !bytes.Equal(form, got) {
		t.Errorf("JSON sent as a form: status %d, answer differs from JSON's:\n%.300s", code, form)
	}

	// One row alone is scored as xp predict scores a file of that row.
	one := append(bytes.SplitAfterN(rows, []byte("\n"), 3)[0], bytes.SplitAfterN(rows, []byte("\n"), 3)[1]...)
	code, got, _ = post(t, base+"/v1/models/credit:predict", "text/csv", one)
	if code != 200 || !bytes.Equal(got, xpPredict(t, proj, "credit", one)) {
		t.Errorf("one row: status %d, %s", code, got)
	}
}

func regression(t *testing.T, proj *runtest.Project) {
	base, _ := start(t, serve.Options{}, load(t, proj, "amount"))
	rows := testRows(t, proj, "amount")
	want := xpPredict(t, proj, "amount", rows)
	code, got, _ := post(t, base+"/v1/models/amount:predict", "text/csv", rows)
	if code != 200 || !bytes.Equal(got, want) {
		t.Fatalf("CSV: status %d, answer differs from xp predict's:\n%.300s\nwant\n%.300s", code, got, want)
	}
	code, got, _ = post(t, base+"/v1/models/amount:predict", "application/json", jsonRows(t, rows))
	var a answer
	if err := json.Unmarshal(got, &a); code != 200 || err != nil {
		t.Fatalf("JSON: status %d, %v: %s", code, err, got)
	}
	recs := readCSV(t, want)
	for i, p := range a.Predictions {
		if w := recs[i+1][len(recs[0])-1]; string(p.Value) != w {
			t.Fatalf("row %d: value %s, xp predict %s", i, p.Value, w)
		}
	}
}

type errorAnswer struct {
	Error    string `json:"error"`
	Problems []struct {
		Row     *int   `json:"row"`
		Line    int    `json:"line"`
		Column  string `json:"column"`
		Problem string `json:"problem"`
		Value   string `json:"value"`
		Hint    string `json:"hint"`
	} `json:"problems"`
	MoreProblems bool `json:"more_problems"`
}

// validRow is the first test row as a JSON object, to break in one place.
func validRow(t *testing.T, rows []byte) map[string]any {
	t.Helper()
	var doc struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(jsonRows(t, rows), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Rows[0]
}

// csvBody writes rows as CSV with the header's columns in its order.
func csvBody(t *testing.T, header string, rows ...map[string]any) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	names := readCSV(t, []byte(header))[0]
	w.Write(names)
	for _, r := range rows {
		rec := make([]string, len(names))
		for j, n := range names {
			switch v := r[n].(type) {
			case nil:
				rec[j] = "NA"
			case float64:
				rec[j] = strconv.FormatFloat(v, 'g', -1, 64)
			default:
				rec[j] = fmt.Sprint(v)
			}
		}
		w.Write(rec)
	}
	w.Flush()
	return b.Bytes()
}

func rowsBody(t *testing.T, rows ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"rows": rows})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func badInput(t *testing.T, proj *runtest.Project, rows []byte) {
	base, _ := start(t, serve.Options{MaxBody: 64 << 10}, load(t, proj, "credit"))
	url := base + "/v1/models/credit:predict"
	with := func(edit func(map[string]any)) map[string]any {
		r := validRow(t, rows)
		edit(r)
		return r
	}
	ok := validRow(t, rows)
	csvHeader, csvRow, _ := strings.Cut(string(rows), "\n")
	csvRow, _, _ = strings.Cut(csvRow, "\n")
	// problem is "row/column/kind" ("-" for no row).
	type want struct {
		code     int
		problems []string
		msg      string
	}
	tests := []struct {
		name, ctype string
		body        []byte
		want        want
	}{
		{"unknown column", "application/json", rowsBody(t, ok, with(func(r map[string]any) { r["Hme"] = "rent" })),
			want{400, []string{"1/Hme/unknown column"}, ""}},
		{"missing column", "application/json", rowsBody(t, with(func(r map[string]any) { delete(r, "Price") })),
			want{400, []string{"0/Price/missing column"}, ""}},
		{"text in a numeric column", "application/json", rowsBody(t, with(func(r map[string]any) { r["Age"] = "thirty" })),
			want{400, []string{"0/Age/text in a numeric column"}, ""}},
		{"a number as a string", "application/json", rowsBody(t, with(func(r map[string]any) { r["Age"] = "30" })),
			want{400, []string{"0/Age/text in a numeric column"}, ""}},
		{"true in a numeric column", "application/json", rowsBody(t, with(func(r map[string]any) { r["Debt"] = true })),
			want{400, []string{"0/Debt/text in a numeric column"}, ""}},
		{"invalid UTF-8 value", "application/json", bytes.Replace(rowsBody(t, with(func(r map[string]any) { r["Home"] = "@@" })), []byte("@@"), []byte("M\xe1laga"), 1),
			want{400, []string{"0/Home/invalid UTF-8"}, ""}},
		{"invalid UTF-8 column", "application/json", bytes.Replace(rowsBody(t, with(func(r map[string]any) { r["@@"] = 1 })), []byte("@@"), []byte("Ho\xffme"), 1),
			want{400, []string{`0/"Ho\xffme"/invalid UTF-8`}, ""}},
		{"nested value", "application/json", rowsBody(t, with(func(r map[string]any) { r["Job"] = []any{"fixed"} })),
			want{400, []string{"0/Job/not a number, text or null"}, ""}},
		{"duplicate column", "application/json", bytes.Replace(rowsBody(t, ok), []byte(`"Age":`), []byte(`"Age":31,"Age":`), 1),
			want{400, []string{"0/Age/duplicate column"}, ""}},
		{"a row not an object", "application/json", []byte(`{"rows":[[1,2]]}`), want{400, []string{"0//not an object"}, ""}},
		{"every problem at once", "application/json", rowsBody(t,
			with(func(r map[string]any) { r["Age"] = "x"; delete(r, "Home") }),
			with(func(r map[string]any) { r["Incme"] = 1 })),
			want{400, []string{"0/Age/text in a numeric column", "0/Home/missing column", "1/Incme/unknown column"}, ""}},
		{"not JSON", "application/json", []byte(`{"rows": [{"Age": 30,}]}`), want{400, nil, "invalid JSON"}},
		{"a header too wide to list", "text/csv", []byte(strings.Repeat("c,", 20000) + "c\n"), want{400, nil, "bad input: the header has 20001 columns, more than 100 of them unknown; the model reads 13 (GET /v1/models lists them)"}},
		{"nested deep", "application/json", []byte(`{"rows": [{"Age": ` + strings.Repeat("[", 60<<10) + `}]}`), want{400, nil, "a value nested more than 64 deep at byte"}},
		{"no rows", "application/json", []byte(`{"rows": []}`), want{400, nil, "no rows"}},
		{"CSV unknown column", "text/csv", []byte(csvHeader + ",Extra\n" + csvRow + ",1\n"), want{400, []string{"-/Extra/unknown column"}, ""}},
		{"CSV missing column", "text/csv", []byte(strings.Replace(csvHeader, `"Price"`, `"Prize"`, 1) + "\n" + csvRow + "\n"),
			want{400, []string{"-/Prize/unknown column", "-/Price/missing column"}, ""}},
		{"CSV text in a numeric column", "text/csv", csvBody(t, csvHeader, ok, with(func(r map[string]any) { r["Age"] = "thirty" })),
			want{400, []string{"1/Age/text in a numeric column"}, ""}},
		{"CSV invalid UTF-8", "text/csv", csvBody(t, csvHeader, with(func(r map[string]any) { r["Home"] = "M\xe1laga" })),
			want{400, []string{"0/Home/invalid UTF-8"}, ""}},
		{"too large", "application/json", bytes.Repeat([]byte(" "), 65<<10), want{413, nil, "over the limit"}},
		{"CSV sent as JSON", "application/json", []byte(csvHeader + "\n" + csvRow + "\n"), want{400, nil, "send CSV with Content-Type: text/csv"}},
		{"a form that is not JSON", "application/x-www-form-urlencoded", []byte("Age=30&Home=rent"), want{400, nil, `want a JSON object {"rows": [...]}`}},
		{"not JSON or CSV", "text/plain", []byte("hello"), want{415, nil, "send application/json or text/csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, _ := post(t, url, tt.ctype, tt.body)
			var got errorAnswer
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("status %d, %v: %s", code, err, body)
			}
			if code != tt.want.code || !strings.Contains(got.Error, tt.want.msg) {
				t.Fatalf("status %d %q, want %d %q", code, got.Error, tt.want.code, tt.want.msg)
			}
			var ps []string
			for _, p := range got.Problems {
				row := "-"
				if p.Row != nil {
					row = strconv.Itoa(*p.Row)
				}
				ps = append(ps, row+"/"+p.Column+"/"+p.Problem)
			}
			if fmt.Sprint(ps) != fmt.Sprint(tt.want.problems) {
				t.Errorf("problems %q, want %q", ps, tt.want.problems)
			}
		})
	}
	t.Run("hint and value", func(t *testing.T) {
		_, body, _ := post(t, url, "application/json", rowsBody(t, with(func(r map[string]any) { r["Hme"] = "rent"; r["Age"] = "thirty" })))
		if !bytes.Contains(body, []byte(`"hint": "did you mean \"Home\"?"`)) || !bytes.Contains(body, []byte(`"value": "thirty"`)) {
			t.Errorf("want the closest name and the value: %s", body)
		}
		_, body, _ = post(t, url, "text/csv", csvBody(t, csvHeader, ok, with(func(r map[string]any) { r["Age"] = "thirty" })))
		if !bytes.Contains(body, []byte(`"line": 3`)) {
			t.Errorf("want the CSV line of the row: %s", body)
		}
	})
	// A 400 lists the first 100 problems and says there are more, in
	// either format; a body of nothing but problems is read no further.
	t.Run("more problems than a 400 lists", func(t *testing.T) {
		bad := with(func(r map[string]any) { r["Age"] = "thirty" })
		many := make([]map[string]any, 150)
		for i := range many {
			many[i] = bad
		}
		empty := []byte(`{"rows":[` + strings.Repeat(`{},`, 20000) + `{}]}`)
		for _, c := range []struct {
			name, ctype string
			body        []byte
		}{
			{"JSON", "application/json", rowsBody(t, many...)},
			{"CSV", "text/csv", csvBody(t, csvHeader, many...)},
			{"JSON rows missing every column", "application/json", empty},
		} {
			code, body, _ := post(t, url, c.ctype, c.body)
			var got errorAnswer
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("%s: status %d, %v: %.300s", c.name, code, err, body)
			}
			if code != 400 || len(got.Problems) != 100 || !got.MoreProblems || got.Error != "bad input: more than 100 problems; the first 100 are listed" {
				t.Errorf("%s: status %d, %d problems, more_problems %v, %q", c.name, code, len(got.Problems), got.MoreProblems, got.Error)
			}
		}
	})
	t.Run("routes", func(t *testing.T) {
		for _, c := range []struct {
			method, path string
			code         int
		}{
			{"POST", "/v1/models/nope:predict", 404},
			{"POST", "/v1/models/credit", 404},
			{"PUT", "/v1/models/credit:predict", 405},
		} {
			req, _ := http.NewRequest(c.method, base+c.path, bytes.NewReader(rowsBody(t, ok)))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.code {
				t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.code)
			}
		}
	})
}

func models(t *testing.T, proj *runtest.Project) {
	credit, amount := load(t, proj, "credit"), load(t, proj, "amount")
	base, _ := start(t, serve.Options{}, credit, amount)
	resp, err := http.Get(base + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Models []struct {
			Name, Key, Experiment, Commit, Task, Target, Predict string
			Classes                                              []string
			Metrics                                              map[string]map[string]float64
			Inputs                                               []struct {
				Name, Type, Encoding string
				Categories           []string
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got.Models) != 2 {
		t.Fatalf("%d models, want 2", len(got.Models))
	}
	c, a := got.Models[0], got.Models[1]
	if c.Name != "credit" || c.Key != credit.Run.Key || c.Experiment != "credit" || c.Task != "classification" ||
		c.Target != "Status" || fmt.Sprint(c.Classes) != "[bad good]" || c.Predict != "/v1/models/credit:predict" {
		t.Errorf("credit: %+v", c)
	}
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(c.Commit) {
		t.Errorf("commit %q, want the repository's", c.Commit)
	}
	if acc := c.Metrics["test"]["accuracy"]; !(acc > 0.7 && acc < 1) {
		t.Errorf("test accuracy %v", acc)
	}
	types := map[string]string{}
	for _, in := range c.Inputs {
		types[in.Name] = in.Type + " " + in.Encoding + " " + strings.Join(in.Categories, "|")
	}
	if types["Age"] != "number standardize " || types["Home"] != "text onehot ignore|other|owner|parents|priv|rent" {
		t.Errorf("inputs %q", types)
	}
	if a.Task != "regression" || a.Target != "Amount" || len(a.Classes) != 0 {
		t.Errorf("amount: %+v", a)
	}
}

// metricsExposition checks /metrics after a few requests: the families,
// their counts, and the histogram's buckets in Prometheus's text format.
func metricsExposition(t *testing.T, proj *runtest.Project, rows []byte) {
	base, _ := start(t, serve.Options{}, load(t, proj, "credit"))
	url := base + "/v1/models/credit:predict"
	for range 3 {
		post(t, url, "text/csv", rows)
	}
	post(t, url, "application/json", []byte(`{"rows":[{"Hme":1}]}`))
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	samples := map[string]float64{}
	line := regexp.MustCompile(`^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+|\+Inf)$`)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "# HELP ") || strings.HasPrefix(l, "# TYPE ") {
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("not a sample line: %q", l)
		}
		v, _ := strconv.ParseFloat(m[3], 64)
		samples[m[1]+m[2]] = v
	}
	for name, want := range map[string]float64{
		`xp_serve_requests_total{handler="predict",model="credit",code="200"}`:                 3,
		`xp_serve_requests_total{handler="predict",model="credit",code="400"}`:                 1,
		`xp_serve_request_duration_seconds_count{handler="predict",model="credit"}`:            4,
		`xp_serve_request_duration_seconds_bucket{handler="predict",model="credit",le="+Inf"}`: 4,
		`xp_serve_errors_total{kind="bad_input"}`:                                              1,
		`xp_serve_bad_input_problems_total{problem="unknown column"}`:                          1,
		`xp_serve_rows_total{model="credit"}`:                                                  float64(3 * (bytes.Count(rows, []byte("\n")) - 1)),
		`xp_serve_batch_rows_count{model="credit"}`:                                            3,
		`xp_serve_in_flight_requests`:                                                          1, // this one
	} {
		got, ok := samples[name]
		if !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	prev := -1.0
	for _, le := range []string{"0.0001", "0.00025", "0.0005", "0.001", "0.002", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "1", "+Inf"} {
		v := samples[`xp_serve_request_duration_seconds_bucket{handler="predict",model="credit",le="`+le+`"}`]
		if v < prev {
			t.Errorf("bucket le=%s holds %v, fewer than the one below (%v)", le, v, prev)
		}
		prev = v
	}
}

// batching: with batching on, concurrent requests share passes through
// the model, and each still gets its own rows' answers.
func batching(t *testing.T, proj *runtest.Project, rows []byte) {
	base, _ := start(t, serve.Options{Workers: 1, BatchRows: 64, BatchDelay: 50 * time.Millisecond}, load(t, proj, "credit"))
	recs := strings.Split(strings.TrimSpace(string(rows)), "\n")
	const n = 12
	want := make([][]string, n)
	for i := range n {
		one := []byte(recs[0] + "\n" + recs[i+1] + "\n")
		want[i] = readCSV(t, xpPredict(t, proj, "credit", one))[1]
	}
	var wg sync.WaitGroup
	got := make([][]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(base+"/v1/models/credit:predict", "text/csv", strings.NewReader(recs[0]+"\n"+recs[i+1]+"\n"))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			r, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			if err != nil || len(r) != 2 {
				t.Errorf("request %d: %v: %s", i, err, b)
				return
			}
			got[i] = r[1]
		}()
	}
	wg.Wait()
	for i := range n {
		if got[i] == nil {
			continue
		}
		k := len(want[i])
		for c := k - 2; c < k; c++ {
			g, _ := strconv.ParseFloat(got[i][c], 64)
			w, _ := strconv.ParseFloat(want[i][c], 64)
			if math.Abs(g-w) > 1e-6 || got[i][k-3] != want[i][k-3] {
				t.Errorf("request %d: %v, alone %v", i, got[i][k-3:], want[i][k-3:])
			}
		}
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`xp_serve_batch_rows_count\{model="credit"\} (\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no batch count in\n%s", b)
	}
	if batches, _ := strconv.Atoi(string(m[1])); batches >= n {
		t.Errorf("%d batches for %d concurrent requests: none joined", batches, n)
	}
}

// drain: a request whose body is still arriving when the server is told
// to stop is answered; new connections are refused; Serve returns nil.
func drain(t *testing.T, proj *runtest.Project, rows []byte) {
	base, stop := start(t, serve.Options{}, load(t, proj, "credit"))
	addr := strings.TrimPrefix(base, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/models/credit:predict HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n", len(rows))
	half := len(rows) / 2
	if _, err := conn.Write(rows[:half]); err != nil {
		t.Fatal(err)
	}
	waitInFlight(t, base, 2) // it, and the request asking
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// Once the listener is closed, nothing new gets in.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections 10 s after the stop")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned (%v) with a request in flight", err)
	default:
	}
	if _, err := conn.Write(rows[half:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(body, xpPredict(t, proj, "credit", rows)) {
		t.Errorf("the request in flight: status %d, %.200s", resp.StatusCode, body)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve: %v, want nil after draining", err)
	}
}

// waitInFlight waits until /metrics says n requests are being answered.
func waitInFlight(t *testing.T, base string, n int) {
	t.Helper()
	want := fmt.Sprintf("xp_serve_in_flight_requests %d\n", n)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(b, []byte(want)) {
			return
		}
	}
	t.Fatalf("never %d requests in flight", n)
}

// slowClient: a body that stops arriving is cut off at the read timeout
// with 408, and the server goes on answering others.
func slowClient(t *testing.T, proj *runtest.Project, rows []byte) {
	base, _ := start(t, serve.Options{ReadTimeout: 300 * time.Millisecond}, load(t, proj, "credit"))
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/models/credit:predict HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n", len(rows))
	conn.Write(rows[:10])
	began := time.Now()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || time.Since(began) > 5*time.Second {
		t.Errorf("status %d after %s, want 408 soon after 300ms", resp.StatusCode, time.Since(began))
	}
	if code, _, _ := post(t, base+"/v1/models/credit:predict", "text/csv", rows); code != 200 {
		t.Errorf("next request: %d", code)
	}
}

// bodiesInFlight holds most of the budget of bodies in flight with one
// request that waits in a batch (a slow client that has sent little of
// its body holds none): a small request still fits and is answered, a larger one waits for room up to the read timeout and gets
// 503 with Retry-After, and once the first is answered the larger one is
// scored.
func bodiesInFlight(t *testing.T, proj *runtest.Project, rows []byte) {
	base, _ := start(t, serve.Options{MaxBody: 64 << 10, MaxInFlight: 64 << 10, ReadTimeout: 300 * time.Millisecond,
		BatchRows: 1 << 20, BatchDelay: time.Second}, load(t, proj, "credit"))
	url := base + "/v1/models/credit:predict"
	row := rowsBody(t, validRow(t, rows))
	padded := func(n int) []byte { return append(bytes.Clone(row), bytes.Repeat([]byte(" "), n-len(row))...) }

	// A client that declares a large body and sends it slowly holds none
	// of the budget, only bodies that have arrived count: beside one, a
	// request is answered at once, not when the slow one times out.
	{
		base, _ := start(t, serve.Options{MaxBody: 64 << 10, MaxInFlight: 64 << 10, ReadTimeout: 3 * time.Second}, load(t, proj, "credit"))
		slow, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer slow.Close()
		fmt.Fprintf(slow, "POST /v1/models/credit:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{")
		time.Sleep(50 * time.Millisecond)
		began := time.Now()
		if code, body, _ := post(t, base+"/v1/models/credit:predict", "application/json", padded(10000)); code != 200 || time.Since(began) > time.Second {
			t.Errorf("beside a slow client: status %d after %s: %.200s", code, time.Since(began), body)
		}
	}

	held := make(chan int, 1)
	go func() {
		resp, err := http.Post(url, "application/json", bytes.NewReader(padded(60000)))
		if err != nil {
			held <- 0
			return
		}
		resp.Body.Close()
		held <- resp.StatusCode
	}()
	time.Sleep(300 * time.Millisecond) // the first is read and waits in its batch

	began := time.Now()
	resp, err := http.Post(url, "application/json", bytes.NewReader(padded(10000)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" || time.Since(began) > 1500*time.Millisecond {
		t.Errorf("a body past the budget: status %d, Retry-After %q, after %s; want 503 after the 300ms read timeout",
			resp.StatusCode, resp.Header.Get("Retry-After"), time.Since(began))
	}
	if code, body, _ := post(t, url, "application/json", row); code != 200 {
		t.Errorf("a body that fits: status %d: %s", code, body)
	}
	if code := <-held; code != 200 {
		t.Errorf("the request holding the budget: status %d", code)
	}
	if code, body, _ := post(t, url, "application/json", padded(10000)); code != 200 {
		t.Errorf("once the budget is free: status %d: %s", code, body)
	}
}
