package local

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"time"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/sweep"
)

// claimBeatEvery is how often the executor renews its claims; pollEvery how
// often, when the points left are all claimed by other processes, it looks
// again (they may finish, or die and leave their points to take).
const (
	claimBeatEvery = 2 * time.Second
	pollEvery      = 500 * time.Millisecond
)

// Executor trains points in this process.
type Executor struct {
	// CPUs is the number of CPU threads the points share (0:
	// runtime.NumCPU()).
	CPUs int
}

var _ sweep.Executor = (*Executor)(nil)

// Name is spec.ExecutorLocal.
func (e *Executor) Name() string { return spec.ExecutorLocal }

// Fit gives a point at most the CPUs, and lowers parallel so that the
// threads of the points training at once fit in them.
func (e *Executor) Fit(threads, parallel int) (int, int) {
	cpus := e.CPUs
	if cpus <= 0 {
		cpus = runtime.NumCPU()
	}
	threads = min(max(threads, 1), cpus)
	return threads, max(1, min(parallel, cpus/threads))
}

// errTakenOver cancels a point that another process took over because this
// one's claim went stale (the machine slept, say): only one may train it.
var errTakenOver = errors.New("point taken over by another process")

// Execute claims and trains points until none is left to claim and none
// trains, or ctx is canceled and the training ones have stopped.
func (e *Executor) Execute(ctx context.Context, s *sweep.Session) error {
	l := &loop{s: s, parallel: s.Parallel(), results: make(chan ended), running: map[int]context.CancelCauseFunc{},
		gpus: s.GPUs(), onGPU: map[int]int{}}
	l.load = make([]int, len(l.gpus))
	return l.run(ctx)
}

// ended is a point's goroutine reporting back to the loop, twice when the
// point trained: once its training ended (its slot is free), then once its
// outcome is in the queue (recorded).
type ended struct {
	idx      int
	recorded bool
	trained  bool
	// err is a failure of the queue itself (the store), which stops the
	// sweep; a point's own failure is recorded with the point instead.
	err error
}

// loop is one Execute: the points claimed, training and being recorded.
type loop struct {
	s        *sweep.Session
	parallel int
	results  chan ended
	// running holds the points in training, each with the cancel of its
	// context.
	running map[int]context.CancelCauseFunc
	// On a machine with several GPUs like the planned one, each point
	// trains on the one with the fewest points (several points share a
	// GPU, each on its own stream): gpus are their ordinals, load the
	// points on each, onGPU the index in gpus of each running point.
	gpus      []int
	load      []int
	onGPU     map[int]int
	ready     []int // claimed, not cached, not started
	recording int   // points whose outcome is being written to the queue
	idle      bool  // the last claim found nothing to claim
	fatal     error
}

func (l *loop) stop(ctx context.Context) bool { return l.fatal != nil || ctx.Err() != nil }

func (l *loop) fail(ctx context.Context, err error) {
	if err != nil && l.fatal == nil && ctx.Err() == nil {
		l.fatal = err
	}
}

// run claims one point ahead of the free slots, and answers cached points
// as it claims them, while the running points train: when a point ends,
// the next starts at once, without waiting for the queue.
func (l *loop) run(ctx context.Context) error {
	beat := time.NewTicker(claimBeatEvery)
	defer beat.Stop()
	canceled := ctx.Done()
	for {
		// Start what is claimed first, then claim ahead: a claim costs a
		// write transaction, which the next point need not wait for.
		l.start(ctx)
		l.claim(ctx)
		l.start(ctx)
		if l.stop(ctx) && len(l.ready) > 0 {
			// Claimed, never started: back to the queue.
			if err := l.s.ReleaseAll(context.WithoutCancel(ctx), l.ready); err != nil && l.fatal == nil {
				l.fatal = err
			}
			l.ready = nil
		}
		if len(l.running) == 0 && l.recording == 0 {
			if l.stop(ctx) {
				return l.fatal
			}
			if done, err := l.wait(ctx); done || err != nil {
				return err
			}
			continue
		}
		select {
		case f := <-l.results:
			l.ended(ctx, f)
		case <-beat.C:
			l.beat(ctx)
		case <-canceled:
			// The points' contexts are children of ctx: they stop at
			// their next batch and report back, and no new one starts.
			canceled = nil
		}
	}
}

// claim claims points until one more than the free slots are claimed.
func (l *loop) claim(ctx context.Context) {
	for !l.stop(ctx) && !l.idle && len(l.running)+len(l.ready) <= l.parallel {
		idx, err := l.s.Claim(ctx)
		switch {
		case errors.Is(err, sweep.ErrNoPoint):
			l.idle = true
		case err != nil:
			l.fail(ctx, err)
		default:
			l.ready = append(l.ready, idx)
		}
	}
}

// start starts the claimed points that fit in the free slots.
func (l *loop) start(ctx context.Context) {
	for !l.stop(ctx) && len(l.ready) > 0 && len(l.running) < l.parallel {
		idx := l.ready[0]
		l.ready = l.ready[1:]
		pctx, cancel := context.WithCancelCause(ctx)
		l.running[idx] = cancel
		gpu := l.assignGPU(idx)
		go func() {
			rec := context.WithoutCancel(pctx)
			out, ok := l.s.TrainOn(pctx, idx, gpu)
			if !ok {
				// Ctrl-C, or taken over: back to the queue, for the next
				// run of the sweep.
				l.results <- ended{idx: idx, err: l.s.Release(rec, idx)}
				return
			}
			if l.s.Plan().Sweep.Stop != nil {
				// The sweep's stop rule reads the outcome: written before
				// the next point may start.
				err := l.s.Finish(rec, idx, out)
				l.results <- ended{idx: idx, trained: true}
				l.results <- ended{idx: idx, recorded: true, err: err}
				return
			}
			// The outcome is written while the next point starts.
			l.results <- ended{idx: idx, trained: true}
			l.results <- ended{idx: idx, recorded: true, err: l.s.Finish(rec, idx, out)}
		}()
	}
}

// assignGPU picks the GPU point idx trains on: the least busy, the first
// of those; -1 where there is no choice to make.
func (l *loop) assignGPU(idx int) int {
	if len(l.gpus) == 0 {
		return -1
	}
	g := 0
	for i, n := range l.load {
		if n < l.load[g] {
			g = i
		}
	}
	l.load[g]++
	l.onGPU[idx] = g
	return l.gpus[g]
}

// ended takes a point's report.
func (l *loop) ended(ctx context.Context, f ended) {
	switch {
	case f.recorded:
		l.recording--
	default:
		l.running[f.idx](nil)
		delete(l.running, f.idx)
		if g, ok := l.onGPU[f.idx]; ok {
			l.load[g]--
			delete(l.onGPU, f.idx)
		}
		if f.trained {
			l.recording++
		}
	}
	l.fail(ctx, f.err)
	l.idle = false // another process may have left points since
}

// beat renews the claims, and stops the points another process took over.
func (l *loop) beat(ctx context.Context) {
	mine, err := l.s.Beat(ctx)
	if err != nil {
		l.fail(ctx, err)
		return
	}
	for idx, cancel := range l.running {
		if !slices.Contains(mine, idx) {
			cancel(errTakenOver)
		}
	}
	l.ready = slices.DeleteFunc(l.ready, func(idx int) bool { return !slices.Contains(mine, idx) })
}

// wait is the loop with nothing in training: done when no point of the
// sweep is left; otherwise the rest is claimed by other processes, and it
// waits for them to finish, or to die and leave their points.
func (l *loop) wait(ctx context.Context) (bool, error) {
	if !l.idle || len(l.ready) > 0 {
		return false, nil
	}
	left, err := l.s.Left(ctx)
	if err != nil || left == 0 {
		return true, err
	}
	select {
	case <-ctx.Done():
	case <-time.After(pollEvery):
	}
	l.idle = false
	return false, nil
}
