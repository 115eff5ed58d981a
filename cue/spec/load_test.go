package spec

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// writeFiles writes name -> content under dir, making directories.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func experimentNames(exps []*Experiment) []string {
	out := []string{}
	for _, e := range exps {
		out = append(out, e.Name)
	}
	return out
}

func TestLoad(t *testing.T) {
	const dir = "testdata/experiments"
	tests := []struct {
		name      string
		paths     []string
		wantNames []string
		wantFiles map[string][2]string // experiment -> File, Dir
		wantAll   map[string][]string  // experiment -> Files
	}{
		{
			name:      "one file loads only its experiments",
			paths:     []string{dir + "/credit.cue"},
			wantNames: []string{"credit"},
			wantFiles: map[string][2]string{"credit": {dir + "/credit.cue", dir}},
			// No package clause: the file is its own instance.
			wantAll: map[string][]string{"credit": {dir + "/credit.cue"}},
		},
		{
			name:      "directory of two files sharing a definition",
			paths:     []string{dir + "/churn"},
			wantNames: []string{"churn_mlp", "churn_logreg"},
			wantFiles: map[string][2]string{
				"churn_mlp":    {dir + "/churn/churn.cue", dir + "/churn"},
				"churn_logreg": {dir + "/churn/churn.cue", dir + "/churn"},
			},
			wantAll: map[string][]string{"churn_mlp": {dir + "/churn/base.cue", dir + "/churn/churn.cue"}},
		},
		{
			name:      "directory recursively, one instance per package, files without one alone",
			paths:     []string{dir},
			wantNames: []string{"churn_mlp", "churn_logreg", "credit", "iris"},
			wantFiles: map[string][2]string{"iris": {dir + "/iris.cue", dir}},
			wantAll:   map[string][]string{"iris": {dir + "/iris.cue"}},
		},
		{
			name:      "a file and its directory load each experiment once",
			paths:     []string{dir + "/iris.cue", "./" + dir + "/"},
			wantNames: []string{"churn_mlp", "churn_logreg", "credit", "iris"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exps, err := Load(tt.paths...)
			if err != nil {
				var b bytes.Buffer
				PrintError(&b, err, "")
				t.Fatalf("Load: %v\n%s", err, b.String())
			}
			if got := experimentNames(exps); !reflect.DeepEqual(got, tt.wantNames) {
				t.Errorf("names = %q, want %q", got, tt.wantNames)
			}
			for _, e := range exps {
				if want, ok := tt.wantFiles[e.Name]; ok && (e.File != want[0] || e.Dir != want[1]) {
					t.Errorf("%s: File, Dir = %q, %q; want %q, %q", e.Name, e.File, e.Dir, want[0], want[1])
				}
				if want, ok := tt.wantAll[e.Name]; ok && !reflect.DeepEqual(e.Files, want) {
					t.Errorf("%s: Files = %q, want %q", e.Name, e.Files, want)
				}
				if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(e.Hash) {
					t.Errorf("%s: Hash = %q, want 64 hex digits", e.Name, e.Hash)
				}
				if e.Hash != Hash(e.Canonical) {
					t.Errorf("%s: Hash is not Hash(Canonical)", e.Name)
				}
			}
		})
	}
}

// TestLoadSpec checks the decoded Spec field by field: what the user wrote,
// what the schema defaults, and what a shared definition contributes.
func TestLoadSpec(t *testing.T) {
	exps, err := Load("testdata/experiments")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Experiment{}
	for _, e := range exps {
		byName[e.Name] = e
	}
	tests := []struct {
		experiment string
		got        any
		want       any
	}{
		{"credit", byName["credit"].Spec.Description, "credit scoring MLP with dropout"},
		{"credit", byName["credit"].Spec.Tags, []string{"credit", "baseline"}},
		{"credit", byName["credit"].Spec.Data.Source.File, "data/credit_data.csv"},
		{"credit", byName["credit"].Spec.Data.Target, "Status"},
		{"credit", kinds(byName["credit"].Spec.Data.Clean), []string{"drop_na", "fill_na", "filter", "drop_duplicates"}},
		{"credit", *byName["credit"].Spec.Data.Clean[0].DropNA, DropNA{Columns: []string{"Income", "Assets"}}},
		{"credit", *byName["credit"].Spec.Data.Clean[1].FillNA, FillNA{Column: "Debt", With: "median"}},
		{"credit", *byName["credit"].Spec.Data.Clean[2].Filter, Filter{Column: "Age", Op: ">=", Value: 18.0}},
		{"credit", byName["credit"].Spec.Data.Split, Split{Test: 0.2, Validation: 0.1, Seed: 42, Stratify: true}},
		{"credit", byName["credit"].Spec.Model, Model{Layers: []Layer{
			{Dense: 64, Activation: "relu"}, {Dropout: 0.2}, {Dense: 32, Activation: "tanh"}}}},
		{"credit", byName["credit"].Spec.Train.Epochs, 30},
		{"credit", byName["credit"].Spec.Train.BatchSize, 64},
		{"credit", byName["credit"].Spec.Train.Seed, int64(7)},
		{"credit", *byName["credit"].Spec.Train.Optimizer.Adam, Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-4}},
		{"credit", byName["credit"].Spec.Train.Optimizer.SGD, (*SGD)(nil)},
		{"credit", byName["credit"].Spec.Train.Loss, Loss{CrossEntropy: &CrossEntropy{}}},
		{"credit", byName["credit"].Spec.Metrics, []string{"accuracy", "f1", "auc", "log_loss"}},
		{"credit", byName["credit"].Spec.Device, "cpu"},

		{"iris", byName["iris"].Spec.Data.Clean, []Rule{}},
		{"iris", byName["iris"].Spec.Data.Split, Split{Test: 0.2, Validation: 0.1, Seed: 42, Stratify: true}},
		{"iris", byName["iris"].Spec.Model, Model{Logreg: &Logreg{}}},
		{"iris", byName["iris"].Spec.Train.Epochs, 20},
		{"iris", byName["iris"].Spec.Train.BatchSize, 32},
		{"iris", byName["iris"].Spec.Train.Seed, int64(1)},
		{"iris", byName["iris"].Spec.Train.Optimizer, Optimizer{SGD: &SGD{LR: 0.1, Momentum: 0.9}}},
		{"iris", byName["iris"].Spec.Metrics, []string{"accuracy", "log_loss"}},
		{"iris", byName["iris"].Spec.Device, "auto"},

		{"churn_mlp", byName["churn_mlp"].Spec.Data.Source.File, "churn.csv"},
		{"churn_mlp", *byName["churn_mlp"].Spec.Data.Clean[0].Filter, Filter{Column: "state", Op: "in", Value: []any{"CA", "NY", "TX"}}},
		{"churn_mlp", *byName["churn_mlp"].Spec.Data.Clean[1].FillNA, FillNA{Column: "total_day_minutes", With: "constant", Value: 0.0}},
		{"churn_mlp", byName["churn_mlp"].Spec.Train.Epochs, 15},
		{"churn_mlp", byName["churn_mlp"].Spec.Model.Layers, []Layer{{Dense: 32, Activation: "relu"}, {Dense: 16, Activation: "relu"}}},
		{"churn_logreg", byName["churn_logreg"].Spec.Train.Optimizer.Adam.LR, 3e-3},
		{"churn_logreg", byName["churn_logreg"].Spec.Metrics, []string{"auc", "f1"}},
	}
	for _, tt := range tests {
		t.Run(tt.experiment, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}

	t.Run("resolved keeps metadata and defaults, canonical drops metadata", func(t *testing.T) {
		credit := byName["credit"]
		for _, want := range []string{`"description":`, `"tags":`, `"beta1":0.9`} {
			if !bytes.Contains(credit.Resolved, []byte(want)) {
				t.Errorf("Resolved lacks %s: %s", want, credit.Resolved)
			}
		}
		for _, unwanted := range []string{`"description":`, `"tags":`, " ", "\n"} {
			if bytes.Contains(credit.Canonical, []byte(unwanted)) {
				t.Errorf("Canonical has %q: %s", unwanted, credit.Canonical)
			}
		}
		if iris := byName["iris"]; !bytes.Contains(iris.Resolved, []byte(`"metrics":["accuracy","log_loss"]`)) {
			t.Errorf("Resolved of iris lacks the default metrics: %s", iris.Resolved)
		}
	})
}

func kinds(rules []Rule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, r.Kind())
	}
	return out
}

// TestLoadErrors checks PrintError's output for broken experiments, exact
// to the user's file:line:col. Positions in the embedded schema are
// replaced by xp:schema.cue:* so that editing the schema does not break
// the test.
func TestLoadErrors(t *testing.T) {
	// Lines 1-6 of every case are this prefix; the broken line is line 7.
	const prefix = `credit: #Experiment & {
	data: {
		source: file: "credit.csv"
		target: "Status"
	}
	model: layers: [{dense: 64}, {dropout: 0.2}, {dense: 32}]
`
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{
			name:  "type error",
			files: map[string]string{"exp.cue": prefix + "\ttrain: epochs: \"ten\"\n}\n"},
			want: `exp.cue:7:17: train.epochs: conflicting values "ten" and int (mismatched types string and int)
`,
		},
		{
			name:  "unknown field with a suggestion",
			files: map[string]string{"exp.cue": prefix + "\ttrain: epoch: 10\n}\n"},
			want: `exp.cue:7:9: train.epoch: field not allowed (did you mean "epochs"?)
`,
		},
		{
			name:  "unknown field without one",
			files: map[string]string{"exp.cue": prefix + "\ttrain: momentum: 10\n}\n"},
			want: `exp.cue:7:9: train.momentum: field not allowed
`,
		},
		{
			name: "bad enum in one rule of a list",
			files: map[string]string{"exp.cue": prefix + `	data: clean: [
		{drop_na: {}},
		{drop_duplicates: {}},
		{filter: {column: "Age", op: "=>", value: 18}},
	]
}
`},
			want: `exp.cue:10:32: data.clean[2].filter.op: "=>" is not one of "==", "!=", "<", "<=", ">", ">=", "in" (did you mean ">="?)
`,
		},
		{
			name: "typo in one rule of a list is pinpointed",
			files: map[string]string{"exp.cue": prefix + `	data: clean: [
		{drop_na: {}},
		{filter: {colum: "Age", op: ">=", value: 18}},
	]
}
`},
			want: `exp.cue:9:13: data.clean[1].filter.colum: field not allowed (did you mean "column"?)
`,
		},
		{
			name: "a rule with two kinds",
			files: map[string]string{"exp.cue": prefix + `	data: clean: [{drop_na: {}, drop_duplicates: {}}]
}
`},
			want: `exp.cue:7:16: data.clean[0]: sets drop_na and drop_duplicates: only one of drop_columns, rename, cast, drop_na, fill_na, filter, drop_duplicates, clip, replace, normalize_text may be set
`,
		},
		{
			name: "a fitted rule in data.prepare",
			files: map[string]string{"exp.cue": prefix + `	data: prepare: [{drop_duplicates: {}}, {fill_na: {column: "Age", with: "mean"}}]
}
`},
			want: `exp.cue:7:42: data.prepare[1].fill_na: fill_na goes in data.clean: its statistics are fitted on the training split, and before the split they would see the test rows
`,
		},
		{
			name: "a typo in a prepare rule",
			files: map[string]string{"exp.cue": prefix + `	data: prepare: [{filter: {column: "Age", op: "=>", value: 18}}]
}
`},
			want: `exp.cue:7:47: data.prepare[0].filter.op: "=>" is not one of "==", "!=", "<", "<=", ">", ">=", "in" (did you mean ">="?)
`,
		},
		{
			name: "a prepare rule with two kinds",
			files: map[string]string{"exp.cue": prefix + `	data: prepare: [{drop_na: {}, drop_duplicates: {}}]
}
`},
			want: `exp.cue:7:18: data.prepare[0]: sets drop_duplicates and drop_na: only one of drop_duplicates, drop_na, filter may be set
`,
		},
		{
			name: "an empty rule",
			files: map[string]string{"exp.cue": prefix + `	data: clean: [{}]
}
`},
			want: `exp.cue:7:16: data.clean[0]: needs one of drop_columns, rename, cast, drop_na, fill_na, filter, drop_duplicates, clip, replace, normalize_text
`,
		},
		{
			name: "a bound beside a default reports the bound only",
			files: map[string]string{"exp.cue": prefix + `	train: optimizer: sgd: momentum: 1.5
}
`},
			want: `exp.cue:7:35: train.optimizer.sgd.momentum: invalid value 1.5 (out of bound <1)
`,
		},
		{
			name: "a required field missing points at its parent",
			files: map[string]string{"exp.cue": `iris: {
	data: source: file: "iris.csv"
	model: logreg: {}
}
`},
			want: `exp.cue:2:2: data.target: field is required but not present
`,
		},
		{
			name:  "device enum without a close alternative",
			files: map[string]string{"exp.cue": prefix + "\tdevice: \"gpu\"\n}\n"},
			want: `exp.cue:7:10: device: "gpu" is not one of "auto", "cpu", "cuda", =~"^cuda:[0-9]+$"
`,
		},
		{
			// Every branch of the enum fails, "cpu"'s too: the error names
			// the two values, not the other alternatives.
			name:  "a variant setting another of an enum's alternatives",
			files: map[string]string{"exp.cue": prefix + "\tdevice: \"auto\"\n}\nfast: credit & {device: \"cpu\"}\n"},
			want: `exp.cue:9:25: device: two values for one field, "auto" and "cpu" (one set at exp.cue:7:10): a CUE field holds one value, so A & {...} cannot change a value A sets; write the variant as {from: "A", ...} (README: "Variants")
`,
		},
		{
			name:  "metric typo",
			files: map[string]string{"exp.cue": prefix + "\tmetrics: [\"accuracy\", \"aucc\"]\n}\n"},
			want: `exp.cue:7:24: metrics[1]: "aucc" is not one of "accuracy", "log_loss", "f1", "precision", "recall", "auc", "f1_macro", "f1_weighted", "precision_macro", "precision_weighted", "recall_macro", "recall_weighted", "pr_auc", "rmse", "mae", "r2", "mse" (did you mean "auc"?)
`,
		},
		{
			name: "dropout beside dense",
			files: map[string]string{"exp.cue": `small: {
	data: {source: file: "x.csv", target: "y"}
	model: layers: [{dense: 8}, {dense: 8, dropout: 0.5}]
}
`},
			want: `exp.cue:3:41: model.layers[1].dropout: dropout goes in a layer of its own: {dropout: p}
`,
		},
		{
			name: "errors of two experiments in two files, in file order",
			files: map[string]string{
				"a.cue": prefix + "\ttrain: epoch: 10\n}\n",
				"b.cue": "other: {\n\tdata: {source: file: \"x.csv\", target: \"y\"}\n\tmodel: logreg: {}\n\tdevice: \"cuda:x\"\n}\n",
			},
			want: `a.cue:7:9: train.epoch: field not allowed (did you mean "epochs"?)
b.cue:4:10: device: "cuda:x" is not one of "auto", "cpu", "cuda", =~"^cuda:[0-9]+$" (did you mean "cuda"?)
`,
		},
		{
			name:  "syntax error",
			files: map[string]string{"exp.cue": "credit: {\n\tdata: {\n}\n"},
			want: `exp.cue:3:3: expected '}', found 'EOF'
`,
		},
		{
			name:  "a misspelt definition",
			files: map[string]string{"exp.cue": "credit: #Experimnt & {}\n"},
			want: `exp.cue:1:9: reference "#Experimnt" not found
`,
		},
		{
			name:  "redefining the schema",
			files: map[string]string{"exp.cue": "#Experiment: {}\ncredit: #Experiment & {}\n"},
			want: `exp.cue:1:1: #Experiment is xp's schema and cannot be redefined; give your definition another name
`,
		},
	}
	schemaPos := regexp.MustCompile(`xp:schema\.cue:\d+:\d+`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			exps, err := Load(dir)
			if err == nil {
				t.Fatalf("Load succeeded with %d experiments, want an error", len(exps))
			}
			var b bytes.Buffer
			PrintError(&b, err, dir)
			if got := schemaPos.ReplaceAllString(b.String(), "xp:schema.cue:*"); got != tt.want {
				t.Errorf("PrintError printed\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestLoadSkips(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"exp.cue": `
version: 1
_base: {data: {source: file: "x.csv", target: "y"}, model: logreg: {}}
_variant: _base & {train: epochs: 3}
#Small: #Experiment & {model: layers: [{dense: 4}]}
names: ["a", "b"]
quick: _variant
`,
		"_draft.cue":        "broken: {",
		".hidden/other.cue": "broken: {",
		"notes.txt":         "not cue",
	})
	exps, err := Load(dir)
	if err != nil {
		var b bytes.Buffer
		PrintError(&b, err, dir)
		t.Fatalf("Load: %v\n%s", err, b.String())
	}
	if got := experimentNames(exps); !reflect.DeepEqual(got, []string{"quick"}) {
		t.Fatalf("experiments = %q, want only quick", got)
	}
	if got := exps[0].Spec.Train.Epochs; got != 3 {
		t.Errorf("quick epochs = %d, want 3 from _variant", got)
	}
}

// TestLoadConcurrent: loads share nothing mutable, and the experiments of
// one load may be asked for positions from many goroutines (run with
// -race to see it).
func TestLoadConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			exps, err := Load("testdata/experiments")
			if err != nil {
				t.Error(err)
				return
			}
			var inner sync.WaitGroup
			for _, e := range exps {
				inner.Go(func() {
					if e.Position("data.target") == "" {
						t.Errorf("%s: no position for data.target", e.Name)
					}
				})
			}
			inner.Wait()
		})
	}
	wg.Wait()
}

func TestLoadNameField(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"exp.cue": `
a: {name: "credit-v2", data: {source: file: "x.csv", target: "y"}, model: logreg: {}}
`})
	exps, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if exps[0].Name != "credit-v2" {
		t.Errorf("Name = %q, want the name field, credit-v2", exps[0].Name)
	}
}

func TestLoadDuplicate(t *testing.T) {
	dir := t.TempDir()
	exp := "credit: {data: {source: file: \"x.csv\", target: \"y\"}, model: logreg: {}}\n"
	writeFiles(t, dir, map[string]string{"a/credit.cue": exp, "b/credit.cue": exp})
	_, err := Load(dir)
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("Load error = %v, want ErrDuplicate", err)
	}
	for _, f := range []string{filepath.Join(dir, "a/credit.cue"), filepath.Join(dir, "b/credit.cue")} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not name %s", err, f)
		}
	}
}

func TestLoadBadPaths(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"data.csv": "a,b\n"})
	tests := []struct {
		name  string
		paths []string
		is    error
	}{
		{"missing", []string{filepath.Join(dir, "nope.cue")}, fs.ErrNotExist},
		{"not cue", []string{filepath.Join(dir, "data.csv")}, nil},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.paths...)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
		})
	}
}

func TestPosition(t *testing.T) {
	exps, err := Load("testdata/experiments/credit.cue", "testdata/experiments/churn")
	if err != nil {
		t.Fatal(err)
	}
	credit, mlp := exps[2], exps[0]
	if credit.Name != "credit" || mlp.Name != "churn_mlp" {
		t.Fatalf("experiments = %q", experimentNames(exps))
	}
	const f = "testdata/experiments/credit.cue"
	tests := []struct {
		name string
		exp  *Experiment
		path string
		want string
	}{
		{"the experiment", credit, "", f + ":2:1"},
		{"a field", credit, "data.target", f + ":8:3"},
		{"inside a list", credit, "data.clean[2].filter.column", f + ":12:14"},
		{"a list element", credit, "model.layers[1]", f + ":17:31"},
		{"a default falls back to the field that holds it", credit, "train.loss.cross_entropy", f + ":18:2"},
		{"from a shared definition in another file", mlp, "data.target", "testdata/experiments/churn/base.cue:8:3"},
		{"in the experiment's own file", mlp, "model.layers[0].dense", "testdata/experiments/churn/churn.cue:5:19"},
		{"beyond the list", credit, "model.layers[9]", f + ":17:9"},
		{"malformed", credit, "data.[", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.exp.Position(tt.path); got != tt.want {
				t.Errorf("Position(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestDataPath(t *testing.T) {
	exps, err := Load("testdata/experiments/credit.cue")
	if err != nil {
		t.Fatal(err)
	}
	credit := exps[0]
	abs := filepath.Join(t.TempDir(), "x.csv")
	tests := []struct{ in, want string }{
		{credit.Spec.Data.Source.File, "testdata/experiments/data/credit_data.csv"},
		{"../shared.csv", "testdata/shared.csv"},
		{abs, abs},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := credit.DataPath(tt.in); got != tt.want {
				t.Errorf("DataPath(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
