package onnx

import (
	"fmt"
	"strings"
)

// domainML is the domain of the ai.onnx.ml operators (LabelEncoder).
const domainML = "ai.onnx.ml"

// builder grows a graph: nodes with one output each, named by what they
// compute and a counter, and constants as initializers.
type builder struct {
	g *graphProto
	n int
}

func newBuilder(name string) *builder { return &builder{g: &graphProto{name: name}} }

// fresh is a new tensor name: scope/what_n.
func (b *builder) fresh(scope, what string) string {
	b.n++
	if scope == "" {
		return fmt.Sprintf("%s_%d", what, b.n)
	}
	return fmt.Sprintf("%s/%s_%d", strings.ReplaceAll(scope, "/", "_"), what, b.n)
}

// op adds a node of the standard domain and returns its output's name.
func (b *builder) op(scope, opType string, inputs []string, attrs ...attribute) string {
	return b.opIn("", scope, opType, inputs, attrs...)
}

// ml adds a node of the ai.onnx.ml domain.
func (b *builder) ml(scope, opType string, inputs []string, attrs ...attribute) string {
	return b.opIn(domainML, scope, opType, inputs, attrs...)
}

func (b *builder) opIn(domain, scope, opType string, inputs []string, attrs ...attribute) string {
	out := b.fresh(scope, opType)
	b.g.nodes = append(b.g.nodes, &nodeProto{
		inputs: inputs, outputs: []string{out}, name: out, opType: opType, domain: domain, attrs: attrs,
	})
	return out
}

// rename adds an Identity node whose output is called name: how a graph
// output gets its name.
func (b *builder) rename(in, name string) {
	b.g.nodes = append(b.g.nodes, &nodeProto{inputs: []string{in}, outputs: []string{name}, name: name, opType: "Identity"})
}

func (b *builder) constant(scope, what string, t *tensorProto) string {
	t.name = b.fresh(scope, what)
	b.g.initializers = append(b.g.initializers, t)
	return t.name
}

// double is a scalar float64 constant (a 0-d tensor, which broadcasts).
func (b *builder) double(scope, what string, v float64) string {
	return b.constant(scope, what, &tensorProto{dataType: typeDouble, raw: rawDoubles([]float64{v})})
}

func (b *builder) floats(scope, what string, dims []int64, v []float32) string {
	return b.constant(scope, what, &tensorProto{dataType: typeFloat, dims: dims, raw: rawFloats(v)})
}

func (b *builder) int64s(scope, what string, dims []int64, v []int64) string {
	return b.constant(scope, what, &tensorProto{dataType: typeInt64, dims: dims, raw: rawInt64s(v)})
}

func (b *builder) input(name string, elemType int) {
	b.g.inputs = append(b.g.inputs, valueInfo{name: name, elemType: elemType, dims: []int64{0, 1}})
}

func (b *builder) output(name string, elemType int, dims ...int64) {
	b.g.outputs = append(b.g.outputs, valueInfo{name: name, elemType: elemType, dims: dims})
}

func intAttr(name string, v int64) attribute { return attribute{name: name, typ: attrInt, i: v} }

func floatAttr(name string, v float32) attribute { return attribute{name: name, typ: attrFloat, f: v} }

func stringAttr(name, v string) attribute {
	return attribute{name: name, typ: attrString, s: []byte(v)}
}

func intsAttr(name string, v []int64) attribute { return attribute{name: name, typ: attrInts, ints: v} }

func stringsAttr(name string, v []string) attribute {
	a := attribute{name: name, typ: attrStrings}
	for _, s := range v {
		a.strings = append(a.strings, []byte(s))
	}
	return a
}
