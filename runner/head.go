package runner

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/metric"
	"github.com/xp-ml/xp/model"
)

// ResolveHead is the head a run trains: the one its spec decides
// (model.head, or its loss's), else the one its target asks for
// (data.DetectTask): regression for a regression target, multiclass
// otherwise.
func ResolveHead(s *spec.Spec, task data.Task) string {
	if h := s.Head(); h != "" {
		return h
	}
	if task == data.TaskRegression {
		return spec.HeadRegression
	}
	return spec.HeadMulticlass
}

// effectiveSpec is exp's spec for training with head. A spec whose head
// came from its target (no model.head, and the plain cross_entropy an
// absent loss resolves to) takes the regression head's defaults where it
// left the multiclass ones: mse for cross_entropy, rmse, mae and r2 for
// the default metrics. A loss or metric that does not go with the head is
// a *spec.FieldError at its position.
func effectiveSpec(exp *spec.Experiment, head string) (*spec.Spec, error) {
	s := exp.Spec
	s.Metrics = slices.Clone(s.Metrics)
	fromTarget := s.Head() == ""
	if head == spec.HeadRegression && fromTarget {
		if ce := s.Train.Loss.CrossEntropy; ce != nil && ce.ClassWeights == nil && ce.LabelSmoothing == 0 {
			s.Train.Loss = spec.Loss{MSE: &struct{}{}}
		}
		if slices.Equal(s.Metrics, spec.DefaultMetrics) {
			s.Metrics = slices.Clone(spec.DefaultRegressionMetrics)
		}
	}
	if lh := s.Train.Loss.Head(); lh != head {
		why := fmt.Errorf("loss %s goes with the %s head, but the target %q makes this a %s model; set model.head or another loss",
			s.Train.Loss.Kind(), lh, s.Data.Target, head)
		return nil, exp.FieldError("train.loss", why)
	}
	for i, name := range s.Metrics {
		if msg := spec.HeadMetricError(head, name); msg != "" {
			field := fmt.Sprintf("metrics[%d]", i)
			if fromTarget {
				msg += fmt.Sprintf(" (the target %q made it a %s model; set model.head to choose)", s.Data.Target, head)
			}
			return nil, exp.FieldError(field, fmt.Errorf("%s", msg))
		}
	}
	return &s, nil
}

// scorer evaluates a trained model on a split as the head reads it: class
// probabilities and classification metrics, or predictions mapped back to
// the target's units and regression metrics.
type scorer struct {
	m     *model.Model
	k     int // classes; 0 for regression
	scale data.TargetScale
	names []string
}

// evaluate returns the metrics of names plus "loss" on split b (the
// training loss, on the standardized target for a regression; the
// unweighted log loss for a classifier), and what Predict gave.
func (sc *scorer) evaluate(ctx context.Context, tr backends.Trainer, b data.Matrix) (map[string]float64, []float32, error) {
	w := sc.m.PredictWidth()
	out := make([]float32, b.N*w)
	if err := tr.Predict(ctx, batches(b), out); err != nil {
		return nil, nil, err
	}
	if !sc.m.Regression() {
		res, err := metric.Compute(sc.names, out, b.Y, sc.k)
		if err != nil {
			return nil, nil, err
		}
		res["loss"] = metric.LogLoss(out, b.Y, sc.k)
		return res, out, nil
	}
	pred := make([]float64, len(out))
	for i, v := range out {
		pred[i] = sc.scale.Unscale(v)
	}
	res, err := metric.Regression(sc.names, pred, b.Target)
	if err != nil {
		return nil, nil, err
	}
	res["loss"] = regressionLoss(sc.m.LossKind(), sc.m.Loss.Delta, out, b.T)
	return res, out, nil
}

// regressionLoss is the mean of a regression loss over pred and t, in
// float64: the quantity the trainer reports for an epoch.
func regressionLoss(kind model.LossKind, delta float64, pred, t []float32) float64 {
	if len(pred) == 0 {
		return math.NaN()
	}
	var sum float64
	for i, p := range pred {
		d := float64(p) - float64(t[i])
		switch a := math.Abs(d); kind {
		case model.LossMAE:
			sum += a
		case model.LossHuber:
			if a <= delta {
				sum += 0.5 * d * d
			} else {
				sum += delta * (a - 0.5*delta)
			}
		default:
			sum += d * d
		}
	}
	return sum / float64(len(pred))
}
