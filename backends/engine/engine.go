package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/backends/engine/cpu"
	"github.com/xp-ml/xp/backends/engine/device"
	"github.com/xp-ml/xp/model"
)

// Version is the engine's own revision: bump it whenever a change to the
// program (kernel order, fusion, summation) can alter a bit of a result.
// A backend's Version adds its device's (GEMM, processor).
const Version = "engine/2"

// ErrClosed is returned by a Trainer used after Close.
var ErrClosed = errors.New("engine: trainer closed")

// Backend is the engine on one kind of device.
type Backend struct {
	name string
	// open makes a device for one trainer.
	open func(cfg backends.Config) (device.Device, error)
	// version describes the device open would make now, without making it.
	version   func(cfg backends.Config) (string, error)
	available func() error
	// devices lists the ordinals interchangeable with cfg's; nil: one.
	devices func(cfg backends.Config) ([]int, error)
}

var _ backends.Backend = (*Backend)(nil)

// NewBackend is the engine on a kind of device: open makes a device for one
// trainer with cfg (its Threads at least 1), version describes the one open
// would make without making it, and available says whether this machine
// has the device (nil, or an error wrapping backends.ErrUnavailable).
func NewBackend(name string, open func(cfg backends.Config) (device.Device, error), version func(cfg backends.Config) (string, error), available func() error) *Backend {
	return &Backend{name: name, open: open, version: version, available: available}
}

// WithDevices gives b a device that comes in interchangeable copies (a
// GPU): devices lists the ordinals that give cfg's bits. It returns b.
func (b *Backend) WithDevices(devices func(cfg backends.Config) ([]int, error)) *Backend {
	b.devices = devices
	return b
}

// Interchangeable implements backends.Interchangeable.
func (b *Backend) Interchangeable(cfg backends.Config) ([]int, error) {
	if b.devices == nil {
		return []int{cfg.GPU}, nil
	}
	return b.devices(cfg)
}

// CPU is the engine on the CPU device, registered as "cpu": the default
// backend for CPU runs.
var CPU = NewBackend("cpu",
	func(cfg backends.Config) (device.Device, error) { return cpu.New(cfg.Threads) },
	func(cfg backends.Config) (string, error) { return cpu.Version(cfg.Threads) },
	func() error { return nil })

func init() { backends.Register(CPU) }

// Name implements backends.Backend.
func (b *Backend) Name() string { return b.name }

// Version is the engine revision and the device's identity for a run on
// one thread, e.g. "engine/2 gemm=openblas-0.3.21-haswell cpu=amd64/v1
// avx512 AMD EPYC". For the CPU it follows XP_BLAS and whether OpenBLAS
// loads, as Compile will. See VersionFor for runs on more threads.
func (b *Backend) Version() string { return b.VersionFor(backends.Config{}) }

// VersionFor is Version for a run with cfg: OpenBLAS's results depend on
// the thread count, so on more than one thread its name carries the count
// ("gemm=openblas-0.3.21-haswell/2threads"). It is what the Trainer that
// Compile(cfg) returns reports as its Version.
func (b *Backend) VersionFor(cfg backends.Config) string {
	cfg.Threads = max(cfg.Threads, 1)
	v, err := b.version(cfg)
	if err != nil {
		return fmt.Sprintf("%s device-error=%q", Version, err.Error())
	}
	return Version + " " + v
}

// CheckConfig reports why the device for cfg cannot be made here (for
// CUDA, a GPU ordinal the machine does not have), without making it.
func (b *Backend) CheckConfig(cfg backends.Config) error {
	cfg.Threads = max(cfg.Threads, 1)
	_, err := b.version(cfg)
	return err
}

// Available implements backends.Backend; the CPU is always available.
func (b *Backend) Available() error { return b.available() }

// Compile checks m, params and cfg, opens a device, allocates every buffer
// training and prediction will use, and copies params onto the device.
func (b *Backend) Compile(ctx context.Context, m *model.Model, params *model.Params, cfg backends.Config) (backends.Trainer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("engine: compile: %w", err)
	}
	if params == nil {
		return nil, errors.New("engine: compile: no params")
	}
	if err := params.Check(m); err != nil {
		return nil, fmt.Errorf("engine: compile: %w", err)
	}
	if cfg.BatchSize <= 0 {
		return nil, fmt.Errorf("engine: compile: batch size %d", cfg.BatchSize)
	}
	if cfg.Threads < 0 {
		return nil, fmt.Errorf("engine: compile: %d threads", cfg.Threads)
	}
	if err := backends.CheckOptimizer(m.Optimizer); err != nil {
		return nil, fmt.Errorf("engine: compile: %w", err)
	}
	open := cfg
	open.Threads = max(cfg.Threads, 1)
	dev, err := b.open(open)
	if err != nil {
		return nil, fmt.Errorf("engine: compile: %w", err)
	}
	t, err := compile(dev, m, params, cfg)
	if err != nil {
		dev.Close()
		return nil, fmt.Errorf("engine: compile: %w", err)
	}
	return t, nil
}
