package model

import (
	"bytes"
	"path/filepath"
	"testing"
)

func mlp() *Model {
	return &Model{Inputs: 5, Classes: 3, Layers: []Layer{
		{Kind: Dense, In: 5, Out: 8, Activation: ActReLU},
		{Kind: Dropout, In: 8, Out: 8, Rate: 0.2},
		{Kind: Dense, In: 8, Out: 3, Activation: ActNone},
	}}
}

func TestInitDeterministicAndBounded(t *testing.T) {
	a, err := Init(mlp(), 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Init(mlp(), 7)
	c, _ := Init(mlp(), 8)
	if a.Digest() != b.Digest() {
		t.Error("same seed gave different parameters")
	}
	if a.Digest() == c.Digest() {
		t.Error("different seeds gave the same parameters")
	}
	w := a.Get("layer0.weight")
	if w == nil || len(w.Data) != 40 {
		t.Fatalf("layer0.weight = %+v", w)
	}
	bound := float32(1 / 2.2360679775) // 1/sqrt(5)
	for _, v := range w.Data {
		if v < -bound || v > bound {
			t.Fatalf("weight %v outside ±%v", v, bound)
		}
	}
	if a.Get("layer1.weight") != nil {
		t.Error("dropout layer has parameters")
	}
}

func TestValidate(t *testing.T) {
	tests := map[string]func(m *Model){
		"no inputs":      func(m *Model) { m.Inputs = 0 },
		"one class":      func(m *Model) { m.Classes = 1 },
		"broken chain":   func(m *Model) { m.Layers[2].In = 7 },
		"bad dropout":    func(m *Model) { m.Layers[1].Rate = 1 },
		"activated head": func(m *Model) { m.Layers[2].Activation = ActReLU },
		"unknown act":    func(m *Model) { m.Layers[0].Activation = "swish" },
		"weights count":  func(m *Model) { m.Loss.ClassWeights = []float64{1, 2} },
		"negative wt":    func(m *Model) { m.Loss.ClassWeights = []float64{1, -2, 1} },
		"smoothing 1":    func(m *Model) { m.Loss.LabelSmoothing = 1 },
		"bad schedule":   func(m *Model) { m.Optimizer.Schedule = Schedule{Kind: StepDecay} },
	}
	if err := mlp().Validate(); err != nil {
		t.Fatalf("valid model: %v", err)
	}
	for name, breakIt := range tests {
		t.Run(name, func(t *testing.T) {
			m := mlp()
			breakIt(m)
			if err := m.Validate(); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// TestValidateHeads: each head takes its own classes, last layer and
// losses, and refuses the others'.
func TestValidateHeads(t *testing.T) {
	binary := func() *Model {
		m := mlp()
		m.Head, m.Classes, m.Layers[2].Out = HeadBinary, 2, 1
		return m
	}
	regression := func() *Model {
		m := mlp()
		m.Head, m.Classes, m.Layers[2].Out = HeadRegression, 0, 1
		return m
	}
	tests := []struct {
		name string
		m    func() *Model
		edit func(m *Model)
		ok   bool
	}{
		{"binary", binary, func(m *Model) {}, true},
		{"binary weights", binary, func(m *Model) { m.Loss.ClassWeights = []float64{1, 3} }, true},
		{"binary bce named", binary, func(m *Model) { m.Loss.Kind = LossBCE }, true},
		{"binary three classes", binary, func(m *Model) { m.Classes = 3 }, false},
		{"binary two logits", binary, func(m *Model) { m.Layers[2].Out = 2 }, false},
		{"binary smoothing", binary, func(m *Model) { m.Loss.LabelSmoothing = 0.1 }, false},
		{"binary mse", binary, func(m *Model) { m.Loss.Kind = LossMSE }, false},
		{"regression", regression, func(m *Model) {}, true},
		{"regression mae", regression, func(m *Model) { m.Loss.Kind = LossMAE }, true},
		{"regression huber", regression, func(m *Model) { m.Loss = Loss{Kind: LossHuber, Delta: 1} }, true},
		{"regression huber no delta", regression, func(m *Model) { m.Loss.Kind = LossHuber }, false},
		{"regression cross-entropy", regression, func(m *Model) { m.Loss.Kind = LossCrossEntropy }, false},
		{"regression weights", regression, func(m *Model) { m.Loss.ClassWeights = []float64{1} }, false},
		{"regression classes", regression, func(m *Model) { m.Classes = 1 }, false},
		{"multiclass mse", mlp, func(m *Model) { m.Loss.Kind = LossMSE }, false},
		{"unknown head", mlp, func(m *Model) { m.Head = "ranking" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m()
			tt.edit(m)
			if err := m.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}
	if got := regression().LossKind(); got != LossMSE {
		t.Errorf("regression default loss %s", got)
	}
	if got := binary().PredictWidth(); got != 2 {
		t.Errorf("binary predicts %d values a row", got)
	}
}

func TestWeightsRoundTrip(t *testing.T) {
	p, _ := Init(mlp(), 1)
	path := filepath.Join(t.TempDir(), "weights.bin")
	digest, err := p.Save(path)
	if err != nil {
		t.Fatal(err)
	}
	if digest != p.Digest() {
		t.Error("Save digest differs from Digest")
	}
	q, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if q.Digest() != digest {
		t.Error("loaded params differ")
	}
	if _, err := Decode(bytes.NewReader([]byte("nope"))); err == nil {
		t.Error("garbage decoded")
	}
}

func TestKeepRate(t *testing.T) {
	kept := 0
	for i := 0; i < 100000; i++ {
		if Keep(42, 3, 1, i, 0.3) {
			kept++
		}
	}
	if kept < 69000 || kept > 71000 {
		t.Errorf("kept %d of 100000 at rate 0.3", kept)
	}
	if first, again := Keep(42, 3, 1, 5, 0.3), Keep(42, 3, 1, 5, 0.3); first != again {
		t.Error("not deterministic")
	}
}

func TestBatchNormLayer(t *testing.T) {
	m := &Model{Inputs: 4, Classes: 2, Layers: []Layer{
		{Kind: Dense, In: 4, Out: 6, Activation: ActNone},
		{Kind: BatchNorm, In: 6, Out: 6, Activation: ActReLU, Eps: 1e-5, Momentum: 0.1},
		{Kind: Dense, In: 6, Out: 2, Activation: ActNone},
	}}
	p, err := Init(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"layer0.weight", "layer0.bias", "layer1.weight", "layer1.bias", "layer1.running_mean", "layer1.running_var", "layer2.weight", "layer2.bias"}
	for i, name := range want {
		if i >= len(p.Tensors) || p.Tensors[i].Name != name {
			t.Fatalf("tensor %d is not %s: %+v", i, name, p.Tensors)
		}
	}
	// PyTorch's initial γ = 1, β = 0, mean 0, variance 1.
	for name, v := range map[string]float32{"layer1.weight": 1, "layer1.bias": 0, "layer1.running_mean": 0, "layer1.running_var": 1} {
		if got := p.Get(name).Data[3]; got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	if err := p.Check(m); err != nil {
		t.Fatal(err)
	}
	p.Tensors = p.Tensors[:5] // no running variance
	if err := p.Check(m); err == nil {
		t.Error("params without the running variance fit")
	}
	bad := *m
	bad.Layers = append([]Layer(nil), m.Layers...)
	bad.Layers[1].Eps = 0
	if err := bad.Validate(); err == nil {
		t.Error("a batch norm with eps 0 validated")
	}
}

// embedded is mlp with its last two inputs embedding indices: 3 plain
// columns, tables of 4×2 and 6×3, so the first layer reads 3+2+3 = 8.
func embedded() *Model {
	m := mlp()
	m.Embeddings = []Embedding{{Column: 3, Vocab: 4, Dim: 2}, {Column: 4, Vocab: 6, Dim: 3}}
	m.Layers[0].In = 8
	return m
}

func TestEmbeddings(t *testing.T) {
	m := embedded()
	if err := m.Validate(); err != nil {
		t.Fatalf("valid model: %v", err)
	}
	if m.EmbeddedWidth() != 8 || m.PlainInputs() != 3 {
		t.Fatalf("width %d, plain %d; want 8, 3", m.EmbeddedWidth(), m.PlainInputs())
	}
	p, err := Init(m, 7)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(m); err != nil {
		t.Fatal(err)
	}
	if p.Tensors[0].Name != "embedding.0.weight" || p.Tensors[1].Name != "embedding.1.weight" || len(p.Tensors[1].Data) != 18 {
		t.Fatalf("first tensors %s %v, %s %v", p.Tensors[0].Name, p.Tensors[0].Shape, p.Tensors[1].Name, p.Tensors[1].Shape)
	}
	// N(0, 1): some values beyond the ±1/sqrt(fan_in) of a dense layer.
	big := 0
	for _, v := range p.Tensors[1].Data {
		if v > 1 || v < -1 {
			big++
		}
	}
	if big == 0 {
		t.Errorf("embedding values %v all within ±1: not N(0, 1)", p.Tensors[1].Data)
	}
	bad := map[string]func(m *Model){
		"index not last":    func(m *Model) { m.Embeddings[0].Column = 0 },
		"out of order":      func(m *Model) { m.Embeddings[0].Column, m.Embeddings[1].Column = 4, 3 },
		"empty table":       func(m *Model) { m.Embeddings[1].Vocab = 0 },
		"first layer plain": func(m *Model) { m.Layers[0].In = 5 },
		"more than inputs":  func(m *Model) { m.Inputs = 1 },
	}
	for name, mutate := range bad {
		t.Run(name, func(t *testing.T) {
			m := embedded()
			mutate(m)
			if err := m.Validate(); err == nil {
				t.Fatal("validated")
			}
		})
	}
	t.Run("check wants the tables", func(t *testing.T) {
		q, _ := Init(mlp(), 7)
		if err := q.Check(m); err == nil {
			t.Fatal("params without tables checked")
		}
	})
}
