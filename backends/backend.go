package backends

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/xp-ml/xp/model"
)

// ErrUnavailable wraps the reason a backend cannot run on this machine.
var ErrUnavailable = errors.New("backend unavailable")

// Batches is a training matrix: N rows of D float32 features, row-major,
// and per row a class index (Y, for classification heads) or a float
// target (T, for a regression head, which predicts one value per row).
type Batches struct {
	X []float32
	Y []int32
	T []float32
	N int
	D int
}

// Config is how a Trainer is asked to train.
type Config struct {
	BatchSize int
	// Seed drives dropout masks (model.Keep with the global step counter).
	Seed uint64
	// Threads is how many CPU threads the backend may use; 0 means 1.
	Threads int
	// GPU is the ordinal of the GPU a GPU backend trains on (the N of
	// device "cuda:N"); CPU backends ignore it.
	GPU int
}

// Backend compiles a model for training on one kind of device.
type Backend interface {
	// Name is the backend's kind as recorded and hashed, e.g. "gorgonia".
	Name() string
	// Version identifies the numerics: a change that can alter a single bit of
	// a result changes it. It enters the run key.
	Version() string
	// Available returns nil, or an error wrapping ErrUnavailable that says why.
	Available() error
	// Compile prepares m, starting from params (which it copies), for
	// training on the rows of train.
	Compile(ctx context.Context, m *model.Model, params *model.Params, cfg Config) (Trainer, error)
}

// Trainer trains one compiled model.
type Trainer interface {
	// Epoch makes one pass over data in the given row order, one optimizer
	// step per batch of cfg.BatchSize rows (the last batch may be short), and
	// returns the mean training loss over the epoch's rows. It checks ctx
	// between batches and returns ctx.Err() when canceled. progress, if
	// non-nil, is called after each batch with the rows done so far.
	Epoch(ctx context.Context, data *Batches, order []int32, progress func(rows int)) (loss float64, err error)
	// Predict writes N x m.PredictWidth() values of data's rows into
	// probs, row-major, in inference mode (no dropout): the class
	// probabilities for a classification head (for the binary head,
	// 1-σ(z) and σ(z)), the prediction for a regression head.
	Predict(ctx context.Context, data *Batches, probs []float32) error
	// Params returns a copy of the current parameters.
	Params() *model.Params
	// State returns a copy of everything needed to continue training
	// exactly from here (a checkpoint); Restore puts such a state back
	// into a trainer compiled for the same model. A trainer restored from
	// the State of another continues bit for bit as the other would have.
	State() (*model.TrainState, error)
	Restore(s *model.TrainState) error
	// FirstNonFinite returns the global optimizer step (counting from 0
	// over every epoch) whose batch loss was the first NaN or infinity,
	// and whether there was one: what a diverged run names.
	FirstNonFinite() (step int, ok bool)
	// Close releases what Compile took.
	Close() error
}

var (
	mu       sync.RWMutex
	registry = map[string]Backend{}
)

// Register makes a backend available by its name. It is called from init.
func Register(b Backend) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[b.Name()]; dup {
		panic("backends: registered twice: " + b.Name())
	}
	registry[b.Name()] = b
}

// Get returns the backend with the given name.
func Get(name string) (Backend, error) {
	mu.RLock()
	defer mu.RUnlock()
	b, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown backend %q (have %v)", name, namesLocked())
	}
	return b, nil
}

// Names lists the registered backends, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	n := make([]string, 0, len(registry))
	for k := range registry {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// configVersioner is implemented by backends whose numerics depend on how
// they are configured (the engine's OpenBLAS path splits GEMMs by thread
// count, which changes the last bits).
type configVersioner interface {
	VersionFor(cfg Config) string
}

// VersionFor is b's numerics version for training with cfg: what enters the
// run key.
func VersionFor(b Backend, cfg Config) string {
	if v, ok := b.(configVersioner); ok {
		return v.VersionFor(cfg)
	}
	return b.Version()
}

// configChecker is implemented by backends that can tell before training
// whether a configuration can run here (a GPU ordinal that exists).
type configChecker interface {
	CheckConfig(cfg Config) error
}

// CheckConfig reports why b cannot train with cfg on this machine (cfg.GPU
// names no GPU here, say), or nil; backends with nothing to check return
// nil.
func CheckConfig(b Backend, cfg Config) error {
	if c, ok := b.(configChecker); ok {
		return c.CheckConfig(cfg)
	}
	return nil
}

// Check reports a matrix that does not fit a model of the given width and
// number of classes; labels are only needed for training. Every backend
// checks its input the same way, so a caller's mistake reads the same
// whichever backend it reached.
func (b *Batches) Check(inputs, classes int, labels bool) error {
	if b == nil {
		return errors.New("no data")
	}
	if b.D != inputs {
		return fmt.Errorf("data has %d features, model takes %d", b.D, inputs)
	}
	if b.N < 0 || len(b.X) != b.N*b.D {
		return fmt.Errorf("data has %d values for %d x %d", len(b.X), b.N, b.D)
	}
	if !labels {
		return nil
	}
	if len(b.Y) != b.N {
		return fmt.Errorf("data has %d labels for %d rows", len(b.Y), b.N)
	}
	for i, y := range b.Y {
		if y < 0 || int(y) >= classes {
			return fmt.Errorf("row %d: label %d, model has %d classes", i, y, classes)
		}
	}
	return nil
}

// CheckFor is Check for a model of any head: class labels for a
// classification head, one finite float target per row for a regression
// head; targets are only needed for training. Every embedding index must
// be an integer in [0, vocab): no device is asked to look up another.
func (b *Batches) CheckFor(m *model.Model, targets bool) error {
	if err := b.checkFor(m, targets); err != nil {
		return err
	}
	for i, e := range m.Embeddings {
		for r := range b.N {
			v := b.X[r*b.D+e.Column]
			if !(v >= 0 && v < float32(e.Vocab)) || v != float32(int(v)) {
				return fmt.Errorf("row %d: embedding %d index %v not an integer in [0, %d)", r, i, v, e.Vocab)
			}
		}
	}
	return nil
}

func (b *Batches) checkFor(m *model.Model, targets bool) error {
	if !m.Regression() {
		return b.Check(m.Inputs, m.Classes, targets)
	}
	if err := b.Check(m.Inputs, 0, false); err != nil || !targets {
		return err
	}
	if len(b.T) != b.N {
		return fmt.Errorf("data has %d targets for %d rows", len(b.T), b.N)
	}
	for i, v := range b.T {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("row %d: target %v", i, v)
		}
	}
	return nil
}

// interchanger is implemented by backends whose devices come in copies
// that give the same bits (the GPUs of one model in a machine).
type interchanger interface {
	Interchangeable(cfg Config) ([]int, error)
}

// Interchangeable lists the device ordinals a run configured with cfg may
// train on with the same results as on cfg.GPU: the GPUs of the same model
// with the same driver and libraries, cfg.GPU first. A backend with one
// device lists cfg.GPU alone. A sweep spreads its points over them.
func Interchangeable(b Backend, cfg Config) ([]int, error) {
	if c, ok := b.(interchanger); ok {
		return c.Interchangeable(cfg)
	}
	return []int{cfg.GPU}, nil
}
