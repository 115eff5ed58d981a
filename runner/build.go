package runner

import (
	"fmt"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/model"
)

// BuildModel turns the spec's model and optimizer into the model IR for a
// problem of the given width and number of classes.
func BuildModel(s *spec.Spec, inputs, classes int) (*model.Model, error) {
	m := &model.Model{Inputs: inputs, Classes: classes}
	width := inputs
	if s.Model.Logreg == nil {
		for i, l := range s.Model.Layers {
			switch {
			case l.Dense > 0:
				act := model.Activation(l.Activation)
				if act == "" {
					act = model.ActReLU
				}
				m.Layers = append(m.Layers, model.Layer{Kind: model.Dense, In: width, Out: l.Dense, Activation: act})
				width = l.Dense
			case l.Dropout > 0:
				m.Layers = append(m.Layers, model.Layer{Kind: model.Dropout, In: width, Out: width, Rate: l.Dropout})
			case l.Dropout == 0 && l.Dense == 0:
				// {dropout: 0} is a no-op layer; keep the IR free of it.
			default:
				return nil, fmt.Errorf("model.layers[%d]: neither dense nor dropout", i)
			}
		}
	}
	m.Layers = append(m.Layers, model.Layer{Kind: model.Dense, In: width, Out: classes, Activation: model.ActNone})

	switch o := s.Train.Optimizer; {
	case o.Adam != nil:
		m.Optimizer = model.Optimizer{Kind: model.Adam, LR: o.Adam.LR, Beta1: o.Adam.Beta1, Beta2: o.Adam.Beta2, Eps: o.Adam.Eps, WeightDecay: o.Adam.WeightDecay}
	case o.SGD != nil:
		m.Optimizer = model.Optimizer{Kind: model.SGD, LR: o.SGD.LR, Momentum: o.SGD.Momentum, WeightDecay: o.SGD.WeightDecay}
	default:
		return nil, fmt.Errorf("train.optimizer: none set")
	}
	return m, m.Validate()
}
