package runner

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/metric"
	"github.com/xp-ml/xp/model"
)

// earlyStop follows train.early_stopping: after each epoch it is shown the
// epoch's metrics; it keeps a copy of the parameters of the best epoch and
// says when patience has run out. An epoch improves on the best when its
// value is below best - min_delta (mode min) or above best + min_delta
// (mode max), as Keras and Lightning define it; a NaN never improves.
type earlyStop struct {
	split, name string // "validation" or "train", and the metric
	lower       bool
	patience    int
	minDelta    float64

	best      float64
	bestEpoch int // 0 until an epoch has a finite value
	params    *model.Params
	metrics   map[string]float64 // the best epoch's validation metrics
	stale     int                // epochs since the best
}

// newEarlyStop returns nil when the spec asks for no early stopping.
// hasValidation says whether the run has validation rows.
func newEarlyStop(s *spec.Spec, hasValidation bool) (*earlyStop, error) {
	es := s.Train.EarlyStopping
	if es == nil {
		return nil, nil
	}
	split, name, ok := strings.Cut(es.Metric, ".")
	if !ok {
		return nil, fmt.Errorf("train.early_stopping.metric: %q is not <split>.<metric>", es.Metric)
	}
	switch split {
	case "val", "validation":
		split = "validation"
		if !hasValidation {
			return nil, fmt.Errorf("train.early_stopping.metric: %q needs a validation split (data.split.validation > 0)", es.Metric)
		}
		if name != "loss" && !slices.Contains(s.Metrics, name) {
			return nil, fmt.Errorf("train.early_stopping.metric: %q is not computed; metrics are %q (and loss)", name, s.Metrics)
		}
	case "train":
		if name != "loss" {
			return nil, fmt.Errorf("train.early_stopping.metric: the train split has only \"loss\", not %q", name)
		}
	default:
		return nil, fmt.Errorf("train.early_stopping.metric: unknown split %q", split)
	}
	lower := metric.Lower(name)
	switch es.Mode {
	case "min":
		lower = true
	case "max":
		lower = false
	}
	patience := es.Patience
	if patience <= 0 {
		patience = 5
	}
	return &earlyStop{split: split, name: name, lower: lower, patience: patience, minDelta: es.MinDelta}, nil
}

// observe records an epoch's value (taken from its train loss or its
// validation metrics); params is called to copy the parameters only when
// the epoch is the new best. It reports whether training should stop.
func (e *earlyStop) observe(epoch int, trainLoss float64, validation map[string]float64, params func() *model.Params) bool {
	v := trainLoss
	if e.split == "validation" {
		v = validation[e.name]
	}
	improved := false
	switch {
	case math.IsNaN(v):
	case e.bestEpoch == 0:
		improved = true
	case e.lower:
		improved = v < e.best-e.minDelta
	default:
		improved = v > e.best+e.minDelta
	}
	if improved {
		e.best, e.bestEpoch, e.stale = v, epoch, 0
		e.params, e.metrics = params(), validation
		return false
	}
	e.stale++
	return e.stale >= e.patience
}

// metricName is the metric as the store names it, "validation.auc".
func (e *earlyStop) metricName() string { return e.split + "." + e.name }
