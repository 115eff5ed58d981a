package runner

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/store"
)

// Options tune one Run.
type Options struct {
	// Backend overrides the backend chosen from the spec's device ("" = choose).
	Backend string
	// Force trains again even when the run key already succeeded.
	Force bool
	// AllowDirty trains an experiment whose files are not all committed
	// unchanged, or not in a git repository at all: the run is marked
	// dirty and the exact source of every file is stored with it. Without
	// it, Train refuses such an experiment (provenance.ErrDirty,
	// provenance.ErrNotInRepo).
	AllowDirty bool
	// RerunOf is the id of the run this one reproduces (0: none).
	RerunOf int64
	// Threads is the number of CPU threads the backend may use (0 = 1).
	Threads int
	// Events receives progress; it is called from the training goroutine.
	Events func(Event)
	// Data says where remote data sources are cached and fetched from.
	Data DataOptions
	// NoWait fails a run whose key another live process trains (an error
	// wrapping ErrKeyBusy) instead of waiting for that process to finish.
	NoWait bool
	// SweepID is recorded with the run: the sweep it is a point of.
	SweepID string
	// Remote, when set, is asked for a key that has not succeeded here
	// before it is trained (AskRemote); nil asks no remote.
	Remote Remote
	// Prune, when set, is asked after every epoch but the last with the
	// epoch's validation metrics; a non-empty answer stops the run as
	// pruned (status pruned, curves kept, no test metrics or weights), the
	// answer saying why.
	Prune func(epoch int, validation map[string]float64) string
	// PauseAfter, when between 0 and the spec's epochs, stops training
	// after that epoch with the key's checkpoint kept (status paused, no
	// test metrics or weights): the next run of the key continues from
	// it, bit for bit as if it had not stopped. An asha sweep's rungs.
	PauseAfter int
	// Checkpoint, when set, is the file of the key's checkpoint, read and
	// written in place of the store's (runs/<key>/checkpoint.gob): a
	// cluster task keeps it on the shared filesystem, where the next
	// attempt of its point finds it. Its run is another store's (the
	// coordinator's): the run resuming it is recorded with its id and
	// epoch (Event.ResumedRun, FromEpoch) but carries no points, which the
	// coordinator copies.
	Checkpoint string
}

// EventKind says what an Event reports.
type EventKind int

const (
	EventStarted      EventKind = iota // training is about to start (FromEpoch, ResumedRun)
	EventBatch                         // a batch finished (Rows, TotalRows)
	EventEpoch                         // an epoch finished (TrainLoss, Metrics)
	EventWaiting                       // another process trains the key: waiting for it (Holder)
	EventTookOver                      // runs of the key whose process is gone were taken over (Lost)
	EventEarlyStop                     // early stopping ends training after Epoch (Kept)
	EventRemoteFailed                  // the remote could not be asked (Err); training goes on
)

// Event is progress of a run, for the CLI's progress line and the TUI.
type Event struct {
	Kind       EventKind
	Experiment string
	Key        string
	RunID      int64 // the run's id in the store
	Epoch      int   // 1-based, the epoch in progress or just finished
	Epochs     int
	Rows       int // rows done in this epoch
	TotalRows  int
	TrainLoss  float64
	Metrics    map[string]float64 // validation metrics of the finished epoch
	Elapsed    time.Duration      // since training started
	// Device is where the run trains, and Fallback why device "auto" chose
	// the CPU (EventStarted only).
	Device, Fallback string
	// Err is why the remote could not be asked (EventRemoteFailed).
	Err error
	// FromEpoch is the epochs a resumed run had done before this process
	// took over (0 when it trains from the start), ResumedRun the run that
	// did them: an ETA counts the epochs left at the rate of those trained
	// here.
	FromEpoch  int
	ResumedRun int64
	// Holder is the run, in another process, that trains the key
	// (EventWaiting); Lost the runs of dead processes whose key this one
	// took over (EventTookOver).
	Holder *store.Run
	Lost   []store.Run
	// Kept is what early stopping kept (EventEarlyStop).
	Kept *KeptEpoch
}

// KeptEpoch is the epoch whose weights early stopping kept, by the value
// of its metric.
type KeptEpoch struct {
	Epoch  int
	Metric string // "validation.loss"
	Value  float64
}

// Result is the outcome of Run.
type Result struct {
	Run    *store.Run
	Cached bool
	// Remote: Cached, by a run of the key that succeeded on the remote,
	// pulled now (Options.Remote).
	Remote bool
	// Metrics holds the final metrics by split ("test", "validation").
	Metrics map[string]map[string]float64
	Report  []data.RuleReport
}

// Timing is recorded with every trained run.
type Timing struct {
	PrepareSeconds float64 `json:"prepare_seconds"`
	TrainSeconds   float64 `json:"train_seconds"`
	TotalSeconds   float64 `json:"total_seconds"`
	SamplesPerSec  float64 `json:"samples_per_sec"`
	Epochs         int     `json:"epochs"`
	TrainRows      int     `json:"train_rows"`
	// Samples is the training rows passed over in this process (a
	// resumed run's earlier epochs not included): SamplesPerSec is
	// Samples / TrainSeconds, also for a run stopped mid-epoch.
	Samples int `json:"samples,omitempty"`
	// StoppedEarly is the epoch after which early stopping ended training
	// (0: it trained every epoch); KeptEpoch the epoch whose weights the
	// run kept, by train.early_stopping's metric (0: the last).
	StoppedEarly int `json:"stopped_early,omitempty"`
	KeptEpoch    int `json:"kept_epoch,omitempty"`
}

// ErrDiverged is returned when the training loss is no longer finite.
var ErrDiverged = errors.New("training diverged")

// Job is an experiment bound to its backend and data: everything needed to
// know its run key without training.
type Job struct {
	Exp     *spec.Experiment
	Backend backends.Backend
	// Device is where the job trains: "cpu", "cuda" or "cuda:N".
	Device string
	// Fallback says why device "auto" chose the CPU (CUDA could not run
	// here, in one line); empty otherwise.
	Fallback   string
	DataPath   string
	DataHashes map[string]string
	// BackendVersion is the backend's numerics version for this job's
	// configuration (threads included): part of the key.
	BackendVersion string
	Key            string
	// Source is where the experiment's files come from; nil until Train
	// inspects the git repository (a rerun sets it from the recorded run).
	Source *provenance.Source
	// Sources are the resolved data sources by name (SourceMain,
	// SourceTest); DataHashes holds their hashes.
	Sources map[string]*data.Source
}

// Plan resolves the backend and the data sources of exp, fetching remote
// sources into the cache (once: a pinned file already cached is not
// fetched again; ctx cancels a fetch), and hashes them.
func Plan(ctx context.Context, exp *spec.Experiment, opts Options) (*Job, error) {
	if err := CheckMemory(exp); err != nil {
		return nil, err
	}
	b, device, fallback, err := chooseBackend(exp.Spec.Device, opts.Backend)
	if err != nil {
		return nil, exp.FieldError("device", err)
	}
	sources, err := resolveSources(ctx, exp, opts.Data)
	if err != nil {
		return nil, err
	}
	if exp.Spec.Device == "auto" && opts.Backend == "" && device == "cuda" {
		if gpu, why := autoDevice(ctx, exp, opts.Data, opts.Threads); !gpu {
			if b, err = CPUBackend(); err != nil {
				return nil, err
			}
			device, fallback = "cpu", why
		}
	}
	hashes := map[string]string{}
	for name, src := range sources {
		hashes[name] = src.SHA256
	}
	path := ""
	if src := sources[SourceMain]; src.Kind == "file" {
		path = src.Path
	}
	cfg := backends.Config{Threads: opts.Threads, GPU: gpuOrdinal(device)}
	if err := backends.CheckConfig(b, cfg); err != nil {
		return nil, exp.FieldError("device", &unavailableError{msg: fmt.Sprintf("%q cannot run here: %s", device, unavailableReason(err)), err: err})
	}
	version := backends.VersionFor(b, cfg)
	return &Job{
		Exp: exp, Backend: b, Device: device, Fallback: fallback, DataPath: path, DataHashes: hashes, Sources: sources,
		BackendVersion: version,
		Key:            RunKey(specKey(&exp.Spec, exp.Hash), hashes, b.Name(), version),
	}, nil
}

// DataFiles are the job's data sources that are local files, with the
// sha256 of their bytes (that Read checks the bytes it trains on against):
// what provenance.Inspect traces to the commit.
func (j *Job) DataFiles() []provenance.DataFile {
	var out []provenance.DataFile
	for _, name := range sortedKeys(j.Sources) {
		if src := j.Sources[name]; src.Kind == "file" {
			out = append(out, provenance.DataFile{Path: src.Path, SHA256: src.SHA256, Test: name == SourceTest})
		}
	}
	return out
}

// chooseBackend maps the spec's device (or an explicit backend name) to a
// registered backend and the device it trains on. "auto" prefers CUDA when
// it can run, and otherwise returns the CPU with the reason CUDA cannot.
func chooseBackend(device, override string) (b backends.Backend, dev, fallback string, err error) {
	if override != "" {
		b, err := backends.Get(override)
		if err != nil {
			return nil, "", "", err
		}
		if err := b.Available(); err != nil {
			return nil, "", "", &unavailableError{
				msg: fmt.Sprintf("backend %q cannot run here: %s", override, unavailableReason(err)), err: err}
		}
		return b, deviceOf(override, device), "", nil
	}
	if device == "auto" {
		b, err := backends.Get("cuda")
		if err == nil {
			err = b.Available()
		}
		if err == nil {
			return b, "cuda", "", nil
		}
		fallback = "no CUDA here (" + unavailableReason(err) + ")"
		device = "cpu"
	}
	if device == "cpu" {
		b, err := CPUBackend()
		if err != nil {
			return nil, "", "", err
		}
		return b, "cpu", fallback, nil
	}
	b, err = backends.Get("cuda")
	if err != nil {
		return nil, "", "", fmt.Errorf("device %q: this xp has no CUDA backend; use \"cpu\" or \"auto\"", device)
	}
	if err := b.Available(); err != nil {
		return nil, "", "", &unavailableError{
			msg: fmt.Sprintf("%q cannot run here: %s", device, unavailableReason(err)), err: err}
	}
	return b, device, "", nil
}

// CPUBackend is the backend a run on device "cpu" trains on: xp's own
// engine, else Gorgonia, whichever this xp has compiled in.
func CPUBackend() (backends.Backend, error) {
	for _, name := range []string{"cpu", "gorgonia"} {
		if b, err := backends.Get(name); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("no CPU backend compiled in (have %v)", backends.Names())
}

// unavailableError says why a device cannot run, in one line, and still
// matches backends.ErrUnavailable.
type unavailableError struct {
	msg string
	err error
}

func (e *unavailableError) Error() string { return e.msg }
func (e *unavailableError) Unwrap() error { return e.err }

// unavailableReason is err's message without the sentinel's prefix:
// "libcuda.so.1 not found: no NVIDIA driver".
func unavailableReason(err error) string {
	return strings.TrimPrefix(err.Error(), backends.ErrUnavailable.Error()+": ")
}

func deviceOf(backend, device string) string {
	if backend == "cuda" {
		if device == "auto" || device == "cpu" {
			return "cuda"
		}
		return device
	}
	return "cpu"
}

// gpuOrdinal is N of "cuda:N" (the schema guarantees the digits), else 0.
func gpuOrdinal(device string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(device, "cuda:"))
	if err != nil {
		return 0
	}
	return n
}

// config is how the job's trainers are compiled.
func (j *Job) config(threads int) backends.Config {
	s := &j.Exp.Spec
	return backends.Config{BatchSize: s.Train.BatchSize, Seed: uint64(s.Train.Seed), Threads: threads, GPU: gpuOrdinal(j.Device)}
}

// Run trains exp unless its run key already succeeded, and records it in st.
// A cached key is answered from the store alone, whatever the state of the
// experiment's files: nothing new is recorded, so nothing needs tracing. Only
// training checks that the files are committed (see Options.AllowDirty).
// A key that has not succeeded here is asked of Options.Remote before it
// is trained (a remote hit is pulled and answers as a cached run does).
func Run(ctx context.Context, st *store.Store, exp *spec.Experiment, opts Options) (*Result, error) {
	if opts.Data.CacheDir == "" {
		opts.Data.CacheDir = filepath.Join(st.Dir(), "cache")
	}
	job, err := Plan(ctx, exp, opts)
	if err != nil {
		return nil, err
	}
	if !opts.Force {
		prev, err := st.LatestSucceeded(ctx, job.Key)
		switch {
		case err == nil:
			if err := CheckCached(st, prev); err != nil {
				return nil, err
			}
			return &Result{Run: prev, Cached: true, Metrics: FinalMetrics(prev)}, nil
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
		hit, err := AskRemote(ctx, st, exp.Name, job.Key, opts)
		if err != nil {
			return nil, err
		}
		if hit != nil {
			return &Result{Run: hit, Cached: true, Remote: true, Metrics: FinalMetrics(hit)}, nil
		}
	}
	return job.Train(ctx, st, opts)
}

// FinalMetrics reads a stored run's final metrics by split: test, and the
// last epoch of validation.
func FinalMetrics(r *store.Run) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for _, split := range []string{"test", "validation"} {
		if ms, ok := r.Summary[split]; ok {
			out[split] = map[string]float64{}
			for name, s := range ms {
				out[split][name] = s.Last
			}
		}
	}
	return out
}
