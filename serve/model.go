package serve

import (
	"errors"
	"fmt"

	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/predict"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// Model is one run to serve: its record and its loaded predictor.
type Model struct {
	Run       *store.Run
	Predictor *predict.Predictor

	name    string // in URLs: the experiment, or the short key when runs share it
	schema  *data.InputSchema
	names   []string // schema's inputs' names
	info    modelInfo
	workers *pool
	// What every JSON answer repeats, written once (answerParts).
	answerHead []byte
	classJSON  [][]byte
	keyHeader  []string // X-Xp-Run-Key's value
}

// NewModel prepares run r, loaded as p (predict.Load), to be served.
func NewModel(r *store.Run, p *predict.Predictor) (*Model, error) {
	schema, err := p.Pipeline.InputSchema()
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", r.Short(), err)
	}
	m := &Model{Run: r, Predictor: p, schema: schema, names: schema.Names()}
	m.info = m.describe()
	return m, nil
}

// regression reports a model that predicts a number rather than a class.
func (m *Model) regression() bool { return m.Predictor.Pipeline.Task == data.TaskRegression }

// modelInfo is a model as GET /v1/models describes it.
type modelInfo struct {
	Name       string                        `json:"name"`
	Key        string                        `json:"key"`
	Experiment string                        `json:"experiment"`
	Commit     string                        `json:"commit,omitempty"`
	Dirty      bool                          `json:"dirty"`
	Backend    string                        `json:"backend"`
	Task       string                        `json:"task"`
	Target     string                        `json:"target"`
	Classes    []string                      `json:"classes,omitempty"`
	Metrics    map[string]map[string]float64 `json:"metrics"`
	Inputs     []inputInfo                   `json:"inputs"`
	Predict    string                        `json:"predict"`
}

// inputInfo is one column a row to score must have.
type inputInfo struct {
	Name string `json:"name"`
	// Type is "number" (JSON numbers or null) or "text" (strings; numbers
	// are read as their text).
	Type       string   `json:"type"`
	Encoding   string   `json:"encoding"`
	Categories []string `json:"categories,omitempty"`
	// Other is the input that every value not among the categories takes
	// ("" when such values encode as no input at all).
	Other string `json:"other,omitempty"`
}

func (m *Model) describe() modelInfo {
	task := "classification"
	if m.regression() {
		task = "regression"
	}
	info := modelInfo{
		Key: m.Run.Key, Experiment: m.Run.Experiment, Dirty: m.Run.Dirty,
		Backend: m.Predictor.Backend.Name(), Task: task, Target: m.Predictor.Pipeline.Target,
		Classes: m.Predictor.Pipeline.Classes, Metrics: runner.FinalMetrics(m.Run),
	}
	if rec, err := provenance.Parse(m.Run.Provenance); err == nil && rec != nil {
		info.Commit = rec.Commit
	}
	for _, in := range m.schema.Inputs {
		info.Inputs = append(info.Inputs, inputInfo{Name: in.Name, Type: in.Type, Encoding: in.Encoding,
			Categories: in.Categories, Other: in.Other})
	}
	return info
}

// ErrNoModels is a server asked to serve nothing.
var ErrNoModels = errors.New("no models to serve")

// nameModels gives each model its URL name: its experiment's, unless
// another model served has the same experiment, in which case both go by
// their short keys. A run named twice is an error.
func nameModels(models []*Model) error {
	if len(models) == 0 {
		return ErrNoModels
	}
	count := map[string]int{}
	keys := map[string]bool{}
	for _, m := range models {
		if keys[m.Run.Key] {
			return fmt.Errorf("run %s is named twice", m.Run.Short())
		}
		keys[m.Run.Key] = true
		count[m.Run.Experiment]++
	}
	for _, m := range models {
		m.name = m.Run.Experiment
		if count[m.name] > 1 {
			m.name = m.Run.Short()
		}
		m.info.Name = m.name
		m.info.Predict = "/v1/models/" + m.name + ":predict"
		m.answerParts()
		m.keyHeader = []string{m.Run.Key}
	}
	return nil
}
