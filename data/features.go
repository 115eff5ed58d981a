package data

import (
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/xp-ml/xp/cue/spec"
)

// Names of the shared one-hot input.
const (
	otherCategory = "<other>"   // categorical: rare and unseen categories
	unknownID     = "<unknown>" // id: rare and unseen ids
)

// DefaultEmbeddingDim is the width of a categorical embedding whose spec
// sets no dim.
const DefaultEmbeddingDim = 8

// fit builds the pipeline from the cleaned training split, each column
// encoded as data.features says, or by default: numbers standardized with
// their training mean and population standard deviation (1 where that is
// 0, so a constant column encodes as 0), text one-hot over the sorted
// training categories. A categorical column with encoding "embedding", or
// an id with a dim, becomes one index column, after all the others. notes
// say what was encoded otherwise than asked.
func fit(w *workspace, classes []string, features map[string]spec.Feature) (*Pipeline, []string, error) {
	p := &Pipeline{
		Version: PipelineVersion,
		Target:  w.target,
		Classes: classes,
		Steps:   w.steps,
	}
	for _, name := range slices.Sorted(maps.Keys(features)) {
		field := featureField(name)
		if name == w.target {
			return nil, nil, fieldErrorf(field, ErrInvalidRule, "%q is the target, not a feature", name)
		}
		if w.index(name) < 0 {
			return nil, nil, &spec.FieldError{Field: field, Err: w.notFound(name)}
		}
	}
	var notes []string
	var embedded []ColumnEncoding
	train := w.splits[splitTrain]
	for j, c := range w.cols {
		name := w.names[j]
		if w.gone[j] || name == w.target {
			continue
		}
		feat, named := features[name]
		field := featureField(name)
		kind := feat.Kind()
		if !named {
			kind = "categorical"
			if c.Numeric {
				kind = "numeric"
			}
		}
		enc := ColumnEncoding{Name: name, Kind: kind}
		switch kind {
		case "numeric":
			enc.Encoding = EncodeStandardize
			if feat.Numeric != nil && feat.Numeric.Encoding != "" {
				enc.Encoding = feat.Numeric.Encoding
			}
			if !c.Numeric {
				return nil, nil, fieldErrorf(field+".numeric", ErrType, "column %q holds text; a numeric feature needs numbers (cast it to number first, or make it categorical)", name)
			}
			if !numericEncoding(enc.Encoding) {
				return nil, nil, fieldErrorf(field+".numeric.encoding", ErrInvalidRule, "%q is not one of %s", enc.Encoding, quoteList([]string{EncodeStandardize, EncodeMinMax, EncodeNone}))
			}
			if err := fitNumeric(&enc, c, train); err != nil {
				return nil, nil, err
			}
		case "categorical", "id":
			enc.Encoding = EncodeOneHot
			limit, other, dim := 0, otherCategory, 0
			if kind == "id" {
				other = unknownID
				if feat.ID != nil {
					limit, dim = feat.ID.MaxIDs, feat.ID.Dim
				}
			} else if feat.Categorical != nil {
				limit = feat.Categorical.MaxCategories
				if feat.Categorical.Encoding == "embedding" {
					dim = feat.Categorical.Dim
					if dim == 0 {
						dim = DefaultEmbeddingDim
					}
				}
			}
			fitCategories(&enc, c, train, limit, other)
			if dim > 0 {
				// The last row of the table is for everything else:
				// rare, unseen and missing values alike.
				enc.Encoding, enc.Dim, enc.Other = EncodeEmbedding, dim, other
				embedded = append(embedded, enc)
				continue
			}
		case "text":
			t := feat.Text
			enc.Encoding, enc.Buckets, enc.NGrams, enc.Binary, enc.Norm = EncodeHashing, t.Buckets, t.NGrams, t.Binary, t.Norm
			if enc.Buckets <= 0 || enc.NGrams <= 0 {
				return nil, nil, fieldErrorf(field+".text", ErrInvalidRule, "needs buckets > 0 and ngrams > 0")
			}
		default:
			return nil, nil, fieldErrorf(field, ErrInvalidRule, "sets none of numeric, categorical, text, id")
		}
		p.Columns = append(p.Columns, enc)
		p.Features = append(p.Features, featureNames(&enc)...)
	}
	// Index columns go last, so a model's input is its plain features
	// then one index per table.
	for _, enc := range embedded {
		p.Columns = append(p.Columns, enc)
		p.Features = append(p.Features, featureNames(&enc)...)
	}
	if len(p.Features) == 0 {
		return nil, nil, fmt.Errorf("%s: no features: every column but the target %q is empty in the training split", filepath.Base(w.f.Path), p.Target)
	}
	return p, notes, nil
}

func fitNumeric(enc *ColumnEncoding, c *Column, rows []int) error {
	mean, std := meanStd(c, rows)
	if math.IsInf(mean, 0) || math.IsInf(std, 0) {
		return fmt.Errorf("%s %s: its values overflow float64 arithmetic", enc.Encoding, enc.Name)
	}
	enc.Mean = mean
	switch enc.Encoding {
	case EncodeStandardize:
		enc.Std = std
	case EncodeMinMax:
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, r := range rows {
			if !c.Missing[r] {
				lo, hi = min(lo, c.Num[r]), max(hi, c.Num[r])
			}
		}
		if lo > hi { // no values: pass through
			lo, hi = 0, 1
		}
		enc.Min, enc.Max = lo, hi
	}
	return nil
}

// fitCategories sets the one-hot categories of c: every training category,
// or with limit > 0 the limit most frequent (ties to the smaller name),
// the rest sharing the other input.
func fitCategories(enc *ColumnEncoding, c *Column, rows []int, limit int, other string) {
	counts := map[string]int{}
	for _, r := range rows {
		if !c.Missing[r] {
			counts[c.text(r)]++
		}
	}
	cats := slices.Sorted(maps.Keys(counts))
	if limit > 0 && len(cats) > limit {
		byCount := slices.Clone(cats)
		slices.SortStableFunc(byCount, func(a, b string) int { return counts[b] - counts[a] })
		cats = byCount[:limit]
		slices.Sort(cats)
		enc.Other = other
	}
	enc.Categories = cats
}

// featureNames names the features a column becomes: "Age", "Home=rent",
// "Home=<other>", "review#17", "state#index".
func featureNames(enc *ColumnEncoding) []string {
	switch enc.Encoding {
	case EncodeEmbedding:
		return []string{enc.Name + "#index"}
	case EncodeOneHot:
		out := make([]string, 0, enc.width())
		for _, cat := range enc.Categories {
			out = append(out, enc.Name+"="+cat)
		}
		if enc.Other != "" {
			out = append(out, enc.Name+"="+enc.Other)
		}
		return out
	case EncodeHashing:
		out := make([]string, enc.Buckets)
		for b := range out {
			out[b] = enc.Name + "#" + strconv.Itoa(b)
		}
		return out
	}
	return []string{enc.Name}
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
