package serve

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/predict"
)

// job is one request's encoded rows, waiting to be scored.
type job struct {
	m data.Matrix
	// done is buffered, so a worker never waits for a request that has
	// gone.
	done chan jobResult
}

type jobResult struct {
	out []float32
	err error
}

// pool scores rows with a model's compiled copies (Scorers). Without
// batching, a request takes an idle scorer and scores its rows in its own
// goroutine. With batching (maxRows > 1), workers own the scorers: one
// that takes a job joins to it the jobs already waiting (and, with a
// delay, those that come within it) up to maxRows rows, and scores them
// in one call: one pass through the network for many requests.
type pool struct {
	// mu guards closed; a request holds it shared while it uses the pool,
	// so close waits for every request in flight.
	mu      sync.RWMutex
	closed  bool
	idle    chan *predict.Scorer // without batching
	jobs    chan *job            // with batching
	maxRows int
	delay   time.Duration
	width   int // outputs per row
	scorers []*predict.Scorer
	wg      sync.WaitGroup
	// batched is told the rows of every batch scored.
	batched func(rows int)
}

// errClosed is a request to a pool that has stopped.
var errClosed = errors.New("server is shutting down")

func newPool(ctx context.Context, p *predict.Predictor, workers, maxRows int, delay time.Duration, batched func(int)) (*pool, error) {
	pl := &pool{maxRows: maxRows, delay: delay, width: p.Model.PredictWidth(), batched: batched}
	for range max(workers, 1) {
		s, err := p.Compile(ctx)
		if err != nil {
			pl.closeScorers()
			return nil, err
		}
		pl.scorers = append(pl.scorers, s)
	}
	if maxRows <= 1 {
		pl.idle = make(chan *predict.Scorer, len(pl.scorers))
		for _, s := range pl.scorers {
			pl.idle <- s
		}
		return pl, nil
	}
	pl.jobs = make(chan *job)
	for _, s := range pl.scorers {
		pl.wg.Add(1)
		go pl.work(s)
	}
	return pl, nil
}

// score scores m's rows and returns what the model outputs, as
// predict.Scorer.Score does.
func (pl *pool) score(ctx context.Context, m data.Matrix) ([]float32, error) {
	pl.mu.RLock()
	if pl.closed {
		pl.mu.RUnlock()
		return nil, errClosed
	}
	if pl.jobs == nil {
		defer pl.mu.RUnlock()
		var s *predict.Scorer
		select {
		case s = <-pl.idle:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		defer func() { pl.idle <- s }()
		if pl.batched != nil {
			pl.batched(m.N)
		}
		// Scoring is short: no request's context stops it halfway.
		return s.Score(context.Background(), m)
	}
	j := &job{m: m, done: make(chan jobResult, 1)}
	select {
	case pl.jobs <- j:
	case <-ctx.Done():
		pl.mu.RUnlock()
		return nil, ctx.Err()
	}
	pl.mu.RUnlock()
	select {
	case r := <-j.done:
		return r.out, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// close stops the pool once the requests using it are answered; a request
// after it gets errClosed.
func (pl *pool) close() {
	pl.mu.Lock()
	pl.closed = true
	if pl.jobs != nil {
		close(pl.jobs)
	}
	pl.mu.Unlock()
	pl.wg.Wait()
	pl.closeScorers()
}

func (pl *pool) closeScorers() {
	for _, s := range pl.scorers {
		s.Close()
	}
}

func (pl *pool) work(s *predict.Scorer) {
	defer pl.wg.Done()
	var next *job
	for {
		first := next
		if first == nil {
			j, ok := <-pl.jobs
			if !ok {
				return
			}
			first = j
		}
		batch := []*job{first}
		next = pl.gather(&batch, first.m.N)
		pl.run(s, batch)
	}
}

// gather adds waiting jobs to batch, which holds rows rows, until it holds
// maxRows or no job comes: at once, or within the delay. A job that would
// take the batch past maxRows is returned, to start the next one.
func (pl *pool) gather(batch *[]*job, rows int) *job {
	if pl.maxRows <= 1 {
		return nil
	}
	var timeout <-chan time.Time
	if pl.delay > 0 {
		t := time.NewTimer(pl.delay)
		defer t.Stop()
		timeout = t.C
	}
	for rows < pl.maxRows {
		var j *job
		var ok bool
		if timeout == nil {
			select {
			case j, ok = <-pl.jobs:
			default:
				return nil
			}
		} else {
			select {
			case j, ok = <-pl.jobs:
			case <-timeout:
				return nil
			}
		}
		if !ok {
			return nil
		}
		if rows+j.m.N > pl.maxRows {
			return j
		}
		*batch = append(*batch, j)
		rows += j.m.N
	}
	return nil
}

// run scores a batch in one call and hands each job its rows' outputs.
// Scoring is short and shared by the batch: no one request's context
// stops it.
func (pl *pool) run(s *predict.Scorer, batch []*job) {
	m := batch[0].m
	if len(batch) > 1 {
		m = data.Matrix{D: m.D}
		for _, j := range batch {
			if j.m.D != m.D {
				// Every request of a model encodes to its width.
				pl.fail(batch, fmt.Errorf("internal error: rows of %d and %d features in one batch", m.D, j.m.D))
				return
			}
			m.X = append(m.X, j.m.X...)
			m.N += j.m.N
		}
	}
	if pl.batched != nil {
		pl.batched(m.N)
	}
	out, err := s.Score(context.Background(), m)
	if err != nil {
		pl.fail(batch, err)
		return
	}
	off := 0
	for _, j := range batch {
		n := j.m.N * pl.width
		j.done <- jobResult{out: out[off : off+n : off+n]}
		off += n
	}
}

func (pl *pool) fail(batch []*job, err error) {
	for _, j := range batch {
		j.done <- jobResult{err: err}
	}
}
