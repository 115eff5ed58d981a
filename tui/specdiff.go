package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/xp-ml/xp/store"
)

// flatten turns a JSON document into leaf paths and their values:
// {"train":{"optimizer":{"adam":{"lr":0.001}}}} has train.optimizer.adam.lr
// = 0.001 and {"layers":[{"dense":64}]} has layers[0].dense = 64. Numbers
// keep their text, strings lose their quotes, empty objects and lists are
// leaves ({} and []).
func flatten(raw json.RawMessage) (map[string]string, error) {
	out := make(map[string]string)
	if len(bytes.TrimSpace(raw)) == 0 {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	flattenInto(out, "", v)
	return out, nil
}

func flattenInto(out map[string]string, path string, v any) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			out[path] = "{}"
		}
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			flattenInto(out, p, e)
		}
	case []any:
		if len(x) == 0 {
			out[path] = "[]"
		}
		for i, e := range x {
			flattenInto(out, path+"["+strconv.Itoa(i)+"]", e)
		}
	case string:
		if x == "" {
			out[path] = `""`
		} else {
			out[path] = x
		}
	case nil:
		out[path] = "null"
	default:
		out[path] = fmt.Sprint(x)
	}
}

// fieldDiff is one field that differs between runs: its path and its value
// in each run, "—" where a run lacks it.
type fieldDiff struct {
	path   string
	values []string
}

// absent marks a field a run does not have.
const absent = "—"

// specDiff lists the fields, of the resolved spec and of the run itself
// (experiment, backend, device, data hashes), whose values are not the same
// in every run, by path. same is how many fields agree.
func specDiff(runs []*store.Run) (diffs []fieldDiff, same int, err error) {
	flat := make([]map[string]string, len(runs))
	paths := map[string]bool{}
	for i, r := range runs {
		f, err := flatten(r.Spec)
		if err != nil {
			return nil, 0, fmt.Errorf("run %s: %w", r.Short(), err)
		}
		f["(run) experiment"] = r.Experiment
		f["(run) backend"] = r.Backend
		f["(run) device"] = r.Device
		for name, h := range r.DataHashes {
			f["(data) "+name] = shortHash(h)
		}
		flat[i] = f
		for p := range f {
			paths[p] = true
		}
	}
	sorted := make([]string, 0, len(paths))
	for p := range paths {
		sorted = append(sorted, p)
	}
	sort.Strings(sorted)
	for _, p := range sorted {
		vals := make([]string, len(runs))
		differ := false
		for i, f := range flat {
			v, ok := f[p]
			if !ok {
				v = absent
			}
			vals[i] = v
			if i > 0 && v != vals[0] {
				differ = true
			}
		}
		if differ {
			diffs = append(diffs, fieldDiff{path: p, values: vals})
		} else {
			same++
		}
	}
	return diffs, same, nil
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
