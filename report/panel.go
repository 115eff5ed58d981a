package report

import (
	"errors"
	"fmt"
)

// panel is one kind of figure or table of a report, made with its data: a
// run's curves, a comparison's spec differences, a sweep's parallel
// coordinates. build returns its blocks, or a *skipError saying why it has
// none.
type panel interface {
	name() string
	build() ([]Block, error)
}

// skipError is why a panel has nothing to show.
type skipError struct{ reason string }

func (e *skipError) Error() string { return e.reason }

// errNotApplicable is a panel that does not apply to its data (a ROC curve
// of a regression): it is left out without a note.
var errNotApplicable = errors.New("not applicable")

func skip(format string, args ...any) error {
	return &skipError{reason: fmt.Sprintf(format, args...)}
}

// section builds each panel in order; a panel that cannot be drawn
// becomes a note naming it and why, so a report never silently lacks a
// figure.
func section(id, title string, panels []panel) *Section {
	s := &Section{ID: id, Title: title}
	for _, p := range panels {
		blocks, err := p.build()
		var se *skipError
		switch {
		case errors.Is(err, errNotApplicable):
		case errors.As(err, &se):
			s.Blocks = append(s.Blocks, Block{Skipped: &Skip{Panel: p.name(), Reason: se.reason}})
		case err != nil:
			s.Blocks = append(s.Blocks, Block{Skipped: &Skip{Panel: p.name(), Reason: err.Error()}})
		default:
			s.Blocks = append(s.Blocks, blocks...)
		}
	}
	return s
}

// runPanels are the panels of one run's section.
func runPanels(r *runData) []panel {
	panels := []panel{summaryPanel{r}, metricsPanel{r}, curvesPanel{r}}
	if r.preds == nil && r.conf == nil {
		// One note for every figure of the test split, not one each.
		return append(panels, testSplitPanel{r})
	}
	return append(panels, confusionPanel{r}, rocPanel{r}, prPanel{r}, calibrationPanel{r}, regressionPanel{r})
}

// testSplitPanel stands for the figures of a run's test split when it has
// none of the artifacts they are drawn from.
type testSplitPanel struct{ r *runData }

func (testSplitPanel) name() string {
	return "test split figures (confusion matrix, ROC, precision-recall, calibration, predicted vs actual)"
}

func (p testSplitPanel) build() ([]Block, error) { return nil, p.r.predsErr }

// comparePanels are the panels of a comparison of several runs.
func comparePanels(runs []*runData) []panel {
	return []panel{specDiffPanel{runs}, deltasPanel{runs}, overlayPanel{runs}}
}

// sweepPanels are the panels of a sweep.
func sweepPanels(sw *Sweep) []panel {
	panels := []panel{sweepTablePanel{sw}}
	if sw.Rungs != nil {
		panels = append(panels, rungsPanel{sw})
	}
	return append(panels, parallelPanel{sw}, paramsPanel{sw})
}
