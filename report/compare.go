package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
)

// specDiffPanel is a table of the resolved spec fields that differ
// between runs: a row per field, a column per run.
type specDiffPanel struct{ runs []*runData }

func (specDiffPanel) name() string { return "spec differences" }

func (p specDiffPanel) build() ([]Block, error) {
	flats := make([]map[string][]byte, len(p.runs))
	paths := map[string]bool{}
	for i, r := range p.runs {
		f, err := spec.Flatten(r.run.Spec)
		if err != nil {
			return nil, skip("run %s: %v", r.label(), err)
		}
		flats[i] = map[string][]byte{}
		for k, v := range f {
			flats[i][k] = v
			paths[k] = true
		}
	}
	header := []string{"field"}
	for _, r := range p.runs {
		header = append(header, r.label())
	}
	var rows [][]string
	for _, path := range sortedKeys(paths) {
		row := []string{path}
		differ := false
		for i, f := range flats {
			v, ok := f[path]
			cell := "(absent)"
			if ok {
				cell = string(v)
			}
			row = append(row, cell)
			differ = differ || cell != row[1] && i > 0
		}
		if differ {
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return nil, skip("the runs' resolved specs are the same")
	}
	return []Block{{Table: &Table{Caption: "Spec fields that differ", Header: header, Rows: rows}}}, nil
}

// deltasPanel is a table of the final test and validation metrics of
// every run, with each run's difference from the first.
type deltasPanel struct{ runs []*runData }

func (deltasPanel) name() string { return "metric deltas" }

func (p deltasPanel) build() ([]Block, error) {
	finals := make([]map[string]map[string]float64, len(p.runs))
	series := map[string]bool{}
	for i, r := range p.runs {
		finals[i] = runner.FinalMetrics(r.run)
		for split, m := range finals[i] {
			for n := range m {
				series[split+"."+n] = true
			}
		}
	}
	if len(series) == 0 {
		return nil, skip("none of the runs recorded a test or validation metric")
	}
	header := []string{"metric", p.runs[0].label()}
	for _, r := range p.runs[1:] {
		header = append(header, r.label(), "delta")
	}
	var rows [][]string
	for _, s := range sortedKeys(series) {
		split, name, _ := strings.Cut(s, ".")
		base, baseOK := finals[0][split][name]
		row := []string{s, valueCell(base, baseOK)}
		for _, f := range finals[1:] {
			v, ok := f[split][name]
			delta := "-"
			if ok && baseOK && !math.IsNaN(v) && !math.IsNaN(base) {
				delta = fmt.Sprintf("%+.4g", v-base)
			}
			row = append(row, valueCell(v, ok), delta)
		}
		rows = append(rows, row)
	}
	return []Block{{Table: &Table{Caption: "Final metrics, and each run's difference from " + p.runs[0].label(),
		Header: header, Rows: rows}}}, nil
}

func valueCell(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	return formatNumber(v)
}
