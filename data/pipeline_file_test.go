package data

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
)

// pipelineV2 is a version 2 pipeline as xp wrote it to preprocessing.json
// before cleaning rules were types: every kind of step, fitted on
// testdata/pipeline-v2/rows.csv by pipelineV2Data, with the reports and the
// matrix of the whole file that the same code gave.
const pipelineV2 = "testdata/pipeline-v2"

func pipelineV2Data() spec.Data {
	return spec.Data{Target: "y", Split: spec.Split{Test: 0.3, Validation: 0.2, Seed: 7, Stratify: true},
		Clean: []spec.Rule{
			{DropColumns: &spec.DropColumns{Columns: []string{"junk"}}},
			{Rename: map[string]string{"Home": "Housing", "City": "Town"}},
			{Replace: &spec.Replace{Column: "Age", Values: map[string]any{"-999": nil, "84": 83.5}}},
			{Cast: &spec.Cast{Column: "Income", To: "number"}},
			{Cast: &spec.Cast{Column: "Score", To: "text"}},
			{FillNA: &spec.FillNA{Column: "Age", With: "median"}},
			{FillNA: &spec.FillNA{Column: "Town", With: "mode"}},
			{FillNA: &spec.FillNA{Column: "Score", With: "constant", Value: "none"}},
			{Clip: &spec.Clip{Column: "Income", Quantiles: []float64{0.05, 0.95}}},
			{Clip: &spec.Clip{Column: "Age", Min: f64(18)}},
			{Replace: &spec.Replace{Column: "Housing", Values: map[string]any{"Owner": "owner", "other": nil}}},
			{NormalizeText: &spec.NormalizeText{Columns: []string{"Note"}, Lowercase: true, Trim: true, StripHTML: true}},
			{DropNA: &spec.DropNA{Columns: []string{"Income"}}},
			{Filter: &spec.Filter{Column: "Age", Op: ">=", Value: 18}},
			{DropDuplicates: &spec.DropDuplicates{Subset: []string{"Age", "Income", "Housing"}}},
		},
		Features: map[string]spec.Feature{
			"Note":    {Text: &spec.TextFeature{Encoding: "hashing", Buckets: 16, NGrams: 2, Norm: "l2"}},
			"Housing": {Categorical: &spec.CategoricalFeature{Encoding: "onehot", MaxCategories: 2}},
			"Town":    {Categorical: &spec.CategoricalFeature{Encoding: "onehot"}},
			"Score":   {Categorical: &spec.CategoricalFeature{Encoding: "onehot"}},
			"Income":  {Numeric: &spec.NumericFeature{Encoding: "minmax"}},
		}}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(pipelineV2, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A preprocessing.json written before rules were types decodes to the same
// steps: it encodes back to the same bytes and transforms rows to the same
// bits.
func TestPipelineFileReadsBack(t *testing.T) {
	saved := readTestdata(t, "preprocessing.json")
	var p Pipeline
	if err := json.Unmarshal(saved, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 12 {
		t.Fatalf("%d steps, the file has 12", len(p.Steps))
	}
	again, err := json.MarshalIndent(&p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, saved) {
		t.Errorf("the pipeline encodes differently from the file it was read from:\n%s", again)
	}
	f, err := ReadFile(context.Background(), filepath.Join(pipelineV2, "rows.csv"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Transform(f)
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		N, D  int
		Y     []int32
		XBits []uint32 `json:"x_bits"`
	}
	if err := json.Unmarshal(readTestdata(t, "matrix.json"), &want); err != nil {
		t.Fatal(err)
	}
	if got.N != want.N || got.D != want.D || len(got.X) != len(want.XBits) {
		t.Fatalf("matrix %dx%d, want %dx%d", got.N, got.D, want.N, want.D)
	}
	for i, x := range got.X {
		if math.Float32bits(x) != want.XBits[i] {
			t.Fatalf("X[%d] = %v, want %v", i, x, math.Float32frombits(want.XBits[i]))
		}
	}
	for i, y := range got.Y {
		if y != want.Y[i] {
			t.Fatalf("Y[%d] = %d, want %d", i, y, want.Y[i])
		}
	}
}

// Prepare fits the same steps and reports the same changes as the code that
// wrote the file: a run's preprocessing.json does not change.
func TestPrepareWritesTheSamePipeline(t *testing.T) {
	f, err := ReadFile(context.Background(), filepath.Join(pipelineV2, "rows.csv"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(f, pipelineV2Data())
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(p.Pipeline, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if want := readTestdata(t, "preprocessing.json"); !bytes.Equal(got, want) {
		t.Errorf("pipeline\n%s\nwant\n%s", got, want)
	}
	rep, err := json.MarshalIndent(p.Report, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if want := readTestdata(t, "report.json"); !bytes.Equal(rep, want) {
		t.Errorf("report\n%s\nwant\n%s", rep, want)
	}
}

// A step this xp cannot follow is read, and refused by Transform, as before
// steps were types.
func TestPipelineFileBadSteps(t *testing.T) {
	saved := readTestdata(t, "preprocessing.json")
	f, err := ReadFile(context.Background(), filepath.Join(pipelineV2, "rows.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, from, to, want string }{
		{"unknown kind", `"kind": "cast"`, `"kind": "winsorize"`, `pipeline step "winsorize": unknown kind`},
		{"a fill_na without its fill", `"fill": {`, `"nofill": {`, "pipeline step fill_na has no fill"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var p Pipeline
			if err := json.Unmarshal(bytes.Replace(saved, []byte(tt.from), []byte(tt.to), 1), &p); err != nil {
				t.Fatal(err)
			}
			_, err := p.Transform(f)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Transform: %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := json.Marshal(Step{}); err == nil {
		t.Error("an empty step was written")
	}
	var s Step
	if err := json.Unmarshal([]byte(`{"kind": "clip", "min": "low"}`), &s); err == nil {
		t.Error("a clip step with a text bound was read")
	}
}
