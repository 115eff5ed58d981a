package conformance_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/model"
)

// TestHeadsMatchPyTorch trains the binary and regression cases PyTorch
// trained (testdata/torch_heads.json, made by testdata/gen_torch_heads.py)
// and compares every epoch's loss and every parameter after two epochs, on
// each backend: binary cross-entropy with and without class weights, mse,
// mae and huber mean what they mean in PyTorch.
func TestHeadsMatchPyTorch(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "torch_heads.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tc struct {
		Inputs, Hidden, Batch, Epochs int
		X                             []float32
		Labels                        []int32
		Targets                       []float32
		Init                          map[string][]float32
		Cases                         []struct {
			Name       string
			Activation string
			Optimizer  struct {
				Kind         string
				LR, Momentum float64
			}
			Loss struct {
				Kind         string
				ClassWeights []float64 `json:"class_weights"`
				Delta        float64
			}
			Params map[string][]float32
			Losses []float64
		}
	}
	if err := json.Unmarshal(raw, &tc); err != nil {
		t.Fatalf("parse torch_heads.json: %v", err)
	}
	if len(tc.Cases) < 5 {
		t.Fatalf("%d cases", len(tc.Cases))
	}
	n := len(tc.Labels)
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	const tol = 1e-5
	for _, name := range []string{"cpu", "gorgonia"} {
		b, err := backends.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range tc.Cases {
			t.Run(name+"/"+c.Name, func(t *testing.T) {
				o := model.Optimizer{Kind: model.OptimizerKind(c.Optimizer.Kind), LR: c.Optimizer.LR, Momentum: c.Optimizer.Momentum}
				if o.Kind == model.Adam {
					o.Beta1, o.Beta2, o.Eps = 0.9, 0.999, 1e-8
				}
				m := &model.Model{Inputs: tc.Inputs, Optimizer: o, Layers: []model.Layer{
					{Kind: model.Dense, In: tc.Inputs, Out: tc.Hidden, Activation: model.Activation(c.Activation)},
					{Kind: model.Dense, In: tc.Hidden, Out: 1, Activation: model.ActNone},
				}, Loss: model.Loss{Kind: model.LossKind(c.Loss.Kind), ClassWeights: c.Loss.ClassWeights, Delta: c.Loss.Delta}}
				data := &backends.Batches{X: tc.X, N: n, D: tc.Inputs}
				if m.Loss.Kind == model.LossBCE {
					m.Head, m.Classes, data.Y = model.HeadBinary, 2, tc.Labels
				} else {
					m.Head, data.T = model.HeadRegression, tc.Targets
				}
				p0 := &model.Params{Tensors: []model.Tensor{
					{Name: "layer0.weight", Shape: []int{tc.Inputs, tc.Hidden}, Data: tc.Init["layer0.weight"]},
					{Name: "layer0.bias", Shape: []int{tc.Hidden}, Data: tc.Init["layer0.bias"]},
					{Name: "layer1.weight", Shape: []int{tc.Hidden, 1}, Data: tc.Init["layer1.weight"]},
					{Name: "layer1.bias", Shape: []int{1}, Data: tc.Init["layer1.bias"]},
				}}
				tr, err := b.Compile(context.Background(), m, p0, backends.Config{BatchSize: tc.Batch, Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				defer tr.Close()
				per := n / tc.Batch
				for e := range tc.Epochs {
					loss, err := tr.Epoch(context.Background(), data, order, nil)
					if err != nil {
						t.Fatal(err)
					}
					var want float64
					for _, l := range c.Losses[e*per : (e+1)*per] {
						want += l / float64(per)
					}
					if math.Abs(loss-want) > tol*(1+math.Abs(want)) {
						t.Errorf("epoch %d: loss %v, PyTorch %v", e, loss, want)
					}
				}
				for _, w := range tr.Params().Tensors {
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
