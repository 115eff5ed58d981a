package spec

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestDiffSpecs(t *testing.T) {
	base := `{"name":"credit","data":{"source":{"file":"c.csv"},"features":{"Sepal.Length":{"numeric":{}}}},` +
		`"model":{"layers":[{"dense":64},{"dropout":0.2}]},"train":{"optimizer":{"adam":{"lr":0.001}}},"metrics":["auc"]}`
	tests := []struct {
		name string
		b    string
		want []string // "path a b", a or b "nil" when absent
	}{
		{"equal, spelt differently", `{"metrics":["auc"],"train":{"optimizer":{"adam":{"lr":1e-3}}},"model":{"layers":[{"dense":64.0},{"dropout":2e-1}]},` +
			`"data":{"features":{"Sepal.Length":{"numeric":{}}},"source":{"file":"c.csv"}},"name":"credit"}`, nil},
		{"a value", replace(base, `"lr":0.001`, `"lr":0.003`), []string{"train.optimizer.adam.lr 0.001 0.003"}},
		{"a list element", replace(base, `{"dense":64}`, `{"dense":128}`), []string{"model.layers[0].dense 64 128"}},
		{"a layer more", replace(base, `{"dropout":0.2}]`, `{"dropout":0.2},{"dense":8}]`), []string{"model.layers[2].dense nil 8"}},
		{"a one-of switched", replace(base, `"adam":{"lr":0.001}`, `"sgd":{"lr":0.001}`),
			[]string{"train.optimizer.adam.lr 0.001 nil", "train.optimizer.sgd.lr nil 0.001"}},
		{"a quoted key", replace(base, `"numeric":{}`, `"categorical":{}`),
			[]string{`data.features."Sepal.Length".categorical nil {}`, `data.features."Sepal.Length".numeric {} nil`}},
		{"metadata", replace(base, `"name":"credit"`, `"name":"credit2"`), []string{`name "credit" "credit2"`}},
		{"a string list", replace(base, `["auc"]`, `["auc","f1"]`), []string{`metrics[1] nil "f1"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want != nil && tt.b == base {
				t.Fatal("the variant did not change the spec")
			}
			diffs, err := Diff([]byte(base), []byte(tt.b))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range diffs {
				got = append(got, d.Path+" "+orNil(d.A)+" "+orNil(d.B))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("diffs\n got %q\nwant %q", got, tt.want)
			}
		})
	}
	if _, err := Diff([]byte(base), []byte(`{"a":`)); err == nil {
		t.Error("a broken spec diffed without error")
	}
}

func replace(s, old, new string) string { return strings.Replace(s, old, new, 1) }

func orNil(raw json.RawMessage) string {
	if raw == nil {
		return "nil"
	}
	return string(raw)
}
