package data

import (
	"fmt"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
)

// Matrix is one split as a trainer reads it.
type Matrix struct {
	X    []float32 // N*D, row-major
	Y    []int32   // class ids, index into Prepared.Classes
	N, D int
}

// Prepared is a frame turned into training matrices.
type Prepared struct {
	Features []string // encoded column names: "Age", "Home=rent"
	Classes  []string // class labels; Y values index them

	Train, Val, Test Matrix

	// The frame rows behind each matrix row, in order, so a prediction or an
	// error can be traced to its source line (Frame.Line[TestRows[i]]).
	TrainRows, ValRows, TestRows []int

	Pipeline *Pipeline
	Report   []RuleReport

	// DroppedTarget is the number of rows dropped because their target was
	// missing; no split sees them.
	DroppedTarget int
}

// Prepare turns f into training, validation and test matrices as d says.
//
// The split comes first and everything learned from data is learned from the
// training split alone: fill_na statistics, standardization and categories.
// Cleaning first would let the test rows' values shape the mean or median
// that fills a training row, and the test score would then measure a model
// that has, in a small way, seen its test set. Rows are dealt to splits
// before any rule runs, and each rule then acts on each split.
//
// Steps: drop rows with no target (DroppedTarget); split (see splitRows);
// run the cleaning rules in order (each fitted on the training split as the
// rules before it left it, and reported); fit the encoding on the training
// split; encode all three splits. Classes are the sorted labels of the
// target over all splits after cleaning. Spec errors are *FieldError.
//
// The same inputs give bit-identical outputs.
func Prepare(f *Frame, d spec.Data) (*Prepared, error) {
	if err := checkSplit(d.Split); err != nil {
		return nil, err
	}
	ti := f.index(d.Target)
	if ti < 0 {
		_, err := f.Col(d.Target)
		return nil, &FieldError{Field: "data.target", Err: err}
	}
	target := f.Cols[ti]
	labels := targetLabels(target)
	rows := make([]int, 0, f.Len())
	dropped := 0
	for i, miss := range target.Missing {
		if miss {
			dropped++
			continue
		}
		rows = append(rows, i)
	}
	if classes := classList(target, labels, rows); len(classes) < 2 {
		return nil, fieldErrorf("data.target", ErrTooFewClasses, "column %q has %s; a classifier needs at least 2",
			d.Target, describeClasses(classes))
	}

	splits := splitRows(rows, labels, d.Split)
	if len(splits[splitTrain]) == 0 {
		return nil, fieldErrorf("data.split", ErrEmptyTrain, "test %v and validation %v of %d rows leave none to train on",
			d.Split.Test, d.Split.Validation, len(rows))
	}
	w := newWorkspace(f, splits)
	report := make([]RuleReport, 0, len(d.Clean)+2)
	for i, r := range d.Clean {
		rep, err := w.apply(i, r)
		if err != nil {
			return nil, err
		}
		report = append(report, rep)
	}

	classes := classList(target, labels, w.splits[:]...)
	if len(classes) < 2 {
		return nil, fieldErrorf("data.clean", ErrTooFewClasses, "after cleaning, column %q has %s; a classifier needs at least 2",
			d.Target, describeClasses(classes))
	}
	p, err := fit(w, ti, classes)
	if err != nil {
		return nil, err
	}
	features := make([]*Column, len(p.Columns))
	for k, enc := range p.Columns {
		features[k] = w.cols[f.index(enc.Name)]
	}
	ids := classIDs(classes)
	counts := newEncodeCounts(len(p.Columns))
	var m [numSplits]Matrix
	for s, rs := range w.splits {
		y := make([]int32, len(rs))
		for i, r := range rs {
			y[i] = ids[labels[r]]
		}
		m[s] = p.encode(features, rs, y, counts)
	}
	report = append(report, encodeReports(p, counts)...)

	return &Prepared{
		Features:      p.Features,
		Classes:       classes,
		Train:         m[splitTrain],
		Val:           m[splitVal],
		Test:          m[splitTest],
		TrainRows:     w.splits[splitTrain],
		ValRows:       w.splits[splitVal],
		TestRows:      w.splits[splitTest],
		Pipeline:      p,
		Report:        report,
		DroppedTarget: dropped,
	}, nil
}

func describeClasses(classes []string) string {
	if len(classes) == 0 {
		return "no values"
	}
	return fmt.Sprintf("only the class %q", classes[0])
}

// encodeReports says what encoding made up, if anything, column by column.
func encodeReports(p *Pipeline, counts *encodeCounts) []RuleReport {
	var out []RuleReport
	for _, r := range []struct {
		kind, what string
		n          []int
	}{
		{"impute", "missing numbers set to the training mean", counts.imputed},
		{"unknown_category", "missing or unseen categories encoded as all zeros", counts.unknown},
	} {
		total := 0
		var parts []string
		for k, n := range r.n {
			if n > 0 {
				total += n
				parts = append(parts, fmt.Sprintf("%s %d", p.Columns[k].Name, n))
			}
		}
		if total > 0 {
			out = append(out, RuleReport{
				Index:        -1,
				Kind:         r.kind,
				ValuesFilled: total,
				Detail:       fmt.Sprintf("%d %s: %s", total, r.what, strings.Join(parts, ", ")),
			})
		}
	}
	return out
}
