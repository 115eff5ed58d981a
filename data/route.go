package data

import (
	"fmt"
	"slices"
)

// Route is how one input column reaches its encoder: the name it has in a
// table to score, the fitted steps that change its values, in the order
// Transform applies them, and the encoder. It is the pipeline as seen one
// column at a time, for readers outside this package that rebuild it
// elsewhere (the input schema a server publishes, the ONNX exporter).
type Route struct {
	Input    string
	Steps    []ColumnStep
	Encoding ColumnEncoding
}

// ColumnStep is one fitted step as it acts on one column. Kind says which
// fields are set.
type ColumnStep struct {
	Kind string // "fill_na", "clip", "replace", "cast" or "normalize_text"
	// Numeric: fill_na and replace act on numbers, else on text.
	Numeric bool
	Fill    Fill          // fill_na
	Min     *float64      // clip; nil is no bound
	Max     *float64      // clip
	Replace []Replacement // replace, all at once; To nil makes a value missing
	To      string        // cast: "number" or "text"
	// normalize_text
	Lowercase, Trim, StripHTML bool
}

// Step kinds as ColumnStep.Kind names them.
const (
	StepFillNA    = kindFillNA
	StepClip      = kindClip
	StepReplace   = kindReplace
	StepCast      = kindCast
	StepNormalize = kindNormalize
)

// Routes lists the route of every encoded column, in p.Columns order.
func (p *Pipeline) Routes() ([]Route, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	steps := p.steps()
	out := make([]Route, len(p.Columns))
	for k, enc := range p.Columns {
		r := Route{Input: p.inputName(enc.Name), Encoding: enc}
		cur := r.Input
		for _, s := range steps {
			if u, unknown := s.step.(unknownStep); unknown {
				return nil, fmt.Errorf("pipeline step %q: unknown kind", u.name)
			}
			cs, renamedTo, ok := columnStep(s.step, cur)
			if renamedTo != "" {
				cur = renamedTo
			}
			if ok {
				r.Steps = append(r.Steps, cs)
			}
		}
		if cur != enc.Name {
			return nil, fmt.Errorf("pipeline column %q: its input %q is named %q after the renames", enc.Name, r.Input, cur)
		}
		out[k] = r
	}
	return out, nil
}

// columnStep is what step s does to the column now called name: a
// ColumnStep (ok), a new name (renamedTo), or nothing.
func columnStep(s step, name string) (cs ColumnStep, renamedTo string, ok bool) {
	switch s := s.(type) {
	case *renameStep:
		if to, hit := s.Rename[name]; hit {
			return cs, to, false
		}
	case *fillStep:
		if s.Fill.Column == name {
			return ColumnStep{Kind: StepFillNA, Numeric: s.Fill.Numeric, Fill: *s.Fill}, "", true
		}
	case *clipStep:
		if s.Column == name {
			return ColumnStep{Kind: StepClip, Numeric: true, Min: s.Min, Max: s.Max}, "", true
		}
	case *replaceStep:
		if s.Column == name {
			return ColumnStep{Kind: StepReplace, Numeric: s.Numeric, Replace: slices.Clone(s.Replace)}, "", true
		}
	case *castStep:
		if s.Column == name {
			return ColumnStep{Kind: StepCast, To: s.To}, "", true
		}
	case *normalizeStep:
		if slices.Contains(s.Columns, name) {
			return ColumnStep{Kind: StepNormalize, Lowercase: s.Lowercase, Trim: s.Trim, StripHTML: s.StripHTML}, "", true
		}
	}
	return cs, "", false
}

// Numeric reports whether the encoding reads numbers: standardize, minmax
// or none.
func (e *ColumnEncoding) Numeric() bool { return numericEncoding(e.Encoding) }
