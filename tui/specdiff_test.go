package tui

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/xp-ml/xp/store"
)

func TestFlatten(t *testing.T) {
	got, err := flatten(json.RawMessage(`{"train":{"optimizer":{"adam":{"lr":1e-3}},"epochs":20},
		"model":{"layers":[{"dense":64},{"dropout":0.2}]},"tags":[],"clean":{},"name":"","note":null,"stratify":true}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"train.optimizer.adam.lr": "1e-3", "train.epochs": "20", "model.layers[0].dense": "64",
		"model.layers[1].dropout": "0.2", "tags": "[]", "clean": "{}", "name": `""`, "note": "null", "stratify": "true",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("flatten = %v\nwant %v", got, want)
	}
	if _, err := flatten(json.RawMessage(`{"a":`)); err == nil {
		t.Error("flatten of broken JSON: no error")
	}
}

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
