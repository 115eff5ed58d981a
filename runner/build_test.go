package runner

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/model"
)

// loadSpec writes one experiment named x with the given model and train
// blocks and loads it through the schema, so defaults are the schema's.
func loadSpec(t *testing.T, modelAndTrain string) *spec.Spec {
	t.Helper()
	dir := t.TempDir()
	src := `x: #Experiment & {
	data: {source: file: "d.csv", target: "y"}
` + modelAndTrain + `
}
`
	path := filepath.Join(dir, "x.cue")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	exps, err := spec.Load(path)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return &exps[0].Spec
}

func TestBuildModelTraining(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, m *model.Model)
	}{
		{"activations", `model: layers: [{dense: 8, activation: "gelu"}, {dense: 4, activation: "leaky_relu"}]`,
			func(t *testing.T, m *model.Model) {
				if m.Layers[0].Activation != model.ActGELU || m.Layers[1].Activation != model.ActLeakyReLU {
					t.Errorf("activations %q %q", m.Layers[0].Activation, m.Layers[1].Activation)
				}
			}},
		{"batch norm", `model: layers: [{dense: 8, batch_norm: true, activation: "tanh"}]`,
			func(t *testing.T, m *model.Model) {
				want := []model.Layer{
					{Kind: model.Dense, In: 5, Out: 8, Activation: model.ActNone},
					{Kind: model.BatchNorm, In: 8, Out: 8, Activation: model.ActTanh, Eps: 1e-5, Momentum: 0.1},
					{Kind: model.Dense, In: 8, Out: 3, Activation: model.ActNone},
				}
				if !reflect.DeepEqual(m.Layers, want) {
					t.Errorf("layers %+v, want %+v", m.Layers, want)
				}
			}},
		{"adamw defaults", `model: logreg: {}
	train: optimizer: adamw: {}`, func(t *testing.T, m *model.Model) {
			o := m.Optimizer
			if o.Kind != model.AdamW || o.LR != 1e-3 || o.WeightDecay != 1e-2 || o.Beta2 != 0.999 {
				t.Errorf("%+v, want PyTorch AdamW defaults", o)
			}
		}},
		{"rmsprop defaults", `model: logreg: {}
	train: optimizer: rmsprop: {momentum: 0.5}`, func(t *testing.T, m *model.Model) {
			o := m.Optimizer
			if o.Kind != model.RMSprop || o.LR != 0.01 || o.Alpha != 0.99 || o.Eps != 1e-8 || o.Momentum != 0.5 {
				t.Errorf("%+v, want PyTorch RMSprop defaults", o)
			}
		}},
		{"nesterov clip cosine warmup", `model: logreg: {}
	train: {
		epochs: 12
		optimizer: sgd: {lr: 0.1, momentum: 0.9, nesterov: true}
		clip_norm: 1.5
		schedule: cosine: eta_min: 0.001
		warmup: steps: 100
	}`, func(t *testing.T, m *model.Model) {
			o := m.Optimizer
			want := model.Schedule{Kind: model.Cosine, TMax: 12, EtaMin: 0.001, WarmupSteps: 100}
			if !o.Nesterov || o.ClipNorm != 1.5 || o.Schedule != want {
				t.Errorf("%+v, want nesterov, clip 1.5 and %+v", o, want)
			}
		}},
		{"step schedule", `model: logreg: {}
	train: schedule: step: step_size: 3`, func(t *testing.T, m *model.Model) {
			want := model.Schedule{Kind: model.StepDecay, StepSize: 3, Gamma: 0.1}
			if m.Optimizer.Schedule != want {
				t.Errorf("%+v, want %+v", m.Optimizer.Schedule, want)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := buildModel(loadSpec(t, tt.src), 5, 3)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, m)
		})
	}
}

func TestBuildModelRejects(t *testing.T) {
	s := loadSpec(t, `model: logreg: {}
	train: optimizer: sgd: {lr: 0.1, nesterov: true}`)
	if _, err := buildModel(s, 5, 3); err == nil || !strings.Contains(err.Error(), "nesterov") {
		t.Fatalf("err %v, want one about nesterov without momentum", err)
	}
}

func TestClassWeights(t *testing.T) {
	classes := []string{"bad", "good", "unknown"}
	trainY := []int32{0, 1, 1, 1, 1, 1}
	tests := []struct {
		name    string
		loss    string
		want    []float64
		wantErr string
	}{
		{"none", `train: loss: cross_entropy: {}`, nil, ""},
		// sklearn.utils.class_weight.compute_class_weight("balanced") on
		// [0,1,1,1,1,1]: 6/(2·1) and 6/(2·5); an absent class weighs 0.
		{"balanced", `train: loss: cross_entropy: class_weights: "balanced"`, []float64{6.0 / 3, 6.0 / 15, 0}, ""},
		{"map", `train: loss: cross_entropy: {class_weights: {bad: 4.5}, label_smoothing: 0.1}`, []float64{4.5, 1, 1}, ""},
		{"unknown label", `train: loss: cross_entropy: class_weights: {bda: 2}`, nil, `no class "bda"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := loadSpec(t, "model: logreg: {}\n\t"+tt.loss)
			got, err := classWeights(s, classes, trainY)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("weights %v, want %v", got, tt.want)
			}
			for i := range got {
				if math.Abs(got[i]-tt.want[i]) > 1e-12 {
					t.Fatalf("weights %v, want %v", got, tt.want)
				}
			}
			m, err := buildModel(s, 4, 3)
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "map" && m.Loss.LabelSmoothing != 0.1 {
				t.Errorf("label smoothing %v, want 0.1", m.Loss.LabelSmoothing)
			}
		})
	}
}

func TestClassWeightsSchemaRejects(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.cue")
	src := `x: #Experiment & {
	data: {source: file: "d.csv", target: "y"}
	model: logreg: {}
	train: loss: cross_entropy: {class_weights: "balance", label_smoothing: 1}
}
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := spec.Load(path); err == nil {
		t.Fatal(`class_weights: "balance" and label_smoothing: 1 loaded`)
	}
}

// TestBuildModelHeads: the head sets the last layer's width and the loss,
// from model.head, from the loss, or from the target (BuildModelFor's head).
func TestBuildModelHeads(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		head    string // passed to BuildModelFor; "" asks buildModel
		classes int
		want    model.Loss
		outputs int
	}{
		{"huber", "model: logreg: {}\n\ttrain: loss: huber: delta: 2", "", 0, model.Loss{Kind: model.LossHuber, Delta: 2}, 1},
		{"mae head", "model: {logreg: {}, head: \"regression\"}\n\ttrain: loss: mae: {}", "", 0, model.Loss{Kind: model.LossMAE}, 1},
		{"regression default", "model: {logreg: {}, head: \"regression\"}", "", 0, model.Loss{Kind: model.LossMSE}, 1},
		{"target made it a regression", "model: logreg: {}", "regression", 0, model.Loss{Kind: model.LossMSE}, 1},
		{"binary", "model: {layers: [{dense: 4}], head: \"binary\"}", "", 2, model.Loss{Kind: model.LossBCE}, 1},
		{"multiclass", "model: logreg: {}", "", 3, model.Loss{}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := loadSpec(t, tt.src)
			var m *model.Model
			var err error
			if tt.head == "" {
				m, err = buildModel(s, 5, tt.classes)
			} else {
				m, err = BuildModelFor(s, 5, tt.classes, tt.head, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Loss.Kind != tt.want.Kind || m.Loss.Delta != tt.want.Delta || m.Outputs() != tt.outputs {
				t.Errorf("loss %+v, %d outputs; want %+v, %d", m.Loss, m.Outputs(), tt.want, tt.outputs)
			}
		})
	}
}

func TestBuildModelEmbeddings(t *testing.T) {
	emb := []data.Embedding{{Name: "state", Column: 3, Vocab: 52, Dim: 4}, {Name: "user", Column: 4, Vocab: 9, Dim: 2}}
	for _, tt := range []struct {
		name, model string
	}{
		{"mlp", `model: layers: [{dropout: 0.1}, {dense: 8}]`},
		{"logreg", `model: logreg: {}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := BuildModelFor(loadSpec(t, tt.model), 5, 3, spec.HeadMulticlass, emb)
			if err != nil {
				t.Fatal(err)
			}
			want := []model.Embedding{{Column: 3, Vocab: 52, Dim: 4}, {Column: 4, Vocab: 9, Dim: 2}}
			// 3 plain inputs, then 4 + 2 from the tables.
			if !slices.Equal(m.Embeddings, want) || m.Inputs != 5 || m.Layers[0].In != 9 {
				t.Errorf("embeddings %+v, inputs %d, first layer reads %d; want %+v, 5, 9", m.Embeddings, m.Inputs, m.Layers[0].In, want)
			}
		})
	}
}

// TestSpecKeyMarksEmbeddings: a spec with an embedding feature, which
// trained one-hot before xp had tables, gets a key of its own; any other
// spec keeps the key it had.
func TestSpecKeyMarksEmbeddings(t *testing.T) {
	for _, tt := range []struct {
		name     string
		features map[string]spec.Feature
		marked   bool
	}{
		{"none", nil, false},
		{"onehot and id", map[string]spec.Feature{"a": {Categorical: &spec.CategoricalFeature{Encoding: "onehot", Dim: 3}}, "u": {ID: &spec.IDFeature{}}}, false},
		{"categorical embedding", map[string]spec.Feature{"a": {Categorical: &spec.CategoricalFeature{Encoding: "embedding"}}}, true},
		{"id with dim", map[string]spec.Feature{"u": {ID: &spec.IDFeature{Dim: 8}}}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &spec.Spec{Data: spec.Data{Features: tt.features}}
			if got := specKey(s, "h") != "h"; got != tt.marked {
				t.Errorf("specKey = %q, marked %v, want %v", specKey(s, "h"), got, tt.marked)
			}
		})
	}
}

// buildModel is BuildModelFor with the head the spec decides (multiclass
// when it decides none), and no embeddings.
func buildModel(s *spec.Spec, inputs, classes int) (*model.Model, error) {
	return BuildModelFor(s, inputs, classes, ResolveHead(s, data.TaskClassification), nil)
}
