package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
	"github.com/xp-ml/xp/sweep/local"
)

// newExecutor makes an executor from xp run's options; root is the
// project's directory.
type newExecutor func(o *runOptions, root string) sweep.Executor

// executors are where a sweep's points can train, by the name that
// --executor and the spec's sweep.executor give. Everything else of a
// sweep (planning, the queue, the events, the summary) is the same for
// every executor: a new one is a package implementing sweep.Executor, and
// an entry here with its flags.
var executors = map[string]newExecutor{
	spec.ExecutorLocal:      func(*runOptions, string) sweep.Executor { return &local.Executor{} },
	spec.ExecutorSlurm:      newSlurmExecutor,
	spec.ExecutorKubernetes: newKubeExecutor,
}

// executorOf is where exp's points train: --executor, else the sweep's
// executor, else local.
func (o *runOptions) executorOf(exp *spec.Experiment) (string, error) {
	if o.executor == "" {
		if exp.Spec.Sweep != nil && exp.Spec.Sweep.Executor != "" {
			return exp.Spec.Sweep.Executor, nil
		}
		return spec.ExecutorLocal, nil
	}
	if _, ok := executors[o.executor]; !ok {
		return "", usageError{fmt.Errorf("--executor %q: want %s", o.executor, orList(slices.Sorted(maps.Keys(executors))))}
	}
	if o.executor != spec.ExecutorLocal && exp.Spec.Sweep == nil {
		return "", usageError{fmt.Errorf("%s: --executor %s runs sweeps only, and %s has no sweep", exp.Name, o.executor, exp.Name)}
	}
	return o.executor, nil
}

// orList is "a", "a or b", "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// runSweep runs the points of exp's sweep on the executor named executor
// and prints a line per point that ends, then the sweep's summary: its
// failures with their errors and its best point. Some point failing is an
// exitError (1), after the summary.
func runSweep(ctx context.Context, s Streams, o *runOptions, st *store.Store, root string, exp *spec.Experiment, executor string, rm runner.Remote) ([]store.Run, error) {
	ex := executors[executor](o, root)
	opts := sweep.Options{
		Options: runner.Options{Backend: o.backend, Force: o.force, AllowDirty: o.dirty, NoWait: o.noWait,
			Remote: rm},
		Parallel: o.parallel,
	}
	if o.threadsSet {
		opts.Threads = o.threads
	}
	prog := newSweepProgress(s.Err, s.ErrTerminal && !o.json)
	metric := ""
	opts.Events = func(e sweep.Event) {
		if e.Kind == sweep.Started {
			metric = e.Plan.Metric
		}
		if o.json {
			printSweepEvent(s, o, ex.Name(), metric, e)
			return
		}
		prog.event(e, func() { printSweepEvent(s, o, ex.Name(), metric, e) })
	}
	res, err := sweep.Run(ctx, st, exp, ex, opts)
	prog.close()
	if res == nil {
		return nil, err
	}
	trained := trainedPoints(res)
	if o.json {
		if jerr := writeJSONLine(s, sweepToJSON(res)); jerr != nil {
			return trained, jerr
		}
	} else {
		printSweep(s, res)
	}
	if err != nil {
		return trained, err
	}
	if stopped, never := canceledPoints(res); never > 0 {
		return trained, exitError{code: ExitCanceled, err: fmt.Errorf("sweep %s was canceled: %d stopped in training, %d never started",
			res.Plan.ID, stopped, never)}
	}
	if failed := res.Failed(); len(failed) > 0 {
		return trained, exitError{code: ExitError, err: fmt.Errorf("%d of %d points of sweep %s failed", len(failed), len(res.Points), res.Plan.ID)}
	}
	return trained, nil
}

// trainedPoints are the runs of a sweep's points that were not answered
// from a cache: what an auto-push sends.
func trainedPoints(res *sweep.Result) []store.Run {
	var out []store.Run
	for _, p := range res.Points {
		if p.Run != nil && !p.Cached && p.Run.Remote == "" {
			out = append(out, *p.Run)
		}
	}
	return out
}

// printSweepEvent prints what the user hears of a sweep as it goes: where
// it starts and what it submits (stderr), and each point as it ends.
func printSweepEvent(s Streams, o *runOptions, executor, metric string, e sweep.Event) {
	s, flush := cleanText(s) // point labels and errors quote the spec and the data
	defer flush()
	switch e.Kind {
	case sweep.Started:
		at := ""
		if e.Parallel > 0 {
			at = fmt.Sprintf("%d at a time, ", e.Parallel)
		}
		fmt.Fprintf(s.Err, "sweep %s: %d points (%s), %d done before; %s%s each; best by %s (%s)\n",
			e.Plan.ID, e.Total, e.Plan.Sweep.Method, e.Done, at, plural(e.Threads, "thread", "threads"), e.Plan.Metric, e.Plan.Mode)
	case sweep.Submitted:
		sub := e.Submission
		files := ""
		if sub.Dir != "" {
			files = "; files in " + relPath(sub.Dir)
		}
		fmt.Fprintf(s.Err, "%s: submitted job %s: %s, points %s%s\n", executor, sub.ID, plural(len(sub.Points), "task", "tasks"),
			intList(sub.Points), files)
	case sweep.PointDone:
		if !o.json {
			printPoint(s, e.Point, metric, e.Done, e.Total)
		}
	case sweep.Notice:
		fmt.Fprintf(s.Err, "xp: %s\n", e.Message)
	}
}

func intList(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

// canceledPoints counts the points of a sweep canceled in training and
// those it canceled before they started (its sweep was canceled).
func canceledPoints(res *sweep.Result) (stopped, never int) {
	for _, p := range res.Points {
		if p.State == store.PointDone && p.Status == store.StatusCanceled {
			if p.Run == nil {
				never++
			} else {
				stopped++
			}
		}
	}
	return stopped, never
}

// printPoint prints one point: "[ 3/12] succeeded 3f9a2c41d0e7  params  validation.loss 0.4481".
func printPoint(s Streams, p *sweep.PointResult, metric string, done, total int) {
	status := string(p.Status)
	switch {
	case p.Remote:
		status = "remote hit"
	case p.Cached:
		status = "cached"
	}
	key := store.ShortKey(p.Key)
	w := len(fmt.Sprint(total))
	fmt.Fprintf(s.Out, "[%*d/%d] %-9s %s  %s", w, done, total, status, key, p.Label())
	if !math.IsNaN(p.Value) {
		fmt.Fprintf(s.Out, "  %s %s", metric, formatNum(p.Value))
	}
	if p.Remote && p.Run != nil {
		fmt.Fprintf(s.Out, "  (%s)", trainedBy(p.Run, time.Now()))
	}
	if p.Status != store.StatusSucceeded && p.Error != "" {
		fmt.Fprintf(s.Out, "  %s", firstLine(p.Error))
	}
	fmt.Fprintln(s.Out)
}

// printSweep prints the end of a sweep: counts, failures, the best point.
// Points an executor submitted elsewhere count as "submitted to" it.
func printSweep(s Streams, res *sweep.Result) {
	s, flush := cleanText(s)
	defer flush()
	plan := res.Plan
	counts := map[store.Status]int{}
	for _, p := range res.Points {
		if p.State == store.PointDone {
			counts[p.Status]++
		}
	}
	stopped, neverStarted := canceledPoints(res)
	counts[store.StatusCanceled] = stopped
	var parts []string
	for _, st := range store.Statuses {
		if n := counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	if neverStarted > 0 {
		parts = append(parts, fmt.Sprintf("%d never started", neverStarted))
	}
	if n := res.Pending(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d not done", n))
	}
	trained := fmt.Sprintf("%d trained now", res.Trained)
	if res.Executor != spec.ExecutorLocal {
		trained = fmt.Sprintf("%d submitted to %s", res.Trained, res.Executor)
	}
	cached := fmt.Sprintf("%d cached", res.Cached)
	if res.RemoteHits > 0 {
		cached = fmt.Sprintf("%d cached (%d remote hits)", res.Cached, res.RemoteHits)
	}
	fmt.Fprintf(s.Out, "sweep %s: %d points: %s; %s, %s, %d done before  %s\n",
		plan.ID, len(res.Points), strings.Join(parts, ", "), trained, cached, res.Earlier, formatDuration(res.Elapsed))
	switch n := res.Pending(); {
	case res.Stopped != "":
		fmt.Fprintf(s.Out, "  stopped early: %s; %d points not trained\n", res.Stopped, n)
	case n > 0:
		fmt.Fprintf(s.Out, "  %d points not done: xp run %s continues the sweep\n", n, plan.Exp.Name)
	}
	if stopped+neverStarted > 0 {
		fmt.Fprintf(s.Out, "  canceled: %d stopped in training, %d never started; xp run %s trains them again\n",
			stopped, neverStarted, plan.Exp.Name)
	}
	for _, p := range res.Failed() {
		fmt.Fprintf(s.Out, "  failed  %s  %s: %s\n", store.ShortKey(p.Key), p.Label(), indentRest(p.Error))
	}
	if b := res.Best; b != nil {
		fmt.Fprintf(s.Out, "  best    %s  %s %s  %s\n", store.ShortKey(b.Key), plan.Metric, formatNum(b.Value), b.Label())
		printTies(s, res.Ties, "point", "the first in the sweep's order")
	} else {
		fmt.Fprintf(s.Out, "  best    none: no point has succeeded with %s\n", plan.Metric)
	}
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// indentRest indents the lines of s after the first (a cluster task's log
// tail comes indented already), so that they read under the line they
// follow.
func indentRest(s string) string {
	lines := strings.Split(s, "\n")
	for i := 1; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "    ") {
			lines[i] = "    " + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

type sweepJSON struct {
	Sweep      string           `json:"sweep"`
	Experiment string           `json:"experiment"`
	Method     string           `json:"method"`
	Metric     string           `json:"metric"`
	Mode       string           `json:"mode"`
	Points     []sweepPointJSON `json:"points"`
	Best       *sweepPointJSON  `json:"best"`
	// TiedWith are the indexes of the points with the best's value,
	// which lost the tie to the first of them.
	TiedWith   []int `json:"tied_with,omitempty"`
	Failed     int   `json:"failed"`
	Trained    int   `json:"trained"`
	Cached     int   `json:"cached"`
	RemoteHits int   `json:"remote_hits,omitempty"`
	Earlier    int   `json:"done_before"`
	// Stopped says why the sweep's stop rule ended it early.
	Stopped string  `json:"stopped,omitempty"`
	Seconds float64 `json:"seconds"`
}

type sweepPointJSON struct {
	Index  int                           `json:"index"`
	Params map[string]json.RawMessage    `json:"params"`
	Key    string                        `json:"key"`
	State  store.PointState              `json:"state"`
	Status store.Status                  `json:"status,omitempty"`
	Cached bool                          `json:"cached,omitempty"`
	Remote bool                          `json:"remote_hit,omitempty"`
	Value  *float64                      `json:"value,omitempty"`
	Error  string                        `json:"error,omitempty"`
	Final  map[string]map[string]float64 `json:"metrics,omitempty"`
}

func pointToJSON(p *sweep.PointResult) sweepPointJSON {
	j := sweepPointJSON{Index: p.Index, Params: map[string]json.RawMessage{}, Key: p.Key, State: p.State,
		Status: p.Status, Cached: p.Cached, Remote: p.Remote, Error: p.Error}
	for _, pr := range p.Params {
		j.Params[pr.Path] = pr.Value
	}
	if !math.IsNaN(p.Value) {
		v := p.Value
		j.Value = &v
	}
	if p.Run != nil {
		j.Final = runner.FinalMetrics(p.Run)
	}
	return j
}

// sweepToJSON is the one JSON object of a sweep, the same for every
// executor: "trained" counts the points trained here or submitted.
func sweepToJSON(res *sweep.Result) sweepJSON {
	j := sweepJSON{Sweep: res.Plan.ID, Experiment: res.Plan.Exp.Name, Method: res.Plan.Sweep.Method,
		Metric: res.Plan.Metric, Mode: res.Plan.Mode, Failed: len(res.Failed()), Trained: res.Trained,
		Cached: res.Cached, RemoteHits: res.RemoteHits, Earlier: res.Earlier, Stopped: res.Stopped, Seconds: res.Elapsed.Seconds()}
	for i := range res.Points {
		j.Points = append(j.Points, pointToJSON(&res.Points[i]))
	}
	if res.Best != nil {
		b := pointToJSON(res.Best)
		j.Best = &b
	}
	for _, p := range res.Ties {
		j.TiedWith = append(j.TiedWith, p.Index)
	}
	return j
}
