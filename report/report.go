package report

import (
	"context"
	"fmt"

	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// Input is what a report is about: runs (one run, or several to compare),
// and at most one sweep.
type Input struct {
	Runs  []*store.Run
	Sweep *Sweep
}

// Sweep is a sweep with where each of its points stands (sweep.ReadPoints)
// by its metric.
type Sweep struct {
	*store.Sweep
	Metric, Mode string
	Points       []sweep.PointResult
	// Rungs are an asha sweep's rungs for a point of so many epochs
	// (spec.Sweep.Rungs); nil for another method, or where the sweep's
	// spec is not at hand: then the report shows no rungs.
	Rungs func(epochs int) []int
}

// Document is a report: a title and its sections, in order.
type Document struct {
	Title    string
	Sections []*Section
}

// Section is one part of a report: a run, a comparison, a sweep.
type Section struct {
	ID, Title string
	Blocks    []Block
}

// Block is one figure, one table or one note of a section: exactly one of
// Figure, Table and Skipped is set.
type Block struct {
	Figure *Figure
	Table  *Table
	// Skipped names a panel that has nothing to show, and why.
	Skipped *Skip
}

// Table is a grid of text with a caption.
type Table struct {
	Caption string
	Header  []string
	Rows    [][]string
	// Folded: long and seldom read first (a resolved spec, a large
	// sweep's points): the HTML shows the caption, the rows on a click.
	Folded bool
}

// Skip says which panel a report left out and why.
type Skip struct {
	Panel, Reason string
}

// Build reads what in names from st and the runs' artifacts and lays it out
// as a document. It fails only when the store cannot be read: missing data
// leaves a panel out, with a note saying why.
func Build(ctx context.Context, st *store.Store, in Input) (*Document, error) {
	doc := &Document{Title: title(in)}
	runs := make([]*runData, 0, len(in.Runs))
	for _, r := range in.Runs {
		rd, err := loadRun(ctx, st, r)
		if err != nil {
			return nil, err
		}
		runs = append(runs, rd)
	}
	if in.Sweep != nil {
		doc.Sections = append(doc.Sections, section("sweep-"+in.Sweep.ID, "Sweep "+in.Sweep.ID+" of "+in.Sweep.Experiment,
			sweepPanels(in.Sweep)))
	}
	if len(runs) > 1 {
		doc.Sections = append(doc.Sections, section("comparison", fmt.Sprintf("Comparison of %d runs", len(runs)),
			comparePanels(runs)))
	}
	for _, rd := range runs {
		doc.Sections = append(doc.Sections, section(fmt.Sprintf("run-%d", rd.run.ID), runTitle(rd.run), runPanels(rd)))
	}
	return doc, nil
}

func title(in Input) string {
	switch {
	case in.Sweep != nil:
		return "xp report: sweep " + in.Sweep.ID + " of " + in.Sweep.Experiment
	case len(in.Runs) == 1:
		return "xp report: " + runTitle(in.Runs[0])
	}
	return fmt.Sprintf("xp report: %d runs", len(in.Runs))
}

func runTitle(r *store.Run) string {
	return fmt.Sprintf("%s %s #%d", r.Experiment, r.Short(), r.ID)
}

// Figures lists every figure of the document, in order.
func (d *Document) Figures() []*Figure {
	var out []*Figure
	for _, s := range d.Sections {
		for _, b := range s.Blocks {
			if b.Figure != nil {
				out = append(out, b.Figure)
			}
		}
	}
	return out
}
