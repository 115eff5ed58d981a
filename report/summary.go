package report

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// summaryPanel is a run's identity and provenance, then its resolved spec.
type summaryPanel struct{ r *runData }

func (summaryPanel) name() string { return "run" }

func (p summaryPanel) build() ([]Block, error) {
	r := p.r.run
	rows := [][]string{
		{"run key", r.Key},
		{"run", fmt.Sprintf("#%d, uid %s", r.ID, r.UID)},
		{"experiment", r.Experiment},
		{"status", statusText(r)},
		{"backend", r.Backend + " on " + r.Device},
		{"epochs", fmt.Sprintf("%d of %d", r.Epoch, r.Epochs)},
		{"spec hash", r.SpecHash},
	}
	if r.Remote != "" {
		rows = append(rows, []string{"pulled from", r.Remote + ", trained by " + provenance.OriginOf(r.Provenance, r.Host)})
	}
	rows = append(rows, provenanceRows(r)...)
	for _, name := range sortedKeys(r.DataHashes) {
		rows = append(rows, []string{"data " + name, "sha256 " + r.DataHashes[name]})
	}
	if r.WeightsSHA256 != "" {
		rows = append(rows, []string{"weights", "sha256 " + r.WeightsSHA256})
	}
	var t runner.Timing
	if len(r.Timing) > 0 && json.Unmarshal(r.Timing, &t) == nil {
		rows = append(rows, []string{"timing", fmt.Sprintf("%.2f s total, %.2f s training, %.0f samples/s",
			t.TotalSeconds, t.TrainSeconds, t.SamplesPerSec)})
	}
	blocks := []Block{{Table: &Table{Caption: "Run and provenance", Header: []string{"field", "value"}, Rows: rows}}}
	flat, err := spec.Flatten(r.Spec)
	if err != nil || len(flat) == 0 {
		return blocks, nil
	}
	var specRows [][]string
	for _, path := range sortedKeys(flat) {
		specRows = append(specRows, []string{path, string(flat[path])})
	}
	return append(blocks, Block{Table: &Table{Caption: "Resolved spec", Header: []string{"field", "value"}, Rows: specRows, Folded: true}}), nil
}

func statusText(r *store.Run) string {
	if r.Error != "" {
		return fmt.Sprintf("%s (%s)", r.Status, r.Error)
	}
	return string(r.Status)
}

// provenanceRows are the commit a run was trained from, whether its tree
// was dirty, and its data files' blobs.
func provenanceRows(r *store.Run) [][]string {
	p, err := provenance.Parse(r.Provenance)
	if err != nil || len(r.Provenance) == 0 {
		return [][]string{{"provenance", "none recorded"}}
	}
	var rows [][]string
	switch {
	case !p.InRepo:
		rows = append(rows, []string{"commit", "none (not in a git repository; sources stored with the run)"})
	default:
		branch := p.Branch
		if branch == "" {
			branch = "detached HEAD"
		}
		rows = append(rows, []string{"commit", p.Commit + " on " + branch})
	}
	dirty := "no"
	if p.Dirty {
		dirty = "yes: " + strings.Join(p.DirtyFiles, ", ")
	}
	rows = append(rows, []string{"dirty", dirty})
	for _, d := range []*provenance.SourceFile{p.Data, p.TestData} {
		if d != nil {
			rows = append(rows, []string{"data file", fmt.Sprintf("%s blob %s", d.Path, store.ShortKey(d.Blob))})
		}
	}
	return rows
}

// metricsPanel is a run's final test and validation metrics.
type metricsPanel struct{ r *runData }

func (metricsPanel) name() string { return "metrics" }

func (p metricsPanel) build() ([]Block, error) {
	final := runner.FinalMetrics(p.r.run)
	names := map[string]bool{}
	for _, m := range final {
		for n := range m {
			names[n] = true
		}
	}
	if len(names) == 0 {
		return nil, skip("the run recorded no test or validation metric")
	}
	var rows [][]string
	for _, n := range sortedKeys(names) {
		rows = append(rows, []string{n, metricCell(final["test"], n), metricCell(final["validation"], n)})
	}
	return []Block{{Table: &Table{Caption: "Final metrics", Header: []string{"metric", "test", "validation"}, Rows: rows}}}, nil
}

func metricCell(m map[string]float64, name string) string {
	v, ok := m[name]
	if !ok {
		return "-"
	}
	return formatNumber(v)
}

func formatNumber(v float64) string {
	return fmt.Sprintf("%.4g", v)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
