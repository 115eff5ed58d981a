package runner

import (
	"fmt"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/model"
)

// BuildModelFor turns the spec's model and optimizer into the model IR for
// a problem of the given width and number of classes, with the head
// (spec.HeadMulticlass, ...): a binary head has one output, a regression
// head one output and no classes; and with the embedded columns of the
// prepared data
// (Prepared.Embeddings, Pipeline.Embeddings), whose index columns are the
// last of the inputs: the first layer reads the plain inputs and each
// table's row.
func BuildModelFor(s *spec.Spec, inputs, classes int, head string, embeddings []data.Embedding) (*model.Model, error) {
	m := &model.Model{Inputs: inputs, Classes: classes, Head: model.Head(head), Embeddings: modelEmbeddings(embeddings)}
	if head == spec.HeadRegression {
		m.Classes = 0
	}
	layers, width, err := buildLayers(&s.Model, m.EmbeddedWidth())
	if err != nil {
		return nil, err
	}
	m.Layers = append(layers, model.Layer{Kind: model.Dense, In: width, Out: m.Outputs(), Activation: model.ActNone})
	if m.Optimizer, err = buildOptimizer(s.Train.Optimizer); err != nil {
		return nil, err
	}
	m.Loss = buildLoss(s.Train.Loss, head)
	m.Optimizer.ClipNorm = s.Train.ClipNorm
	sched, err := buildSchedule(&s.Train)
	if err != nil {
		return nil, err
	}
	m.Optimizer.Schedule = sched
	return m, m.Validate()
}

// buildLayers is the IR of model.layers (none for a logistic regression)
// on inputs of the given width, and the width of their output: what the
// output layer reads.
func buildLayers(sm *spec.Model, width int) ([]model.Layer, int, error) {
	if sm.Logreg != nil {
		return nil, width, nil
	}
	var layers []model.Layer
	for i, l := range sm.Layers {
		switch {
		case l.Dense > 0:
			act := model.Activation(l.Activation)
			if act == "" {
				act = model.ActReLU
			}
			if l.BatchNorm {
				// Linear -> BatchNorm1d -> activation, PyTorch's defaults.
				layers = append(layers,
					model.Layer{Kind: model.Dense, In: width, Out: l.Dense, Activation: model.ActNone},
					model.Layer{Kind: model.BatchNorm, In: l.Dense, Out: l.Dense, Activation: act, Eps: 1e-5, Momentum: 0.1})
			} else {
				layers = append(layers, model.Layer{Kind: model.Dense, In: width, Out: l.Dense, Activation: act})
			}
			width = l.Dense
		case l.Dropout > 0:
			layers = append(layers, model.Layer{Kind: model.Dropout, In: width, Out: width, Rate: l.Dropout})
		case l.Dropout == 0 && l.Dense == 0:
			// {dropout: 0} is a no-op layer; keep the IR free of it.
		default:
			return nil, 0, fmt.Errorf("model.layers[%d]: neither dense nor dropout", i)
		}
	}
	return layers, width, nil
}

// buildOptimizer is the IR of train.optimizer.
func buildOptimizer(o spec.Optimizer) (model.Optimizer, error) {
	switch {
	case o.Adam != nil:
		return model.Optimizer{Kind: model.Adam, LR: o.Adam.LR, Beta1: o.Adam.Beta1, Beta2: o.Adam.Beta2, Eps: o.Adam.Eps, WeightDecay: o.Adam.WeightDecay}, nil
	case o.AdamW != nil:
		return model.Optimizer{Kind: model.AdamW, LR: o.AdamW.LR, Beta1: o.AdamW.Beta1, Beta2: o.AdamW.Beta2, Eps: o.AdamW.Eps, WeightDecay: o.AdamW.WeightDecay}, nil
	case o.SGD != nil:
		if o.SGD.Nesterov && o.SGD.Momentum <= 0 {
			return model.Optimizer{}, fmt.Errorf("train.optimizer.sgd: nesterov needs momentum > 0")
		}
		return model.Optimizer{Kind: model.SGD, LR: o.SGD.LR, Momentum: o.SGD.Momentum, Nesterov: o.SGD.Nesterov, WeightDecay: o.SGD.WeightDecay}, nil
	case o.RMSprop != nil:
		return model.Optimizer{Kind: model.RMSprop, LR: o.RMSprop.LR, Alpha: o.RMSprop.Alpha, Eps: o.RMSprop.Eps, Momentum: o.RMSprop.Momentum, WeightDecay: o.RMSprop.WeightDecay}, nil
	}
	return model.Optimizer{}, fmt.Errorf("train.optimizer: none set")
}

// buildLoss is the IR of train.loss for a model with head; its class
// weights depend on the training labels and are set apart (classWeights).
func buildLoss(l spec.Loss, head string) model.Loss {
	var loss model.Loss
	switch {
	case l.CrossEntropy != nil:
		loss.LabelSmoothing = l.CrossEntropy.LabelSmoothing
		if head == spec.HeadRegression {
			// The default loss of a spec whose target made it a regression.
			loss.Kind = model.LossMSE
		}
	case l.BinaryCrossEntropy != nil:
		loss.Kind = model.LossBCE
	case l.MSE != nil:
		loss.Kind = model.LossMSE
	case l.MAE != nil:
		loss.Kind = model.LossMAE
	case l.Huber != nil:
		loss.Kind, loss.Delta = model.LossHuber, l.Huber.Delta
	}
	return loss
}

// modelEmbeddings is the model IR's tables for the embedded columns of
// the data; nil for none.
func modelEmbeddings(embeddings []data.Embedding) []model.Embedding {
	var out []model.Embedding
	for _, e := range embeddings {
		out = append(out, model.Embedding{Column: e.Column, Vocab: e.Vocab, Dim: e.Dim})
	}
	return out
}

// describeEmbeddings says what each embedded column became, for the run's
// log: "state (52×4)".
func describeEmbeddings(embeddings []data.Embedding) string {
	parts := make([]string, len(embeddings))
	for i, e := range embeddings {
		parts[i] = fmt.Sprintf("%s (%d×%d)", e.Name, e.Vocab, e.Dim)
	}
	return strings.Join(parts, ", ")
}

// buildSchedule turns train.schedule and train.warmup into the IR's
// schedule; a cosine without t_max anneals over all the epochs.
func buildSchedule(t *spec.Train) (model.Schedule, error) {
	var sc model.Schedule
	if t.Schedule != nil {
		switch s := t.Schedule; {
		case s.Step != nil:
			sc = model.Schedule{Kind: model.StepDecay, StepSize: s.Step.StepSize, Gamma: s.Step.Gamma}
		case s.Cosine != nil:
			tmax := s.Cosine.TMax
			if tmax == 0 {
				tmax = t.Epochs
			}
			sc = model.Schedule{Kind: model.Cosine, TMax: tmax, EtaMin: s.Cosine.EtaMin}
		default:
			sc.Kind = model.Constant
		}
	}
	if t.Warmup != nil {
		sc.WarmupEpochs, sc.WarmupSteps = t.Warmup.Epochs, t.Warmup.Steps
	}
	if err := sc.Validate(); err != nil {
		return sc, fmt.Errorf("train: %w", err)
	}
	return sc, nil
}

// classWeights is the loss's weight per class for the class_weights of
// train.loss.cross_entropy (or binary_cross_entropy), or nil when it has
// none. "balanced" is scikit-learn's
// n_rows / (n_classes · rows of the class) over the training labels
// (a class with no training row weighs 0); a map gives a label's weight,
// and a label it does not name weighs 1.
func classWeights(s *spec.Spec, classes []string, trainY []int32) ([]float64, error) {
	var cw *spec.ClassWeights
	field := "cross_entropy"
	switch l := s.Train.Loss; {
	case l.CrossEntropy != nil:
		cw = l.CrossEntropy.ClassWeights
	case l.BinaryCrossEntropy != nil:
		cw, field = l.BinaryCrossEntropy.ClassWeights, "binary_cross_entropy"
	}
	if cw == nil {
		return nil, nil
	}
	w := make([]float64, len(classes))
	if cw.Balanced {
		counts := make([]int, len(classes))
		for _, y := range trainY {
			counts[y]++
		}
		for c, n := range counts {
			if n > 0 {
				w[c] = float64(len(trainY)) / float64(len(classes)*n)
			}
		}
		return w, nil
	}
	index := make(map[string]int, len(classes))
	for c, name := range classes {
		index[name] = c
		w[c] = 1
	}
	for label, v := range cw.ByLabel {
		c, ok := index[label]
		if !ok {
			return nil, fmt.Errorf("train.loss.%s.class_weights: no class %q (classes: %q)", field, label, classes)
		}
		w[c] = v
	}
	return w, nil
}
