package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/store"
)

// RunDiff is what differs between two runs: the resolved spec fields, the
// data, where they came from, and their final metrics.
type RunDiff struct {
	A RunSide `json:"a"`
	B RunSide `json:"b"`
	// Spec lists the leaf fields of the resolved specs that differ, by path.
	Spec []ValueDiff `json:"spec"`
	// Data lists every data source of either run, same or not.
	Data []HashDiff `json:"data"`
	// Metrics lists every final metric (test, validation) of either run.
	Metrics []MetricDelta `json:"metrics"`
}

// RunSide is one of the runs of a RunDiff.
type RunSide struct {
	ID         int64  `json:"id"`
	Key        string `json:"key"`
	Experiment string `json:"experiment"`
	Status     string `json:"status"`
	Backend    string `json:"backend"`
	Commit     string `json:"commit,omitempty"`
	Branch     string `json:"branch,omitempty"`
	Dirty      bool   `json:"dirty"`
	Weights    string `json:"weights_sha256,omitempty"`
}

// ValueDiff is a spec field with its value in each run, as JSON; nil where
// the run does not have the field.
type ValueDiff struct {
	Path string          `json:"path"`
	A    json.RawMessage `json:"a"`
	B    json.RawMessage `json:"b"`
}

// HashDiff is one data source's sha256 in each run ("" where it has none).
type HashDiff struct {
	Name string `json:"name"`
	A    string `json:"a"`
	B    string `json:"b"`
	Same bool   `json:"same"`
}

// MetricDelta is one final metric in each run and B-A; nil where a run has
// no (finite) value.
type MetricDelta struct {
	Split string   `json:"split"`
	Name  string   `json:"name"`
	A     *float64 `json:"a"`
	B     *float64 `json:"b"`
	Delta *float64 `json:"delta"`
}

// Diff compares two stored runs.
func Diff(a, b *store.Run) (*RunDiff, error) {
	d := &RunDiff{A: side(a), B: side(b)}
	var err error
	if d.Spec, err = DiffSpecs(a.Spec, b.Spec); err != nil {
		return nil, err
	}
	for _, name := range unionKeys(a.DataHashes, b.DataHashes) {
		ha, hb := a.DataHashes[name], b.DataHashes[name]
		d.Data = append(d.Data, HashDiff{Name: name, A: ha, B: hb, Same: ha == hb})
	}
	fa, fb := FinalMetrics(a), FinalMetrics(b)
	for _, split := range unionKeys(fa, fb) {
		for _, name := range unionKeys(fa[split], fb[split]) {
			m := MetricDelta{Split: split, Name: name, A: finite(fa[split], name), B: finite(fb[split], name)}
			if m.A != nil && m.B != nil {
				delta := *m.B - *m.A
				m.Delta = &delta
			}
			d.Metrics = append(d.Metrics, m)
		}
	}
	return d, nil
}

func side(r *store.Run) RunSide {
	s := RunSide{ID: r.ID, Key: r.Key, Experiment: r.Experiment, Status: string(r.Status), Backend: r.Backend,
		Dirty: r.Dirty, Weights: r.WeightsSHA256}
	if p, err := provenance.Parse(r.Provenance); err == nil {
		s.Commit, s.Branch = p.Commit, p.Branch
	}
	return s
}

func finite(m map[string]float64, name string) *float64 {
	v, ok := m[name]
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// DiffSpecs compares two resolved specs (JSON) leaf by leaf and returns the
// fields that differ, sorted by path. Paths read like the spec:
// train.optimizer.adam.lr, model.layers[0].dense, data.features."Sepal.Length".
// Values compare by their canonical JSON, so 1e-3 and 0.001 are equal.
func DiffSpecs(a, b []byte) ([]ValueDiff, error) {
	fa, err := FlattenSpec(a)
	if err != nil {
		return nil, err
	}
	fb, err := FlattenSpec(b)
	if err != nil {
		return nil, err
	}
	var out []ValueDiff
	for _, path := range unionKeys(fa, fb) {
		va, vb := fa[path], fb[path]
		if va != nil && vb != nil && bytes.Equal(va, vb) {
			continue
		}
		out = append(out, ValueDiff{Path: path, A: va, B: vb})
	}
	return out, nil
}

// FlattenSpec maps every leaf of a JSON document (a scalar, or an empty
// object or list) to its canonical JSON, by path. An empty document is an
// empty map.
func FlattenSpec(js []byte) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(js)) == 0 {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("read spec: data after the top-level value")
	}
	if err := flatten(out, "", v); err != nil {
		return nil, err
	}
	return out, nil
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func flatten(out map[string]json.RawMessage, path string, v any) error {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			out[path] = json.RawMessage(`{}`)
			return nil
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			label := k
			if !identifier.MatchString(k) {
				label = strconv.Quote(k)
			}
			if path != "" {
				label = path + "." + label
			}
			if err := flatten(out, label, v[k]); err != nil {
				return err
			}
		}
	case []any:
		if len(v) == 0 {
			out[path] = json.RawMessage(`[]`)
			return nil
		}
		for i, x := range v {
			if err := flatten(out, fmt.Sprintf("%s[%d]", path, i), x); err != nil {
				return err
			}
		}
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("spec field %s: %w", path, err)
		}
		canon, err := spec.Canonical(raw)
		if err != nil {
			return fmt.Errorf("spec field %s: %w", path, err)
		}
		out[path] = canon
	}
	return nil
}
