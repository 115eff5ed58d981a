package data

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
)

// PipelineVersion is the version of the Pipeline's JSON form; a reader that
// meets another version refuses it rather than guess.
const PipelineVersion = 1

// NoClass is the label Transform gives a row whose target is missing.
const NoClass int32 = -1

// How a column becomes features.
const (
	EncodeStandardize = "standardize" // (x - Mean) / Std, one feature
	EncodeOneHot      = "onehot"      // one 0/1 feature per category
)

// Pipeline is everything Prepare fitted on the training split, enough to
// encode new rows exactly as the training rows were encoded. It is saved
// with a run (as JSON) so `xp predict` scores new files the same way.
type Pipeline struct {
	Version  int              `json:"version"`
	Target   string           `json:"target"`
	Classes  []string         `json:"classes"` // index = class id
	Fills    []Fill           `json:"fills"`   // fill_na rules, in spec order
	Columns  []ColumnEncoding `json:"columns"` // feature columns, in file order
	Features []string         `json:"features"`
}

// ColumnEncoding is how one column of the file becomes features.
type ColumnEncoding struct {
	Name       string   `json:"name"`
	Encoding   string   `json:"encoding"` // EncodeStandardize or EncodeOneHot
	Mean       float64  `json:"mean,omitempty"`
	Std        float64  `json:"std,omitempty"`
	Categories []string `json:"categories,omitempty"` // sorted
}

// fit builds the pipeline from the cleaned training split: numeric columns
// are standardized with their training mean and population standard
// deviation (1 where that is 0, so a constant column encodes as 0), string
// columns are one-hot over their sorted training categories.
func fit(w *workspace, target int, classes []string) (*Pipeline, error) {
	p := &Pipeline{
		Version: PipelineVersion,
		Target:  w.f.Names[target],
		Classes: classes,
		Fills:   w.fills,
	}
	train := w.splits[splitTrain]
	for j, c := range w.cols {
		if j == target {
			continue
		}
		if c.Numeric {
			mean, std := meanStd(c, train)
			if math.IsInf(mean, 0) || math.IsInf(std, 0) {
				return nil, fmt.Errorf("standardize %s: its values overflow float64 arithmetic", c.Name)
			}
			p.Columns = append(p.Columns, ColumnEncoding{Name: c.Name, Encoding: EncodeStandardize, Mean: mean, Std: std})
			p.Features = append(p.Features, c.Name)
			continue
		}
		seen := map[string]bool{}
		for _, r := range train {
			if !c.Missing[r] {
				seen[c.Str[r]] = true
			}
		}
		cats := sortedKeys(seen)
		p.Columns = append(p.Columns, ColumnEncoding{Name: c.Name, Encoding: EncodeOneHot, Categories: cats})
		for _, cat := range cats {
			p.Features = append(p.Features, c.Name+"="+cat)
		}
	}
	if len(p.Features) == 0 {
		return nil, fmt.Errorf("%s: no features: every column but the target %q is empty in the training split", filepath.Base(w.f.Path), p.Target)
	}
	return p, nil
}

// meanStd is the mean and population standard deviation of c over rows,
// two-pass for accuracy. A column with no values there has nothing to
// learn from: 0 and 1, so whatever it holds elsewhere passes unscaled.
func meanStd(c *Column, rows []int) (float64, float64) {
	var sum float64
	n := 0
	for _, r := range rows {
		if !c.Missing[r] {
			sum += c.Num[r]
			n++
		}
	}
	if n == 0 {
		return 0, 1
	}
	mean := sum / float64(n)
	var ss float64
	for _, r := range rows {
		if !c.Missing[r] {
			d := c.Num[r] - mean
			ss += d * d
		}
	}
	std := math.Sqrt(ss / float64(n))
	if std == 0 {
		std = 1
	}
	return mean, std
}

// encodeCounts counts, per pipeline column, the values encode made up.
type encodeCounts struct {
	imputed []int // missing numbers encoded as the training mean
	unknown []int // missing or unseen categories encoded as all zeros
}

func newEncodeCounts(n int) *encodeCounts {
	return &encodeCounts{imputed: make([]int, n), unknown: make([]int, n)}
}

// encode writes rows of cols (one per p.Columns, already filled) as a
// matrix. Prepare and Transform both come through here, which is what makes
// their outputs bit for bit the same. Statistics are float64; only the
// result is rounded to float32.
func (p *Pipeline) encode(cols []*Column, rows []int, y []int32, counts *encodeCounts) Matrix {
	d := len(p.Features)
	m := Matrix{X: make([]float32, len(rows)*d), Y: y, N: len(rows), D: d}
	off := 0
	for k, enc := range p.Columns {
		c := cols[k]
		switch enc.Encoding {
		case EncodeStandardize:
			for i, r := range rows {
				if c.Missing[r] {
					counts.imputed[k]++ // the training mean, which standardizes to 0
					continue
				}
				m.X[i*d+off] = float32((c.Num[r] - enc.Mean) / enc.Std)
			}
			off++
		case EncodeOneHot:
			index := make(map[string]int, len(enc.Categories))
			for i, cat := range enc.Categories {
				index[cat] = i
			}
			for i, r := range rows {
				if !c.Missing[r] {
					if j, ok := index[c.Str[r]]; ok {
						m.X[i*d+off+j] = 1
						continue
					}
				}
				counts.unknown[k]++
			}
			off += len(enc.Categories)
		}
	}
	return m
}

// Transform encodes every row of f as training did: the fitted fill_na
// values, then the fitted standardization and one-hot encoding. It drops no
// rows (drop_na, filter and drop_duplicates choose training rows; scoring
// wants one output per input row), so Matrix row i is f's row i; a value
// that is still missing encodes as the training mean (numbers) or as all
// zeros (categories). Columns are matched by name; extra columns are
// ignored. Y is nil when f has no target column, and NoClass for rows whose
// target is missing; a target value that was never a class is an error.
func (p *Pipeline) Transform(f *Frame) (Matrix, error) {
	if err := p.check(); err != nil {
		return Matrix{}, fmt.Errorf("transform %s: %w", f.Path, err)
	}
	cols := slices.Clone(f.Cols)
	owned := make([]bool, len(cols))
	// Give each column the type it had in training before anything reads it.
	conform := func(j int, numeric bool) error {
		c := cols[j]
		switch {
		case c.Numeric == numeric:
			return nil
		case numeric:
			for i, v := range c.Str {
				if _, kind := classify([]byte(v)); kind == cellText {
					return errorf(ErrType, "%s:%d: column %q held numbers in training, but here it has %q",
						f.Path, f.Line[i], c.Name, c.Str[i])
				}
			}
			return errorf(ErrType, "%s: column %q held numbers in training, but here it holds text", f.Path, c.Name)
		}
		// Training saw text, this file numbers only (codes such as 1, 2, 3):
		// read them back as the text they most likely were.
		cols[j], owned[j] = asText(c), true
		return nil
	}
	for _, fill := range p.Fills {
		j := f.index(fill.Column)
		if j < 0 {
			if fill.Column == p.Target {
				continue // the target is optional and never a feature
			}
			return Matrix{}, p.missingColumn(f, fill.Column)
		}
		if err := conform(j, fill.Numeric); err != nil {
			return Matrix{}, fmt.Errorf("transform: %w", err)
		}
		for i, miss := range cols[j].Missing {
			if miss {
				if !owned[j] {
					cols[j], owned[j] = cols[j].clone(), true
				}
				fill.apply(cols[j], i)
			}
		}
	}
	features := make([]*Column, len(p.Columns))
	for k, enc := range p.Columns {
		j := f.index(enc.Name)
		if j < 0 {
			return Matrix{}, p.missingColumn(f, enc.Name)
		}
		if err := conform(j, enc.Encoding == EncodeStandardize); err != nil {
			return Matrix{}, fmt.Errorf("transform: %w", err)
		}
		features[k] = cols[j]
	}
	rows := make([]int, f.Len())
	for i := range rows {
		rows[i] = i
	}
	var y []int32
	if j := f.index(p.Target); j >= 0 {
		ids := classIDs(p.Classes)
		y = make([]int32, f.Len())
		c := f.Cols[j]
		for i := range y {
			if c.Missing[i] {
				y[i] = NoClass
				continue
			}
			id, ok := ids[c.text(i)]
			if !ok {
				return Matrix{}, errorf(ErrUnknownClass, "transform: %s:%d: %s %q is not one of the training classes %s",
					f.Path, f.Line[i], p.Target, c.text(i), quoteList(p.Classes))
			}
			y[i] = id
		}
	}
	return p.encode(features, rows, y, newEncodeCounts(len(p.Columns))), nil
}

// check rejects a pipeline that encode could not follow; it may have been
// read from a file.
func (p *Pipeline) check() error {
	if p.Version != PipelineVersion {
		return fmt.Errorf("pipeline version %d, this xp reads version %d", p.Version, PipelineVersion)
	}
	width := 0
	for _, enc := range p.Columns {
		switch enc.Encoding {
		case EncodeStandardize:
			if !(enc.Std > 0) || math.IsInf(enc.Std, 0) || math.IsNaN(enc.Mean) || math.IsInf(enc.Mean, 0) {
				return fmt.Errorf("pipeline column %q: mean %v, std %v cannot standardize", enc.Name, enc.Mean, enc.Std)
			}
			width++
		case EncodeOneHot:
			width += len(enc.Categories)
		default:
			return fmt.Errorf("pipeline column %q: unknown encoding %q", enc.Name, enc.Encoding)
		}
	}
	if width != len(p.Features) {
		return fmt.Errorf("pipeline columns make %d features, its feature list has %d", width, len(p.Features))
	}
	return nil
}

func (p *Pipeline) missingColumn(f *Frame, name string) error {
	_, err := f.Col(name)
	return fmt.Errorf("transform: %w (the model was trained on it)", err)
}

// asText is a copy of numeric column c as a string column.
func asText(c *Column) *Column {
	out := &Column{Name: c.Name, Str: make([]string, len(c.Num)), Missing: slices.Clone(c.Missing)}
	for i := range c.Num {
		out.Str[i] = c.text(i)
	}
	return out
}

func classIDs(classes []string) map[string]int32 {
	ids := make(map[string]int32, len(classes))
	for i, c := range classes {
		ids[c] = int32(i)
	}
	return ids
}

// classList is the sorted set of target labels over rows: by value when the
// target is numeric (so "10" follows "9"), else by string.
func classList(target *Column, labels []string, rows ...[]int) []string {
	if target.Numeric {
		seen := map[float64]bool{}
		for _, rs := range rows {
			for _, r := range rs {
				seen[target.Num[r]] = true // -0 and 0 are one key, one class
			}
		}
		vals := make([]float64, 0, len(seen))
		for v := range seen {
			vals = append(vals, v)
		}
		slices.Sort(vals)
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = formatNumber(v)
		}
		return out
	}
	seen := map[string]bool{}
	for _, rs := range rows {
		for _, r := range rs {
			seen[labels[r]] = true
		}
	}
	return sortedKeys(seen)
}

// sortedKeys is the keys of a set in sorted order, so that nothing built
// from a map depends on its iteration order.
func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// targetLabels is the class label of every row ("" where missing): the
// string itself, or the number's shortest text.
func targetLabels(c *Column) []string {
	labels := make([]string, len(c.Missing))
	if !c.Numeric {
		copy(labels, c.Str)
		return labels
	}
	seen := map[float64]string{}
	for i, v := range c.Num {
		if c.Missing[i] {
			continue
		}
		s, ok := seen[v]
		if !ok {
			s = formatNumber(v)
			seen[v] = s
		}
		labels[i] = s
	}
	return labels
}
