package tui

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/xp-ml/xp/store"
)

func TestSpecDiff(t *testing.T) {
	a := &store.Run{Key: "aaaa", Experiment: "credit", Backend: "engine", Device: "cpu",
		Spec:       json.RawMessage(`{"train":{"lr":0.001,"epochs":20},"model":{"layers":[{"dense":64}]}}`),
		DataHashes: map[string]string{"source": "1111111111111111"}}
	b := &store.Run{Key: "bbbb", Experiment: "credit", Backend: "engine", Device: "cuda",
		Spec:       json.RawMessage(`{"train":{"lr":0.003,"epochs":20},"model":{"layers":[{"dense":64},{"dropout":0.2}]}}`),
		DataHashes: map[string]string{"source": "1111111111111111"}}
	diffs, same, err := specDiff([]*store.Run{a, b})
	if err != nil {
		t.Fatal(err)
	}
	want := []fieldDiff{
		{"(run) device", []string{"cpu", "cuda"}},
		{"model.layers[1].dropout", []string{absent, "0.2"}},
		{"train.lr", []string{"0.001", "0.003"}},
	}
	if !reflect.DeepEqual(diffs, want) {
		t.Errorf("diffs = %v\nwant %v", diffs, want)
	}
	// experiment, backend, data hash, epochs, layers[0].dense
	if same != 5 {
		t.Errorf("same = %d, want 5", same)
	}
}

// The comparison spells fields and values as `xp diff` does: numbers by
// value (1e-3 is 0.001), strings quoted, keys that are not identifiers
// quoted.
func TestSpecDiffSpellsAsXpDiff(t *testing.T) {
	a := &store.Run{Key: "aaaa", Spec: json.RawMessage(`{"lr":1e-3,"act":"relu","features":{"Sepal.Length":{"numeric":{}}}}`)}
	b := &store.Run{Key: "bbbb", Spec: json.RawMessage(`{"lr":0.001,"act":"tanh","features":{"Sepal.Length":{"categorical":{}}}}`)}
	diffs, _, err := specDiff([]*store.Run{a, b})
	if err != nil {
		t.Fatal(err)
	}
	want := []fieldDiff{
		{"act", []string{`"relu"`, `"tanh"`}},
		{`features."Sepal.Length".categorical`, []string{absent, "{}"}},
		{`features."Sepal.Length".numeric`, []string{"{}", absent}},
	}
	if !reflect.DeepEqual(diffs, want) {
		t.Errorf("diffs = %q\nwant %q", diffs, want)
	}
}
