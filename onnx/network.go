package onnx

import (
	"fmt"
	"math"

	"github.com/xp-ml/xp/model"
)

// network adds the model's layers on x, float [N, EmbeddedWidth], and
// returns the last layer's output: the logits, or the regression's value
// on the standardized scale. Dropout is the identity at inference.
func (e *exporter) network(x string) (string, error) {
	b := e.b
	for i, l := range e.model.Layers {
		scope := fmt.Sprintf("layer%d", i)
		switch l.Kind {
		case model.Dense:
			w, bias := e.params.Get(model.WeightName(i)), e.params.Get(model.BiasName(i))
			if w == nil || bias == nil {
				return "", fmt.Errorf("export: layer %d has no weight or bias", i)
			}
			x = b.op(scope, "Gemm", []string{x,
				b.floats(scope, "weight", []int64{int64(l.In), int64(l.Out)}, w.Data),
				b.floats(scope, "bias", []int64{int64(l.Out)}, bias.Data)})
		case model.BatchNorm:
			x = e.batchNorm(scope, i, l, x)
		case model.Dropout:
			continue
		default:
			return "", fmt.Errorf("%w: layer %d: %s layers", ErrUnsupported, i, l.Kind)
		}
		var err error
		if x, err = e.activation(scope, x, l.Activation); err != nil {
			return "", err
		}
	}
	return x, nil
}

// batchNorm is BatchNorm1d at inference, as the engine computes it:
// (x - running mean) / sqrt(running var + eps), times γ, plus β.
func (e *exporter) batchNorm(scope string, i int, l model.Layer, x string) string {
	b := e.b
	get := func(name string) []float32 { return e.params.Get(name).Data }
	rv := get(model.RunningVarName(i))
	sd := make([]float32, len(rv))
	for j, v := range rv {
		sd[j] = float32(math.Sqrt(float64(v) + l.Eps))
	}
	dims := []int64{int64(l.Out)}
	x = b.op(scope, "Sub", []string{x, b.floats(scope, "running_mean", dims, get(model.RunningMeanName(i)))})
	x = b.op(scope, "Div", []string{x, b.floats(scope, "running_sd", dims, sd)})
	x = b.op(scope, "Mul", []string{x, b.floats(scope, "gamma", dims, get(model.WeightName(i)))})
	return b.op(scope, "Add", []string{x, b.floats(scope, "beta", dims, get(model.BiasName(i)))})
}

func (e *exporter) activation(scope, x string, act model.Activation) (string, error) {
	b := e.b
	switch act {
	case model.ActNone, "":
		return x, nil
	case model.ActReLU:
		return b.op(scope, "Relu", []string{x}), nil
	case model.ActTanh:
		return b.op(scope, "Tanh", []string{x}), nil
	case model.ActSigmoid:
		return b.op(scope, "Sigmoid", []string{x}), nil
	case model.ActLeakyReLU:
		return b.op(scope, "LeakyRelu", []string{x}, floatAttr("alpha", model.LeakySlope)), nil
	case model.ActGELU:
		// The exact GELU, x·Φ(x) = x/2·(1 + erf(x/√2)); Gelu itself is
		// opset 20, beyond the checkers at hand.
		one := b.floats(scope, "one", nil, []float32{1})
		erf := b.op(scope, "Erf", []string{b.op(scope, "Div", []string{x, b.floats(scope, "sqrt2", nil, []float32{math.Sqrt2})})})
		half := b.op(scope, "Mul", []string{x, b.floats(scope, "half", nil, []float32{0.5})})
		return b.op(scope, "Mul", []string{half, b.op(scope, "Add", []string{one, erf})}), nil
	}
	return "", fmt.Errorf("%w: activation %q", ErrUnsupported, act)
}

// head adds the outputs: for a classifier "probabilities", float [N, C],
// and "label", the most probable class, string [N]; for a regression
// "value", float64 [N, 1], in the target's units.
func (e *exporter) head(z string) {
	b, pl := e.b, e.pipeline
	if e.model.Regression() {
		v := b.op("head", "Cast", []string{z}, intAttr("to", typeDouble))
		v = b.op("head", "Mul", []string{v, b.double("head", "std", pl.Scale.Std)})
		v = b.op("head", "Add", []string{v, b.double("head", "mean", pl.Scale.Mean)})
		b.rename(v, OutputValue)
		b.output(OutputValue, typeDouble, 0, 1)
		return
	}
	var probs string
	if e.model.Binary() {
		p1 := b.op("head", "Sigmoid", []string{z})
		p0 := b.op("head", "Sub", []string{b.floats("head", "one", nil, []float32{1}), p1})
		probs = b.op("head", "Concat", []string{p0, p1}, intAttr("axis", 1))
	} else {
		probs = b.op("head", "Softmax", []string{z}, intAttr("axis", 1))
	}
	b.rename(probs, OutputProbabilities)
	b.output(OutputProbabilities, typeFloat, 0, int64(len(pl.Classes)))
	best := b.op("head", "ArgMax", []string{probs}, intAttr("axis", 1), intAttr("keepdims", 0))
	ids := make([]int64, len(pl.Classes))
	for i := range ids {
		ids[i] = int64(i)
	}
	label := b.ml("head", "LabelEncoder", []string{best},
		intsAttr("keys_int64s", ids), stringsAttr("values_strings", pl.Classes), stringAttr("default_string", ""))
	b.rename(label, OutputLabel)
	b.output(OutputLabel, typeString, 0)
}
