package conformance_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/xp-ml/xp/backends"
	_ "github.com/xp-ml/xp/backends/engine"   // registers "cpu"
	_ "github.com/xp-ml/xp/backends/gorgonia" // registers "gorgonia"
	"github.com/xp-ml/xp/model"
)

// torchCases is testdata/torch_cases.json, made by testdata/gen_torch.py.
type torchCases struct {
	Torch                                 string
	Inputs, Hidden, Classes, Batch, Epoch int
	Epochs                                int
	X                                     []float32
	Y                                     []int32
	Init                                  map[string][]float32
	Cases                                 []struct {
		Name       string
		Activation string
		Optimizer  struct {
			Kind         string
			LR, Momentum float64
			WeightDecay  float64 `json:"weight_decay"`
			Nesterov     bool
		} `json:"optimizer"`
		ClipNorm       float64   `json:"clip_norm"`
		ClassWeights   []float64 `json:"class_weights"`
		LabelSmoothing float64   `json:"label_smoothing"`
		BatchNorm      bool      `json:"batch_norm"`
		Schedule       *struct {
			Kind     string
			StepSize int     `json:"step_size"`
			Gamma    float64 `json:"gamma"`
			TMax     int     `json:"t_max"`
			EtaMin   float64 `json:"eta_min"`
			Steps    int     `json:"steps"`
		}
		Params map[string][]float32
		Losses []float64
	}
}

// TestMatchesPyTorch trains the cases PyTorch trained and compares every
// parameter after two epochs, on each backend: activations, optimizers
// with their PyTorch defaults, clipping, schedules, class weights and
// label smoothing mean what they mean in PyTorch, not only the same thing
// in both backends.
func TestMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "torch_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tc torchCases
	if err := json.Unmarshal(raw, &tc); err != nil {
		t.Fatalf("parse torch_cases.json: %v", err)
	}
	if len(tc.Cases) == 0 {
		t.Fatal("no cases")
	}
	data := &backends.Batches{X: tc.X, Y: tc.Y, N: len(tc.Y), D: tc.Inputs}
	order := make([]int32, data.N)
	for i := range order {
		order[i] = int32(i)
	}
	tol := 1e-5
	for _, name := range []string{"cpu", "gorgonia"} {
		b, err := backends.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range tc.Cases {
			t.Run(name+"/"+c.Name, func(t *testing.T) {
				o := model.Optimizer{Kind: model.OptimizerKind(c.Optimizer.Kind), LR: c.Optimizer.LR,
					Momentum: c.Optimizer.Momentum, Nesterov: c.Optimizer.Nesterov, WeightDecay: c.Optimizer.WeightDecay,
					ClipNorm: c.ClipNorm}
				switch o.Kind { // PyTorch's defaults
				case model.Adam, model.AdamW:
					o.Beta1, o.Beta2, o.Eps = 0.9, 0.999, 1e-8
				case model.RMSprop:
					o.Alpha, o.Eps = 0.99, 1e-8
				}
				if s := c.Schedule; s != nil {
					switch s.Kind {
					case "step":
						o.Schedule = model.Schedule{Kind: model.StepDecay, StepSize: s.StepSize, Gamma: s.Gamma}
					case "cosine":
						o.Schedule = model.Schedule{Kind: model.Cosine, TMax: s.TMax, EtaMin: s.EtaMin}
					case "warmup_steps":
						o.Schedule = model.Schedule{WarmupSteps: s.Steps}
					default:
						t.Fatalf("schedule %q", s.Kind)
					}
				}
				m := &model.Model{Inputs: tc.Inputs, Classes: tc.Classes, Optimizer: o, Layers: []model.Layer{
					{Kind: model.Dense, In: tc.Inputs, Out: tc.Hidden, Activation: model.Activation(c.Activation)},
					{Kind: model.Dense, In: tc.Hidden, Out: tc.Classes, Activation: model.ActNone},
				}}
				m.Loss = model.Loss{ClassWeights: c.ClassWeights, LabelSmoothing: c.LabelSmoothing}
				p0 := &model.Params{}
				for _, n := range []string{"layer0.weight", "layer0.bias", "layer1.weight", "layer1.bias"} {
					p0.Tensors = append(p0.Tensors, model.Tensor{Name: n, Data: tc.Init[n]})
				}
				p0.Tensors[0].Shape, p0.Tensors[1].Shape = []int{tc.Inputs, tc.Hidden}, []int{tc.Hidden}
				p0.Tensors[2].Shape, p0.Tensors[3].Shape = []int{tc.Hidden, tc.Classes}, []int{tc.Classes}
				if c.BatchNorm {
					// Linear (no activation) -> BatchNorm1d -> activation -> Linear.
					m.Layers = []model.Layer{
						{Kind: model.Dense, In: tc.Inputs, Out: tc.Hidden, Activation: model.ActNone},
						{Kind: model.BatchNorm, In: tc.Hidden, Out: tc.Hidden, Activation: model.Activation(c.Activation), Eps: 1e-5, Momentum: 0.1},
						{Kind: model.Dense, In: tc.Hidden, Out: tc.Classes, Activation: model.ActNone},
					}
					init, err := model.Init(m, 1)
					if err != nil {
						t.Fatal(err)
					}
					last := p0.Tensors[2:]
					p0.Tensors = append(p0.Tensors[:2:2], init.Tensors[2:6]...)
					p0.Tensors = append(p0.Tensors,
						model.Tensor{Name: "layer2.weight", Shape: last[0].Shape, Data: last[0].Data},
						model.Tensor{Name: "layer2.bias", Shape: last[1].Shape, Data: last[1].Data})
				}
				tr, err := b.Compile(context.Background(), m, p0, backends.Config{BatchSize: tc.Batch, Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				defer tr.Close()
				for e := range tc.Epochs {
					loss, err := tr.Epoch(context.Background(), data, order, nil)
					if err != nil {
						t.Fatal(err)
					}
					// Every batch is full, so the epoch's mean is the mean of PyTorch's batch means.
					per := len(tc.Y) / tc.Batch
					var want float64
					for _, l := range c.Losses[e*per : (e+1)*per] {
						want += l / float64(per)
					}
					if math.Abs(loss-want) > tol*(1+math.Abs(want)) {
						t.Errorf("epoch %d: loss %v, PyTorch %v", e, loss, want)
					}
				}
				got := tr.Params()
				for _, w := range got.Tensors {
					want := c.Params[w.Name]
					if len(want) != len(w.Data) {
						t.Fatalf("%s: %d values, PyTorch %d", w.Name, len(w.Data), len(want))
					}
					for j := range want {
						if d := math.Abs(float64(w.Data[j]) - float64(want[j])); d > tol*(1+math.Abs(float64(want[j]))) {
							t.Errorf("%s[%d] = %v, PyTorch %v", w.Name, j, w.Data[j], want[j])
							break
						}
					}
				}
			})
		}
	}
}
