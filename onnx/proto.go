package onnx

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The messages of onnx.proto (IR version 8) that an exported model uses,
// with their field numbers, encoded with protowire: a few messages do not
// need generated code. onnx.proto is proto2, so repeated scalars are
// written unpacked, as its own writers do; every reader accepts both.

// Tensor element types (TensorProto.DataType).
const (
	typeFloat  = 1
	typeInt64  = 7
	typeString = 8
	typeBool   = 9
	typeDouble = 11
)

// Attribute types (AttributeProto.AttributeType).
const (
	attrFloat   = 1
	attrInt     = 2
	attrString  = 3
	attrFloats  = 6
	attrInts    = 7
	attrStrings = 8
)

type modelProto struct {
	irVersion       int64
	opsets          []opset
	producerName    string
	producerVersion string
	docString       string
	graph           *graphProto
	metadata        [][2]string
}

type opset struct {
	domain  string
	version int64
}

type graphProto struct {
	name         string
	nodes        []*nodeProto
	initializers []*tensorProto
	inputs       []valueInfo
	outputs      []valueInfo
}

type nodeProto struct {
	inputs, outputs []string
	name, opType    string
	domain          string
	attrs           []attribute
}

type attribute struct {
	name    string
	typ     int
	f       float32
	i       int64
	s       []byte
	ints    []int64
	floats  []float32
	strings [][]byte
}

type tensorProto struct {
	name     string
	dims     []int64
	dataType int
	raw      []byte   // little-endian numbers
	strings  [][]byte // string tensors
}

// valueInfo is a graph input or output: a tensor of elemType whose dims are
// sizes or, where a size is 0, the symbolic batch dimension "N".
type valueInfo struct {
	name     string
	elemType int
	dims     []int64
}

func (m *modelProto) marshal() []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(m.irVersion))
	b = appendString(b, 2, m.producerName)
	b = appendString(b, 3, m.producerVersion)
	b = appendString(b, 6, m.docString)
	b = appendMessage(b, 7, m.graph.marshal())
	for _, o := range m.opsets {
		var ob []byte
		ob = appendString(ob, 1, o.domain)
		ob = protowire.AppendTag(ob, 2, protowire.VarintType)
		ob = protowire.AppendVarint(ob, uint64(o.version))
		b = appendMessage(b, 8, ob)
	}
	for _, kv := range m.metadata {
		var e []byte
		e = appendString(e, 1, kv[0])
		e = appendString(e, 2, kv[1])
		b = appendMessage(b, 14, e)
	}
	return b
}

func (g *graphProto) marshal() []byte {
	var b []byte
	for _, n := range g.nodes {
		b = appendMessage(b, 1, n.marshal())
	}
	b = appendString(b, 2, g.name)
	for _, t := range g.initializers {
		b = appendMessage(b, 5, t.marshal())
	}
	for _, v := range g.inputs {
		b = appendMessage(b, 11, v.marshal())
	}
	for _, v := range g.outputs {
		b = appendMessage(b, 12, v.marshal())
	}
	return b
}

func (n *nodeProto) marshal() []byte {
	var b []byte
	for _, in := range n.inputs {
		b = appendBytes(b, 1, []byte(in))
	}
	for _, out := range n.outputs {
		b = appendBytes(b, 2, []byte(out))
	}
	b = appendString(b, 3, n.name)
	b = appendString(b, 4, n.opType)
	for _, a := range n.attrs {
		b = appendMessage(b, 5, a.marshal())
	}
	b = appendString(b, 7, n.domain)
	return b
}

func (a *attribute) marshal() []byte {
	var b []byte
	b = appendString(b, 1, a.name)
	switch a.typ {
	case attrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.f))
	case attrInt:
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(a.i))
	case attrString:
		b = appendBytes(b, 4, a.s)
	case attrFloats:
		for _, f := range a.floats {
			b = protowire.AppendTag(b, 7, protowire.Fixed32Type)
			b = protowire.AppendFixed32(b, math.Float32bits(f))
		}
	case attrInts:
		for _, i := range a.ints {
			b = protowire.AppendTag(b, 8, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(i))
		}
	case attrStrings:
		for _, s := range a.strings {
			b = appendBytes(b, 9, s)
		}
	}
	b = protowire.AppendTag(b, 20, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(a.typ))
}

func (t *tensorProto) marshal() []byte {
	var b []byte
	for _, d := range t.dims {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(d))
	}
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(t.dataType))
	for _, s := range t.strings {
		b = appendBytes(b, 6, s)
	}
	b = appendString(b, 8, t.name)
	if t.dataType != typeString {
		b = appendBytes(b, 9, t.raw)
	}
	return b
}

func (v *valueInfo) marshal() []byte {
	var shape []byte
	for _, d := range v.dims {
		var dim []byte
		if d > 0 {
			dim = protowire.AppendTag(dim, 1, protowire.VarintType)
			dim = protowire.AppendVarint(dim, uint64(d))
		} else {
			dim = appendString(dim, 2, "N")
		}
		shape = appendMessage(shape, 1, dim)
	}
	var tensor []byte
	tensor = protowire.AppendTag(tensor, 1, protowire.VarintType)
	tensor = protowire.AppendVarint(tensor, uint64(v.elemType))
	tensor = appendMessage(tensor, 2, shape)
	var b []byte
	b = appendString(b, 1, v.name)
	return appendMessage(b, 2, appendMessage(nil, 1, tensor))
}

// appendString writes a string field, leaving out an empty one (proto2's
// optional fields are absent when unset).
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return appendBytes(b, num, []byte(s))
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	return appendBytes(b, num, msg)
}

// Raw little-endian data of numeric tensors.

func rawFloats(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func rawDoubles(v []float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return b
}

func rawInt64s(v []int64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return b
}
