package data

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xp-ml/xp/cue/spec"
)

// The load + clean + encode benchmark: a generated 1,000,000-row,
// 30-column CSV read by encoding/csv (the base) and by xp's pipeline, each
// in a process of its own so that its peak memory is its own. Run it with
//
//	go test ./data -run '^$' -bench LoadCleanEncode -benchtime 1x
//
// It reports MB/s and peak RSS of each, and xp's speed as a fraction of
// encoding/csv's.

const benchEnv = "XP_DATA_BENCH_CHILD"

// writeWideCSV writes rows rows of 22 numeric columns (integers, decimals,
// 2% NA) and 8 categorical ones (some quoted, one with a comma inside).
func writeWideCSV(path string, rows int) (int64, error) {
	file, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(file, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	const numeric, categorical = 22, 8
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
	cats := []string{"rent", "owner", "parents", "\"priv, other\"", "ignore", "\"married\"", "Rent", "other"}
	var num []byte
	for range rows {
		for j := range numeric {
			switch {
			case rng.IntN(50) == 0:
				w.WriteString("NA")
			case j%2 == 0:
				w.Write(strconv.AppendInt(num[:0], int64(rng.IntN(100000)), 10))
			default:
				w.Write(strconv.AppendFloat(num[:0], rng.NormFloat64()*1000, 'f', 2, 64))
			}
			w.WriteByte(',')
		}
		for j := range categorical {
			w.WriteString(cats[rng.IntN(len(cats)-j/2)])
			if j < categorical-1 {
				w.WriteByte(',')
			}
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	if err := file.Close(); err != nil {
		return 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// benchData is the spec the benchmark prepares with: a rule of each kind
// that looks at every row, default encodings plus a capped one-hot.
func benchData() spec.Data {
	lo := -1e9
	return spec.Data{
		Target: "c7",
		Clean: []spec.Rule{
			{FillNA: &spec.FillNA{Column: "n0", With: "median"}},
			{FillNA: &spec.FillNA{Column: "c1", With: "mode"}},
			{Clip: &spec.Clip{Column: "n1", Quantiles: []float64{0.01, 0.99}}},
			{Replace: &spec.Replace{Column: "c0", Values: map[string]any{"Rent": "rent"}}},
			{Filter: &spec.Filter{Column: "n2", Op: ">", Value: lo}},
			{DropDuplicates: &spec.DropDuplicates{}},
		},
		Features: map[string]spec.Feature{
			"c2": {Categorical: &spec.CategoricalFeature{Encoding: "onehot", MaxCategories: 3}},
			"n3": {Numeric: &spec.NumericFeature{Encoding: "minmax"}},
		},
		Split: spec.Split{Test: 0.2, Validation: 0.1, Seed: 1, Stratify: true},
	}
}

// benchChild does one variant's work on the file and prints its seconds.
func benchChild(variant, path string) error {
	start := time.Now()
	switch variant {
	case "encoding/csv":
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
		r.ReuseRecord = true
		n := 0
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			n++
		}
		if n < 2 {
			return fmt.Errorf("%d records", n)
		}
	case "xp-read":
		ctx := context.Background()
		src, err := ResolveSource(ctx, "data.source", spec.Source{File: path}, SourceOptions{})
		if err != nil {
			return err
		}
		if _, err := src.Read(ctx); err != nil {
			return err
		}
	case "xp":
		ctx := context.Background()
		src, err := ResolveSource(ctx, "data.source", spec.Source{File: path}, SourceOptions{})
		if err != nil {
			return err
		}
		fr, err := src.Read(ctx)
		if err != nil {
			return err
		}
		p, err := Prepare(fr, benchData())
		if err != nil {
			return err
		}
		if p.Train.N == 0 || p.Train.D < 30 {
			return fmt.Errorf("prepared %dx%d", p.Train.N, p.Train.D)
		}
	case "idle":
	default:
		return fmt.Errorf("unknown variant %q", variant)
	}
	fmt.Printf("seconds %.6f\n", time.Since(start).Seconds())
	return nil
}

// TestBenchChild is the benchmark's child process; it does nothing in a
// normal test run.
func TestBenchChild(t *testing.T) {
	spec := os.Getenv(benchEnv)
	if spec == "" {
		t.Skip("only run by BenchmarkLoadCleanEncode")
	}
	variant, path, _ := strings.Cut(spec, "=")
	if err := benchChild(variant, path); err != nil {
		t.Fatal(err)
	}
}

// runChild runs a variant in a child process and returns its seconds and
// peak resident memory in MB.
func runChild(b *testing.B, variant, path string) (float64, float64) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchChild$", "-test.v")
	cmd.Env = append(os.Environ(), benchEnv+"="+variant+"="+path, "GOMAXPROCS=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("%s: %v\n%s", variant, err, out)
	}
	var secs float64
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "seconds "); ok {
			secs, _ = strconv.ParseFloat(v, 64)
		}
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok || secs == 0 {
		b.Fatalf("%s: no timing or rusage:\n%s", variant, out)
	}
	return secs, float64(ru.Maxrss) / 1024 // KB on Linux
}

func BenchmarkLoadCleanEncode(b *testing.B) {
	rows := 1_000_000
	if testing.Short() {
		rows = 50_000
	}
	path := filepath.Join(b.TempDir(), "wide.csv")
	size, err := writeWideCSV(path, rows)
	if err != nil {
		b.Fatal(err)
	}
	mb := float64(size) / 1e6
	for b.Loop() {
		_, idleRSS := runChild(b, "idle", path)
		base, baseRSS := runChild(b, "encoding/csv", path)
		read, readRSS := runChild(b, "xp-read", path)
		xp, xpRSS := runChild(b, "xp", path)
		b.ReportMetric(mb/base, "csv-MB/s")
		b.ReportMetric(mb/xp, "xp-MB/s")
		b.ReportMetric(base/xp, "xp/csv-speed")
		b.ReportMetric(baseRSS, "csv-peak-MB")
		b.ReportMetric(xpRSS, "xp-peak-MB")
		b.ReportMetric(idleRSS, "idle-peak-MB")
		b.ReportMetric(mb/read, "xp-read-MB/s")
		b.Logf("%d rows, %.1f MB: encoding/csv %.2fs (%.0f MB/s, peak %.0f MB); xp read (hash, parse, type) %.2fs (%.0f MB/s, peak %.0f MB); "+
			"xp load+clean+encode %.2fs (%.0f MB/s, peak %.0f MB); child process alone %.0f MB",
			rows, mb, base, mb/base, baseRSS, read, mb/read, readRSS, xp, mb/xp, xpRSS, idleRSS)
	}
}
