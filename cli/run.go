package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

type runOptions struct {
	backend  string
	force    bool
	dirty    bool
	threads  int
	json     bool
	parallel int
	tui      bool
	// threadsSet: --threads was given; a sweep otherwise takes each
	// point's threads from its resources.cpus.
	threadsSet bool
	// executor is where a sweep's points train (spec.ExecutorLocal,
	// spec.ExecutorSlurm; "": the sweep's executor); slurm its options.
	executor string
	slurm    slurmFlags
}

func newRunCmd(s Streams) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run <experiment|path>...",
		Short: "Train experiments (cached when the same run key already succeeded)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.threadsSet = cmd.Flags().Changed("threads")
			if o.tui {
				return runWithTUI(cmd.Context(), s, o, args)
			}
			return runRun(cmd.Context(), s, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.backend, "backend", "", "backend to train on (default: from the spec's device)")
	f.BoolVar(&o.force, "force", false, "train again even if this run key already succeeded")
	f.BoolVar(&o.dirty, "allow-dirty", false, "train even if the experiment's files are not committed (stores their source, marks the run dirty)")
	f.IntVar(&o.threads, "threads", 1, "CPU threads the backend may use")
	f.BoolVar(&o.json, "json", false, "print one JSON object per finished run (per sweep: one object)")
	f.BoolVar(&o.tui, "tui", false, "show the runs this command starts in the xp tui view while they train")
	f.IntVar(&o.parallel, "parallel", 0, "points of a sweep to train at once (default: the sweep's parallel)")
	addSlurmFlags(f, o)
	return cmd
}

func runRun(ctx context.Context, s Streams, o *runOptions, names []string) error {
	st, root, err := openLiveStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var failed []error
	for _, name := range names {
		exp, err := spec.Find(root, name)
		if err != nil {
			return err
		}
		executor, err := o.executorOf(exp)
		if err != nil {
			return err
		}
		if exp.Spec.Sweep != nil {
			run := runSweep
			if executor == spec.ExecutorSlurm {
				run = func(ctx context.Context, s Streams, o *runOptions, st *store.Store, exp *spec.Experiment) error {
					return runSlurmSweep(ctx, s, o, st, root, exp)
				}
			}
			if err := run(ctx, s, o, st, exp); err != nil {
				// A sweep with failed points has said so; the others
				// still run.
				if errors.Is(err, context.Canceled) || !isReported(err) || len(names) == 1 {
					return err
				}
				failed = append(failed, err)
			}
			continue
		}
		p := newProgress(s.Err, s.ErrTerminal && !o.json)
		res, err := runner.Run(ctx, st, exp, runner.Options{
			Backend: o.backend, Force: o.force, AllowDirty: o.dirty, Threads: o.threads, Events: p.event,
		})
		p.done()
		if res != nil && res.Run != nil {
			if perr := printRunResult(s, o, res, st.ArtifactDir(res.Run)); perr != nil {
				return perr
			}
		}
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			if res == nil {
				// Nothing was recorded: a spec or data error, reported once.
				return err
			}
			fmt.Fprintf(s.Err, "xp: %v\n", err)
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return exitError{code: ExitError, err: fmt.Errorf("%d of %d runs failed", len(failed), len(names))}
	}
	return nil
}

func printRunResult(s Streams, o *runOptions, res *runner.Result, artifacts string) error {
	r := res.Run
	status := string(r.Status)
	if res.Cached {
		status = "cached"
	}
	if o.json {
		j := toJSON(r, status, false)
		raw, err := json.Marshal(j)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(s.Out, "%s\n", raw)
		return err
	}
	fmt.Fprintf(s.Out, "%-9s %s  %s", status, store.ShortKey(r.Key), r.Experiment)
	if len(r.Timing) > 0 && !res.Cached {
		var t runner.Timing
		if json.Unmarshal(r.Timing, &t) == nil {
			fmt.Fprintf(s.Out, "  %.1fs, %s samples/s", t.TotalSeconds, humanRate(t.SamplesPerSec))
		}
	}
	fmt.Fprintln(s.Out)
	for _, split := range []string{"test", "validation"} {
		if m, ok := res.Metrics[split]; ok {
			fmt.Fprintf(s.Out, "  %-10s %s\n", split, formatMetrics(m))
		}
	}
	if r.Error != "" && r.Status != "succeeded" {
		fmt.Fprintf(s.Out, "  error      %s\n", r.Error)
	}
	if !res.Cached && r.Status == "succeeded" {
		fmt.Fprintf(s.Out, "  artifacts  %s\n", relPath(artifacts))
	}
	return nil
}

// runSweep runs the points of exp's sweep and prints a line per point
// that ends, then the sweep's summary: its failures with their errors and
// its best point. Some point failing is an exitError (1), after the
// summary.
func runSweep(ctx context.Context, s Streams, o *runOptions, st *store.Store, exp *spec.Experiment) error {
	opts := runner.SweepOptions{
		Options:  runner.Options{Backend: o.backend, Force: o.force, AllowDirty: o.dirty},
		Parallel: o.parallel,
	}
	if o.threadsSet {
		opts.Threads = o.threads
	}
	var mu sync.Mutex
	opts.Progress = func(e runner.SweepEvent) {
		mu.Lock()
		defer mu.Unlock()
		switch e.Kind {
		case runner.SweepStarted:
			fmt.Fprintf(s.Err, "sweep %s: %d points (%s), %d done before; %d at a time, %d thread(s) each; best by %s (%s)\n",
				e.Plan.ID, e.Total, e.Plan.Sweep.Method, e.Done, e.Parallel, e.Threads, e.Plan.Metric, e.Plan.Mode)
		case runner.SweepPointDone:
			if !o.json {
				printPoint(s, e.Point, e.Done, e.Total)
			}
		}
	}
	res, err := runner.RunSweep(ctx, st, exp, opts)
	if res == nil {
		return err
	}
	if o.json {
		if jerr := writeJSONLine(s, sweepToJSON(res)); jerr != nil {
			return jerr
		}
	} else {
		printSweep(s, res)
	}
	if err != nil {
		return err
	}
	if failed := res.Failed(); len(failed) > 0 {
		return exitError{code: ExitError, err: fmt.Errorf("%d of %d points of sweep %s failed", len(failed), len(res.Points), res.Plan.ID)}
	}
	return nil
}

// printPoint prints one point: "[ 3/12] succeeded 3f9a2c41d0e7  params  metric value".
func printPoint(s Streams, p *runner.PointResult, done, total int) {
	status := string(p.Status)
	if p.Cached {
		status = "cached"
	}
	key := store.ShortKey(p.Key)
	w := len(fmt.Sprint(total))
	fmt.Fprintf(s.Out, "[%*d/%d] %-9s %s  %s", w, done, total, status, key, p.Label())
	if !math.IsNaN(p.Value) {
		fmt.Fprintf(s.Out, "  %.4f", p.Value)
	}
	if p.Status != store.StatusSucceeded && p.Error != "" {
		fmt.Fprintf(s.Out, "  %s", firstLine(p.Error))
	}
	fmt.Fprintln(s.Out)
}

// printSweep prints the end of a sweep: counts, failures, the best point.
func printSweep(s Streams, res *runner.SweepResult) {
	plan := res.Plan
	counts := map[store.Status]int{}
	for _, p := range res.Points {
		if p.State == store.PointDone {
			counts[p.Status]++
		}
	}
	var parts []string
	for _, st := range store.Statuses {
		if n := counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	if n := res.Pending(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d not done", n))
	}
	fmt.Fprintf(s.Out, "sweep %s: %d points: %s; %d trained now, %d cached, %d done before  %.1fs\n",
		plan.ID, len(res.Points), strings.Join(parts, ", "), res.Trained, res.Cached, res.Earlier, res.Elapsed.Seconds())
	if n := res.Pending(); n > 0 {
		fmt.Fprintf(s.Out, "  %d points not done: xp run %s continues the sweep\n", n, plan.Exp.Name)
	}
	for _, p := range res.Failed() {
		fmt.Fprintf(s.Out, "  failed  %s  %s: %s\n", store.ShortKey(p.Key), p.Label(), firstLine(p.Error))
	}
	if b := res.Best; b != nil {
		fmt.Fprintf(s.Out, "  best    %s  %s %.4f  %s\n", store.ShortKey(b.Key), plan.Metric, b.Value, b.Label())
	} else {
		fmt.Fprintf(s.Out, "  best    none: no point has succeeded with %s\n", plan.Metric)
	}
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

type sweepJSON struct {
	Sweep      string           `json:"sweep"`
	Experiment string           `json:"experiment"`
	Method     string           `json:"method"`
	Metric     string           `json:"metric"`
	Mode       string           `json:"mode"`
	Points     []sweepPointJSON `json:"points"`
	Best       *sweepPointJSON  `json:"best"`
	Failed     int              `json:"failed"`
	Trained    int              `json:"trained"`
	Cached     int              `json:"cached"`
	Earlier    int              `json:"done_before"`
	Seconds    float64          `json:"seconds"`
}

type sweepPointJSON struct {
	Index  int                           `json:"index"`
	Params map[string]json.RawMessage    `json:"params"`
	Key    string                        `json:"key"`
	State  store.PointState              `json:"state"`
	Status store.Status                  `json:"status,omitempty"`
	Cached bool                          `json:"cached,omitempty"`
	Value  *float64                      `json:"value,omitempty"`
	Error  string                        `json:"error,omitempty"`
	Final  map[string]map[string]float64 `json:"metrics,omitempty"`
}

func pointToJSON(p *runner.PointResult) sweepPointJSON {
	j := sweepPointJSON{Index: p.Index, Params: map[string]json.RawMessage{}, Key: p.Key, State: p.State,
		Status: p.Status, Cached: p.Cached, Error: p.Error}
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

func sweepToJSON(res *runner.SweepResult) sweepJSON {
	j := sweepJSON{Sweep: res.Plan.ID, Experiment: res.Plan.Exp.Name, Method: res.Plan.Sweep.Method,
		Metric: res.Plan.Metric, Mode: res.Plan.Mode, Failed: len(res.Failed()), Trained: res.Trained,
		Cached: res.Cached, Earlier: res.Earlier, Seconds: res.Elapsed.Seconds()}
	for i := range res.Points {
		j.Points = append(j.Points, pointToJSON(&res.Points[i]))
	}
	if res.Best != nil {
		b := pointToJSON(res.Best)
		j.Best = &b
	}
	return j
}
