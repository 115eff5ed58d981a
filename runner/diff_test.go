package runner_test

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

func TestDiff(t *testing.T) {
	summary := func(test map[string]float64) map[string]map[string]store.MetricSummary {
		out := map[string]map[string]store.MetricSummary{"test": {}}
		for k, v := range test {
			out["test"][k] = store.MetricSummary{Last: v}
		}
		return out
	}
	a := &store.Run{ID: 1, Key: "aa", Experiment: "credit", Spec: []byte(`{"train":{"epochs":10}}`),
		DataHashes: map[string]string{"source": "h1"}, Summary: summary(map[string]float64{"accuracy": 0.75, "auc": 0.8}),
		Provenance: []byte(`{"commit":"c1","branch":"main"}`)}
	b := &store.Run{ID: 2, Key: "bb", Experiment: "credit", Spec: []byte(`{"train":{"epochs":20}}`), Dirty: true,
		DataHashes: map[string]string{"source": "h2"}, Summary: summary(map[string]float64{"accuracy": 0.875, "auc": math.NaN(), "f1": 0.5}),
		Provenance: []byte(`{"commit":"c2"}`)}
	d, err := runner.Diff(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if d.A.Commit != "c1" || d.A.Branch != "main" || d.B.Commit != "c2" || !d.B.Dirty || d.B.ID != 2 {
		t.Errorf("sides %+v, %+v", d.A, d.B)
	}
	if len(d.Spec) != 1 || d.Spec[0].Path != "train.epochs" || string(d.Spec[0].A) != "10" || string(d.Spec[0].B) != "20" {
		t.Errorf("spec %+v", d.Spec)
	}
	if len(d.Data) != 1 || d.Data[0].Same || d.Data[0].A != "h1" || d.Data[0].B != "h2" {
		t.Errorf("data %+v", d.Data)
	}
	got := map[string]runner.MetricDelta{}
	for _, m := range d.Metrics {
		got[m.Split+"."+m.Name] = m
	}
	if m := got["test.accuracy"]; m.Delta == nil || *m.Delta != 0.125 {
		t.Errorf("accuracy %+v, want delta 0.125", m)
	}
	if m := got["test.auc"]; m.A == nil || m.B != nil || m.Delta != nil {
		t.Errorf("auc %+v: a NaN has no value and no delta", m)
	}
	if m := got["test.f1"]; m.A != nil || m.B == nil || *m.B != 0.5 {
		t.Errorf("f1 %+v: only in b", m)
	}
	if _, err := json.Marshal(d); err != nil {
		t.Errorf("the diff does not encode as JSON: %v", err)
	}
}

func TestCompareRuns(t *testing.T) {
	run := func(weights string, acc float64) *store.Run {
		return &store.Run{WeightsSHA256: weights, Summary: map[string]map[string]store.MetricSummary{"test": {"accuracy": {Last: acc}}}}
	}
	tests := []struct {
		name string
		a, b *store.Run
		want []runner.Difference
	}{
		{"identical", run("w", 0.8), run("w", 0.8), nil},
		{"identical NaN", run("w", math.NaN()), run("w", math.NaN()), nil},
		{"last bit", run("w", 0.8), run("w", math.Nextafter(0.8, 1)),
			[]runner.Difference{{Field: "test.accuracy", Original: "0.8", Rerun: "0.8000000000000002"}}},
		{"weights", run("w1", 0.8), run("w2", 0.8), []runner.Difference{{Field: "weights_sha256", Original: "w1", Rerun: "w2"}}},
		{"no weights recorded", run("", 0.8), run("", 0.8), []runner.Difference{{Field: "weights_sha256", Original: "-", Rerun: "-"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runner.CompareRuns(tt.a, tt.b); !slices.Equal(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
