package runner

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/internal/project"
	"github.com/xp-ml/xp/metric"
)

// The names a run gives its data sources, in its data hashes.
const (
	SourceMain = "source"      // data.source
	SourceTest = "test_source" // data.test_source
)

// DataOptions say where remote sources are cached and how they are fetched.
type DataOptions struct {
	// CacheDir holds fetched files; "" finds the project's .xp/cache from
	// the experiment's directory (Run uses its store's).
	CacheDir string
	// HTTPClient fetches http sources (nil: a default with timeouts).
	HTTPClient *http.Client
}

// resolveSources makes every source of exp available on this machine
// (fetching remote ones into the cache) and hashes it. Errors about a
// spec field are *spec.FieldError with its position.
func resolveSources(ctx context.Context, exp *spec.Experiment, o DataOptions) (map[string]*data.Source, error) {
	so := data.SourceOptions{Dir: exp.Dir, CacheDir: o.CacheDir, HTTPClient: o.HTTPClient, Limits: exp.Spec.Data.Limits}
	if so.CacheDir == "" {
		so.CacheDir = project.CacheDir(project.Root(exp.Dir))
	}
	out := map[string]*data.Source{}
	d := exp.Spec.Data
	for _, s := range []struct {
		name, field string
		src         *spec.Source
	}{{SourceMain, "data.source", &d.Source}, {SourceTest, "data.test_source", d.TestSource}} {
		if s.src == nil {
			continue
		}
		src, err := data.ResolveSource(ctx, s.field, *s.src, so)
		if err != nil {
			return nil, exp.Locate(err)
		}
		out[s.name] = src
	}
	return out, nil
}

// readData reads the job's sources and turns them into training
// matrices; it decides the model's head and notes the source line of
// every test row.
func (s *session) readData(ctx context.Context) error {
	j := s.job
	if j.Sources == nil {
		srcs, err := resolveSources(ctx, j.Exp, DataOptions{})
		if err != nil {
			return err
		}
		j.Sources = srcs
	}
	frame, err := readSource(ctx, j.Exp, j.Sources[SourceMain])
	if err != nil {
		return err
	}
	var test *data.Frame
	if ts := j.Sources[SourceTest]; ts != nil {
		if test, err = readSource(ctx, j.Exp, ts); err != nil {
			return err
		}
	}
	task, err := data.TaskFor(&j.Exp.Spec, frame)
	if err != nil {
		return j.Exp.Locate(err)
	}
	s.head = ResolveHead(&j.Exp.Spec, task)
	prep, err := data.PrepareTask(frame, test, j.Exp.Spec.Data, task)
	if err != nil {
		return j.Exp.Locate(err)
	}
	lines := frame.Line
	if test != nil {
		lines = test.Line
	}
	s.testLines = make([]int, len(prep.TestRows))
	for i, r := range prep.TestRows {
		s.testLines[i] = lines[r]
	}
	s.prep = prep
	return nil
}

// readSource reads a source's rows; an error reading them (a ragged row,
// text that is not UTF-8) points at the spec field naming the source, as
// xp vet reports it.
func readSource(ctx context.Context, exp *spec.Experiment, src *data.Source) (*data.Frame, error) {
	f, err := src.Read(ctx)
	if err != nil && ctx.Err() == nil && !errors.As(err, new(*spec.FieldError)) {
		return nil, exp.FieldError(src.AddressField(), err)
	}
	return f, err
}

// DataReport is what a run records about its data (data.json in its
// artifact directory): where it came from, what cleaning did, how it was
// encoded. `xp show` prints it.
type DataReport struct {
	Sources       map[string]SourceReport `json:"sources"`
	Rows          map[string]int          `json:"rows"` // by split
	DroppedTarget int                     `json:"dropped_target,omitempty"`
	Features      int                     `json:"features"`
	Classes       []string                `json:"classes"`
	// Head and Loss are what the model trained: the spec's, or for a spec
	// that names no head, the target's (a regression's loss and metrics
	// then follow it). Scale is a regression target's standardization.
	Head  string            `json:"head,omitempty"`
	Loss  string            `json:"loss,omitempty"`
	Scale *data.TargetScale `json:"scale,omitempty"`
	Rules []data.RuleReport `json:"rules"`
	Notes []string          `json:"notes,omitempty"`
	// Embeddings are the columns encoded as embedding indices, each with
	// its table's vocabulary and dim.
	Embeddings []data.Embedding `json:"embeddings,omitempty"`
}

// SourceReport describes one resolved source.
type SourceReport struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Cached bool   `json:"cached,omitempty"`
}

// ReadDataReport reads a run's data.json from its artifact directory.
func ReadDataReport(dir string) (*DataReport, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "data.json"))
	if err != nil {
		return nil, err
	}
	var r DataReport
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, "data.json"), err)
	}
	return &r, nil
}

// recordData logs what preparing the data did and saves it as data.json.
func (s *session) recordData() error {
	prep, log := s.prep, s.log
	for _, n := range prep.Notes {
		log.Printf("note: %s", n)
	}
	r := DataReport{
		Sources:       map[string]SourceReport{},
		Rows:          map[string]int{"train": prep.Train.N, "validation": prep.Val.N, "test": prep.Test.N},
		DroppedTarget: prep.DroppedTarget,
		Features:      len(prep.Features),
		Classes:       prep.Classes,
		Head:          s.head,
		Loss:          s.spec.Train.Loss.Kind(),
		Rules:         prep.Report,
		Notes:         prep.Notes,
		Embeddings:    prep.Embeddings,
	}
	if prep.Task == data.TaskRegression {
		r.Scale = &prep.Scale
	}
	for name, src := range s.job.Sources {
		r.Sources[name] = SourceReport{Kind: src.Kind, Name: src.Name, SHA256: src.SHA256, Cached: src.Cached}
		log.Printf("%s: %s %s sha256:%s", name, src.Kind, src.Name, src.SHA256)
	}
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(s.dir, "data.json"), raw, 0o644); err != nil {
		return fmt.Errorf("save data report: %w", err)
	}
	return nil
}

// TestPredictionsFile is where a run keeps the probabilities it gave each
// test row, so `xp predict` can be checked against them.
const TestPredictionsFile = "test_predictions.csv"

// saveTestPredictions writes one line per test row: its line in the
// source, its class, the predicted class, and every class probability
// (shortest float32 text, which reads back to the same bits).
func saveTestPredictions(path string, lines []int, classes []string, y []int32, probs []float32) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("save test predictions: %w", err)
	}
	w := csv.NewWriter(bufio.NewWriter(f))
	k := len(classes)
	header := []string{"line", "label", "predicted"}
	for _, c := range classes {
		header = append(header, "p_"+c)
	}
	w.Write(header)
	rec := make([]string, 0, 3+k)
	for i := range y {
		p := probs[i*k : (i+1)*k]
		rec = append(rec[:0], strconv.Itoa(lines[i]), classes[y[i]], classes[metric.Argmax(p)])
		for _, v := range p {
			// The shortest text that reads back to the same float32: what
			// `xp predict` prints for these rows.
			rec = append(rec, strconv.FormatFloat(float64(v), 'g', -1, 32))
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("save test predictions: %w", err)
	}
	return f.Close()
}

// saveTestRegression writes one line per test row of a regression: its
// line in the source, its target and the prediction, both in the target's
// units (the prediction is the model's standardized output mapped back,
// in float64, written as the shortest text that reads back the same).
func saveTestRegression(path string, lines []int, scale data.TargetScale, target []float64, pred []float32) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("save test predictions: %w", err)
	}
	w := csv.NewWriter(bufio.NewWriter(f))
	w.Write([]string{"line", "target", "predicted"})
	for i, t := range target {
		w.Write([]string{strconv.Itoa(lines[i]), strconv.FormatFloat(t, 'g', -1, 64), strconv.FormatFloat(scale.Unscale(pred[i]), 'g', -1, 64)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("save test predictions: %w", err)
	}
	return f.Close()
}
