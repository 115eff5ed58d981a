package data

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
)

// Matrix is one split as a trainer reads it.
type Matrix struct {
	X []float32 // N*D, row-major
	Y []int32   // class ids, index into Prepared.Classes; nil for regression
	// T is a regression's target, standardized by Prepared.Scale (what the
	// model learns), and Target the same in the target's own units (what
	// metrics compare with); both nil for classification.
	T      []float32
	Target []float64
	N, D   int
}

// Prepared is a frame turned into training matrices.
type Prepared struct {
	Features []string // encoded column names: "Age", "Home=rent"
	Classes  []string // class labels; Y values index them (none for regression)
	// Task is classification or regression; Scale standardizes a
	// regression target.
	Task  Task
	Scale TargetScale

	Train, Val, Test Matrix

	// The frame rows behind each matrix row, in order, so a prediction or an
	// error can be traced to its source line (Frame.Line[TestRows[i]]).
	// With a test source, TestRows index the test frame.
	TrainRows, ValRows, TestRows []int

	Pipeline *Pipeline
	// Embeddings are the embedded columns, Pipeline.Embeddings(): their
	// index features are the last columns of every matrix.
	Embeddings []Embedding
	Report     []RuleReport
	// Notes say where the encoding differs from what the spec asked, for
	// the run's log.
	Notes []string

	// DroppedTarget is the number of rows dropped because their target was
	// missing; no split sees them.
	DroppedTarget int
}

// Prepare turns f into training, validation and test matrices as d says.
//
// The split comes first and everything learned from data is learned from the
// training split alone: fill_na statistics, clip quantiles, standardization
// and categories. Cleaning first would let the test rows' values shape the
// mean or median that fills a training row, and the test score would then
// measure a model that has, in a small way, seen its test set. Rows are
// dealt to splits before any rule runs, and each rule then acts on each
// split.
//
// The one exception is data.prepare: rules that drop rows by each row's
// own values and fit nothing (drop_duplicates, drop_na, filter) may run
// on all the rows before the split, so that a row and its duplicate do
// not land in train and test at once.
//
// Steps: drop rows with no target (DroppedTarget); run data.prepare on
// the rest (prepareRows, reported with Stage "prepare"); split (see splitRows);
// run the cleaning rules in order (each fitted on the training split as the
// rules before it left it, and reported); fit the encoding on the training
// split; encode all three splits. Classes are the sorted labels of the
// target over all splits after cleaning. Spec errors are *spec.FieldError.
//
// The same inputs give bit-identical outputs.
func Prepare(f *Frame, d spec.Data) (*Prepared, error) {
	return PrepareSources(f, nil, d)
}

// PrepareSources is Prepare with the test rows from their own frame (the
// spec's test_source) when test is not nil: f's rows are then split into
// train and validation only, and test's rows, all of them but those without
// a target, are the test split. test must have f's columns (more are
// ignored); a column that holds numbers in one and text in the other is
// text in both.
func PrepareSources(f, test *Frame, d spec.Data) (*Prepared, error) {
	return PrepareTask(f, test, d, TaskClassification)
}

// PrepareTask is PrepareSources for a task. For TaskRegression the target
// must be numeric; the split is not stratified (there are no classes to
// stratify by), and the target is standardized with the mean and
// population standard deviation of the training split after cleaning
// (Prepared.Scale, saved in the Pipeline).
func PrepareTask(f, test *Frame, d spec.Data, task Task) (*Prepared, error) {
	regression := task == TaskRegression
	if regression {
		d.Split.Stratify = false
	}
	if test != nil {
		d.Split.Test = 0
	}
	if err := checkSplit(d.Split); err != nil {
		return nil, err
	}
	offset := f.Len()
	if test != nil {
		if test.index(d.Target) < 0 {
			_, err := test.Col(d.Target)
			return nil, &spec.FieldError{Field: "data.test_source", Err: err}
		}
		var err error
		if f, err = concat(f, test); err != nil {
			return nil, &spec.FieldError{Field: "data.test_source", Err: err}
		}
	}
	ti := f.index(d.Target)
	if ti < 0 {
		_, err := f.Col(d.Target)
		return nil, &spec.FieldError{Field: "data.target", Err: err}
	}
	target := f.Cols[ti]
	if regression && !target.Numeric {
		return nil, fieldErrorf("data.target", ErrTextTarget, "column %q holds text; a regression target must be numeric", d.Target)
	}
	labels := targetLabels(target)
	var rows, testRows []int
	dropped := 0
	for i, miss := range target.Missing {
		switch {
		case miss:
			dropped++
		case i >= offset:
			testRows = append(testRows, i)
		default:
			rows = append(rows, i)
		}
	}
	rows, testRows, prepared, err := prepareRows(f, d, rows, testRows)
	if err != nil {
		return nil, err
	}
	if classes := classList(target, labels, rows); len(classes) < 2 && !regression {
		if len(prepared) > 0 {
			return nil, fieldErrorf("data.prepare", ErrTooFewClasses, "after data.prepare, column %q has %s; a classifier needs at least 2",
				d.Target, describeClasses(classes))
		}
		return nil, fieldErrorf("data.target", ErrTooFewClasses, "column %q has %s; a classifier needs at least 2",
			d.Target, describeClasses(classes))
	}

	splits := splitRows(rows, labels, d.Split)
	if test != nil {
		splits[splitTest] = testRows
	}
	if len(splits[splitTrain]) == 0 {
		return nil, fieldErrorf("data.split", ErrEmptyTrain, "test %v and validation %v of %d rows leave none to train on",
			d.Split.Test, d.Split.Validation, len(rows))
	}
	w := newWorkspace(f, splits)
	w.target = d.Target
	report := slices.Grow(prepared, len(d.Clean)+2)
	for i, r := range d.Clean {
		rep, err := w.apply(i, r)
		if err != nil {
			return nil, err
		}
		report = append(report, rep)
	}

	var classes []string
	var scale TargetScale
	if regression {
		var err error
		if scale, err = fitTargetScale(target, w.splits[splitTrain], d.Target); err != nil {
			return nil, err
		}
	} else if classes = classList(target, labels, w.splits[:]...); len(classes) < 2 {
		return nil, fieldErrorf("data.clean", ErrTooFewClasses, "after cleaning, column %q has %s; a classifier needs at least 2",
			d.Target, describeClasses(classes))
	}
	p, notes, err := fit(w, classes, d.Features)
	if err != nil {
		return nil, err
	}
	if regression {
		p.Task, p.Scale = TaskRegression, &scale
	}
	features := make([]*Column, len(p.Columns))
	for k, enc := range p.Columns {
		features[k] = w.cols[w.index(enc.Name)]
	}
	ids := classIDs(classes)
	counts := newEncodeCounts(len(p.Columns))
	plan := p.plan()
	var m [numSplits]Matrix
	for s, rs := range w.splits {
		if regression {
			m[s] = p.encode(plan, features, rs, nil, counts)
			m[s].T, m[s].Target = scale.scale(target, rs)
			continue
		}
		y := make([]int32, len(rs))
		for i, r := range rs {
			y[i] = ids[labels[r]]
		}
		m[s] = p.encode(plan, features, rs, y, counts)
	}
	report = append(report, encodeReports(p, counts)...)

	testIdx := w.splits[splitTest]
	if test != nil {
		testIdx = make([]int, len(w.splits[splitTest]))
		for i, r := range w.splits[splitTest] {
			testIdx[i] = r - offset
		}
	}
	return &Prepared{
		Features:      p.Features,
		Classes:       classes,
		Task:          task,
		Scale:         scale,
		Train:         m[splitTrain],
		Val:           m[splitVal],
		Test:          m[splitTest],
		TrainRows:     w.splits[splitTrain],
		ValRows:       w.splits[splitVal],
		TestRows:      testIdx,
		Pipeline:      p,
		Embeddings:    p.Embeddings(),
		Report:        report,
		Notes:         notes,
		DroppedTarget: dropped,
	}, nil
}

// prepareRows runs data.prepare on the rows with a target, all of them as
// one group before the split: the source's rows, then test_source's
// (testRows, which stay the test split), so a row equal to an earlier one
// is dropped wherever the two fall. What is left of each is returned.
func prepareRows(f *Frame, d spec.Data, rows, testRows []int) (kept, keptTest []int, report []RuleReport, err error) {
	if len(d.Prepare) == 0 {
		return rows, testRows, nil, nil
	}
	isTest := make(map[int]bool, len(testRows))
	for _, r := range testRows {
		isTest[r] = true
	}
	w := newWorkspace(f, [numSplits][]int{splitTrain: slices.Concat(rows, testRows)})
	w.stage, w.target = stagePrepare, d.Target
	for i, r := range d.Prepare {
		rep, err := w.apply(i, r)
		if err != nil {
			return nil, nil, nil, err
		}
		report = append(report, rep)
	}
	for _, r := range w.splits[splitTrain] {
		if isTest[r] {
			keptTest = append(keptTest, r)
		} else {
			kept = append(kept, r)
		}
	}
	return kept, keptTest, report, nil
}

// concat is a frame of a's rows then b's, with a's columns in a's order;
// b's other columns are left out. A column numeric in one and text in the
// other becomes text.
func concat(a, b *Frame) (*Frame, error) {
	out := &Frame{Path: a.Path, Names: a.Names, Line: slices.Concat(a.Line, b.Line)}
	for j, name := range a.Names {
		k := b.index(name)
		if k < 0 {
			return nil, errorf(ErrColumnNotFound, "%s has no column %q, which %s has%s",
				filepath.Base(b.Path), name, filepath.Base(a.Path), didYouMean(name, b.Names))
		}
		ca, cb := a.Cols[j], b.Cols[k]
		if ca.Numeric != cb.Numeric {
			if ca.Numeric {
				ca = asText(ca)
			} else {
				cb = asText(cb)
			}
		}
		c := &Column{Name: name, Numeric: ca.Numeric, Missing: slices.Concat(ca.Missing, cb.Missing)}
		if c.Numeric {
			c.Num = slices.Concat(ca.Num, cb.Num)
		} else {
			c.Str = slices.Concat(ca.Str, cb.Str)
		}
		out.Cols = append(out.Cols, c)
	}
	return out, nil
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
		{"other_category", "rare, unseen or missing categories encoded as the shared other input (an embedding's last row)", counts.other},
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
