package gorgonia

import (
	"context"
	"fmt"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/model"
)

// Version identifies the numerics of this backend: gorgonia's graph and
// kernels, the tensor package, gonum's BLAS that tensor calls for GEMM, and
// this package's own graph and optimizer code (the trailing revision, bumped
// whenever a change here can alter a bit of a result).
const Version = "gorgonia-v0.9.18+tensor-v0.9.24+gonum-v0.11.0/1"

// Backend runs models through gorgonia's expression graph on the CPU.
type Backend struct{}

var _ backends.Backend = Backend{}

func init() { backends.Register(Backend{}) }

// Name is the kind recorded with every run trained here.
func (Backend) Name() string { return "gorgonia" }

// Version returns [Version].
func (Backend) Version() string { return Version }

// Available is always nil: gorgonia's CPU path is pure Go.
func (Backend) Available() error { return nil }

// Compile checks m, params and cfg and returns a trainer that starts from a
// copy of params. Graphs are built lazily, one per batch size seen.
func (Backend) Compile(ctx context.Context, m *model.Model, params *model.Params, cfg backends.Config) (backends.Trainer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("gorgonia: compile: %w", err)
	}
	if params == nil {
		return nil, fmt.Errorf("gorgonia: compile: no params")
	}
	if err := params.Check(m); err != nil {
		return nil, fmt.Errorf("gorgonia: compile: %w", err)
	}
	if cfg.BatchSize <= 0 {
		return nil, fmt.Errorf("gorgonia: compile: batch size %d", cfg.BatchSize)
	}
	if err := backends.CheckOptimizer(m.Optimizer); err != nil {
		return nil, fmt.Errorf("gorgonia: compile: %w", err)
	}
	return newTrainer(m, params, cfg), nil
}
