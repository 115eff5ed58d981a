package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep/kubernetes"
	"github.com/xp-ml/xp/sweep/slurm"
)

func newCancelCmd(s Streams) *cobra.Command {
	var kubeconfig string
	cmd := &cobra.Command{
		Use: "cancel <key-prefix|experiment>...",
		Example: `  xp cancel 3f9a                 # stop the run of key 3f9a... at its next epoch
  xp cancel credit               # every live run (and sweep) of credit, here, on Slurm or on Kubernetes`,
		Short: "Stop runs in training, here, on Slurm or on Kubernetes (recorded canceled, curves kept)",
		Long: `Stops a run in training, named by a prefix of its key, or every run of an
experiment that is in training or waiting in a Slurm job array. Canceling an
experiment that has a sweep in progress stops the sweep: no point of it
starts any more (those not started are recorded canceled, never started),
and its points in training stop.

A run trained by an xp process on any machine that shares the store stops at
its next batch: xp cancel asks through the store, and the process records it
canceled with the epochs it finished. A point of a sweep submitted with
--executor slurm is scancel'ed (its array task, pending or running); one
submitted with --executor kubernetes has its Job deleted, with its pods
(every point of that submission stops). The xp run that submitted it
records it canceled, its curves kept. The next xp run of the sweep trains
the canceled points again.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCancel(cmd.Context(), s, args, kubeconfig)
		},
	}
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file for Kubernetes sweeps (default: $KUBECONFIG, ~/.kube/config, else in-cluster)")
	return cmd
}

// cancelTarget is one thing to stop: a run in the store, an array task, or
// both (a Slurm run in training).
type cancelTarget struct {
	run  *store.Run
	key  string // the point's run key when there is no run yet
	task string // "<job>_<index>", or "" for a run trained by a process
	// sweep is a sweep in progress whose points not started yet are
	// canceled: no new point starts.
	sweep string
}

func runCancel(ctx context.Context, s Streams, args []string, kubeconfig string) error {
	st, _, err := openLiveStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	claimed, err := st.ClaimedPoints(ctx)
	if err != nil {
		return err
	}
	var targets []cancelTarget
	for _, arg := range args {
		t, err := cancelTargets(ctx, st, claimed, arg)
		if err != nil {
			return err
		}
		targets = append(targets, t...)
	}
	var tasks, kube []string
	for _, t := range targets {
		switch {
		case t.task == "":
		case kubernetes.IsTask(t.task):
			kube = append(kube, t.task)
		case !slices.Contains(tasks, t.task):
			tasks = append(tasks, t.task)
		}
	}
	// scancel and delete first: a task still pending then never starts.
	if err := slurm.Cancel(ctx, tasks...); err != nil {
		return err
	}
	jobs, err := kubernetes.Cancel(ctx, kubeconfig, kube...)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.Gone {
			fmt.Fprintf(s.Out, "gone      Job %s (deleted already; its pods deleted)\n", strings.TrimPrefix(j.Job, "kubernetes:"))
			continue
		}
		fmt.Fprintf(s.Out, "deleted   Job %s and its pods\n", strings.TrimPrefix(j.Job, "kubernetes:"))
	}
	for _, t := range targets {
		if t.sweep != "" {
			n, err := st.CancelSweep(ctx, t.sweep)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "canceled  sweep %s: %d points will never start\n", t.sweep, n)
			continue
		}
		key, exp := t.key, ""
		if t.run != nil {
			key, exp = t.run.Key, t.run.Experiment
			if t.run.Status == store.StatusLost {
				// Nothing heartbeats it any more: recorded here.
				err = st.FinishRun(ctx, t.run.ID, store.StatusCanceled, "canceled by xp cancel", "", nil)
			} else {
				err = st.RequestCancel(ctx, t.run.ID)
			}
			if err != nil && !errors.Is(err, store.ErrStatus) {
				return err
			}
		}
		how := "requested: its process stops it at the next batch"
		switch {
		case kubernetes.IsTask(t.task):
			how = "its Job deleted"
		case t.task != "":
			how = "scancel " + t.task
		}
		fmt.Fprintf(s.Out, "canceled  %s  %s  %s\n", store.ShortKey(key), exp, how)
	}
	return nil
}

// cancelTargets finds what arg names: the runs of experiment arg in
// training and its points waiting in a Slurm array, or else the run whose
// key starts with arg, which must be in training.
func cancelTargets(ctx context.Context, st *store.Store, claimed []store.QueuedPoint, arg string) ([]cancelTarget, error) {
	sweeps, err := st.Sweeps(ctx, store.SweepQuery{Experiment: arg})
	if err != nil {
		return nil, err
	}
	runs, err := st.ListRuns(ctx, store.ListOptions{Experiment: arg})
	if err != nil {
		return nil, err
	}
	if len(sweeps) == 0 && len(runs) == 0 {
		r, err := resolveAttempt(ctx, st, arg)
		if err != nil {
			return nil, err
		}
		if r.Status.Finished() {
			return nil, fmt.Errorf("run %s is %s: nothing to cancel", r.Short(), r.Status)
		}
		return []cancelTarget{{run: r, task: slurmTask(claimed, r)}}, nil
	}
	// The sweeps first: no point starts once its sweep is canceled, not
	// even when the points in training stop and free their slots.
	var out []cancelTarget
	for _, sw := range sweeps {
		if sw.Pending > 0 || sw.Claimed > 0 {
			out = append(out, cancelTarget{sweep: sw.ID})
		}
	}
	seen := map[string]bool{} // the point keys that have a run in training
	for i := range runs {
		r := &runs[i]
		if r.Status.Finished() {
			continue
		}
		out = append(out, cancelTarget{run: r, task: slurmTask(claimed, r)})
		seen[r.SweepID+"/"+r.Key] = true
	}
	for _, sw := range sweeps {
		for _, p := range claimed {
			if p.SweepID == sw.ID && p.SlurmTask != "" && !seen[p.SweepID+"/"+p.Key] {
				out = append(out, cancelTarget{key: p.Key, task: p.SlurmTask})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("experiment %s has no run in training and no point waiting on Slurm: nothing to cancel", arg)
	}
	return out, nil
}

// slurmTask is the array task training run r, "" when a process of ours
// trains it.
func slurmTask(claimed []store.QueuedPoint, r *store.Run) string {
	for _, p := range claimed {
		if p.SweepID == r.SweepID && p.Key == r.Key && r.SweepID != "" {
			return p.SlurmTask
		}
	}
	return ""
}
