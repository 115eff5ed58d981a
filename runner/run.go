package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/model"
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
	// it, Train refuses such an experiment (ErrDirty, ErrNotInRepo).
	AllowDirty bool
	// RerunOf is the id of the run this one reproduces (0: none).
	RerunOf int64
	// Threads is the number of CPU threads the backend may use (0 = 1).
	Threads int
	// Events receives progress; it is called from the training goroutine.
	Events func(Event)
	// Data says where remote data sources are cached and fetched from.
	Data DataOptions
	// SweepID is recorded with the run: the sweep it is a point of.
	SweepID string
	// Prune, when set, is asked after every epoch but the last with the
	// epoch's validation metrics; a non-empty answer stops the run as
	// pruned (status pruned, curves kept, no test metrics or weights), the
	// answer saying why.
	Prune func(epoch int, validation map[string]float64) string
}

// EventKind says what an Event reports.
type EventKind int

const (
	EventStarted EventKind = iota // training is about to start
	EventBatch                    // a batch finished (Rows, TotalRows)
	EventEpoch                    // an epoch finished (TrainLoss, Metrics)
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
}

// Result is the outcome of Run.
type Result struct {
	Run    *store.Run
	Cached bool
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
	Source *Source
	// Sources are the resolved data sources by name (SourceMain,
	// SourceTest); DataHashes holds their hashes.
	Sources map[string]*data.Source
	// testLines are the source lines of the test rows, once prepared.
	testLines []int
	// resume is the checkpoint of an interrupted run of this key that
	// Train continues from, or nil.
	resume *checkpoint
	// head is the model's head, once the data is prepared (ResolveHead);
	// spec is the experiment's spec with that head's loss and metrics
	// (effectiveSpec), what training follows.
	head string
	spec *spec.Spec
}

// Plan resolves the backend and hashes the data of exp.
func Plan(exp *spec.Experiment, opts Options) (*Job, error) {
	return PlanContext(context.Background(), exp, opts)
}

// PlanContext resolves the backend and the data sources of exp, fetching
// remote sources into the cache (once: a pinned file already cached is not
// fetched again), and hashes them.
func PlanContext(ctx context.Context, exp *spec.Experiment, opts Options) (*Job, error) {
	b, device, fallback, err := chooseBackend(exp.Spec.Device, opts.Backend)
	if err != nil {
		return nil, exp.FieldError("device", err)
	}
	sources, err := resolveSources(ctx, exp, opts.Data)
	if err != nil {
		return nil, err
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
		fallback = unavailableReason(err)
		device = "cpu"
	}
	if device == "cpu" {
		for _, name := range []string{"cpu", "gorgonia"} {
			if b, err := backends.Get(name); err == nil {
				return b, "cpu", fallback, nil
			}
		}
		return nil, "", "", fmt.Errorf("no CPU backend compiled in (have %v)", backends.Names())
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
func Run(ctx context.Context, st *store.Store, exp *spec.Experiment, opts Options) (*Result, error) {
	if opts.Data.CacheDir == "" {
		opts.Data.CacheDir = filepath.Join(st.Dir(), "cache")
	}
	job, err := PlanContext(ctx, exp, opts)
	if err != nil {
		return nil, err
	}
	if !opts.Force {
		prev, err := st.LatestSucceeded(ctx, job.Key)
		switch {
		case err == nil:
			return &Result{Run: prev, Cached: true, Metrics: FinalMetrics(prev)}, nil
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	return job.Train(ctx, st, opts)
}

// Train trains the job as a new run, whatever the cache holds.
func (j *Job) Train(ctx context.Context, st *store.Store, opts Options) (*Result, error) {
	start := time.Now()
	exp := j.Exp
	prep, err := j.prepare(ctx)
	if err != nil {
		return nil, err
	}
	s, err := effectiveSpec(exp, j.head)
	if err != nil {
		return nil, err
	}
	if j.head == spec.HeadBinary && len(prep.Classes) != 2 {
		return nil, exp.FieldError("model.head", fmt.Errorf(
			"a binary head needs 2 classes, but %q has %d (%s); use \"multiclass\"", s.Data.Target, len(prep.Classes), strings.Join(prep.Classes, ", ")))
	}
	j.spec = s
	m, err := BuildModelFor(s, len(prep.Features), len(prep.Classes), j.head, prep.Embeddings)
	if err != nil {
		return nil, exp.FieldError("model", err)
	}
	if m.Loss.ClassWeights, err = ClassWeights(s, prep.Classes, prep.Train.Y); err != nil {
		return nil, exp.FieldError("train.loss", err)
	}
	params, err := model.Init(m, uint64(s.Train.Seed))
	if err != nil {
		return nil, err
	}
	// Checked after the spec's own errors, so a typo is reported before the
	// request to commit it; and before anything is recorded.
	if j.Source == nil {
		src, err := InspectGit(exp, j.DataPath)
		if err != nil {
			return nil, err
		}
		j.Source = src
	}
	if !opts.AllowDirty {
		if err := j.Source.Check(); err != nil {
			return nil, err
		}
	}

	// The process is recorded from the start, so that a run whose process
	// dies before it starts is found (store.MarkLostProcesses) and not left
	// queued.
	host, _ := os.Hostname()
	run := &store.Run{
		Key: j.Key, Experiment: exp.Name, SpecHash: exp.Hash, Spec: json.RawMessage(exp.Resolved),
		DataHashes: j.DataHashes, Backend: j.Backend.Name(), Device: j.Device, Epochs: s.Train.Epochs,
		Provenance: provenance(exp, j, j.Source), Dirty: j.Source.Dirty(), RerunOf: opts.RerunOf,
		SweepID: opts.SweepID, PID: os.Getpid(), Host: host,
	}
	if err := st.CreateRun(ctx, run); err != nil {
		return nil, err
	}
	if run.Dirty {
		// Git cannot give these files back: keep them, or the run could
		// never be rebuilt.
		if err := st.SaveSources(ctx, run.ID, j.Source.sources()); err != nil {
			return nil, errors.Join(err, st.FinishRun(context.WithoutCancel(ctx), run.ID, store.StatusFailed, err.Error(), "", nil))
		}
	}
	if err := st.StartRun(ctx, run.ID, os.Getpid(), host); err != nil {
		return nil, err
	}
	dir := st.ArtifactDir(run)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("run directory: %w", err)
	}
	log := newRunLog(filepath.Join(dir, "log.txt"))
	defer log.Close()
	for _, r := range prep.Report {
		log.Printf("clean[%d] %s: %s", r.Index, r.Kind, r.Detail)
	}
	if prep.Task == data.TaskRegression {
		log.Printf("data: %d train, %d validation, %d test rows; %d features; regression target %s standardized with the training %s",
			prep.Train.N, prep.Val.N, prep.Test.N, len(prep.Features), s.Data.Target, prep.Scale)
	} else {
		log.Printf("data: %d train, %d validation, %d test rows; %d features; classes %v",
			prep.Train.N, prep.Val.N, prep.Test.N, len(prep.Features), prep.Classes)
	}
	log.Printf("model: %s head, loss %s, metrics %v", j.head, m.LossKind(), s.Metrics)
	if len(prep.Embeddings) > 0 {
		log.Printf("model: embeddings %s (vocabulary × dim; the last row is shared by rare, unseen and missing values); the first layer reads %d inputs",
			describeEmbeddings(prep.Embeddings), m.EmbeddedWidth())
	}
	if err := j.recordData(dir, prep, log); err != nil {
		log.Printf("%v", err)
	}

	if !opts.Force && opts.RerunOf == 0 {
		// An interrupted run of this key left a checkpoint: continue it.
		// A rerun or a forced run trains from the start.
		switch ck, err := loadCheckpoint(st, j.Key); {
		case err != nil:
			log.Printf("%v; training from the start", err)
		case ck != nil:
			if err := ck.carryPoints(ctx, st, run.ID); err != nil {
				log.Printf("%v; training from the start", err)
				break
			}
			j.resume = ck
			log.Printf("resuming run %d from its checkpoint after epoch %d", ck.RunID, ck.Epoch)
		}
	}
	res := &Result{Run: run, Report: prep.Report}
	timing := Timing{PrepareSeconds: time.Since(start).Seconds(), Epochs: s.Train.Epochs, TrainRows: prep.Train.N}
	final, weights, trainErr := j.train(ctx, st, run, m, params, prep, opts, &timing, log)
	timing.TotalSeconds = time.Since(start).Seconds()

	// Record the outcome even when ctx is canceled: a canceled run must not
	// be left "running".
	rec := context.WithoutCancel(ctx)
	status, msg := store.StatusSucceeded, ""
	digest := ""
	switch {
	case trainErr == nil:
		digest, err = j.saveArtifacts(dir, weights, prep)
		if err != nil {
			status, msg = store.StatusFailed, err.Error()
			trainErr = err
		}
	case errors.Is(trainErr, context.Canceled), errors.Is(trainErr, errCancelRequested):
		status, msg = store.StatusCanceled, "canceled"
	case errors.Is(trainErr, ErrDiverged):
		status, msg = store.StatusDiverged, trainErr.Error()
	case errors.Is(trainErr, ErrPruned):
		status, msg = store.StatusPruned, trainErr.Error()
	default:
		status, msg = store.StatusFailed, trainErr.Error()
	}
	log.Printf("status %s %s", status, msg)
	if status != store.StatusCanceled {
		// Only an interrupted run is resumed; a finished one starts over.
		if err := removeCheckpoint(st, j.Key); err != nil {
			log.Printf("%v", err)
		}
	}
	tj, _ := json.Marshal(timing)
	if err := st.FinishRun(rec, run.ID, status, msg, digest, tj); err != nil {
		return nil, errors.Join(trainErr, err)
	}
	if fresh, err := st.Run(rec, run.ID); err == nil {
		res.Run = fresh
	}
	res.Metrics = final
	if trainErr != nil && !errors.Is(trainErr, ErrPruned) {
		if errors.Is(trainErr, errCancelRequested) {
			return res, fmt.Errorf("run %s: %w", store.ShortKey(run.Key), context.Canceled)
		}
		return res, fmt.Errorf("run %s: %w", store.ShortKey(run.Key), trainErr)
	}
	return res, nil
}

var errCancelRequested = errors.New("cancel requested")

// ErrPruned: a sweep stopped the run early (Options.Prune). Train records
// the run as pruned and returns no error for it.
var ErrPruned = errors.New("pruned")

// heartbeatEvery is how often a run heartbeats within an epoch: often
// enough that a run whose process died is found well within the 30 s that
// mark it lost, yet a write every few seconds at most. (A variable for a
// test.)
var heartbeatEvery = 2 * time.Second

func (j *Job) train(ctx context.Context, st *store.Store, run *store.Run, m *model.Model, params *model.Params,
	prep *data.Prepared, opts Options, timing *Timing, log *runLog) (map[string]map[string]float64, *model.Params, error) {
	s := j.spec
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	trainer, err := j.Backend.Compile(ctx, m, params, j.config(opts.Threads))
	if err != nil {
		return nil, nil, fmt.Errorf("compile on %s: %w", j.Backend.Name(), err)
	}
	defer trainer.Close()

	train := batches(prep.Train)
	sc := &scorer{m: m, k: len(prep.Classes), scale: prep.Scale, names: s.Metrics}
	order := make([]int32, train.N)
	shuffle := rand.NewPCG(uint64(s.Train.Seed), 0x78702d73687566) // "xp-shuf"
	rng := rand.New(shuffle)
	emit := func(e Event) {
		if opts.Events != nil {
			e.Experiment, e.Key, e.RunID, e.Epochs, e.TotalRows = j.Exp.Name, run.Key, run.ID, s.Train.Epochs, train.N
			opts.Events(e)
		}
	}
	emit(Event{Kind: EventStarted, Device: j.Device, Fallback: j.Fallback})
	began := time.Now()
	lastBeat := began
	var trainTime time.Duration
	final := map[string]map[string]float64{}
	stopper, err := newEarlyStop(s, prep.Val.N > 0)
	if err != nil {
		return nil, nil, j.Exp.FieldError("train.early_stopping", err)
	}
	epochsDone := 0
	if ck := j.resume; ck != nil {
		if err := ck.restore(trainer, shuffle, stopper); err != nil {
			return nil, nil, err
		}
		epochsDone = ck.Epoch
		j.resume = nil
		if ck.Validation != nil {
			final["validation"] = ck.Validation
		}
	}
	for epoch := epochsDone + 1; epoch <= s.Train.Epochs; epoch++ {
		for i := range order {
			order[i] = int32(i)
		}
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		t0 := time.Now()
		loss, err := trainer.Epoch(ctx, train, order, func(rows int) {
			emit(Event{Kind: EventBatch, Epoch: epoch, Rows: rows, Elapsed: time.Since(began)})
			// Epochs can be long: beat within them too, so a live run is
			// never taken for a dead one. The epoch reported is the last
			// one finished.
			if time.Since(lastBeat) < heartbeatEvery {
				return
			}
			lastBeat = time.Now()
			switch stop, err := st.Heartbeat(ctx, run.ID, epoch-1); {
			case err != nil && ctx.Err() == nil:
				cancel(err)
			case stop:
				cancel(errCancelRequested)
			}
		})
		trainTime += time.Since(t0)
		if err != nil {
			if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
				return nil, nil, cause // a cancel request, or a heartbeat that failed
			}
			return nil, nil, err
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, nil, diverged(trainer, loss, epoch, train.N, s.Train.BatchSize)
		}
		points := []store.Point{{Split: "train", Name: "loss", Epoch: epoch, Value: loss}}
		var valMetrics map[string]float64
		if prep.Val.N > 0 {
			valMetrics, _, err = sc.evaluate(ctx, trainer, prep.Val)
			if err != nil {
				return nil, nil, err
			}
			points = appendPoints(points, "validation", epoch, valMetrics)
			final["validation"] = valMetrics
		}
		if err := st.AddPoints(ctx, run.ID, points); err != nil {
			return nil, nil, err
		}
		log.Printf("epoch %d/%d loss %.6f validation %v", epoch, s.Train.Epochs, loss, valMetrics)
		stop, err := st.Heartbeat(ctx, run.ID, epoch)
		if err != nil {
			return nil, nil, err
		}
		lastBeat = time.Now()
		if stop {
			cancel(errCancelRequested)
			return nil, nil, errCancelRequested
		}
		emit(Event{Kind: EventEpoch, Epoch: epoch, TrainLoss: loss, Metrics: valMetrics, Elapsed: time.Since(began)})
		epochsDone = epoch
		if stopper != nil && stopper.observe(epoch, loss, valMetrics, trainer.Params) {
			log.Printf("early stopping at epoch %d: %s best %v at epoch %d, no improvement for %d epochs",
				epoch, stopper.metricName(), stopper.best, stopper.bestEpoch, stopper.patience)
			break
		}
		if epoch < s.Train.Epochs {
			ck, err := takeCheckpoint(j.Key, run.ID, epoch, trainer, shuffle, final["validation"], stopper)
			if err == nil {
				err = ck.save(st)
			}
			if err != nil {
				return nil, nil, err
			}
		}
		if opts.Prune != nil && epoch < s.Train.Epochs {
			if why := opts.Prune(epoch, valMetrics); why != "" {
				return final, nil, fmt.Errorf("%w at epoch %d: %s", ErrPruned, epoch, why)
			}
		}
	}
	timing.TrainSeconds = trainTime.Seconds()
	if trainTime > 0 {
		timing.SamplesPerSec = float64(train.N*epochsDone) / trainTime.Seconds()
	}
	if stopper != nil && stopper.params != nil && stopper.bestEpoch != epochsDone {
		// Test and save the best epoch's weights: a trainer compiled from
		// them predicts exactly as the trainer did at that epoch.
		best, err := j.Backend.Compile(ctx, m, stopper.params, j.config(opts.Threads))
		if err != nil {
			return nil, nil, fmt.Errorf("restore the best epoch's weights: %w", err)
		}
		defer best.Close()
		trainer = best
		if stopper.metrics != nil {
			final["validation"] = stopper.metrics
		}
		log.Printf("restored the weights of epoch %d (%s %v)", stopper.bestEpoch, stopper.metricName(), stopper.best)
	}
	if prep.Test.N > 0 {
		tm, probs, err := sc.evaluate(ctx, trainer, prep.Test)
		if err != nil {
			return nil, nil, err
		}
		path := filepath.Join(st.ArtifactDir(run), TestPredictionsFile)
		if m.Regression() {
			if err := saveTestRegression(path, j.testLines, prep.Scale, prep.Test.Target, probs); err != nil {
				return nil, nil, err
			}
		} else {
			if err := saveTestPredictions(path, j.testLines, prep.Classes, prep.Test.Y, probs); err != nil {
				return nil, nil, err
			}
			if err := saveConfusion(st.ArtifactDir(run), prep.Classes, probs, prep.Test.Y); err != nil {
				return nil, nil, err
			}
		}
		final["test"] = tm
		if err := st.AddPoints(ctx, run.ID, appendPoints(nil, "test", s.Train.Epochs, tm)); err != nil {
			return nil, nil, err
		}
		log.Printf("test %v", tm)
	}
	return final, trainer.Params(), nil
}

func appendPoints(points []store.Point, split string, epoch int, values map[string]float64) []store.Point {
	for _, name := range sortedKeys(values) {
		points = append(points, store.Point{Split: split, Name: name, Epoch: epoch, Value: values[name]})
	}
	return points
}

func batches(m data.Matrix) *backends.Batches {
	return &backends.Batches{X: m.X, Y: m.Y, T: m.T, N: m.N, D: m.D}
}

// saveArtifacts writes what `xp predict` and `xp rerun` need next to the run.
func (j *Job) saveArtifacts(dir string, weights *model.Params, prep *data.Prepared) (string, error) {
	digest, err := weights.Save(filepath.Join(dir, "weights.bin"))
	if err != nil {
		return "", err
	}
	pj, err := json.MarshalIndent(prep.Pipeline, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode preprocessing: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "preprocessing.json"), pj, 0o644); err != nil {
		return "", fmt.Errorf("save preprocessing: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "spec.json"), j.Exp.Resolved, 0o644); err != nil {
		return "", fmt.Errorf("save spec: %w", err)
	}
	return digest, nil
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
