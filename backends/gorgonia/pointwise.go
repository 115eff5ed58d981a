package gorgonia

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// pointwise is an elementwise float32 function that gorgonia lacks (GELU
// needs erf, which v0.9.18 has no op for), computed in float64 and rounded
// once, as the engine does. With a derivative it is differentiable: the
// gradient is grad ⊙ derivative(x).
type pointwise struct {
	name       string
	f          func(float64) float64
	derivative *pointwise
}

var (
	_ G.Op   = (*pointwise)(nil)
	_ G.SDOp = (*pointwise)(nil)
)

// geluOp is the exact GELU x·Φ(x), PyTorch's default (erf, not tanh).
var geluOp = &pointwise{
	name: "gelu",
	f:    func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) },
	derivative: &pointwise{
		name: "gelu'",
		f: func(x float64) float64 {
			return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)
		},
	},
}

func (op *pointwise) Arity() int { return 1 }

func (op *pointwise) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}

func (op *pointwise) InferShape(inputs ...G.DimSizer) (tensor.Shape, error) {
	if len(inputs) != 1 || inputs[0] == nil {
		return nil, fmt.Errorf("%s: want one input shape", op.name)
	}
	s, ok := inputs[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%s: input shape is %T", op.name, inputs[0])
	}
	return s.Clone(), nil
}

func (op *pointwise) Do(values ...G.Value) (G.Value, error) {
	if len(values) != 1 {
		return nil, fmt.Errorf("%s: %d inputs", op.name, len(values))
	}
	in, ok := values[0].(tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("%s: input is %T", op.name, values[0])
	}
	x, ok := in.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("%s: input data is %T, want []float32", op.name, in.Data())
	}
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(op.f(float64(v)))
	}
	return tensor.New(tensor.WithShape(in.Shape().Clone()...), tensor.WithBacking(y)), nil
}

func (op *pointwise) ReturnsPtr() bool     { return false }
func (op *pointwise) CallsExtern() bool    { return false }
func (op *pointwise) OverwritesInput() int { return -1 }
func (op *pointwise) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "xp.pointwise.%s", op.name)
}
func (op *pointwise) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op *pointwise) String() string { return op.name }

func (op *pointwise) DiffWRT(inputs int) []bool { return []bool{op.derivative != nil} }

func (op *pointwise) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.derivative == nil {
		return nil, fmt.Errorf("%s is not differentiable", op.name)
	}
	d, err := G.ApplyOp(op.derivative, inputs[0])
	if err != nil {
		return nil, fmt.Errorf("%s: derivative: %w", op.name, err)
	}
	g, err := G.HadamardProd(grad, d)
	if err != nil {
		return nil, fmt.Errorf("%s: gradient: %w", op.name, err)
	}
	return G.Nodes{g}, nil
}
