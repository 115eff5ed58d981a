package tui

import (
	"fmt"
	"sort"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
)

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
// in every run, by path. Spec fields are spelled and their values written as
// `xp diff` shows them (spec.Flatten). same is how many fields agree.
func specDiff(runs []*store.Run) (diffs []fieldDiff, same int, err error) {
	flat := make([]map[string]string, len(runs))
	paths := map[string]bool{}
	for i, r := range runs {
		canon, err := spec.Flatten(r.Spec)
		if err != nil {
			return nil, 0, fmt.Errorf("run %s: %w", r.Short(), err)
		}
		f := make(map[string]string, len(canon)+3+len(r.DataHashes))
		for p, v := range canon {
			f[p] = string(v)
		}
		f["(run) experiment"] = r.Experiment
		f["(run) backend"] = r.Backend
		f["(run) device"] = r.Device
		for name, h := range r.DataHashes {
			f["(data) "+name] = store.ShortKey(h)
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
