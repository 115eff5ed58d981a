package model

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Tensor is a named parameter, row-major float32.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Params are a model's parameters: the embedding tables in order, then in
// layer order: for each dense layer its
// weight then its bias; for each batch norm its weight, bias, running mean
// and running variance.
type Params struct {
	Tensors []Tensor
}

// Get returns the tensor with the given name, or nil.
func (p *Params) Get(name string) *Tensor {
	for i := range p.Tensors {
		if p.Tensors[i].Name == name {
			return &p.Tensors[i]
		}
	}
	return nil
}

// Clone returns a deep copy.
func (p *Params) Clone() *Params {
	c := &Params{Tensors: make([]Tensor, len(p.Tensors))}
	for i, t := range p.Tensors {
		c.Tensors[i] = Tensor{Name: t.Name, Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
	}
	return c
}

// Init draws the initial parameters from a PCG seeded with seed, the same way
// PyTorch's nn.Linear does (weights and biases uniform in ±1/sqrt(fan_in)),
// so xp starts where a PyTorch user's model would. Embedding tables are
// drawn first, N(0, 1) as nn.Embedding's, so a model without embeddings
// draws exactly what it did before they existed. Backends never initialise
// on their own: gorgonia's initialisers seed from the clock.
func Init(m *Model, seed uint64) (*Params, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x78702d696e6974)) // "xp-init"
	p := &Params{}
	for i, e := range m.Embeddings {
		w := make([]float32, e.Vocab*e.Dim)
		for j := range w {
			w[j] = float32(rng.NormFloat64())
		}
		p.Tensors = append(p.Tensors, Tensor{Name: EmbeddingName(i), Shape: []int{e.Vocab, e.Dim}, Data: w})
	}
	for i, l := range m.Layers {
		if l.Kind == BatchNorm {
			// PyTorch's: γ = 1, β = 0, running mean 0 and variance 1.
			ones := func() []float32 {
				v := make([]float32, l.Out)
				for j := range v {
					v[j] = 1
				}
				return v
			}
			p.Tensors = append(p.Tensors,
				Tensor{Name: WeightName(i), Shape: []int{l.Out}, Data: ones()},
				Tensor{Name: BiasName(i), Shape: []int{l.Out}, Data: make([]float32, l.Out)},
				Tensor{Name: RunningMeanName(i), Shape: []int{l.Out}, Data: make([]float32, l.Out)},
				Tensor{Name: RunningVarName(i), Shape: []int{l.Out}, Data: ones()})
			continue
		}
		if l.Kind != Dense {
			continue
		}
		bound := 1 / math.Sqrt(float64(l.In))
		w := make([]float32, l.In*l.Out)
		for j := range w {
			w[j] = float32((rng.Float64()*2 - 1) * bound)
		}
		b := make([]float32, l.Out)
		for j := range b {
			b[j] = float32((rng.Float64()*2 - 1) * bound)
		}
		p.Tensors = append(p.Tensors,
			Tensor{Name: WeightName(i), Shape: []int{l.In, l.Out}, Data: w},
			Tensor{Name: BiasName(i), Shape: []int{l.Out}, Data: b})
	}
	return p, nil
}

// Check reports params that do not fit m.
func (p *Params) Check(m *Model) error {
	for i, e := range m.Embeddings {
		if t := p.Get(EmbeddingName(i)); t == nil || len(t.Data) != e.Vocab*e.Dim {
			return fmt.Errorf("params: %s missing or not %d×%d", EmbeddingName(i), e.Vocab, e.Dim)
		}
	}
	for i, l := range m.Layers {
		if l.Kind == BatchNorm {
			for _, name := range []string{WeightName(i), BiasName(i), RunningMeanName(i), RunningVarName(i)} {
				if t := p.Get(name); t == nil || len(t.Data) != l.Out {
					return fmt.Errorf("params: layer %d: %s missing or not of %d values", i, name, l.Out)
				}
			}
			continue
		}
		if l.Kind != Dense {
			continue
		}
		w, b := p.Get(WeightName(i)), p.Get(BiasName(i))
		if w == nil || b == nil {
			return fmt.Errorf("params: layer %d has no weight or bias", i)
		}
		if len(w.Data) != l.In*l.Out || len(b.Data) != l.Out {
			return fmt.Errorf("params: layer %d: weight %v bias %v, want [%d %d] [%d]", i, w.Shape, b.Shape, l.In, l.Out, l.Out)
		}
	}
	return nil
}
