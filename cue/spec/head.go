package spec

import (
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"

	"github.com/xp-ml/xp/metric"
)

// checkHead is what Load checks of a model's head beyond the schema: a
// loss that goes with another head than model.head, and metrics that
// another head measures (accuracy on a regression, rmse on a classifier),
// each at its position. Without a head the spec decides, the target
// decides at run time, and the run checks the metrics then (CheckHeadMetrics).
func checkHead(e *Experiment) errors.Error {
	var errs errors.Error
	s := &e.Spec
	if h := s.Model.Head; h != "" {
		if lh := s.Train.Loss.Head(); lh != "" && lh != h {
			errs = errors.Append(errs, e.newError([]cue.Selector{cue.Str("train"), cue.Str("loss")},
				"loss %s goes with the %s head, not model.head %q (the %s head trains with %s)",
				s.Train.Loss.Kind(), lh, h, h, headLosses(h)))
		}
	}
	head := s.Head()
	if head == "" {
		// Regression and classification metrics cannot both apply.
		var reg, cls []int
		for i, m := range s.Metrics {
			if metric.IsRegression(m) {
				reg = append(reg, i)
			} else {
				cls = append(cls, i)
			}
		}
		if len(reg) > 0 && len(cls) > 0 {
			i := reg[0]
			others := "%s is a classification metric"
			if len(cls) > 1 {
				others = "%s are classification metrics"
			}
			errs = errors.Append(errs, e.newError([]cue.Selector{cue.Str("metrics"), cue.Index(i)},
				"%s is a regression metric, but "+others+": a model measures one kind (set model.head to say which)",
				s.Metrics[i], quoted(s.Metrics, cls)))
		}
		return errs
	}
	for i, m := range s.Metrics {
		if msg := HeadMetricError(head, m); msg != "" {
			errs = errors.Append(errs, e.newError([]cue.Selector{cue.Str("metrics"), cue.Index(i)}, "%s", msg))
		}
	}
	return errs
}

// HeadMetricError says why a head does not measure metric name, or "".
func HeadMetricError(head, name string) string {
	switch {
	case head == HeadRegression && !metric.IsRegression(name):
		return fmt.Sprintf("%s is a classification metric; a regression head measures %s", name, strings.Join(metric.RegressionNames, ", "))
	case head != HeadRegression && metric.IsRegression(name):
		return fmt.Sprintf("%s is a regression metric; a %s head measures %s", name, head, strings.Join(metric.Names, ", "))
	}
	return ""
}

// headLosses lists the losses a head trains with.
func headLosses(head string) string {
	switch head {
	case HeadBinary:
		return "binary_cross_entropy"
	case HeadRegression:
		return "mse, mae or huber"
	}
	return "cross_entropy"
}

func quoted(names []string, idx []int) string {
	var out []string
	for _, i := range idx {
		out = append(out, names[i])
	}
	return strings.Join(slices.Clip(out), ", ")
}
