package gorgonia

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/xp-ml/xp/model"
)

// addRegression makes the regression head's outputs: in training the
// loss of pred against the targets (bound to gr.targets) and the
// gradients with respect to wrt, at inference pred itself.
func (gr *graph) addRegression(pred *G.Node, m *model.Model, train bool, wrt G.Nodes) error {
	width := m.Outputs()
	if !train {
		gr.probs = tensor.New(tensor.WithShape(gr.batch, width), tensor.Of(tensor.Float32))
		G.Read(pred, &gr.probs)
		return nil
	}
	gr.targets = make([]float32, gr.batch*width)
	y := G.NewMatrix(gr.g, G.Float32, G.WithShape(gr.batch, width), G.WithName("targets"))
	if err := G.Let(y, tensor.New(tensor.WithShape(gr.batch, width), tensor.WithBacking(gr.targets))); err != nil {
		return fmt.Errorf("gorgonia: bind targets: %w", err)
	}
	diff, err := G.Sub(pred, y)
	if err != nil {
		return fmt.Errorf("gorgonia: regression: %w", err)
	}
	perElement, err := regressionLoss(diff, m.LossKind(), m.Loss.Delta)
	if err != nil {
		return fmt.Errorf("gorgonia: %s: %w", m.LossKind(), err)
	}
	loss, err := G.Mean(perElement)
	if err != nil {
		return fmt.Errorf("gorgonia: %s: mean: %w", m.LossKind(), err)
	}
	return gr.readLoss(loss, wrt)
}

// regressionLoss is each element's loss from its error d = pred - target:
// d², |d|, or Huber's d²/2 inside [-delta, delta] and delta·(|d| - delta/2)
// outside, built from a 0/1 mask of the inside (a comparison, through
// which no gradient flows) so that each side's gradient is its own.
func regressionLoss(d *G.Node, kind model.LossKind, delta float64) (*G.Node, error) {
	switch kind {
	case model.LossMSE:
		return G.Square(d)
	case model.LossMAE:
		return G.Abs(d)
	case model.LossHuber:
	default:
		return nil, fmt.Errorf("not a regression loss")
	}
	abs, err := G.Abs(d)
	if err != nil {
		return nil, err
	}
	dl := float32(delta)
	inside, err := G.Lte(abs, G.NewConstant(dl), true)
	if err != nil {
		return nil, err
	}
	sq, err := G.Square(d)
	if err != nil {
		return nil, err
	}
	half, err := G.Mul(sq, G.NewConstant(float32(0.5)))
	if err != nil {
		return nil, err
	}
	shifted, err := G.Sub(abs, G.NewConstant(0.5*dl))
	if err != nil {
		return nil, err
	}
	linear, err := G.Mul(shifted, G.NewConstant(dl))
	if err != nil {
		return nil, err
	}
	// inside·half + (1 - inside)·linear
	in, err := G.HadamardProd(inside, half)
	if err != nil {
		return nil, err
	}
	outside, err := G.Sub(G.NewConstant(float32(1)), inside)
	if err != nil {
		return nil, err
	}
	out, err := G.HadamardProd(outside, linear)
	if err != nil {
		return nil, err
	}
	return G.Add(in, out)
}
