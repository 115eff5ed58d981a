package tui

import (
	"fmt"
	"sort"

	"github.com/xp-ml/xp/internal/termtext"
)

// specLines is the spec tab: identity, data, timing, provenance and the
// resolved spec, every value cleaned; timing and provenance written for
// reading, structures as indented fields.
func (m *Model) specLines(d *runData, w int) []string {
	t := m.sh.theme
	r := d.run
	kv := func(k, v string) string { return t.dim.Render(fit(k, 12)) + termtext.Clean(v) }
	lines := []string{
		kv("run key", r.Key),
		kv("run id", fmt.Sprint(r.ID)),
		kv("experiment", r.Experiment),
		kv("spec hash", r.SpecHash),
	}
	if r.SweepID != "" {
		lines = append(lines, kv("sweep", r.SweepID))
	}
	dataNames := make([]string, 0, len(r.DataHashes))
	for n := range r.DataHashes {
		dataNames = append(dataNames, n)
	}
	sort.Strings(dataNames)
	for _, n := range dataNames {
		lines = append(lines, kv("data", n+" sha256:"+r.DataHashes[n]))
	}
	if r.WeightsSHA256 != "" {
		lines = append(lines, kv("weights", "sha256:"+r.WeightsSHA256))
	}
	readable := fieldStyle{readable: true, width: w}
	for _, sec := range []struct {
		name string
		body []string
	}{
		{"timing", fields(r.Timing, 2, readable)},
		{"provenance", fields(r.Provenance, 2, readable)},
	} {
		if len(sec.body) > 0 {
			lines = append(lines, t.title.Render(sec.name))
			lines = append(lines, sec.body...)
		}
	}
	lines = append(lines, t.title.Render("spec"))
	spec := fields(r.Spec, 2, fieldStyle{width: w})
	switch {
	case len(r.Spec) == 0:
		lines = append(lines, t.dim.Render("  (none recorded)"))
	case spec == nil:
		lines = append(lines, t.err.Render("  unreadable spec"))
	}
	return append(lines, spec...)
}
