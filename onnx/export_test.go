package onnx_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/model"
	"github.com/xp-ml/xp/onnx"
)

// pipeline reads a preprocessing.json of columns and steps, and makes a
// logistic regression over its features with weights from a seed.
func pipeline(t *testing.T, columns, features, steps string) (*data.Pipeline, *model.Model, *model.Params) {
	t.Helper()
	var p data.Pipeline
	doc := fmt.Sprintf(`{"version": 2, "target": "y", "classes": ["a", "b"], "steps": [%s], "columns": [%s], "features": [%s]}`, steps, columns, features)
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	m := &model.Model{Inputs: len(p.Features), Classes: 2, Embeddings: nil,
		Layers:    []model.Layer{{Kind: model.Dense, In: len(p.Features), Out: 2, Activation: model.ActNone}},
		Optimizer: model.Optimizer{Kind: model.SGD, LR: 0.1}}
	params, err := model.Init(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	return &p, m, params
}

const (
	ageColumn  = `{"name": "Age", "kind": "numeric", "encoding": "standardize", "mean": 40, "std": 10}`
	homeColumn = `{"name": "Home", "kind": "categorical", "encoding": "onehot", "categories": ["own", "rent"]}`
)

// What no standard operator computes as xp does is refused, naming the
// column and why.
func TestExportRefuses(t *testing.T) {
	tests := []struct {
		name, columns, features, steps, want string
	}{
		{"text hashing", ageColumn + `, {"name": "review", "kind": "text", "encoding": "hashing", "buckets": 2, "ngrams": 1}`,
			`"Age", "review#0", "review#1"`, ``, `column "review": text hashing`},
		{"normalize_text", homeColumn, `"Home=own", "Home=rent"`,
			`{"kind": "normalize_text", "columns": ["Home"], "lowercase": true}`, `column "Home": normalize_text`},
		{"cast to number", ageColumn, `"Age"`,
			`{"kind": "cast", "column": "Age", "to": "number"}`, `column "Age": cast to number`},
		{"numbers made categories", homeColumn, `"Home=own", "Home=rent"`,
			`{"kind": "fill_na", "fill": {"column": "Home", "numeric": true, "number": 1}}`, `column "Home": fill_na on a categorical input as numbers`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, m, params := pipeline(t, tt.columns, tt.features, tt.steps)
			_, err := onnx.Export(p, m, params, onnx.Meta{})
			if !errors.Is(err, onnx.ErrUnsupported) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrUnsupported naming %q", err, tt.want)
			}
		})
	}
}

// The model's protobuf holds what the package documents: IR 8, opsets 17
// and ai.onnx.ml 3, one input per column as a table names it (before
// renames), float64 for numbers and strings for categories, and the
// outputs.
func TestExportStructure(t *testing.T) {
	p, m, params := pipeline(t, ageColumn+", "+strings.Replace(homeColumn, `"Home"`, `"Housing"`, 1), `"Age", "Housing=own", "Housing=rent"`,
		`{"kind": "rename", "rename": {"Home": "Housing"}}, {"kind": "fill_na", "fill": {"column": "Housing", "numeric": false, "text": "rent"}}`)
	b, err := onnx.Export(p, m, params, onnx.Meta{Key: "k", Experiment: "e", Version: "v"})
	if err != nil {
		t.Fatal(err)
	}
	model := decode(t, b)
	if got := fmt.Sprint(model[1]); got != "[8]" {
		t.Errorf("ir_version %s", got)
	}
	var opsets []string
	for _, o := range model[8] {
		f := decode(t, o.([]byte))
		opsets = append(opsets, fmt.Sprintf("%q:%v", bytesOf(f[1]), f[2][0]))
	}
	if got := strings.Join(opsets, " "); got != `"":17 "ai.onnx.ml":3` {
		t.Errorf("opsets %s", got)
	}
	graph := decode(t, model[7][0].([]byte))
	io := func(field protowire.Number) []string {
		var out []string
		for _, v := range graph[field] {
			vi := decode(t, v.([]byte))
			typ := decode(t, decode(t, vi[2][0].([]byte))[1][0].([]byte))
			out = append(out, fmt.Sprintf("%s:%v", bytesOf(vi[1]), typ[1][0]))
		}
		return out
	}
	// Element types: 1 float, 8 string, 11 double.
	if got := fmt.Sprint(io(11)); got != "[Age:11 Home:8]" {
		t.Errorf("inputs %s", got)
	}
	if got := fmt.Sprint(io(12)); got != "[probabilities:1 label:8]" {
		t.Errorf("outputs %s", got)
	}
	var ops []string
	for _, n := range graph[1] {
		node := decode(t, n.([]byte))
		op := bytesOf(node[4])
		if d := bytesOf(node[7]); d != "" {
			op = d + "." + op
		}
		ops = append(ops, op)
	}
	want := "IsNaN Where Sub Div Cast ai.onnx.ml.LabelEncoder Equal Cast Concat Gemm Softmax Identity ArgMax ai.onnx.ml.LabelEncoder Identity"
	if got := strings.Join(ops, " "); got != want {
		t.Errorf("nodes\n%s\nwant\n%s", got, want)
	}
}

// decode reads one protobuf message into its fields: varints as uint64,
// length-delimited fields as []byte, fixed32 as uint32.
func decode(t *testing.T, b []byte) map[protowire.Number][]any {
	t.Helper()
	out := map[protowire.Number][]any{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		var v any
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.Fixed32Type:
			v, n = protowire.ConsumeFixed32(b)
		default:
			t.Fatalf("field %d: wire type %d", num, typ)
		}
		if n < 0 {
			t.Fatalf("field %d: %v", num, protowire.ParseError(n))
		}
		out[num] = append(out[num], v)
		b = b[n:]
	}
	return out
}

func bytesOf(vs []any) string {
	if len(vs) == 0 {
		return ""
	}
	return string(vs[0].([]byte))
}
