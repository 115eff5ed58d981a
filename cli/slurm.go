package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/runner/slurm"
	"github.com/xp-ml/xp/store"
)

// slurmFlags are the --slurm-* options of xp run.
type slurmFlags struct {
	res slurm.Resources
	xp  string
	dir string
}

func addSlurmFlags(f *pflag.FlagSet, o *runOptions) {
	f.StringVar(&o.executor, "executor", "", "where a sweep's points train: local, or slurm (one job array through sbatch) (default: the sweep's executor)")
	f.StringVar(&o.slurm.res.Partition, "slurm-partition", "", "Slurm partition of the array (--executor slurm)")
	f.StringVar(&o.slurm.res.Account, "slurm-account", "", "Slurm account to charge")
	f.IntVar(&o.slurm.res.CPUs, "slurm-cpus", 0, "cpus-per-task of each array task (default: the threads of a point)")
	f.IntVar(&o.slurm.res.GPUs, "slurm-gpus", 0, "GPUs of each array task (--gres=gpu:N)")
	f.StringVar(&o.slurm.res.Mem, "slurm-mem", "", "memory of each array task (sbatch --mem, e.g. 4G)")
	f.StringVar(&o.slurm.res.Time, "slurm-time", "", "time limit of each array task (sbatch --time, e.g. 1:00:00)")
	f.StringArrayVar(&o.slurm.res.Extra, "slurm-flag", nil, "further sbatch flag, repeatable (e.g. --slurm-flag=--qos=high)")
	f.StringVar(&o.slurm.xp, "slurm-xp", "", "path of the xp binary on the nodes (default: this xp)")
	f.StringVar(&o.slurm.dir, "slurm-dir", "", "directory on the shared filesystem for the arrays' files (default: .xp/slurm)")
}

// executorOf is where exp's points train: --executor, else the sweep's
// executor, else local.
func (o *runOptions) executorOf(exp *spec.Experiment) (string, error) {
	switch o.executor {
	case "":
		if exp.Spec.Sweep != nil && exp.Spec.Sweep.Executor != "" {
			return exp.Spec.Sweep.Executor, nil
		}
		return spec.ExecutorLocal, nil
	case spec.ExecutorLocal:
		return o.executor, nil
	case spec.ExecutorSlurm:
		if exp.Spec.Sweep == nil {
			return "", usageError{fmt.Errorf("%s: --executor slurm runs sweeps only, and %s has no sweep", exp.Name, exp.Name)}
		}
		return o.executor, nil
	}
	return "", usageError{fmt.Errorf("--executor %q: want local or slurm", o.executor)}
}

// runSlurmSweep runs exp's sweep as a Slurm job array and prints it as
// runSweep does, each failure with its Slurm state and log.
func runSlurmSweep(ctx context.Context, s Streams, o *runOptions, st *store.Store, root string, exp *spec.Experiment) error {
	began := time.Now()
	opts := slurm.Options{
		Options:   runner.Options{Backend: o.backend, Force: o.force, AllowDirty: o.dirty},
		Resources: o.slurm.res,
		XP:        o.slurm.xp,
		Dir:       o.slurm.dir,
		Root:      root,
	}
	if o.threadsSet {
		opts.Threads = o.threads
	}
	total, done := 0, 0
	opts.OnSubmit = func(sub slurm.Submission) {
		// The points before the array are done (earlier, or cached).
		done = max(done, total-len(sub.Points))
		fmt.Fprintf(s.Err, "slurm: submitted job %s: %d task(s), points %s; files in %s\n",
			sub.JobID, len(sub.Points), intList(sub.Points), relPath(sub.Dir))
	}
	opts.OnPoint = func(p runner.PointResult) {
		done++
		if !o.json {
			printPoint(s, &p, min(done, total), total)
		}
	}
	if points, err := exp.Points(); err == nil {
		total = len(points)
	}
	res, err := slurm.Run(ctx, st, exp, opts)
	if res == nil {
		return err
	}
	if o.json {
		// The shape of a local sweep's: "trained" counts the points
		// submitted to Slurm.
		sr := &runner.SweepResult{Plan: res.Plan, Points: res.Points, Best: res.Best, Cached: res.Cached,
			Earlier: res.Earlier, Elapsed: time.Since(began)}
		if res.Submission != nil {
			sr.Trained = len(res.Submission.Points)
		}
		if jerr := writeJSONLine(s, sweepToJSON(sr)); jerr != nil {
			return errors.Join(err, jerr)
		}
	} else {
		printSlurmSweep(s, res)
	}
	if err != nil {
		return err
	}
	if failed := res.Failed(); len(failed) > 0 {
		return exitError{code: ExitError, err: fmt.Errorf("%d of %d points of sweep %s failed", len(failed), len(res.Points), res.Plan.ID)}
	}
	return nil
}

func printSlurmSweep(s Streams, res *slurm.Result) {
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
	submitted := 0
	if res.Submission != nil {
		submitted = len(res.Submission.Points)
	}
	fmt.Fprintf(s.Out, "sweep %s: %d points: %s; %d submitted to slurm, %d cached, %d done before\n",
		res.Plan.ID, len(res.Points), strings.Join(parts, ", "), submitted, res.Cached, res.Earlier)
	for _, p := range res.Failed() {
		fmt.Fprintf(s.Out, "  failed  %s  %s: %s\n", store.ShortKey(p.Key), p.Label(), p.Error)
	}
	if b := res.Best; b != nil {
		fmt.Fprintf(s.Out, "  best    %s  %s %.4f  %s\n", store.ShortKey(b.Key), res.Plan.Metric, b.Value, b.Label())
	}
}

func intList(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

// newSlurmTaskCmd is the hidden command each array task runs on its node.
func newSlurmTaskCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:    "slurm-task <dir> <index>",
		Short:  "Train one point of a Slurm job array (run by sbatch, not by people)",
		Hidden: true,
		Args:   cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			idx, err := strconv.Atoi(args[1])
			if err != nil {
				return usageError{fmt.Errorf("task index %q: %w", args[1], err)}
			}
			err = slurm.RunTask(cmd.Context(), args[0], idx)
			if errors.Is(err, slurm.ErrPointFailed) {
				fmt.Fprintf(s.Err, "xp: point of task %d did not succeed (see result.json)\n", idx)
				return exitError{code: ExitError, err: err}
			}
			return err
		},
	}
}
