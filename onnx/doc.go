// Package onnx writes a trained run as one ONNX model: its fitted
// preprocessing and its network in a single graph that any ONNX runtime
// scores, with no xp and no Python beside it.
//
// The graph has one input per column the run reads, named as a table to
// score names it (before any rename), each of shape [N, 1]: float64 for a
// numeric column (NaN is a missing value), string for a categorical one
// (the empty string is a missing value; a number comes as its shortest
// text, "415" rather than "415.0"). Numeric steps and scaling (fill_na,
// clip, replace, standardize, min-max) run in float64 as xp computes them
// and are rounded to float32 once, so the features are the bits
// data.Pipeline.Transform gives. A categorical column becomes an
// ai.onnx.ml LabelEncoder from every string that reaches a known category,
// through its fill and replace steps, to that category's index, then
// one-hot inputs (Equal against the positions) or its embedding table's
// row (Gather). The network is Gemm and the activations (GELU as erf),
// batch norm at inference as the engine computes it, and the head: outputs
// "probabilities" (float [N, classes], softmax or the binary head's 1-σ
// and σ) and "label" (string [N]), or "value" (float64 [N, 1], the
// regression's prediction in the target's units).
//
// What no standard operator computes as xp does is refused with
// ErrUnsupported and the reason: text hashing (FNV-1a over Unicode word
// n-grams), normalize_text, cast to number, and numeric steps on a
// column encoded as categories.
//
// The protobuf is written with google.golang.org/protobuf's protowire, by
// the field numbers of onnx.proto (IR version 8, opset 17, ai.onnx.ml 3),
// with no generated code and no cgo.
package onnx
