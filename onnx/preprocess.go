package onnx

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/model"
)

// column adds the graph input of route r and the nodes that encode it as
// training did, and returns the float tensor of its features: [N, width]
// (an embedding's [N, dim] table rows). It returns "" for a column that
// encodes to no features.
func (e *exporter) column(r data.Route) (string, error) {
	enc := &r.Encoding
	switch {
	case enc.Numeric():
		return e.numeric(r)
	case enc.Encoding == data.EncodeOneHot:
		idx, err := e.categoryIndex(r)
		if err != nil || idx == "" {
			return "", err
		}
		return e.oneHot(r, idx), nil
	case enc.Encoding == data.EncodeEmbedding:
		idx, err := e.categoryIndex(r)
		if err != nil {
			return "", err
		}
		return e.embedding(r, idx)
	case enc.Encoding == data.EncodeHashing:
		return "", refuse(r.Input, "text hashing (FNV-1a over Unicode word n-grams) has no ONNX operator; `xp serve` scores it")
	}
	return "", refuse(r.Input, fmt.Sprintf("encoding %q", enc.Encoding))
}

// numeric is a numeric column: a float64 input (NaN where missing) whose
// steps and scaling run in float64, as data computes them, rounded to
// float32 at the end: the bits data.Pipeline.Transform gives.
func (e *exporter) numeric(r data.Route) (string, error) {
	b, scope := e.b, r.Input
	b.input(r.Input, typeDouble)
	x := r.Input
	for _, s := range r.Steps {
		switch {
		case s.Kind == data.StepFillNA && s.Numeric:
			x = b.op(scope, "Where", []string{b.op(scope, "IsNaN", []string{x}), b.double(scope, "fill", s.Fill.Number), x})
		case s.Kind == data.StepClip:
			c := x
			if s.Min != nil {
				c = b.op(scope, "Max", []string{c, b.double(scope, "min", *s.Min)})
			}
			if s.Max != nil {
				c = b.op(scope, "Min", []string{c, b.double(scope, "max", *s.Max)})
			}
			// A missing value stays missing, whatever Max and Min make of NaN.
			x = b.op(scope, "Where", []string{b.op(scope, "IsNaN", []string{x}), x, c})
		case s.Kind == data.StepReplace && s.Numeric:
			x = e.replaceNumbers(scope, x, s.Replace)
		default:
			return "", refuse(r.Input, unsupportedStep(s, "a numeric input"))
		}
	}
	enc := &r.Encoding
	// A value still missing encodes as the training mean.
	x = b.op(scope, "Where", []string{b.op(scope, "IsNaN", []string{x}), b.double(scope, "mean", enc.Mean), x})
	switch enc.Encoding {
	case data.EncodeStandardize:
		x = b.op(scope, "Div", []string{b.op(scope, "Sub", []string{x, b.double(scope, "mean", enc.Mean)}), b.double(scope, "std", enc.Std)})
	case data.EncodeMinMax:
		span := enc.Max - enc.Min
		if span == 0 {
			span = 1
		}
		x = b.op(scope, "Div", []string{b.op(scope, "Sub", []string{x, b.double(scope, "min", enc.Min)}), b.double(scope, "range", span)})
	}
	return b.op(scope, "Cast", []string{x}, intAttr("to", typeFloat)), nil
}

// replaceNumbers replaces every value equal to a Replacement's From by its
// To (NaN, missing, for none), all at once: each test reads the input.
func (e *exporter) replaceNumbers(scope, x string, reps []data.Replacement) string {
	b := e.b
	out := x
	for _, rep := range reps {
		// data wrote both as numbers in their shortest text.
		from, _ := strconv.ParseFloat(rep.From, 64)
		to := math.NaN()
		if rep.To != nil {
			to, _ = strconv.ParseFloat(*rep.To, 64)
		}
		hit := b.op(scope, "Equal", []string{x, b.double(scope, "from", from)})
		out = b.op(scope, "Where", []string{hit, b.double(scope, "to", to), out})
	}
	return out
}

// categoryIndex is a text column mapped to its category's index, int64
// [N, 1]: a LabelEncoder from every string that reaches a known category
// through the column's steps (a fill of missing values, replacements) to
// that category's position, and any other string to the shared last
// input (Other) or -1, none. The empty string is a missing value.
func (e *exporter) categoryIndex(r data.Route) (string, error) {
	b, scope, enc := e.b, r.Input, &r.Encoding
	b.input(r.Input, typeString)
	chain, mentioned, err := textSteps(r)
	if err != nil {
		return "", err
	}
	index := make(map[string]int64, len(enc.Categories))
	for i, c := range enc.Categories {
		index[c] = int64(i)
	}
	cands := map[string]bool{"": true}
	for _, s := range append(slices.Clone(enc.Categories), mentioned...) {
		cands[s] = true
	}
	var keys []string
	var vals []int64
	for _, s := range slices.Sorted(maps.Keys(cands)) {
		if i, ok := index[chain(s)]; ok {
			keys, vals = append(keys, s), append(vals, i)
		}
	}
	def := int64(-1)
	if enc.Other != "" {
		def = int64(len(enc.Categories))
	}
	if len(keys) == 0 {
		// LabelEncoder wants keys; one that maps to the default changes nothing.
		keys, vals = []string{"\x00"}, []int64{def}
	}
	return b.ml(scope, "LabelEncoder", []string{r.Input},
		stringsAttr("keys_strings", keys), intsAttr("values_int64s", vals), intAttr("default_int64", def)), nil
}

// textSteps is what a text column's steps do to one value, and the strings
// they name, which may reach a category.
func textSteps(r data.Route) (func(string) string, []string, error) {
	var fns []func(string) string
	var mentioned []string
	for _, s := range r.Steps {
		switch {
		case s.Kind == data.StepFillNA && !s.Numeric:
			fill := s.Fill.Text
			mentioned = append(mentioned, fill)
			fns = append(fns, func(v string) string {
				if v == "" {
					return fill
				}
				return v
			})
		case s.Kind == data.StepReplace && !s.Numeric:
			m := map[string]string{}
			for _, rep := range s.Replace {
				to := ""
				if rep.To != nil {
					to = *rep.To
				}
				m[rep.From] = to
				mentioned = append(mentioned, rep.From, to)
			}
			fns = append(fns, func(v string) string {
				if to, ok := m[v]; ok && v != "" {
					return to
				}
				return v
			})
		case s.Kind == data.StepCast && s.To == "text":
			// The input is text already: numbers come as their shortest text.
		default:
			return nil, nil, refuse(r.Input, unsupportedStep(s, "a categorical input"))
		}
	}
	return func(v string) string {
		for _, f := range fns {
			v = f(v)
		}
		return v
	}, mentioned, nil
}

// oneHot is a category index as one float input per category (and Other):
// 1 at the index, 0 elsewhere (everywhere for -1).
func (e *exporter) oneHot(r data.Route, idx string) string {
	b, scope, enc := e.b, r.Input, &r.Encoding
	width := len(enc.Categories)
	if enc.Other != "" {
		width++
	}
	if width == 0 {
		return ""
	}
	positions := make([]int64, width)
	for i := range positions {
		positions[i] = int64(i)
	}
	hot := b.op(scope, "Equal", []string{idx, b.int64s(scope, "positions", []int64{1, int64(width)}, positions)})
	return b.op(scope, "Cast", []string{hot}, intAttr("to", typeFloat))
}

// embedding is a category index as its row of the column's table.
func (e *exporter) embedding(r data.Route, idx string) (string, error) {
	b, scope, enc := e.b, r.Input, &r.Encoding
	i := e.embedded
	e.embedded++
	t := e.params.Get(model.EmbeddingName(i))
	if t == nil || len(t.Data) != enc.Vocab()*enc.Dim {
		return "", fmt.Errorf("export: column %q: table %s missing or not %d×%d", r.Input, model.EmbeddingName(i), enc.Vocab(), enc.Dim)
	}
	table := b.floats(scope, "table", []int64{int64(enc.Vocab()), int64(enc.Dim)}, t.Data)
	rows := b.op(scope, "Gather", []string{table, idx}, intAttr("axis", 0)) // [N, 1, dim]
	return b.op(scope, "Reshape", []string{rows, b.int64s(scope, "shape", []int64{2}, []int64{-1, int64(enc.Dim)})}), nil
}

func unsupportedStep(s data.ColumnStep, on string) string {
	switch s.Kind {
	case data.StepCast:
		return fmt.Sprintf("cast to %s on %s: ONNX's Cast fails on text that is not a number, where xp makes it missing", s.To, on)
	case data.StepNormalize:
		return "normalize_text (lowercasing, trimming, stripping HTML) has no exact ONNX equivalent"
	}
	kind := "text"
	if s.Numeric {
		kind = "numbers"
	}
	return fmt.Sprintf("%s on %s as %s", s.Kind, on, kind)
}
