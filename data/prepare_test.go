package data

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
)

func sameMatrix(t *testing.T, what string, got, want Matrix) {
	t.Helper()
	if got.N != want.N || got.D != want.D || len(got.X) != len(want.X) {
		t.Fatalf("%s: %dx%d (%d values), want %dx%d (%d)", what, got.N, got.D, len(got.X), want.N, want.D, len(want.X))
	}
	for i := range got.X {
		if math.Float32bits(got.X[i]) != math.Float32bits(want.X[i]) {
			t.Fatalf("%s: X[%d] = %v (%#x), want %v (%#x)", what, i, got.X[i], math.Float32bits(got.X[i]), want.X[i], math.Float32bits(want.X[i]))
		}
	}
	if !slices.Equal(got.Y, want.Y) {
		t.Fatalf("%s: Y = %v, want %v", what, got.Y, want.Y)
	}
}

func TestPrepareEncoding(t *testing.T) {
	f := mustParse(t, "loans.csv", loans)
	p, err := Prepare(f, allTrain())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Age", "Home=owner", "Home=parents", "Home=rent", "Income"}; !slices.Equal(p.Features, want) {
		t.Errorf("features %q, want %q", p.Features, want)
	}
	if want := []string{"bad", "good"}; !slices.Equal(p.Classes, want) {
		t.Errorf("classes %q, want %q", p.Classes, want)
	}
	// Age 30, NA, 45, 17, 30, 60: mean 182/5, population std over the five.
	ageMean := 182.0 / 5
	var ss float64
	for _, a := range []float64{30, 45, 17, 30, 60} {
		ss += (a - ageMean) * (a - ageMean)
	}
	ageStd := math.Sqrt(ss / 5)
	incMean := 550.0 / 4
	ss = 0
	for _, v := range []float64{100, 200, 150, 100} {
		ss += (v - incMean) * (v - incMean)
	}
	incStd := math.Sqrt(ss / 4)
	z := func(v, mean, std float64) float32 { return float32((v - mean) / std) }
	want := Matrix{N: 6, D: 5, Y: []int32{1, 0, 1, 0, 1, 0}, X: []float32{
		z(30, ageMean, ageStd), 0, 0, 1, z(100, incMean, incStd),
		0, 1, 0, 0, z(200, incMean, incStd), // Age missing: the mean, 0
		z(45, ageMean, ageStd), 0, 0, 0, 0, // Home missing: all zeros; Income missing: 0
		z(17, ageMean, ageStd), 0, 0, 1, z(150, incMean, incStd),
		z(30, ageMean, ageStd), 0, 0, 1, z(100, incMean, incStd),
		z(60, ageMean, ageStd), 0, 1, 0, 0,
	}}
	sameMatrix(t, "train", p.Train, want)
	if p.Val.N != 0 || p.Test.N != 0 || p.Val.D != 5 || p.Test.D != 5 {
		t.Errorf("validation %dx%d, test %dx%d; want 0x5 each", p.Val.N, p.Val.D, p.Test.N, p.Test.D)
	}
	enc := p.Pipeline.Columns[0]
	if enc.Name != "Age" || enc.Encoding != EncodeStandardize || enc.Mean != ageMean || enc.Std != ageStd {
		t.Errorf("Age encoding %+v, want mean %v std %v", enc, ageMean, ageStd)
	}
	// Encoding's own work is reported: 3 numbers imputed, 1 category zeroed.
	wantReport := []RuleReport{
		{Index: -1, Kind: "impute", ValuesFilled: 3, Detail: "3 missing numbers set to the training mean: Age 1, Income 2"},
		{Index: -1, Kind: "unknown_category", ValuesFilled: 1, Detail: "1 missing or unseen categories encoded as all zeros: Home 1"},
	}
	if !slices.Equal(p.Report, wantReport) {
		t.Errorf("report %+v, want %+v", p.Report, wantReport)
	}
}

// makeNumbers is a frame of n rows: y alternates a/b/c, x is the row number
// (so any two subsets have different means), g is a category, and every
// seventh x is missing.
func makeNumbers(n int) string {
	var b strings.Builder
	b.WriteString("y,x,g,k\n")
	for i := range n {
		x := fmt.Sprint(i)
		if i%7 == 3 {
			x = "NA"
		}
		fmt.Fprintf(&b, "%c,%s,g%d,%d\n", 'a'+i%3, x, i%4, 5)
	}
	return b.String()
}

// fill_na statistics and standardization come from the training rows
// alone, not from the test rows.
func TestPrepareFitsOnTrainOnly(t *testing.T) {
	f := mustParse(t, "numbers.csv", makeNumbers(300))
	d := spec.Data{Target: "y", Split: spec.Split{Test: 0.3, Validation: 0.2, Seed: 5},
		Clean: []spec.Rule{{FillNA: &spec.FillNA{Column: "x", With: "mean"}}}}
	p, err := Prepare(f, d)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := f.Col("x")
	meanOver := func(rows []int) float64 {
		var vals []float64
		for _, r := range rows {
			if !x.Missing[r] {
				vals = append(vals, x.Num[r])
			}
		}
		return mean(vals)
	}
	trainMean := meanOver(p.TrainRows)
	allRows := make([]int, f.Len())
	for i := range allRows {
		allRows[i] = i
	}
	if trainMean == meanOver(allRows) || trainMean == meanOver(p.TestRows) {
		t.Fatal("the test data do not tell train from test statistics; change the seed")
	}
	if got := fillOf(p.Pipeline.Steps[0]).Number; got != trainMean {
		t.Errorf("fill value %v, want the training mean %v (all rows: %v, test: %v)", got, trainMean, meanOver(allRows), meanOver(p.TestRows))
	}
	// After filling with the training mean, the training mean is unchanged;
	// the standardization must use it, and the training std.
	enc := p.Pipeline.Columns[0]
	if enc.Name != "x" || math.Abs(enc.Mean-trainMean) > 1e-9*math.Abs(trainMean) {
		t.Errorf("x standardized with mean %v, want %v", enc.Mean, trainMean)
	}
	// Standardized training features have mean 0 and population std 1.
	for j, name := range p.Features {
		var sum, ss float64
		for i := range p.Train.N {
			v := float64(p.Train.X[i*p.Train.D+j])
			sum += v
			ss += v * v
		}
		m := sum / float64(p.Train.N)
		std := math.Sqrt(ss/float64(p.Train.N) - m*m)
		switch {
		case name == "x" && (math.Abs(m) > 1e-6 || math.Abs(std-1) > 1e-5):
			t.Errorf("x: training mean %v, std %v; want 0, 1", m, std)
		case name == "k" && (m != 0 || std != 0): // constant column: std 1, so all zeros
			t.Errorf("constant k: training mean %v, std %v; want 0, 0", m, std)
		}
	}
	if len(p.TrainRows)+len(p.ValRows)+len(p.TestRows) != 300 || len(p.TestRows) != 90 || len(p.ValRows) != 60 {
		t.Errorf("split sizes %d/%d/%d, want 150/60/90", len(p.TrainRows), len(p.ValRows), len(p.TestRows))
	}
}

func TestPrepareDeterministic(t *testing.T) {
	f := mustParse(t, "numbers.csv", makeNumbers(500))
	d := spec.Data{Target: "y", Split: spec.Split{Test: 0.2, Validation: 0.1, Seed: 11, Stratify: true},
		Clean: []spec.Rule{
			{FillNA: &spec.FillNA{Column: "x", With: "median"}},
			{Filter: &spec.Filter{Column: "g", Op: "!=", Value: "g3"}},
			{DropDuplicates: &spec.DropDuplicates{}},
		}}
	a, err := Prepare(f, d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Prepare(mustParse(t, "numbers.csv", makeNumbers(500)), d)
	if err != nil {
		t.Fatal(err)
	}
	sameMatrix(t, "train", a.Train, b.Train)
	sameMatrix(t, "validation", a.Val, b.Val)
	sameMatrix(t, "test", a.Test, b.Test)
	ja, _ := json.Marshal(a.Pipeline)
	jb, _ := json.Marshal(b.Pipeline)
	if string(ja) != string(jb) || !slices.Equal(a.Report, b.Report) {
		t.Error("pipelines or reports differ between two identical runs")
	}
}

// Transform encodes rows exactly as Prepare did, also after the pipeline
// went through JSON (as it does when saved with a run).
func TestTransformMatchesPrepare(t *testing.T) {
	tests := []struct {
		name string
		csv  string
		data spec.Data
	}{
		{"numbers", makeNumbers(400), spec.Data{Target: "y", Split: spec.Split{Test: 0.25, Validation: 0.15, Seed: 3, Stratify: true},
			Clean: []spec.Rule{
				{FillNA: &spec.FillNA{Column: "x", With: "mean"}},
				{Filter: &spec.Filter{Column: "x", Op: ">", Value: 10}},
				{DropDuplicates: &spec.DropDuplicates{}},
			}}},
		{"gaps left to impute", makeNumbers(200), spec.Data{Target: "y", Split: spec.Split{Test: 0.5, Seed: 4}}},
		{"loans", loans + "good,33,rent,NA\nbad,50,owner,120\ngood,NA,parents,90\nbad,28,,75\n",
			spec.Data{Target: "Status", Split: spec.Split{Test: 0.4, Seed: 2},
				Clean: []spec.Rule{{FillNA: &spec.FillNA{Column: "Home", With: "mode"}}, {FillNA: &spec.FillNA{Column: "Income", With: "median"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, "t.csv", tt.csv)
			p, err := Prepare(f, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if p.Test.N == 0 {
				t.Fatal("no test rows to compare")
			}
			raw, err := json.Marshal(p.Pipeline)
			if err != nil {
				t.Fatal(err)
			}
			var saved Pipeline
			if err := json.Unmarshal(raw, &saved); err != nil {
				t.Fatal(err)
			}
			for _, pipe := range []*Pipeline{p.Pipeline, &saved} {
				for _, s := range []struct {
					name string
					rows []int
					m    Matrix
				}{{"test", p.TestRows, p.Test}, {"validation", p.ValRows, p.Val}, {"train", p.TrainRows, p.Train}} {
					got, err := pipe.Transform(f.Subset(s.rows))
					if err != nil {
						t.Fatal(err)
					}
					sameMatrix(t, s.name, got, s.m)
				}
			}
		})
	}
}

func TestTransform(t *testing.T) {
	f := mustParse(t, "loans.csv", loans)
	p, err := Prepare(f, allTrain(spec.Rule{FillNA: &spec.FillNA{Column: "Income", With: "constant", Value: 0}}))
	if err != nil {
		t.Fatal(err)
	}
	pipe := p.Pipeline
	t.Run("no target column", func(t *testing.T) {
		m, err := pipe.Transform(mustParse(t, "new.csv", "Income,Home,Age,Extra\n100,rent,30,x\n,castle,,y\n"))
		if err != nil {
			t.Fatal(err)
		}
		if m.Y != nil || m.N != 2 || m.D != 5 {
			t.Fatalf("Y %v, %dx%d; want nil, 2x5", m.Y, m.N, m.D)
		}
		// Income filled with 0 then standardized; unseen Home all zeros;
		// missing Age the mean.
		inc := pipe.Columns[2]
		want := []float32{p.Train.X[0], 0, 0, 1, p.Train.X[4], 0, 0, 0, 0, float32((0 - inc.Mean) / inc.Std)}
		sameMatrix(t, "new rows", m, Matrix{X: want, N: 2, D: 5})
	})
	t.Run("missing target is NoClass", func(t *testing.T) {
		m, err := pipe.Transform(mustParse(t, "new.csv", "Status,Age,Home,Income\nNA,30,rent,1\nbad,31,rent,2\n"))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Y, []int32{NoClass, 0}) {
			t.Errorf("Y = %v, want [NoClass 0]", m.Y)
		}
	})
	tests := []struct {
		name, csv string
		kind      error
		parts     []string
	}{
		{"missing feature column", "Status,Age,Hom,Income\ngood,1,rent,2\n", ErrColumnNotFound,
			[]string{`transform: column "Home" not found in new.csv; did you mean "Hom"? (the model was trained on it)`}},
		{"text where numbers were", "Age,Home,Income\n30,rent,1\nold,rent,2\n", ErrType,
			[]string{`new.csv:3: column "Age" held numbers in training, but here it has "old"`}},
		{"unknown class", "Status,Age,Home,Income\ngood,1,rent,2\nugly,2,rent,3\n", ErrUnknownClass,
			[]string{`new.csv:3: Status "ugly" is not one of the training classes "bad", "good"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pipe.Transform(mustParse(t, "new.csv", tt.csv))
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want %v", err, tt.kind)
			}
			for _, part := range tt.parts {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q, want it to contain %q", err, part)
				}
			}
		})
	}
	t.Run("numbers where text was", func(t *testing.T) {
		// Categories that happen to be numbers in a new file ("Home" codes)
		// are read as the text they would have been.
		q, err := Prepare(mustParse(t, "codes.csv", "y,code\na,A\nb,2\na,3\nb,A\n"), spec.Data{Target: "y", Split: spec.Split{Seed: 1}})
		if err != nil {
			t.Fatal(err)
		}
		m, err := q.Pipeline.Transform(mustParse(t, "new.csv", "code\n2\n3.0\n7\n"))
		if err != nil {
			t.Fatal(err)
		}
		// Features code=2, code=3, code=A.
		sameMatrix(t, "codes", m, Matrix{N: 3, D: 3, X: []float32{1, 0, 0, 0, 1, 0, 0, 0, 0}})
	})
	t.Run("damaged pipeline", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			damage func(*Pipeline)
			want   string
		}{
			{"other version", func(p *Pipeline) { p.Version = 99 }, "pipeline version 99"},
			{"zero std", func(p *Pipeline) { p.Columns[0].Std = 0 }, `pipeline column "Age": mean`},
			{"unknown encoding", func(p *Pipeline) { p.Columns[0].Encoding = "hash" }, `unknown encoding "hash"`},
			{"features do not match", func(p *Pipeline) { p.Features = p.Features[1:] }, "make 5 features, its feature list has 4"},
		} {
			raw, _ := json.Marshal(pipe)
			var bad Pipeline
			if err := json.Unmarshal(raw, &bad); err != nil {
				t.Fatal(err)
			}
			tt.damage(&bad)
			if _, err := bad.Transform(f); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: error %v, want it to contain %q", tt.name, err, tt.want)
			}
		}
	})
}

func TestPrepareTarget(t *testing.T) {
	t.Run("numeric classes sort by value", func(t *testing.T) {
		f := mustParse(t, "digits.csv", "p,label\n1,10\n2,9\n3,2\n4,10\n5,NA\n6,2.0\n")
		p, err := Prepare(f, spec.Data{Target: "label", Split: spec.Split{Seed: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"2", "9", "10"}; !slices.Equal(p.Classes, want) {
			t.Errorf("classes %q, want %q", p.Classes, want)
		}
		if !slices.Equal(p.Train.Y, []int32{2, 1, 0, 2, 0}) || p.DroppedTarget != 1 {
			t.Errorf("Y %v, dropped %d; want [2 1 0 2 0], 1", p.Train.Y, p.DroppedTarget)
		}
		if !slices.Equal(p.Features, []string{"p"}) {
			t.Errorf("features %q: the target must not be one", p.Features)
		}
	})
	tests := []struct {
		name, csv, target string
		data              spec.Data
		field             string
		kind              error
		parts             []string
	}{
		{"unknown target", loans, "Staus", spec.Data{}, "data.target", ErrColumnNotFound,
			[]string{`column "Staus" not found in t.csv; did you mean "Status"?`}},
		{"one class", "y,x\na,1\na,2\nNA,3\n", "y", spec.Data{}, "data.target", ErrTooFewClasses,
			[]string{`column "y" has only the class "a"`}},
		{"no class at all", "y,x\n,1\nNA,2\n", "y", spec.Data{}, "data.target", ErrTooFewClasses, nil},
		{"one class left after cleaning", loans, "Status",
			spec.Data{Clean: []spec.Rule{{Filter: &spec.Filter{Column: "Status", Op: "==", Value: "good"}}}},
			"data.clean", ErrTooFewClasses, []string{"after cleaning"}},
		{"split leaves nothing to train", "y,x\na,1\nb,2\n", "y",
			spec.Data{Split: spec.Split{Test: 0.5, Validation: 0.4}}, "data.split", ErrEmptyTrain, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.data
			d.Target = tt.target
			_, err := Prepare(mustParse(t, "t.csv", tt.csv), d)
			wantFieldError(t, err, tt.field, tt.kind, tt.parts...)
		})
	}
}

func creditData() spec.Data {
	return spec.Data{
		Target: "Status",
		Clean: []spec.Rule{
			{DropNA: &spec.DropNA{Columns: []string{"Income", "Assets"}}},
			{FillNA: &spec.FillNA{Column: "Debt", With: "median"}},
			{Filter: &spec.Filter{Column: "Age", Op: ">=", Value: int64(18)}},
			{DropDuplicates: &spec.DropDuplicates{}},
		},
		Split: spec.Split{Test: 0.2, Validation: 0.1, Seed: 42, Stratify: true},
	}
}

func TestPrepareCredit(t *testing.T) {
	f := readCredit(t)
	p, err := Prepare(f, creditData())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Classes, []string{"bad", "good"}) {
		t.Errorf("classes %q", p.Classes)
	}
	n := p.Train.N + p.Val.N + p.Test.N
	if n < 4000 || p.Train.D != 26 {
		t.Errorf("%d rows x %d features after cleaning (%q)", n, p.Train.D, p.Features)
	}
	// Stratified: the share of "bad" is the same in every split, to within
	// what dropping a few rows per split moves it.
	share := func(m Matrix) float64 {
		bad := 0
		for _, y := range m.Y {
			if y == 0 {
				bad++
			}
		}
		return float64(bad) / float64(m.N)
	}
	if a, b, c := share(p.Train), share(p.Val), share(p.Test); math.Abs(a-b) > 0.01 || math.Abs(a-c) > 0.01 {
		t.Errorf("share of bad: train %.3f, validation %.3f, test %.3f", a, b, c)
	}
	for _, m := range []Matrix{p.Train, p.Val, p.Test} {
		for _, v := range m.X {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatal("non-finite value in a matrix")
			}
		}
	}
	got, err := p.Pipeline.Transform(f.Subset(p.TestRows))
	if err != nil {
		t.Fatal(err)
	}
	sameMatrix(t, "credit test", got, p.Test)
	t.Logf("report: %+v", p.Report)
}

func BenchmarkPrepare(b *testing.B) {
	path, _ := writeBenchCSV(b)
	f, err := ReadCSV(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	d := spec.Data{
		Target: "c0",
		Clean: []spec.Rule{
			{DropNA: &spec.DropNA{Columns: []string{"n0", "n1"}}},
			{FillNA: &spec.FillNA{Column: "n2", With: "median"}},
			{Filter: &spec.Filter{Column: "n4", Op: ">=", Value: int64(100)}},
			{DropDuplicates: &spec.DropDuplicates{}},
		},
		Split: spec.Split{Test: 0.2, Validation: 0.1, Seed: 42, Stratify: true},
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Prepare(f, d); err != nil {
			b.Fatal(err)
		}
	}
}

// The example data sets prepare with the default pipeline, and Transform
// reproduces their test matrices.
func TestPrepareExperimentData(t *testing.T) {
	tests := []struct {
		file, target string
		classes      int
	}{
		{"iris.csv", "Species", 3},
		{"wine.csv", "target", 3},
		{"breast_cancer.csv", "target", 2},
		{"churn.csv", "churn", 2},
		{"digits.csv", "target", 10},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("..", "experiments", "data", tt.file)
			if _, err := os.Stat(path); err != nil {
				t.Skipf("%s not present", path)
			}
			f, err := ReadCSV(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Prepare(f, spec.Data{Target: tt.target, Split: spec.Split{Test: 0.2, Validation: 0.1, Seed: 7, Stratify: true}})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Classes) != tt.classes || p.Train.N+p.Val.N+p.Test.N != f.Len() {
				t.Errorf("%d classes, %d rows; want %d, %d", len(p.Classes), p.Train.N+p.Val.N+p.Test.N, tt.classes, f.Len())
			}
			got, err := p.Pipeline.Transform(f.Subset(p.TestRows))
			if err != nil {
				t.Fatal(err)
			}
			sameMatrix(t, "test", got, p.Test)
		})
	}
}
