package predict

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/model"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// ErrNoModel is a run that has no trained model to score with.
var ErrNoModel = errors.New("no trained model to score with")

// Predictor scores new rows with a trained run: its fitted preprocessing,
// its weights and its model, rebuilt from its resolved spec.
type Predictor struct {
	Pipeline *data.Pipeline
	Model    *model.Model
	Params   *model.Params
	Spec     spec.Spec
	// Backend scores; the run's own when this xp has it, so the
	// probabilities are the bits training computed.
	Backend backends.Backend
	// Note says why Backend is not the run's, when it is not.
	Note string

	// encoder is Pipeline's, made by the first Encode: Pipeline must not
	// change after it.
	encoderOnce sync.Once
	encoder     *data.Encoder
	encoderErr  error
}

// Load reads what run r saved in its artifact directory dir
// (preprocessing.json, weights.bin, spec.json). backend overrides the
// backend to score with ("" = the run's, or a CPU backend when this xp
// cannot run that one).
func Load(dir string, r *store.Run, backend string) (*Predictor, error) {
	if r.Status != store.StatusSucceeded {
		return nil, fmt.Errorf("%w: run %s is %s; only a succeeded run has weights", ErrNoModel, store.ShortKey(r.Key), r.Status)
	}
	// A succeeded run's artifacts are gone or damaged only when something
	// outside xp touched them: say which, and how to get them back.
	damaged := func(file string, err error) error {
		what := "is damaged"
		if errors.Is(err, fs.ErrNotExist) {
			what = "is missing"
		}
		short := store.ShortKey(r.Key)
		return fmt.Errorf("%w: run %s's %s %s (%v); `xp doctor` checks every run's artifacts, `xp rerun %s` trains the run again from its commit",
			ErrNoModel, short, file, what, err, short)
	}
	p := &Predictor{Pipeline: &data.Pipeline{}}
	raw, err := os.ReadFile(filepath.Join(dir, "preprocessing.json"))
	if err != nil {
		return nil, damaged("preprocessing.json", err)
	}
	if err := json.Unmarshal(raw, p.Pipeline); err != nil {
		return nil, damaged("preprocessing.json", fmt.Errorf("read %s: %w", filepath.Join(dir, "preprocessing.json"), err))
	}
	specJSON := []byte(r.Spec)
	if len(specJSON) == 0 {
		if specJSON, err = os.ReadFile(filepath.Join(dir, "spec.json")); err != nil {
			return nil, damaged("spec.json", err)
		}
	}
	// The resolved spec carries metadata (name, description, tags) that
	// spec.Spec leaves out: decode leniently.
	if err := json.Unmarshal(specJSON, &p.Spec); err != nil {
		return nil, fmt.Errorf("read the spec of run %s: %w", store.ShortKey(r.Key), err)
	}
	if p.Params, err = model.Load(filepath.Join(dir, "weights.bin")); err != nil {
		return nil, damaged("weights.bin", err)
	}
	head := runner.ResolveHead(&p.Spec, p.Pipeline.Task)
	if p.Model, err = runner.BuildModelFor(&p.Spec, len(p.Pipeline.Features), len(p.Pipeline.Classes), head, p.Pipeline.Embeddings()); err != nil {
		return nil, fmt.Errorf("rebuild the model of run %s: %w", store.ShortKey(r.Key), err)
	}
	if err := p.Params.Check(p.Model); err != nil {
		return nil, fmt.Errorf("run %s: weights do not fit its model: %w", store.ShortKey(r.Key), err)
	}
	if backend == "" {
		backend = r.Backend
	}
	b, err := backends.Get(backend)
	if err == nil {
		err = b.Available()
	}
	if err != nil {
		// Any CPU backend scores the same model; only the last bits may differ.
		cpu, cerr := runner.CPUBackend()
		if cerr != nil {
			return nil, fmt.Errorf("score with %s: %w", backend, err)
		}
		p.Note = fmt.Sprintf("run %s trained on %s, which cannot run here (%v); scoring on %s: probabilities may differ in the last bits",
			store.ShortKey(r.Key), backend, err, cpu.Name())
		b = cpu
	}
	p.Backend = b
	return p, nil
}

// Predict encodes f as training did and returns the class probabilities
// of each row (N x len(Pipeline.Classes), row-major), or for a regression
// the model's output per row on the standardized scale
// (Pipeline.Scale.Unscale maps it to the target's units). A column the
// model needs and f lacks is an error that names it. It is Encode, then
// Score on a Scorer compiled for the call.
func (p *Predictor) Predict(ctx context.Context, f *data.Frame) ([]float32, error) {
	m, err := p.Encode(f)
	if err != nil {
		return nil, err
	}
	s, err := p.Compile(ctx)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Score(ctx, m)
}

// Encode encodes f's rows as the run's training rows were: its fitted
// cleaning steps, then its encoders (data.Pipeline.Transform), with the
// pipeline's data.Encoder made once for every call.
func (p *Predictor) Encode(f *data.Frame) (data.Matrix, error) {
	p.encoderOnce.Do(func() { p.encoder, p.encoderErr = p.Pipeline.Encoder() })
	if p.encoderErr != nil {
		return data.Matrix{}, fmt.Errorf("transform %s: %w", f.Path, p.encoderErr)
	}
	return p.encoder.Transform(f)
}

// Scorer is a Predictor's model compiled once to score many matrices, as
// a server does. It must not be used by two goroutines at once.
type Scorer struct {
	p  *Predictor
	tr backends.Trainer
}

// Compile compiles the model on the Predictor's backend, one thread, in
// batches of the run's batch size: the batches Predict scores in.
func (p *Predictor) Compile(ctx context.Context) (*Scorer, error) {
	tr, err := p.Backend.Compile(ctx, p.Model, p.Params, backends.Config{
		BatchSize: p.Spec.Train.BatchSize, Seed: uint64(p.Spec.Train.Seed), Threads: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("compile on %s: %w", p.Backend.Name(), err)
	}
	return &Scorer{p: p, tr: tr}, nil
}

// Score returns what the model outputs for m's rows, as Predict does.
// A row's last bits can depend on the rows scored with it (the GEMM of
// OpenBLAS takes other paths for other batch sizes): rows give Predict's
// bits when they are scored in the same batches.
func (s *Scorer) Score(ctx context.Context, m data.Matrix) ([]float32, error) {
	probs := make([]float32, m.N*s.p.Model.PredictWidth())
	// Predict reads no labels or targets.
	if err := s.tr.Predict(ctx, &backends.Batches{X: m.X, N: m.N, D: m.D}, probs); err != nil {
		return nil, err
	}
	return probs, nil
}

// Close releases what Compile took.
func (s *Scorer) Close() error { return s.tr.Close() }
