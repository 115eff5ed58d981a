package model

import "fmt"

// Activation is applied after a dense layer.
type Activation string

const (
	ActNone    Activation = "none"
	ActReLU    Activation = "relu"
	ActTanh    Activation = "tanh"
	ActSigmoid Activation = "sigmoid"
)

// LayerKind tells a layer's operation.
type LayerKind string

const (
	Dense   LayerKind = "dense"
	Dropout LayerKind = "dropout"
)

// Layer is one operation of the network. Dense layers own parameters
// "layerN.weight" ([in, out], row-major, so y = x·W + b) and "layerN.bias" ([out]).
type Layer struct {
	Kind       LayerKind
	In, Out    int        // dense: fan-in and fan-out; dropout: In == Out
	Activation Activation // dense only
	Rate       float64    // dropout only: the probability of dropping a unit
}

// OptimizerKind names an update rule.
type OptimizerKind string

const (
	SGD  OptimizerKind = "sgd"
	Adam OptimizerKind = "adam"
)

// Optimizer holds the update rule and its hyperparameters; fields a rule
// does not use are zero.
type Optimizer struct {
	Kind        OptimizerKind
	LR          float64
	Momentum    float64 // sgd
	Beta1       float64 // adam
	Beta2       float64 // adam
	Eps         float64 // adam
	WeightDecay float64 // L2 added to the gradient, as PyTorch's weight_decay
}

// Model is a feed-forward classifier trained with softmax cross-entropy.
// The last layer is always a dense layer onto Classes logits, no activation.
type Model struct {
	Inputs    int
	Classes   int
	Layers    []Layer
	Optimizer Optimizer
}

// Validate reports a model whose shapes do not chain.
func (m *Model) Validate() error {
	if m.Inputs <= 0 {
		return fmt.Errorf("model: %d inputs", m.Inputs)
	}
	if m.Classes < 2 {
		return fmt.Errorf("model: %d classes, need at least 2", m.Classes)
	}
	if len(m.Layers) == 0 {
		return fmt.Errorf("model: no layers")
	}
	width := m.Inputs
	for i, l := range m.Layers {
		if l.In != width {
			return fmt.Errorf("model: layer %d takes %d inputs, previous gives %d", i, l.In, width)
		}
		switch l.Kind {
		case Dense:
			if l.Out <= 0 {
				return fmt.Errorf("model: layer %d: dense with %d units", i, l.Out)
			}
		case Dropout:
			if l.Out != l.In || l.Rate < 0 || l.Rate >= 1 {
				return fmt.Errorf("model: layer %d: dropout rate %v", i, l.Rate)
			}
		default:
			return fmt.Errorf("model: layer %d: unknown kind %q", i, l.Kind)
		}
		width = l.Out
	}
	last := m.Layers[len(m.Layers)-1]
	if last.Kind != Dense || last.Out != m.Classes || last.Activation != ActNone {
		return fmt.Errorf("model: last layer must be dense onto %d classes with no activation", m.Classes)
	}
	return nil
}

// WeightName and BiasName name the parameters of dense layer i.
func WeightName(i int) string { return fmt.Sprintf("layer%d.weight", i) }
func BiasName(i int) string   { return fmt.Sprintf("layer%d.bias", i) }
