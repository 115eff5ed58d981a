package cli

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/xp-ml/xp/sweep"
	"github.com/xp-ml/xp/sweep/cluster"
	"github.com/xp-ml/xp/sweep/slurm"
)

// slurmFlags are the --slurm-* options of xp run.
type slurmFlags struct {
	res     slurm.Resources
	xp      string
	dir     string
	requeue int
}

func addSlurmFlags(f *pflag.FlagSet, o *runOptions) {
	f.StringVar(&o.executor, "executor", "", "where a sweep's points train: local, slurm (one job array through sbatch) or kubernetes (one Indexed Job) (default: the sweep's executor)")
	f.StringVar(&o.slurm.res.Partition, "slurm-partition", "", "Slurm partition of the array (--executor slurm)")
	f.StringVar(&o.slurm.res.Account, "slurm-account", "", "Slurm account to charge")
	f.IntVar(&o.slurm.res.CPUs, "slurm-cpus", 0, "cpus-per-task of each array task (default: the threads of a point)")
	f.IntVar(&o.slurm.res.GPUs, "slurm-gpus", 0, "GPUs of each array task (--gres=gpu:N)")
	f.StringVar(&o.slurm.res.Mem, "slurm-mem", "", "memory of each array task (sbatch --mem, e.g. 4G)")
	f.StringVar(&o.slurm.res.Time, "slurm-time", "", "time limit of each array task (sbatch --time, e.g. 1:00:00)")
	f.StringArrayVar(&o.slurm.res.Extra, "slurm-flag", nil, "further sbatch flag, repeatable (e.g. --slurm-flag=--qos=high)")
	f.StringVar(&o.slurm.xp, "slurm-xp", "", "path of the xp binary on the nodes (default: this xp)")
	f.IntVar(&o.slurm.requeue, "slurm-requeue", -1, "times a point stopped at its time limit or preempted is submitted again, continuing its checkpoint (default: the sweep's slurm.requeue, else 1)")
	f.StringVar(&o.slurm.dir, "slurm-dir", "", "directory on the shared filesystem for the arrays' files (default: .xp/slurm)")
}

// newSlurmExecutor is the Slurm executor of xp run's --slurm-* options;
// the options they leave unset come from the spec's sweep.
func newSlurmExecutor(o *runOptions, root string) sweep.Executor {
	opts := slurm.Options{Options: cluster.Options{Dir: o.slurm.dir, Root: root}, Resources: o.slurm.res, XP: o.slurm.xp}
	if o.slurm.requeue >= 0 {
		opts.Requeue = &o.slurm.requeue
	}
	return slurm.New(opts)
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
			err = cluster.RunTask(cmd.Context(), args[0], idx, func(e sweep.Event) {
				if e.Kind == sweep.Notice {
					fmt.Fprintf(s.Err, "xp: %s\n", e.Message)
				}
			})
			if errors.Is(err, cluster.ErrPointFailed) {
				fmt.Fprintf(s.Err, "xp: point of task %d did not succeed (see result.json)\n", idx)
				return exitError{code: ExitError, err: err}
			}
			return err
		},
	}
}
