package onnx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/internal/runtest"
	"github.com/xp-ml/xp/onnx"
	"github.com/xp-ml/xp/predict"
)

// stepsCUE is an experiment on the shipped credit data with every step and
// encoding the exporter handles: renames, replacements of text and of
// numbers, fills, clips, a cast to text, min-max, no scaling, capped
// one-hot, an embedding, batch norm, GELU, tanh, leaky ReLU, dropout and
// the binary head.
const stepsCUE = `
steps: #Experiment & {
	data: {
		source: file: "data/credit_data.csv"
		target: "Status"
		clean: [
			{rename: {Home: "Housing"}},
			{replace: {column: "Marital", values: {widow: "single", separated: null}}},
			{replace: {column: "Expenses", values: {"35": 36, "45": null}}},
			{fill_na: {column: "Income", with: "median"}},
			{fill_na: {column: "Job", with: "mode"}},
			{fill_na: {column: "Marital", with: "constant", value: "married"}},
			{clip: {column: "Age", min: 20, max: 60}},
			{clip: {column: "Price", quantiles: [0.05, 0.95]}},
			{cast: {column: "Time", to: "text"}},
			{drop_na: {columns: ["Assets"]}},
		]
		features: {
			Income: numeric: encoding: "minmax"
			Seniority: numeric: encoding: "none"
			Job: categorical: {encoding: "embedding", dim: 3}
			Housing: categorical: {encoding: "onehot", max_categories: 3}
			Time: categorical: encoding: "onehot"
		}
		split: {test: 0.2, validation: 0.1, seed: 1}
	}
	model: {
		layers: [{dense: 16, activation: "gelu", batch_norm: true}, {dropout: 0.1},
			{dense: 8, activation: "tanh"}, {dense: 8, activation: "leaky_relu"}]
		head: "binary"
	}
	train: {epochs: 3, batch_size: 64, seed: 2, optimizer: adam: lr: 1e-2}
	device: "cpu"
}
`

// TestRuntime exports the shipped classification (credit) and regression
// (amount) experiments, and one with every exportable step, checks each
// model with ONNX's own checker, and scores the run's test split in
// onnxruntime: every probability (and regression value, on the
// standardized scale) within 1e-5 of xp predict's. The checker is
// python3-onnx (PYTHON, else /usr/bin/python3), the runtime
// onnxruntime-node (node with NODE_PATH where it is installed); each part
// skips with one line when its tool is missing.
func TestRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three runs")
	}
	python, pyMissing := findPython()
	nodeMissing := findORT()
	if pyMissing != "" && nodeMissing != "" {
		t.Skipf("no ONNX checker (%s) and no ONNX runtime (%s)", pyMissing, nodeMissing)
	}
	proj := runtest.Train(t, map[string]string{"experiments/steps.cue": stepsCUE}, "credit", "amount", "steps")
	for _, name := range []string{"credit", "amount", "steps"} {
		t.Run(name, func(t *testing.T) {
			r, err := proj.Store.Resolve(context.Background(), proj.Runs[name].Key)
			if err != nil {
				t.Fatal(err)
			}
			p, err := predict.Load(proj.Store.ArtifactDir(r), r, "")
			if err != nil {
				t.Fatal(err)
			}
			b, err := onnx.Export(p.Pipeline, p.Model, p.Params, onnx.Meta{Key: r.Key, Experiment: name})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), name+".onnx")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Run("checker", func(t *testing.T) {
				if pyMissing != "" {
					t.Skip(pyMissing)
				}
				check(t, python, path)
			})
			t.Run("onnxruntime", func(t *testing.T) {
				if nodeMissing != "" {
					t.Skip(nodeMissing)
				}
				sameAsPredict(t, p, path, proj.TestRows(t, name, "data/credit_data.csv"))
			})
		})
	}
}

func findPython() (string, string) {
	py := os.Getenv("PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	if err := exec.Command(py, "-c", "import onnx").Run(); err != nil {
		return "", fmt.Sprintf("%s cannot import onnx (apt-get install python3-onnx)", py)
	}
	return py, ""
}

func findORT() string {
	if _, err := exec.LookPath("node"); err != nil {
		return "no node on PATH"
	}
	if err := exec.Command("node", "-e", `require("onnxruntime-node")`).Run(); err != nil {
		return "node cannot require onnxruntime-node (npm install --ignore-scripts onnxruntime-node@1.30.0, and NODE_PATH=its node_modules)"
	}
	return ""
}

// check runs onnx.checker with full_check (which infers every shape).
func check(t *testing.T, python, path string) {
	const script = `
import sys, onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
print(m.ir_version, [(o.domain, o.version) for o in m.opset_import])
`
	out, err := exec.Command(python, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx.checker: %v\n%s", err, out)
	}
	if want := "8 [('', 17), ('ai.onnx.ml', 3)]\n"; string(out) != want {
		t.Errorf("checker read %q, want %q", out, want)
	}
}

// sameAsPredict scores rows in onnxruntime and with p, xp predict's path.
func sameAsPredict(t *testing.T, p *predict.Predictor, model string, rows []byte) {
	ctx := context.Background()
	f, err := data.ReadBytes(ctx, "test.csv", data.FormatCSV, rows)
	if err != nil {
		t.Fatal(err)
	}
	want, err := p.Predict(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	feeds := feedsOf(t, p.Pipeline, f)
	in := filepath.Join(t.TempDir(), "rows.json")
	if err := os.WriteFile(in, feeds, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("node", filepath.Join("testdata", "run.js"), model, in)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("onnxruntime: %v\n%s", err, stderr.Bytes())
	}
	var got map[string]struct {
		Dims []int
		Data []any
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	n, pl := f.Len(), p.Pipeline
	if pl.Task == data.TaskRegression {
		v := got[onnx.OutputValue]
		if fmt.Sprint(v.Dims) != fmt.Sprint([]int{n, 1}) {
			t.Fatalf("value dims %v, want [%d 1]", v.Dims, n)
		}
		worst := 0.0
		for i := range n {
			// On the scale the network computes: xp's float32, unscaled.
			d := math.Abs(v.Data[i].(float64)-pl.Scale.Unscale(want[i])) / pl.Scale.Std
			worst = max(worst, d)
		}
		if worst > 1e-5 {
			t.Errorf("values differ from xp predict's by up to %g standard deviations, want at most 1e-5", worst)
		}
		t.Logf("%d rows: values within %.2g standard deviations of xp predict's", n, worst)
		return
	}
	k := len(pl.Classes)
	probs, labels := got[onnx.OutputProbabilities], got[onnx.OutputLabel]
	if fmt.Sprint(probs.Dims) != fmt.Sprint([]int{n, k}) || len(labels.Data) != n {
		t.Fatalf("probabilities %v and %d labels, want [%d %d] and %d", probs.Dims, len(labels.Data), n, k, n)
	}
	worst := 0.0
	for i := range n {
		best := 0
		for c := range k {
			worst = max(worst, math.Abs(probs.Data[i*k+c].(float64)-float64(want[i*k+c])))
			if want[i*k+c] > want[i*k+best] {
				best = c
			}
		}
		if labels.Data[i] != pl.Classes[best] && math.Abs(float64(want[i*k]-want[i*k+1])) > 1e-5 {
			t.Errorf("row %d: label %v, xp predicts %s", i, labels.Data[i], pl.Classes[best])
		}
	}
	if worst > 1e-5 {
		t.Errorf("probabilities differ from xp predict's by up to %g, want at most 1e-5", worst)
	}
	t.Logf("%d rows: probabilities within %.2g of xp predict's", n, worst)
}

// feedsOf is run.js's input for f's rows: each graph input as the
// exporter documents it, numbers as float64 (null: missing), categories as
// text ("" missing).
func feedsOf(t *testing.T, p *data.Pipeline, f *data.Frame) []byte {
	t.Helper()
	routes, err := p.Routes()
	if err != nil {
		t.Fatal(err)
	}
	type column struct {
		Type   string `json:"type"`
		Values []any  `json:"values"`
	}
	feeds := map[string]column{}
	for _, r := range routes {
		c, err := f.Col(r.Input)
		if err != nil {
			t.Fatal(err)
		}
		col := column{Type: "string"}
		if r.Encoding.Numeric() {
			col.Type = "float64"
		}
		for i := range f.Len() {
			switch {
			case col.Type == "string":
				col.Values = append(col.Values, c.Text(i))
			case c.Missing[i]:
				col.Values = append(col.Values, nil)
			default:
				col.Values = append(col.Values, c.Num[i])
			}
		}
		feeds[r.Input] = col
	}
	b, err := json.Marshal(feeds)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
