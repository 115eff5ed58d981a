package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

type runOptions struct {
	backend string
	force   bool
	dirty   bool
	// noWait: fail when another process trains the key (--no-wait, or
	// --wait=false) rather than wait for it.
	noWait   bool
	threads  int
	json     bool
	parallel int
	tui      bool
	// noRemote: do not ask the remote before training.
	noRemote bool
	// threadsSet: --threads was given; a sweep otherwise takes each
	// point's threads from its resources.cpus.
	threadsSet bool
	// executor is where a sweep's points train (a name in executors; "":
	// the sweep's executor); slurm the options of the Slurm executor.
	executor string
	slurm    slurmFlags
	kube     kubeFlags
	// dryRun: print what would be submitted (-o yaml: a Kubernetes
	// sweep's Job) and train nothing.
	dryRun bool
	output string
}

func newRunCmd(s Streams) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use: "run <experiment|path>...",
		Example: `  xp run                         # lists the experiments it can see
  xp run credit                  # train (or answer from the store: cached)
  xp run credit iris --json
  xp run experiments/credit.cue --allow-dirty
  xp run credit_sweep --parallel 4`,
		Short: "Train experiments (cached when the same run key already succeeded)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return listExperiments(s)
			}
			o.threadsSet = cmd.Flags().Changed("threads")
			if wait, _ := cmd.Flags().GetBool("wait"); !wait {
				o.noWait = true
			}
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
	f.Bool("wait", true, "when another xp process trains the same run key, wait for it to end (then answer from its run, or resume it if it died)")
	f.BoolVar(&o.noWait, "no-wait", false, "when another xp process trains the same run key, exit 1 naming it instead of waiting")
	cmd.MarkFlagsMutuallyExclusive("wait", "no-wait")
	f.BoolVar(&o.json, "json", false, "print one JSON object per finished run (per sweep: one object)")
	f.BoolVar(&o.tui, "tui", false, "show the runs this command starts in the xp tui view while they train")
	f.IntVar(&o.parallel, "parallel", 0, "points of a sweep to train at once (default: the sweep's parallel)")
	f.BoolVar(&o.noRemote, "no-remote", false, "do not ask the project's remote for a run before training it")
	addSlurmFlags(f, o)
	addKubeFlags(f, o)
	f.BoolVar(&o.dryRun, "dry-run", false, "print what would be submitted and train nothing (with -o yaml and --executor kubernetes: the Job)")
	f.StringVarP(&o.output, "output", "o", "", "with --dry-run: yaml, the manifests a Kubernetes sweep would submit")
	return cmd
}

func runRun(ctx context.Context, s Streams, o *runOptions, names []string) error {
	if o.output != "" && (o.output != "yaml" || !o.dryRun) {
		return usageError{fmt.Errorf("-o %s: xp run prints yaml, with --dry-run", o.output)}
	}
	if _, err := o.kubeConfig(); err != nil {
		return err
	}
	st, root, err := openRunStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rm, err := checkRemote(s, root, o.noRemote)
	if err != nil {
		return err
	}
	exps, executors, err := findAll(root, o, names)
	if err != nil {
		return err
	}
	var failed []error
	var trained []store.Run
	defer func() { autoPush(context.WithoutCancel(ctx), s, st, root, trained) }()
	for i, exp := range exps {
		executor := executors[i]
		if o.dryRun {
			if executor != spec.ExecutorKubernetes {
				return usageError{fmt.Errorf("%s: --dry-run prints the Kubernetes Job of a sweep (--executor kubernetes), and %s runs on %s",
					exp.Name, exp.Name, executor)}
			}
			if err := printKubeDryRun(ctx, s, o, st, root, exp); err != nil {
				return err
			}
			continue
		}
		if exp.Spec.Sweep != nil {
			runs, err := runSweep(ctx, s, o, st, root, exp, executor, rm)
			trained = append(trained, runs...)
			if err != nil {
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
			NoWait: o.noWait, Remote: rm,
		})
		p.done()
		if res != nil && res.Run != nil && !res.Cached {
			trained = append(trained, *res.Run)
		}
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
			printError(s.Err, err)
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return exitError{code: ExitError, err: fmt.Errorf("%d of %d runs failed", len(failed), len(names))}
	}
	return nil
}

// listExperiments is xp run with no name: the experiments under
// experiments/ it could run, with their files, and a sweep's point count.
func listExperiments(s Streams) error {
	root, err := projectRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "experiments")
	if _, err := os.Stat(dir); err != nil {
		return usageError{fmt.Errorf("run: name an experiment or a .cue file (no %s here; xp init makes one)", relPath(dir))}
	}
	exps, invalid, err := spec.LoadValid(dir)
	if err != nil {
		return err
	}
	if len(exps) == 0 && invalid == nil {
		return usageError{fmt.Errorf("run: name an experiment or a .cue file (none in %s)", relPath(dir))}
	}
	tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EXPERIMENT\tFILE\tSWEEP")
	for _, e := range exps {
		sweep := "-"
		if e.Spec.Sweep != nil {
			if points, err := e.Points(); err == nil {
				sweep = plural(len(points), "point", "points")
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, relPath(e.File), sweep)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if invalid != nil {
		fmt.Fprintf(s.Err, "xp: some experiments do not type-check and are not listed: xp vet says why\n")
	}
	fmt.Fprintln(s.Err, "xp run <experiment> trains one")
	return nil
}

// findAll finds every experiment named, and its executor, before anything
// trains: a typo in the last name must not wait for the first to train.
// Every name that fails is reported, not only the first.
func findAll(root string, o *runOptions, names []string) ([]*spec.Experiment, []string, error) {
	exps := make([]*spec.Experiment, len(names))
	executors := make([]string, len(names))
	var errs []error
	for i, name := range names {
		exp, err := spec.Find(root, name)
		if err == nil {
			exps[i] = exp
			executors[i], err = o.executorOf(exp)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	switch len(errs) {
	case 0:
		return exps, executors, nil
	case 1:
		return nil, nil, errs[0]
	}
	return nil, nil, errors.Join(errs...)
}

func printRunResult(s Streams, o *runOptions, res *runner.Result, artifacts string) error {
	r := res.Run
	status := string(r.Status)
	if res.Cached {
		status = "cached"
	}
	if o.json {
		j := toJSON(r, status, false)
		j.RemoteHit = res.Remote
		raw, err := json.Marshal(j)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(s.Out, "%s\n", raw)
		return err
	}
	s, flush := cleanText(s)
	defer flush()
	if res.Remote {
		fmt.Fprintf(s.Out, "remote hit %s  %s  (%s)", store.ShortKey(r.Key), r.Experiment, trainedBy(r, time.Now()))
	} else {
		fmt.Fprintf(s.Out, "%-9s %s  %s", status, store.ShortKey(r.Key), r.Experiment)
	}
	var t runner.Timing
	timed := len(r.Timing) > 0 && json.Unmarshal(r.Timing, &t) == nil
	if timed && !res.Cached {
		fmt.Fprintf(s.Out, "  %s, %s samples/s", seconds(t.TotalSeconds), humanRate(t.SamplesPerSec))
	}
	fmt.Fprintln(s.Out)
	for _, split := range []string{"test", "validation"} {
		if m, ok := res.Metrics[split]; ok {
			fmt.Fprintf(s.Out, "  %-10s %s\n", split, formatMetrics(m))
		}
	}
	if timed {
		if kept := keptLine(&t, r.Epochs); kept != "" {
			fmt.Fprintf(s.Out, "  weights    %s\n", kept)
		}
	}
	if r.Error != "" && r.Status != "succeeded" {
		fmt.Fprintf(s.Out, "  error      %s\n", r.Error)
	}
	if r.Status == store.StatusCanceled {
		fmt.Fprintf(s.Out, "  resume     %s\n", resumeHint(r))
	}
	if !res.Cached && r.Status == "succeeded" {
		fmt.Fprintf(s.Out, "  artifacts  %s\n", relPath(artifacts))
	}
	return nil
}

// trainedBy says who trained a pulled run and how long ago it finished:
// "trained by alice@node7, 2h ago".
func trainedBy(r *store.Run, now time.Time) string {
	return fmt.Sprintf("trained by %s, %s ago", trainedByOf(r), age(now, r.FinishedAt))
}

// keptLine says which epoch's weights a run kept when early stopping
// chose an earlier one than the last it trained; "" otherwise.
func keptLine(t *runner.Timing, epochs int) string {
	switch {
	case t.KeptEpoch > 0 && t.StoppedEarly > 0:
		return fmt.Sprintf("of epoch %d, the best (early stopping at epoch %d of %d)", t.KeptEpoch, t.StoppedEarly, epochs)
	case t.KeptEpoch > 0:
		return fmt.Sprintf("of epoch %d, the best (early stopping's metric)", t.KeptEpoch)
	case t.StoppedEarly > 0:
		return fmt.Sprintf("of epoch %d, the last (early stopping at epoch %d of %d)", t.StoppedEarly, t.StoppedEarly, epochs)
	}
	return ""
}

// resumeHint is what continues canceled run r: xp resume from the
// checkpoint of its last finished epoch, or, before the first ended,
// training again from the start.
func resumeHint(r *store.Run) string {
	if r.Epoch == 0 {
		return fmt.Sprintf("no epoch finished, nothing to resume: xp run %s trains it from the start", r.Experiment)
	}
	return fmt.Sprintf("xp resume %s continues it after epoch %d of %d", r.Short(), r.Epoch, r.Epochs)
}
