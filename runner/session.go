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
	"strings"
	"sync/atomic"
	"time"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/internal/redact"
	"github.com/xp-ml/xp/model"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/store"
)

var errCancelRequested = errors.New("cancel requested")

// ErrPruned: a sweep stopped the run early (Options.Prune). Train records
// the run as pruned and returns no error for it.
var ErrPruned = errors.New("pruned")

// ErrPaused: training stopped at Options.PauseAfter. Train records the
// run as paused, keeps its key's checkpoint, and returns no error for it.
var ErrPaused = errors.New("paused")

// heartbeatEvery is how often a run heartbeats within an epoch: often
// enough that a run whose process died is found well within the 30 s that
// mark it lost, yet a write every few seconds at most. (A variable for a
// test.)
var heartbeatEvery = 2 * time.Second

// session is one training of a job as a new run. Train calls its steps in
// this order, each a method:
//
//	prepare         data, effective spec, model, initial weights; git check
//	claim           the run's row, as the one run training its key (it
//	                waits while another process trains the key)
//	record          a dirty run's sources, the run started, directory, log
//	describe        the data and the model, in the log and data.json
//	findCheckpoint  an interrupted run of the key to continue
//	train           compile, begin; per epoch: trainEpoch, evaluate,
//	                recordPoints, endEpoch, earlyStop, checkpoint, prune;
//	                then keptWeights and test
//	finish          artifacts, status, the key's checkpoint, timing
//
// Nothing of it outlives Train.
type session struct {
	job   *Job
	st    *store.Store
	opts  Options
	start time.Time

	// What prepare makes: the prepared data, the head the model has and
	// the spec training follows (the experiment's, with that head's loss
	// and metrics: effectiveSpec), the model and its initial weights, and
	// the source lines of the test rows.
	prep      *data.Prepared
	head      string
	spec      *spec.Spec
	model     *model.Model
	params    *model.Params
	testLines []int

	// What record makes.
	run *store.Run
	dir string
	log *runLog

	// resume is the checkpoint of an interrupted run of this key that
	// training continues from, or nil.
	resume *checkpoint

	// Training: the trainer and what the epochs share. cancel stops
	// training with a cause (a cancel request, a failed heartbeat).
	cancel     context.CancelCauseFunc
	trainer    backends.Trainer
	batches    *backends.Batches
	scorer     *scorer
	order      []int32
	shuffle    *rand.PCG
	rng        *rand.Rand
	stopper    *earlyStop
	began      time.Time
	lastBeat   time.Time
	trainTime  time.Duration
	epochsDone int
	// fromEpoch is the epochs done before this process (a resumed run's
	// checkpoint); samples the rows trained here in whole epochs, and
	// epochRows those of the epoch in progress.
	fromEpoch, samples, epochRows int
	// reached is epochsDone for the system sampler's goroutine.
	reached atomic.Int64
	// final holds the final metrics by split, as they are known.
	final  map[string]map[string]float64
	timing Timing
}

// Train trains the job as a new run, whatever the cache holds, as the one
// run that trains its key (see claim): when it had to wait for another
// process's run of the key, which succeeded, that run is the answer
// (Result.Cached), unless Options.Force or a rerun.
func (j *Job) Train(ctx context.Context, st *store.Store, opts Options) (*Result, error) {
	s := &session{job: j, st: st, opts: opts, start: time.Now()}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	if cached, err := s.claim(ctx); cached != nil || err != nil {
		return cached, err
	}
	if err := s.record(ctx); err != nil {
		return nil, err
	}
	defer s.log.Close()
	s.describe()
	s.findCheckpoint(ctx)
	s.timing = Timing{PrepareSeconds: time.Since(s.start).Seconds(), Epochs: s.spec.Train.Epochs, TrainRows: s.prep.Train.N}
	final, weights, err := s.train(ctx)
	s.measure()
	return s.finish(ctx, final, weights, err)
}

// prepare reads the data and builds what training needs, and checks where
// the experiment's files come from: after the spec's own errors, so that a
// typo is reported before the request to commit it, and before anything is
// recorded.
func (s *session) prepare(ctx context.Context) error {
	exp := s.job.Exp
	if err := s.readData(ctx); err != nil {
		return err
	}
	sp, err := effectiveSpec(exp, s.head)
	if err != nil {
		return err
	}
	if s.head == spec.HeadBinary && len(s.prep.Classes) != 2 {
		return exp.FieldError("model.head", fmt.Errorf(
			"a binary head needs 2 classes, but %q has %d (%s); use \"multiclass\"", sp.Data.Target, len(s.prep.Classes), strings.Join(s.prep.Classes, ", ")))
	}
	s.spec = sp
	if s.model, err = BuildModelFor(sp, len(s.prep.Features), len(s.prep.Classes), s.head, s.prep.Embeddings); err != nil {
		return exp.FieldError("model", err)
	}
	if s.model.Loss.ClassWeights, err = classWeights(sp, s.prep.Classes, s.prep.Train.Y); err != nil {
		return exp.FieldError("train.loss", err)
	}
	if s.params, err = model.Init(s.model, uint64(sp.Train.Seed)); err != nil {
		return err
	}
	return s.checkSource()
}

// checkSource inspects the git repository holding the experiment, unless
// the job brings its source (a rerun's is the recorded one), and refuses
// files not committed unchanged unless Options.AllowDirty.
func (s *session) checkSource() error {
	j := s.job
	if j.Source == nil {
		src, err := provenance.Inspect(j.Exp, j.DataFiles()...)
		if err != nil {
			return err
		}
		j.Source = src
	}
	if s.opts.AllowDirty {
		return nil
	}
	return j.Source.Check(j.Exp)
}

// record stores a dirty run's sources and starts the run claimed, and
// makes its directory and log. The process is recorded from the claim on,
// so that a run whose process dies before it starts is found
// (store.MarkLostProcesses) and not left queued.
func (s *session) record(ctx context.Context) error {
	run := s.run
	if run.Dirty {
		// Git cannot give these files back: keep them, or the run could
		// never be rebuilt.
		if err := s.st.SaveSources(ctx, run.ID, storedSources(s.job.Source)); err != nil {
			return errors.Join(err, s.st.FinishRun(context.WithoutCancel(ctx), run.ID, store.StatusFailed, err.Error(), "", nil))
		}
	}
	if err := s.st.StartRun(ctx, run.ID, run.PID, run.Host); err != nil {
		return err
	}
	s.dir = s.st.ArtifactDir(run)
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("run directory: %w", err)
	}
	s.log = newRunLog(filepath.Join(s.dir, "log.txt"))
	return nil
}

// provenanceRecord is the provenance the job's run records, as JSON.
func provenanceRecord(j *Job) json.RawMessage {
	prov := provenance.NewRecord(j.Exp, j.Source)
	prov.Backend, prov.BackendVersion, prov.Device = j.Backend.Name(), j.BackendVersion, j.Device
	raw, _ := json.Marshal(prov)
	return raw
}

// storedSources are the files to store with a dirty run.
func storedSources(src *provenance.Source) []store.Source {
	out := make([]store.Source, len(src.Files))
	for i, f := range src.Files {
		out[i] = store.Source{Path: f.Path, Content: f.Content}
	}
	return out
}

// describe says in the run's log what cleaning did and what the data and
// the model are, and saves the data report (data.json).
func (s *session) describe() {
	prep, log := s.prep, s.log
	for _, r := range prep.Report {
		log.Printf("%s: %s", r.Where(), r.Detail)
	}
	if prep.Task == data.TaskRegression {
		log.Printf("data: %d train, %d validation, %d test rows; %d features; regression target %s standardized with the training %s",
			prep.Train.N, prep.Val.N, prep.Test.N, len(prep.Features), s.spec.Data.Target, prep.Scale)
	} else {
		log.Printf("data: %d train, %d validation, %d test rows; %d features; classes %v",
			prep.Train.N, prep.Val.N, prep.Test.N, len(prep.Features), prep.Classes)
	}
	log.Printf("model: %s head, loss %s, metrics %v", s.head, s.model.LossKind(), s.spec.Metrics)
	if len(prep.Embeddings) > 0 {
		log.Printf("model: embeddings %s (vocabulary × dim; the last row is shared by rare, unseen and missing values); the first layer reads %d inputs",
			describeEmbeddings(prep.Embeddings), s.model.EmbeddedWidth())
	}
	if err := s.recordData(); err != nil {
		log.Printf("%v", err)
	}
}

// findCheckpoint continues an interrupted run of this key from the
// checkpoint it left, its curves carried over. A rerun or a forced run
// trains from the start; a checkpoint that cannot be read is logged and
// training starts over.
func (s *session) findCheckpoint(ctx context.Context) {
	if s.opts.Force || s.opts.RerunOf != 0 {
		return
	}
	switch ck, err := readCheckpoint(s.checkpointFile(), s.job.Key); {
	case err != nil:
		s.log.Printf("%v; training from the start", err)
	case ck != nil && s.opts.Checkpoint != "":
		// Its run is in the coordinator's store, not this one.
		s.run.ResumedFrom, s.run.ResumedEpoch = ck.RunID, ck.Epoch
		s.resume = ck
		s.log.Printf("resuming run %d of the coordinator's store from its checkpoint after epoch %d", ck.RunID, ck.Epoch)
	case ck != nil:
		if err := ck.carryPoints(ctx, s.st, s.run.ID); err != nil {
			s.log.Printf("%v; training from the start", err)
			break
		}
		if err := s.st.SetResumed(ctx, s.run.ID, ck.RunID, ck.Epoch); err != nil {
			s.log.Printf("%v", err)
		}
		s.run.ResumedFrom, s.run.ResumedEpoch = ck.RunID, ck.Epoch
		s.resume = ck
		s.log.Printf("resuming run %d from its checkpoint after epoch %d", ck.RunID, ck.Epoch)
	}
}

// train compiles the model, trains the epochs left, and tests the weights
// it keeps. It returns the final metrics and those weights; a pruned run
// returns its validation metrics with ErrPruned, any other error nothing.
func (s *session) train(ctx context.Context) (map[string]map[string]float64, *model.Params, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s.cancel = cancel
	if err := s.compile(ctx); err != nil {
		return nil, nil, err
	}
	defer s.trainer.Close()
	if err := s.begin(); err != nil {
		return nil, nil, err
	}
	defer s.sampleSystem(ctx)()
	stopped := false
	for epoch := s.epochsDone + 1; epoch <= s.lastEpoch(); epoch++ {
		stop, err := s.epoch(ctx, epoch)
		if errors.Is(err, ErrPruned) {
			return s.final, nil, err
		}
		if err != nil {
			return nil, nil, err
		}
		if stop {
			stopped = true
			break
		}
	}
	if !stopped && s.epochsDone < s.spec.Train.Epochs {
		// Paused: the checkpoint of the last epoch is what goes on.
		return s.final, nil, fmt.Errorf("%w after epoch %d of %d", ErrPaused, s.epochsDone, s.spec.Train.Epochs)
	}
	best, err := s.keptWeights(ctx)
	if err != nil {
		return nil, nil, err
	}
	if best != nil {
		defer best.Close()
		s.trainer = best
	}
	if err := s.test(ctx); err != nil {
		return nil, nil, err
	}
	return s.final, s.trainer.Params(), nil
}

// lastEpoch is the last epoch this session trains: the spec's, or
// Options.PauseAfter's when it comes first.
func (s *session) lastEpoch() int {
	if p := s.opts.PauseAfter; p > 0 && p < s.spec.Train.Epochs {
		return p
	}
	return s.spec.Train.Epochs
}

// compile builds the trainer from the initial weights, and what the epochs
// share: the training batches, the scorer, the shuffle.
func (s *session) compile(ctx context.Context) error {
	j := s.job
	tr, err := j.Backend.Compile(ctx, s.model, s.params, j.config(s.opts.Threads))
	if err != nil {
		return fmt.Errorf("compile on %s: %w", j.Backend.Name(), err)
	}
	s.trainer = tr
	s.batches = batches(s.prep.Train)
	s.scorer = &scorer{m: s.model, k: len(s.prep.Classes), scale: s.prep.Scale, names: s.spec.Metrics}
	s.order = make([]int32, s.batches.N)
	s.shuffle = rand.NewPCG(uint64(s.spec.Train.Seed), 0x78702d73687566) // "xp-shuf"
	s.rng = rand.New(s.shuffle)
	s.final = map[string]map[string]float64{}
	return nil
}

// begin starts training: it sets up early stopping, puts back the
// checkpoint of a resumed run, whose epochs are then done, and reports
// the start.
func (s *session) begin() error {
	stopper, err := newEarlyStop(s.spec, s.prep.Val.N > 0)
	if err != nil {
		return s.job.Exp.FieldError("train.early_stopping", err)
	}
	s.stopper = stopper
	started := Event{Kind: EventStarted, Device: s.job.Device, Fallback: s.job.Fallback}
	if ck := s.resume; ck != nil {
		if err := ck.restore(s); err != nil {
			return err
		}
		s.epochsDone, s.fromEpoch = ck.Epoch, ck.Epoch
		s.reached.Store(int64(ck.Epoch))
		s.resume = nil
		if ck.Validation != nil {
			s.final["validation"] = ck.Validation
		}
		started.ResumedRun = ck.RunID
	}
	s.emit(started)
	s.began = time.Now()
	s.lastBeat = s.began
	return nil
}

// epoch trains epoch n and records it; stop says early stopping ends
// training after it. The last epoch leaves no checkpoint and is not
// pruned: the run ends with it anyway.
func (s *session) epoch(ctx context.Context, n int) (stop bool, err error) {
	loss, err := s.trainEpoch(ctx, n)
	if err != nil {
		return false, err
	}
	val, err := s.evaluate(ctx)
	if err != nil {
		return false, err
	}
	if err := s.recordPoints(ctx, n, loss, val); err != nil {
		return false, err
	}
	if err := s.endEpoch(ctx, n, loss, val); err != nil {
		return false, err
	}
	if s.earlyStop(n, loss, val) {
		return true, nil
	}
	if n == s.spec.Train.Epochs {
		return false, nil
	}
	if err := s.checkpoint(n); err != nil {
		return false, err
	}
	return false, s.prune(n, val)
}

// trainEpoch shuffles the rows and trains one pass over them, returning
// the epoch's mean training loss.
func (s *session) trainEpoch(ctx context.Context, n int) (float64, error) {
	for i := range s.order {
		s.order[i] = int32(i)
	}
	s.rng.Shuffle(len(s.order), func(a, b int) { s.order[a], s.order[b] = s.order[b], s.order[a] })
	t0 := time.Now()
	s.epochRows = 0
	loss, err := s.trainer.Epoch(ctx, s.batches, s.order, func(rows int) { s.batchDone(ctx, n, rows) })
	s.trainTime += time.Since(t0)
	if err == nil {
		s.samples, s.epochRows = s.samples+s.batches.N, 0
	}
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
			return 0, cause // a cancel request, or a heartbeat that failed
		}
		return 0, err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, diverged(s.trainer, loss, n, s.batches.N, s.spec.Train.BatchSize)
	}
	return loss, nil
}

// batchDone reports a finished batch of epoch n and heartbeats: epochs can
// be long, so a run beats within them too, never taken for a dead one. The
// epoch it reports is the last one finished. A cancel request, or a
// heartbeat that fails, stops the epoch.
func (s *session) batchDone(ctx context.Context, n, rows int) {
	s.epochRows = rows
	s.emit(Event{Kind: EventBatch, Epoch: n, Rows: rows, Elapsed: time.Since(s.began)})
	if time.Since(s.lastBeat) < heartbeatEvery {
		return
	}
	s.lastBeat = time.Now()
	switch stop, err := s.st.Heartbeat(ctx, s.run.ID, n-1); {
	case err != nil && ctx.Err() == nil:
		s.cancel(err)
	case stop:
		s.cancel(errCancelRequested)
	}
}

// evaluate scores the epoch's weights on the validation rows; nil when
// there are none.
func (s *session) evaluate(ctx context.Context) (map[string]float64, error) {
	if s.prep.Val.N == 0 {
		return nil, nil
	}
	val, _, err := s.scorer.evaluate(ctx, s.trainer, s.prep.Val)
	if err != nil {
		return nil, err
	}
	s.final["validation"] = val
	return val, nil
}

// recordPoints stores epoch n's training loss and validation metrics and
// logs them.
func (s *session) recordPoints(ctx context.Context, n int, loss float64, val map[string]float64) error {
	points := appendPoints([]store.Point{{Split: "train", Name: "loss", Epoch: n, Value: loss}}, "validation", n, val)
	if err := s.st.AddPoints(ctx, s.run.ID, points); err != nil {
		return err
	}
	s.log.Printf("epoch %d/%d loss %.6f validation %v", n, s.spec.Train.Epochs, loss, val)
	return nil
}

// endEpoch heartbeats with epoch n done, where a cancel request (xp
// cancel) stops training, and reports the epoch.
func (s *session) endEpoch(ctx context.Context, n int, loss float64, val map[string]float64) error {
	stop, err := s.st.Heartbeat(ctx, s.run.ID, n)
	if err != nil {
		return err
	}
	s.lastBeat = time.Now()
	if stop {
		s.cancel(errCancelRequested)
		return errCancelRequested
	}
	s.emit(Event{Kind: EventEpoch, Epoch: n, TrainLoss: loss, Metrics: val, Elapsed: time.Since(s.began)})
	s.epochsDone = n
	s.reached.Store(int64(n))
	return nil
}

// earlyStop shows epoch n to the early stopper, if the spec has one, and
// reports whether its patience ran out: then it says so, with the epoch
// whose weights the run keeps.
func (s *session) earlyStop(n int, loss float64, val map[string]float64) bool {
	es := s.stopper
	if es == nil || !es.observe(n, loss, val, s.trainer.Params) {
		return false
	}
	s.log.Printf("early stopping at epoch %d: %s best %v at epoch %d, no improvement for %d epochs",
		n, es.metricName(), es.best, es.bestEpoch, es.patience)
	s.timing.StoppedEarly = n
	s.emit(Event{Kind: EventEarlyStop, Epoch: n, Kept: &KeptEpoch{Epoch: es.bestEpoch, Metric: es.metricName(), Value: es.best}})
	return true
}

// checkpoint saves what epoch n+1 depends on, so that an interrupted run
// continues from here.
func (s *session) checkpoint(n int) error {
	ck, err := s.takeCheckpoint(n)
	if err != nil {
		return err
	}
	return ck.saveTo(s.checkpointFile())
}

// checkpointFile is where the key's checkpoint is read and written:
// Options.Checkpoint, else the key's directory in the store.
func (s *session) checkpointFile() string {
	if s.opts.Checkpoint != "" {
		return s.opts.Checkpoint
	}
	return checkpointPath(s.st, s.job.Key)
}

// prune asks the sweep (Options.Prune) whether to go on after epoch n; an
// error wrapping ErrPruned, with its answer, when not.
func (s *session) prune(n int, val map[string]float64) error {
	if s.opts.Prune == nil {
		return nil
	}
	if why := s.opts.Prune(n, val); why != "" {
		return fmt.Errorf("%w at epoch %d: %s", ErrPruned, n, why)
	}
	return nil
}

// keptWeights is a trainer holding the best epoch's weights when early
// stopping kept an earlier epoch than the last one trained, nil otherwise.
// Compiled from them, it predicts exactly as the trainer did at that
// epoch; that epoch's validation metrics become the final ones.
func (s *session) keptWeights(ctx context.Context) (backends.Trainer, error) {
	es := s.stopper
	if es == nil || es.params == nil || es.bestEpoch == s.epochsDone {
		return nil, nil
	}
	best, err := s.job.Backend.Compile(ctx, s.model, es.params, s.job.config(s.opts.Threads))
	if err != nil {
		return nil, fmt.Errorf("restore the best epoch's weights: %w", err)
	}
	if es.metrics != nil {
		s.final["validation"] = es.metrics
		// What every reader shows as the run's final validation figures
		// (xp show, --json, the cache's answers, the TUI, a sweep's
		// ranking) is then the kept epoch's too.
		if err := s.st.KeepEpoch(ctx, s.run.ID, store.SplitValidation, es.bestEpoch); err != nil {
			best.Close()
			return nil, err
		}
	}
	s.timing.KeptEpoch = es.bestEpoch
	s.log.Printf("restored the weights of epoch %d (%s %v)", es.bestEpoch, es.metricName(), es.best)
	return best, nil
}

// measure records the time training took and its throughput over the
// rows trained in this process: whole epochs, and the part done of one
// that a cancel cut short; a resumed run's earlier epochs are not counted.
func (s *session) measure() {
	t := &s.timing
	t.TotalSeconds = time.Since(s.start).Seconds()
	t.TrainSeconds = s.trainTime.Seconds()
	t.Samples = s.samples + s.epochRows
	if s.trainTime > 0 {
		t.SamplesPerSec = float64(t.Samples) / s.trainTime.Seconds()
	}
}

// test scores the kept weights on the test rows, saves what they predicted
// (and a classifier's confusion matrix), and records the test metrics.
func (s *session) test(ctx context.Context) error {
	prep := s.prep
	if prep.Test.N == 0 {
		return nil
	}
	tm, probs, err := s.scorer.evaluate(ctx, s.trainer, prep.Test)
	if err != nil {
		return err
	}
	path := filepath.Join(s.dir, TestPredictionsFile)
	if s.model.Regression() {
		if err := saveTestRegression(path, s.testLines, prep.Scale, prep.Test.Target, probs); err != nil {
			return err
		}
	} else {
		if err := saveTestPredictions(path, s.testLines, prep.Classes, prep.Test.Y, probs); err != nil {
			return err
		}
		if err := saveConfusion(s.dir, prep.Classes, probs, prep.Test.Y); err != nil {
			return err
		}
	}
	s.final["test"] = tm
	if err := s.st.AddPoints(ctx, s.run.ID, appendPoints(nil, "test", s.spec.Train.Epochs, tm)); err != nil {
		return err
	}
	s.log.Printf("test %v", tm)
	return nil
}

// finish saves a trained run's artifacts and records how the run ended,
// even when ctx is canceled: a canceled run must not be left "running".
func (s *session) finish(ctx context.Context, final map[string]map[string]float64, weights *model.Params, trainErr error) (*Result, error) {
	rec := context.WithoutCancel(ctx)
	digest := ""
	if trainErr == nil {
		var err error
		if digest, err = s.saveArtifacts(weights); err != nil {
			trainErr = err
		}
	}
	status, msg := outcome(trainErr)
	s.log.Printf("status %s %s", status, msg)
	if !Resumable(status) {
		if err := removeCheckpointAt(s.checkpointFile()); err != nil {
			s.log.Printf("%v", err)
		}
	}
	tj, _ := json.Marshal(s.timing)
	if err := s.st.FinishRun(rec, s.run.ID, status, msg, digest, tj); err != nil {
		return nil, errors.Join(trainErr, err)
	}
	// The folder keeps a copy of the run's row: what `xp doctor --rebuild`
	// restores a lost database from.
	if err := s.st.SaveRecord(rec, s.run.ID); err != nil {
		s.log.Printf("%v", err)
	}
	res := &Result{Run: s.run, Report: s.prep.Report, Metrics: final}
	if fresh, err := s.st.Run(rec, s.run.ID); err == nil {
		res.Run = fresh
	}
	switch {
	case trainErr == nil, errors.Is(trainErr, ErrPruned), errors.Is(trainErr, ErrPaused):
		return res, nil
	case errors.Is(trainErr, errCancelRequested):
		return res, fmt.Errorf("run %s: %w", store.ShortKey(s.run.Key), context.Canceled)
	}
	return res, fmt.Errorf("run %s: %w", store.ShortKey(s.run.Key), trainErr)
}

// outcome is the status a run ends with after err, and its message.
func outcome(err error) (status store.Status, msg string) {
	switch {
	case err == nil:
		return store.StatusSucceeded, ""
	case errors.Is(err, context.Canceled), errors.Is(err, errCancelRequested):
		return store.StatusCanceled, "canceled"
	case errors.Is(err, ErrDiverged):
		return store.StatusDiverged, err.Error()
	case errors.Is(err, ErrPruned):
		return store.StatusPruned, err.Error()
	case errors.Is(err, ErrPaused):
		return store.StatusPaused, err.Error()
	}
	return store.StatusFailed, err.Error()
}

// Resumable says whether a run that ended with status keeps its key's
// checkpoint for the next run of the key to continue: an interrupted run
// (canceled), a paused one (an asha point waiting at its rung) and a failed
// one (a full disk, a store error, a crash of the machine's resources at
// epoch 119 of 300), whose progress up to its last checkpoint is never
// thrown away. A finished run (succeeded, pruned, diverged: resuming it
// would end the same) starts over.
func Resumable(status store.Status) bool {
	return status == store.StatusCanceled || status == store.StatusPaused || status == store.StatusFailed
}

// emit reports progress to Options.Events. Before the run is claimed it
// has no id, and before training no batches.
func (s *session) emit(e Event) {
	if s.opts.Events == nil {
		return
	}
	e.Experiment, e.Key, e.Epochs, e.FromEpoch = s.job.Exp.Name, s.job.Key, s.spec.Train.Epochs, s.fromEpoch
	if s.run != nil {
		e.RunID = s.run.ID
	}
	if s.batches != nil {
		e.TotalRows = s.batches.N
	}
	s.opts.Events(e)
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

// saveArtifacts writes what `xp predict` and `xp rerun` need next to the
// run, and returns the weights' digest.
func (s *session) saveArtifacts(weights *model.Params) (string, error) {
	digest, err := weights.Save(filepath.Join(s.dir, "weights.bin"))
	if err != nil {
		return "", err
	}
	pj, err := json.MarshalIndent(s.prep.Pipeline, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode preprocessing: %w", err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "preprocessing.json"), pj, 0o644); err != nil {
		return "", fmt.Errorf("save preprocessing: %w", err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "spec.json"), redact.SpecJSON(s.job.Exp.Resolved), 0o644); err != nil {
		return "", fmt.Errorf("save spec: %w", err)
	}
	return digest, nil
}
