package data

import (
	"fmt"
	"math"
	"slices"
)

// PipelineVersion is the version of the Pipeline's JSON form. Version 1
// (fill_na values and standardize/onehot encodings only) is still read; a
// reader that meets a later version refuses it rather than guess.
const PipelineVersion = 2

// NoClass is the label Transform gives a row whose target is missing.
const NoClass int32 = -1

// How a column becomes features.
const (
	EncodeStandardize = "standardize" // (x - Mean) / Std, one feature
	EncodeMinMax      = "minmax"      // (x - Min) / (Max - Min), one feature
	EncodeNone        = "none"        // x, one feature
	EncodeOneHot      = "onehot"      // one 0/1 feature per category, and one for Other
	EncodeHashing     = "hashing"     // Buckets features: hashed n-gram counts
	// EncodeEmbedding is one feature, the category's index into an
	// embedding table of Vocab() rows: its position in Categories, or
	// len(Categories) (Other) for a rare, unseen or missing value.
	EncodeEmbedding = "embedding"
)

// Pipeline is everything Prepare fitted on the training split, enough to
// encode new rows exactly as the training rows were encoded. It is saved
// with a run (as JSON) so `xp predict` scores new files the same way.
type Pipeline struct {
	Version int      `json:"version"`
	Target  string   `json:"target"`
	Classes []string `json:"classes"` // index = class id; none for regression
	// Task is "regression" for a regression target, whose standardization
	// Scale holds; "" (classification) otherwise.
	Task  Task         `json:"task,omitempty"`
	Scale *TargetScale `json:"scale,omitempty"`
	// Steps are the cleaning rules that change values or columns, fitted,
	// in spec order.
	Steps []Step `json:"steps"`
	// Fills are version 1's steps: fill_na rules only.
	Fills    []Fill           `json:"fills,omitempty"`
	Columns  []ColumnEncoding `json:"columns"` // feature columns, in file order, the embedded ones last
	Features []string         `json:"features"`
}

// ColumnEncoding is how one column (named as the cleaning rules left it)
// becomes features.
type ColumnEncoding struct {
	Name string `json:"name"`
	// Kind is what the spec asked for: "numeric", "categorical", "text" or
	// "id" (empty in version 1).
	Kind     string  `json:"kind,omitempty"`
	Encoding string  `json:"encoding"`
	Mean     float64 `json:"mean,omitempty"` // numeric encodings: also what a missing value becomes
	Std      float64 `json:"std,omitempty"`
	Min      float64 `json:"min,omitempty"`
	Max      float64 `json:"max,omitempty"`
	// Categories are the one-hot inputs, sorted; Other, when set, names one
	// more input that categories not in the list share (rare training
	// categories, unseen and missing values). An embedding's table has a
	// row for each, Other always set and last.
	Categories []string `json:"categories,omitempty"`
	Other      string   `json:"other,omitempty"`
	Dim        int      `json:"dim,omitempty"` // embedding: the width of a table row
	Buckets    int      `json:"buckets,omitempty"`
	NGrams     int      `json:"ngrams,omitempty"`
	Binary     bool     `json:"binary,omitempty"`
	Norm       string   `json:"norm,omitempty"`
}

// Vocab is the number of rows of an embedding's table: the categories and
// the shared last one.
func (e *ColumnEncoding) Vocab() int { return len(e.Categories) + 1 }

// Embedding is an encoded column that indexes an embedding table.
type Embedding struct {
	Name   string `json:"name"`   // the column
	Column int    `json:"column"` // its index feature's position in the matrix
	Vocab  int    `json:"vocab"`  // rows of the table: the categories and the shared last one
	Dim    int    `json:"dim"`    // width of a row
}

// Embeddings lists the embedded columns in matrix order (the last
// columns of the matrix).
func (p *Pipeline) Embeddings() []Embedding {
	var out []Embedding
	off := 0
	for k := range p.Columns {
		enc := &p.Columns[k]
		if enc.Encoding == EncodeEmbedding {
			out = append(out, Embedding{Name: enc.Name, Column: off, Vocab: enc.Vocab(), Dim: enc.Dim})
		}
		off += enc.width()
	}
	return out
}

// width is the number of features the column becomes.
func (e *ColumnEncoding) width() int {
	switch e.Encoding {
	case EncodeOneHot:
		if e.Other != "" {
			return len(e.Categories) + 1
		}
		return len(e.Categories)
	case EncodeHashing:
		return e.Buckets
	}
	return 1
}

func numericEncoding(enc string) bool {
	return enc == EncodeStandardize || enc == EncodeMinMax || enc == EncodeNone
}

// encodeCounts counts, per pipeline column, the values encode made up.
type encodeCounts struct {
	imputed []int // missing numbers encoded as the training mean
	unknown []int // missing or unseen categories encoded as all zeros
	other   []int // categories encoded as the shared other input
}

func newEncodeCounts(n int) *encodeCounts {
	all := make([]int, 3*n)
	return &encodeCounts{imputed: all[:n:n], unknown: all[n : 2*n : 2*n], other: all[2*n:]}
}

// encodePlan is what encode needs of a pipeline besides the values: each
// column's first feature, and the index of each one-hot or embedding
// column's categories. It depends on the pipeline alone, so a caller
// that encodes many times (Encoder) works it out once.
type encodePlan struct {
	offs  []int
	index []map[string]int
}

func (p *Pipeline) plan() *encodePlan {
	pl := &encodePlan{offs: make([]int, len(p.Columns)), index: make([]map[string]int, len(p.Columns))}
	off := 0
	for k := range p.Columns {
		pl.offs[k] = off
		off += p.Columns[k].width()
		if e := p.Columns[k].Encoding; e == EncodeOneHot || e == EncodeEmbedding {
			pl.index[k] = make(map[string]int, len(p.Columns[k].Categories))
			for i, cat := range p.Columns[k].Categories {
				pl.index[k][cat] = i
			}
		}
	}
	return pl
}

// encodeBlock is how many rows encode fills at a time: every column is
// written for a block before the next, so the block's rows of the matrix
// stay in cache while the columns are walked (column after column over the
// whole matrix would stream it through memory once per column).
const encodeBlock = 256

// encode writes rows of cols (one per p.Columns, already cleaned) as a
// matrix. Prepare and Transform both come through here, which is what makes
// their outputs bit for bit the same. Statistics are float64; only the
// result is rounded to float32.
func (p *Pipeline) encode(plan *encodePlan, cols []*Column, rows []int, y []int32, counts *encodeCounts) Matrix {
	d := len(p.Features)
	m := Matrix{X: make([]float32, len(rows)*d), Y: y, N: len(rows), D: d}
	offs, index := plan.offs, plan.index
	var bag []float64
	var toks []string
	var touched []int
	for start := 0; start < len(rows); start += encodeBlock {
		end := min(start+encodeBlock, len(rows))
		for k := range p.Columns {
			enc := &p.Columns[k]
			c := cols[k]
			off := offs[k]
			switch enc.Encoding {
			case EncodeStandardize, EncodeMinMax, EncodeNone:
				for i := start; i < end; i++ {
					r := rows[i]
					v := enc.Mean
					if c.Missing[r] {
						counts.imputed[k]++
					} else {
						v = c.Num[r]
					}
					m.X[i*d+off] = float32(enc.scale(v))
				}
			case EncodeOneHot:
				// Categories repeat row after row, as the same interned
				// string: remember the last one rather than hash it again.
				last, lastJ, lastOK := "", 0, false
				for i := start; i < end; i++ {
					r := rows[i]
					if !c.Missing[r] {
						v := c.text(r)
						if v != last || i == start {
							last = v
							lastJ, lastOK = index[k][v]
						}
						if lastOK {
							m.X[i*d+off+lastJ] = 1
							continue
						}
					}
					if enc.Other != "" {
						m.X[i*d+off+len(enc.Categories)] = 1
						counts.other[k]++
					} else {
						counts.unknown[k]++
					}
				}
			case EncodeEmbedding:
				other := float32(len(enc.Categories))
				last, lastJ, lastOK := "", 0, false
				for i := start; i < end; i++ {
					r := rows[i]
					if !c.Missing[r] {
						v := c.text(r)
						if v != last || i == start {
							last = v
							lastJ, lastOK = index[k][v]
						}
						if lastOK {
							m.X[i*d+off] = float32(lastJ)
							continue
						}
					}
					m.X[i*d+off] = other
					counts.other[k]++
				}
			case EncodeHashing:
				if len(bag) < enc.Buckets {
					bag = make([]float64, enc.Buckets)
				}
				bag := bag[:enc.Buckets]
				for i := start; i < end; i++ {
					r := rows[i]
					if c.Missing[r] {
						continue
					}
					toks = tokens(c.text(r), toks)
					touched = hashNGrams(toks, enc.NGrams, bag, touched)
					var ss float64
					for _, b := range touched {
						if enc.Binary {
							bag[b] = 1
						}
						ss += bag[b] * bag[b]
					}
					norm := 1.0
					if enc.Norm == "l2" && ss > 0 {
						norm = math.Sqrt(ss)
					}
					row := m.X[i*d+off : i*d+off+enc.Buckets]
					for _, b := range touched {
						row[b] = float32(bag[b] / norm)
						bag[b] = 0
					}
				}
			}
		}
	}
	return m
}

// scale maps a number as a numeric encoding does.
func (e *ColumnEncoding) scale(v float64) float64 {
	switch e.Encoding {
	case EncodeStandardize:
		return (v - e.Mean) / e.Std
	case EncodeMinMax:
		r := e.Max - e.Min
		if r == 0 {
			r = 1
		}
		return (v - e.Min) / r
	}
	return v
}

// steps are the pipeline's steps, version 1's fills included.
func (p *Pipeline) steps() []Step {
	if p.Version == 1 {
		out := make([]Step, len(p.Fills))
		for i := range p.Fills {
			out[i] = Step{&fillStep{Fill: &p.Fills[i]}}
		}
		return out
	}
	return p.Steps
}

// Transform encodes every row of f as training did: the fitted cleaning
// steps (renames, casts, fills, clips, replacements, text normalisation),
// then the fitted encoders. It drops no rows (drop_na, filter and
// drop_duplicates choose training rows; scoring wants one output per input
// row), so Matrix row i is f's row i; a value that is still missing encodes
// as the training mean (numbers), the other input or all zeros
// (categories). Columns are matched by name; extra columns are ignored. Y
// is nil when f has no target column, and NoClass for rows whose target is
// missing; a target value that was never a class is an error.
func (p *Pipeline) Transform(f *Frame) (Matrix, error) {
	e, err := p.Encoder()
	if err != nil {
		return Matrix{}, fmt.Errorf("transform %s: %w", f.Path, err)
	}
	return e.Transform(f)
}

// Encoder transforms frames as its Pipeline does (Transform), with what
// depends on the pipeline alone done once: its check, its features'
// layout, its categories' indexes and its classes' ids. A server keeps
// one per model, so a request of one row pays for that row alone. It is
// safe for concurrent use; its pipeline must not change while it is used.
type Encoder struct {
	p     *Pipeline
	plan  *encodePlan
	steps []Step
	ids   map[string]int32
}

// Encoder checks p and makes its Encoder.
func (p *Pipeline) Encoder() (*Encoder, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	return &Encoder{p: p, plan: p.plan(), steps: p.steps(), ids: classIDs(p.Classes)}, nil
}

// Transform is Pipeline.Transform.
func (e *Encoder) Transform(f *Frame) (Matrix, error) {
	p := e.p
	t := newTable(f)
	all := make([]int, f.Len())
	for i := range all {
		all[i] = i
	}
	groups := [][]int{all}
	for i := range e.steps {
		if _, err := e.steps[i].apply(t, groups); err != nil {
			return Matrix{}, fmt.Errorf("transform: %w", err)
		}
	}
	features := make([]*Column, len(p.Columns))
	for k, enc := range p.Columns {
		j := t.index(enc.Name)
		if j < 0 {
			return Matrix{}, p.missingColumn(f, enc.Name)
		}
		if numericEncoding(enc.Encoding) {
			if err := t.conform(j, true); err != nil {
				return Matrix{}, fmt.Errorf("transform: %w", err)
			}
		}
		features[k] = t.cols[j]
	}
	if p.Task == TaskRegression {
		return e.transformRegression(f, features, all)
	}
	var y []int32
	if j := f.index(p.Target); j >= 0 {
		y = make([]int32, f.Len())
		c := f.Cols[j]
		for i := range y {
			if c.Missing[i] {
				y[i] = NoClass
				continue
			}
			id, ok := e.ids[c.text(i)]
			if !ok {
				return Matrix{}, errorf(ErrUnknownClass, "transform: %s:%d: %s %q is not one of the training classes %s",
					f.Path, f.Line[i], p.Target, c.text(i), quoteList(p.Classes))
			}
			y[i] = id
		}
	}
	return p.encode(e.plan, features, all, y, newEncodeCounts(len(p.Columns))), nil
}

// transformRegression encodes rows for a regression pipeline: T and
// Target are nil when f has no target column, and NaN where the target is
// missing or not a number.
func (e *Encoder) transformRegression(f *Frame, features []*Column, all []int) (Matrix, error) {
	p := e.p
	m := p.encode(e.plan, features, all, nil, newEncodeCounts(len(p.Columns)))
	j := f.index(p.Target)
	if j < 0 {
		return m, nil
	}
	c := f.Cols[j]
	m.T, m.Target = make([]float32, f.Len()), make([]float64, f.Len())
	for i := range m.T {
		v := math.NaN()
		if c.Numeric && !c.Missing[i] {
			v = c.Num[i]
		}
		m.Target[i] = v
		m.T[i] = float32((v - p.Scale.Mean) / p.Scale.Std)
	}
	return m, nil
}

// Inputs lists the columns a file to score must have, as the file names
// them (before any rename).
func (p *Pipeline) Inputs() []string {
	out := make([]string, len(p.Columns))
	for k, enc := range p.Columns {
		out[k] = p.inputName(enc.Name)
	}
	return out
}

// inputName follows renames back to the name a column has in the file.
func (p *Pipeline) inputName(name string) string {
	steps := p.steps()
	for i := len(steps) - 1; i >= 0; i-- {
		r, ok := steps[i].step.(*renameStep)
		if !ok {
			continue
		}
		for old, to := range r.Rename {
			if to == name {
				name = old
				break
			}
		}
	}
	return name
}

// check rejects a pipeline that encode could not follow; it may have been
// read from a file.
func (p *Pipeline) check() error {
	if p.Version != PipelineVersion && p.Version != 1 {
		return fmt.Errorf("pipeline version %d, this xp reads versions 1 to %d", p.Version, PipelineVersion)
	}
	switch p.Task {
	case "", TaskClassification:
	case TaskRegression:
		if p.Scale == nil || !(p.Scale.Std > 0) || math.IsInf(p.Scale.Std, 0) || !finite(p.Scale.Mean) {
			return fmt.Errorf("pipeline: regression target scale %v cannot standardize", p.Scale)
		}
	default:
		return fmt.Errorf("pipeline: unknown task %q", p.Task)
	}
	width, embedded := 0, false
	for _, enc := range p.Columns {
		if embedded && enc.Encoding != EncodeEmbedding {
			return fmt.Errorf("pipeline column %q follows an embedded column; index columns come last", enc.Name)
		}
		switch enc.Encoding {
		case EncodeStandardize:
			if !(enc.Std > 0) || math.IsInf(enc.Std, 0) || !finite(enc.Mean) {
				return fmt.Errorf("pipeline column %q: mean %v, std %v cannot standardize", enc.Name, enc.Mean, enc.Std)
			}
		case EncodeMinMax, EncodeNone:
			if !finite(enc.Mean) || !finite(enc.Min) || !finite(enc.Max) {
				return fmt.Errorf("pipeline column %q: mean %v, min %v, max %v are not all finite", enc.Name, enc.Mean, enc.Min, enc.Max)
			}
		case EncodeOneHot:
		case EncodeEmbedding:
			// The index is a float32: it must hold every row exactly.
			if enc.Dim <= 0 || enc.Other == "" || enc.Vocab() > 1<<24 {
				return fmt.Errorf("pipeline column %q: embedding of %d rows (other %q) by %d", enc.Name, enc.Vocab(), enc.Other, enc.Dim)
			}
			embedded = true
		case EncodeHashing:
			if enc.Buckets <= 0 || enc.NGrams <= 0 {
				return fmt.Errorf("pipeline column %q: %d buckets of %d-grams", enc.Name, enc.Buckets, enc.NGrams)
			}
		default:
			return fmt.Errorf("pipeline column %q: unknown encoding %q", enc.Name, enc.Encoding)
		}
		width += enc.width()
	}
	if width != len(p.Features) {
		return fmt.Errorf("pipeline columns make %d features, its feature list has %d", width, len(p.Features))
	}
	for _, s := range p.steps() {
		if c, ok := s.step.(interface{ check() error }); ok {
			if err := c.check(); err != nil {
				return err
			}
		}
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func (p *Pipeline) missingColumn(f *Frame, name string) error {
	_, err := f.Col(p.inputName(name))
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
