package onnx

import (
	"errors"
	"fmt"

	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/model"
)

// Versions written: IR 8 with opset 17 and ai.onnx.ml 3 is what ONNX 1.12
// (Debian 12's python3-onnx) checks, and what every current runtime runs.
const (
	irVersion = 8
	opsetONNX = 17
	opsetML   = 3
)

// The graph's outputs.
const (
	OutputProbabilities = "probabilities"
	OutputLabel         = "label"
	OutputValue         = "value"
)

// ErrUnsupported is a run whose preprocessing or model has a part that no
// standard ONNX operator computes as xp does; the error says which.
var ErrUnsupported = errors.New("cannot be exported to ONNX")

// Meta is what the model says about where it came from.
type Meta struct {
	Key, Experiment, Version string
}

// Export writes a trained run, its fitted preprocessing p, its model m and
// its weights, as one ONNX model (see the package documentation for its
// inputs and outputs).
func Export(p *data.Pipeline, m *model.Model, params *model.Params, meta Meta) ([]byte, error) {
	routes, err := p.Routes()
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := params.Check(m); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	e := &exporter{b: newBuilder(meta.Experiment), pipeline: p, model: m, params: params}
	var features []string
	for _, r := range routes {
		f, err := e.column(r)
		if err != nil {
			return nil, err
		}
		if f != "" {
			features = append(features, f)
		}
	}
	if len(features) == 0 {
		return nil, fmt.Errorf("export: the pipeline encodes no features")
	}
	x := features[0]
	if len(features) > 1 {
		x = e.b.op("features", "Concat", features, intAttr("axis", 1))
	}
	z, err := e.network(x)
	if err != nil {
		return nil, err
	}
	e.head(z)
	mp := &modelProto{
		irVersion:       irVersion,
		opsets:          []opset{{"", opsetONNX}, {domainML, opsetML}},
		producerName:    "xp",
		producerVersion: meta.Version,
		docString:       fmt.Sprintf("xp run %s of experiment %s: its fitted preprocessing and network", meta.Key, meta.Experiment),
		graph:           e.b.g,
		metadata: [][2]string{
			{"xp.run_key", meta.Key}, {"xp.experiment", meta.Experiment}, {"xp.target", p.Target},
		},
	}
	return mp.marshal(), nil
}

// exporter builds one model's graph.
type exporter struct {
	b        *builder
	pipeline *data.Pipeline
	model    *model.Model
	params   *model.Params
	embedded int // embedding tables used so far
}

// refuse is the error for a column whose encoding cannot be exported.
func refuse(column, why string) error {
	return fmt.Errorf("%w: column %q: %s", ErrUnsupported, column, why)
}
