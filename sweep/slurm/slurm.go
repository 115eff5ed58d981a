package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/sweep/cluster"
)

// ErrSubmit is returned when sbatch refuses the array.
var ErrSubmit = errors.New("sbatch failed")

// Options tune the executor.
type Options struct {
	// Options say where the run directories are (Dir, default .xp/slurm),
	// the project's directory as the nodes see it (Root) and how often
	// scontrol is asked (Poll).
	cluster.Options
	// Resources are the sbatch options of every task; those left unset
	// come from the sweep's resources and slurm block (SpecResources).
	Resources
	// XP is the path of the xp binary on the nodes (default: this
	// process's executable, which suits a shared filesystem).
	XP string
	// Requeue, when not nil, is how many times a point whose task Slurm
	// stopped at its time limit or preempted is submitted again, over the
	// spec's sweep.slurm.requeue.
	Requeue *int
}

// New is the Slurm executor.
func New(opts Options) *cluster.Executor {
	opts.Requeues = func(sw *spec.Sweep) int {
		if opts.Requeue != nil {
			return *opts.Requeue
		}
		return sw.Slurm.Requeues()
	}
	return cluster.New(&scheduler{res: opts.Resources, xp: opts.XP}, opts.Options)
}

// scheduler is Slurm, through its client tools.
type scheduler struct {
	res Resources
	xp  string
}

var _ cluster.Scheduler = (*scheduler)(nil)

func (*scheduler) Name() string { return spec.ExecutorSlurm }

// Submit writes the array's sbatch script in its run directory and
// submits it.
func (s *scheduler) Submit(ctx context.Context, a cluster.Array) (string, error) {
	xp := s.xp
	if xp == "" {
		var err error
		if xp, err = os.Executable(); err != nil {
			return "", fmt.Errorf("find the xp binary: %w", err)
		}
	}
	res := s.res.Or(SpecResources(a.Sweep))
	if res.CPUs <= 0 {
		res.CPUs = a.Threads
	}
	script := filepath.Join(a.Dir, "array.sbatch")
	if err := os.WriteFile(script, []byte(Script(xp, a.Dir, a.Name, a.Tasks, res)), 0o755); err != nil {
		return "", fmt.Errorf("write %s: %w", script, err)
	}
	out, err := command(ctx, "sbatch", "--parsable", script)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrSubmit, err)
	}
	id, _, _ := strings.Cut(strings.TrimSpace(out), ";") // "id;cluster" on a federation
	return id, nil
}

// Task is "<job>_<index>", as scancel takes it.
func (*scheduler) Task(id string, i int) string { return id + "_" + strconv.Itoa(i) }

// Poll asks scontrol about the array's tasks.
func (*scheduler) Poll(ctx context.Context, id string, n int) ([]cluster.State, error) {
	out, err := command(ctx, "scontrol", "-o", "show", "job", id)
	states := make([]cluster.State, n)
	if err != nil && strings.Contains(err.Error(), "Invalid job id") {
		// The controller forgot the job (MinJobAge): what is left is
		// judged by its files alone.
		for i := range states {
			states[i] = stateOf("UNKNOWN")
		}
		return states, nil
	}
	if err != nil {
		return nil, err
	}
	tasks := ParseScontrol(out)
	byTask := map[int]string{}
	for _, t := range tasks {
		byTask[t.Task] = t.State
	}
	for i := range states {
		state, ok := byTask[i]
		if !ok && len(tasks) > 0 {
			state = "UNKNOWN"
		}
		states[i] = stateOf(state)
	}
	return states, nil
}

// Cancel scancels jobs or array tasks.
func (*scheduler) Cancel(ctx context.Context, ids ...string) error { return Cancel(ctx, ids...) }

// stateOf is what Slurm state name means for the coordinator.
func stateOf(name string) cluster.State {
	st := cluster.State{Name: name, Pending: name == "PENDING", Ended: TaskState{State: name}.Finished(),
		Canceled: name == "CANCELLED", Requeue: name == "TIMEOUT" || name == "PREEMPTED"}
	if st.Ended {
		st.Killed = killedBy(name)
	}
	return st
}

// killedBy says why Slurm ended a task in state for a reason of its own,
// not at someone's request; "" when it did not.
func killedBy(state string) string {
	switch state {
	case "TIMEOUT":
		return "stopped at its time limit"
	case "OUT_OF_MEMORY":
		return "stopped out of memory"
	case "PREEMPTED":
		return "preempted"
	case "NODE_FAIL", "DEADLINE", "BOOT_FAIL":
		return "stopped by Slurm"
	}
	return ""
}

// command runs a Slurm client and returns its output; an error carries its
// standard error.
func command(ctx context.Context, name string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
