package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/store"
)

// testStore has three runs: two credit runs whose specs differ in lr and
// in whether they have dropout (so run 1 has no dropout column value), and
// an iris run with no points, queued.
func testStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	prov, _ := json.Marshal(provenance.Record{InRepo: true, Commit: strings.Repeat("c", 40), Branch: "main", Host: "box", User: "ada"})
	specs := []string{
		`{"model":{"layers":[{"dense":8}]},"train":{"lr":0.001,"name":"a, \"quoted\""}}`,
		`{"model":{"layers":[{"dense":8},{"dropout":0.2}]},"train":{"lr":0.003,"name":"b"}}`,
		`{"model":{"logreg":{}},"train":{"lr":"auto"}}`,
	}
	for i, sp := range specs {
		exp := "credit"
		if i == 2 {
			exp = "iris"
		}
		r := &store.Run{Key: fmt.Sprintf("%064x", i+1), Experiment: exp, SpecHash: fmt.Sprintf("%064x", 100+i),
			Spec: json.RawMessage(sp), Provenance: prov, Epochs: 2, DataHashes: map[string]string{"source": strings.Repeat("d", 64)}}
		if err := st.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			continue
		}
		if err := st.AddPoints(ctx, r.ID, []store.Point{
			{Split: store.SplitTrain, Name: "loss", Epoch: 1, Value: 0.9},
			{Split: store.SplitTrain, Name: "loss", Epoch: 2, Value: 0.5 + float64(i)},
			{Split: store.SplitTest, Name: "accuracy", Epoch: 2, Value: 0.75},
			{Split: store.SplitValidation, Name: "loss", Epoch: 2, Value: math.NaN()},
			{Split: store.SplitSystem, Name: "rss_mb", Epoch: 2, Value: 100},
		}); err != nil {
			t.Fatal(err)
		}
		if err := st.FinishRun(ctx, r.ID, store.StatusSucceeded, "", "", json.RawMessage(`{"total_seconds":2.5,"train_seconds":2}`)); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestRunsCSV(t *testing.T) {
	st := testStore(t)
	var buf bytes.Buffer
	n, err := Runs(context.Background(), st, store.ExportOptions{}, CSV, &buf)
	if err != nil || n != 3 {
		t.Fatalf("Runs: %d, %v", n, err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := recs[0]
	col := func(name string) int {
		i := slices.Index(header, name)
		if i < 0 {
			t.Fatalf("no column %s in %v", name, header)
		}
		return i
	}
	for _, c := range []string{"key", "run", "experiment", "status", "created", "total_seconds", "commit", "dirty",
		"data_sha256", "trained_by", "spec.model.layers[0].dense", "spec.model.layers[1].dropout", "spec.model.logreg",
		"spec.train.lr", "spec.train.name", "test.accuracy", "train.loss", "validation.loss"} {
		col(c)
	}
	if slices.Contains(header, "system.rss_mb") {
		t.Error("system metrics exported as final metrics")
	}
	cases := []struct {
		row       int
		col, want string
	}{
		{1, "run", "1"},
		{1, "status", "succeeded"},
		{1, "spec.train.lr", "0.001"},
		{1, "spec.train.name", `a, "quoted"`},
		{1, "spec.model.layers[1].dropout", ""},
		{2, "spec.model.layers[1].dropout", "0.2"},
		{1, "train.loss", "0.5"},
		{2, "train.loss", "1.5"},
		{1, "validation.loss", "NaN"},
		{1, "total_seconds", "2.5"},
		{1, "commit", strings.Repeat("c", 40)},
		{1, "trained_by", "ada@box"},
		{3, "status", "queued"},
		{3, "spec.train.lr", "auto"},
		{3, "spec.model.logreg", "{}"},
		{3, "test.accuracy", ""},
		{3, "total_seconds", ""},
	}
	for _, tc := range cases {
		if got := recs[tc.row][col(tc.col)]; got != tc.want {
			t.Errorf("row %d %s = %q, want %q", tc.row, tc.col, got, tc.want)
		}
	}
}

func TestRunsJSONL(t *testing.T) {
	st := testStore(t)
	var buf bytes.Buffer
	if _, err := Runs(context.Background(), st, store.ExportOptions{ListOptions: store.ListOptions{Experiment: "credit"}}, JSONL, &buf); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		rows = append(rows, m)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want the 2 credit runs", len(rows))
	}
	// Types kept: numbers are numbers, a spec string a string, NaN a string;
	// a field the run's spec lacks is absent.
	if rows[0]["spec.train.lr"] != 0.001 || rows[0]["run"] != 1.0 || rows[0]["dirty"] != false ||
		rows[0]["spec.train.name"] != `a, "quoted"` || rows[0]["validation.loss"] != "NaN" {
		t.Errorf("row 1: %v", rows[0])
	}
	if _, ok := rows[0]["spec.model.layers[1].dropout"]; ok {
		t.Errorf("row 1 has run 2's dropout: %v", rows[0])
	}
	if rows[1]["spec.model.layers[1].dropout"] != 0.2 {
		t.Errorf("row 2: %v", rows[1])
	}
}

func TestRunsParquet(t *testing.T) {
	st := testStore(t)
	var buf bytes.Buffer
	if _, err := Runs(context.Background(), st, store.ExportOptions{}, Parquet, &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := readParquet(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	if rows[0]["spec.train.lr"] != "0.001" && rows[0]["spec.train.lr"] != 0.001 {
		t.Errorf("row 1 lr: %#v", rows[0]["spec.train.lr"])
	}
	if rows[1]["train.loss"] != 1.5 || rows[0]["key"] != fmt.Sprintf("%064x", 1) || rows[2]["test.accuracy"] != nil {
		t.Errorf("rows: %v", rows)
	}
}

func TestPoints(t *testing.T) {
	st := testStore(t)
	for _, f := range []Format{CSV, JSONL, Parquet} {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			n, err := Points(context.Background(), st, store.ExportOptions{IDs: []int64{2}}, f, &buf)
			if err != nil || n != 5 {
				t.Fatalf("Points: %d, %v", n, err)
			}
			switch f {
			case CSV:
				recs, err := csv.NewReader(&buf).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range recs {
					got = append(got, strings.Join(append(r[:1:1], r[2:7]...), ","))
				}
				want := []string{"run,split,metric,epoch,step,value", "2,system,rss_mb,2,0,100", "2,test,accuracy,2,0,0.75",
					"2,train,loss,1,0,0.9", "2,train,loss,2,0,1.5", "2,validation,loss,2,0,NaN"}
				if !slices.Equal(got, want) {
					t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			case JSONL:
				if lines := strings.Count(buf.String(), "\n"); lines != 5 {
					t.Errorf("%d lines", lines)
				}
				if !strings.Contains(buf.String(), `"split":"validation","metric":"loss","epoch":2,"step":0,"value":"NaN"`) {
					t.Errorf("no NaN point in %s", buf.String())
				}
			case Parquet:
				rows, err := readParquet(buf.Bytes())
				if err != nil || len(rows) != 5 || rows[3]["value"] != 1.5 || rows[3]["epoch"] != int64(2) {
					t.Errorf("rows %v, %v", rows, err)
				}
			}
		})
	}
}

func TestCanceled(t *testing.T) {
	st := testStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Runs(ctx, st, store.ExportOptions{}, CSV, io.Discard); err == nil {
		t.Error("a canceled export of runs succeeded")
	}
	if _, err := Points(ctx, st, store.ExportOptions{}, CSV, io.Discard); err == nil {
		t.Error("a canceled export of points succeeded")
	}
}

// readParquet reads a flat Parquet file back as one map per row, a null
// as nil.
func readParquet(b []byte) ([]map[string]any, error) {
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	fields := f.Schema().Fields()
	r := parquet.NewReader(f)
	defer r.Close()
	var out []map[string]any
	rows := make([]parquet.Row, 16)
	for {
		n, err := r.ReadRows(rows)
		for _, row := range rows[:n] {
			m := map[string]any{}
			for _, v := range row {
				name := fields[v.Column()].Name()
				switch {
				case v.IsNull():
					m[name] = nil
				case v.Kind() == parquet.Double:
					m[name] = v.Double()
				case v.Kind() == parquet.Int64:
					m[name] = v.Int64()
				case v.Kind() == parquet.Boolean:
					m[name] = v.Boolean()
				default:
					m[name] = string(v.ByteArray())
				}
			}
			out = append(out, m)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// TestParallelRows: rows come out in run order across batches and
// workers, and a failed write stops the export with its error.
func TestParallelRows(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const runs = 2*batchRuns + 7
	for i := range runs {
		if err := st.CreateRun(ctx, &store.Run{Key: fmt.Sprintf("%064x", i+1), Experiment: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	toRow := func(r *store.Run) ([]any, error) { return []any{r.ID}, nil }
	var got []int64
	n, err := parallelRows(ctx, st, store.ExportOptions{}, 4, toRow, func(row []any) error {
		got = append(got, row[0].(int64))
		return nil
	})
	if err != nil || n != runs {
		t.Fatalf("%d rows, %v", n, err)
	}
	for i, id := range got {
		if id != int64(i+1) {
			t.Fatalf("row %d is run %d", i, id)
		}
	}
	full := fmt.Errorf("disk full")
	n, err = parallelRows(ctx, st, store.ExportOptions{}, 4, toRow, func(row []any) error {
		if row[0].(int64) == batchRuns+3 {
			return full
		}
		return nil
	})
	if err != full || n != batchRuns+2 {
		t.Errorf("a write failing at row %d: %d rows, %v", batchRuns+3, n, err)
	}
}
