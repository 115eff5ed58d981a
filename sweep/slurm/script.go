package slurm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/sweep/cluster"
)

// Resources are the Slurm options of every task of the array; zero values
// are left to the cluster's defaults.
type Resources struct {
	Partition string
	Account   string
	// CPUs is --cpus-per-task, GPUs the count of --gres=gpu:N.
	CPUs int
	GPUs int
	// Mem is --mem ("4G"), Time --time ("1:00:00").
	Mem  string
	Time string
	// Extra are further sbatch flags, one per element ("--qos=high").
	Extra []string
}

// SpecResources are the options a sweep asks of Slurm: its slurm block,
// and resources.gpus as the GPUs of each task. (resources.cpus is the
// threads of a point, which the array asks for as --cpus-per-task.)
func SpecResources(sw *spec.Sweep) Resources {
	if sw == nil {
		return Resources{}
	}
	r := Resources{GPUs: sw.Resources.GPUs}
	if s := sw.Slurm; s != nil {
		r.Partition, r.Account, r.Time, r.Mem = s.Partition, s.Account, s.Time, s.Mem
		r.Extra = slices.Clone(s.Extra)
	}
	return r
}

// Or returns r with each option r leaves unset taken from d: the command
// line's options over the spec's. Extra flags add up, d's first, so that
// sbatch, which takes the last of a repeated flag, lets r's win.
func (r Resources) Or(d Resources) Resources {
	or := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	out := Resources{Partition: or(r.Partition, d.Partition), Account: or(r.Account, d.Account),
		CPUs: r.CPUs, GPUs: r.GPUs, Mem: or(r.Mem, d.Mem), Time: or(r.Time, d.Time)}
	if out.CPUs <= 0 {
		out.CPUs = d.CPUs
	}
	if out.GPUs <= 0 {
		out.GPUs = d.GPUs
	}
	out.Extra = append(slices.Clone(d.Extra), r.Extra...)
	return out
}

// Script is the sbatch script of an array of n tasks in run directory
// dir, each running xp (the path of the xp binary on the nodes).
func Script(xp, dir, name string, n int, r Resources) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	opt := func(format string, a ...any) { fmt.Fprintf(&b, "#SBATCH "+format+"\n", a...) }
	opt("--job-name=%s", name)
	opt("--array=0-%d", n-1)
	// %a is the array task index: one log per point, next to its result.
	opt("--output=%s", shellWord(dir+"/task-%a.log"))
	// xp requeues a task itself (sweep.slurm.requeue), as a new task that
	// continues its checkpoint; Slurm's own requeue would start it again
	// into the files of the one before.
	opt("--no-requeue")
	if r.CPUs > 0 {
		opt("--cpus-per-task=%d", r.CPUs)
	}
	if r.GPUs > 0 {
		opt("--gres=gpu:%d", r.GPUs)
	}
	if r.Mem != "" {
		opt("--mem=%s", r.Mem)
	}
	if r.Time != "" {
		opt("--time=%s", r.Time)
	}
	if r.Partition != "" {
		opt("--partition=%s", r.Partition)
	}
	if r.Account != "" {
		opt("--account=%s", r.Account)
	}
	for _, e := range r.Extra {
		opt("%s", e)
	}
	fmt.Fprintf(&b, "exec %s slurm-task %s \"$SLURM_ARRAY_TASK_ID\"\n", shellWord(xp), shellWord(dir))
	return b.String()
}

// shellWord quotes s for sh when it needs it.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-%+=:,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// TaskState is where one array task stands in Slurm.
type TaskState struct {
	Task  int
	State string // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT...
}

// Finished reports whether Slurm is done with the task.
func (t TaskState) Finished() bool {
	switch t.State {
	case "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED", "":
		return false
	}
	return true
}

// ParseScontrol reads the array tasks of `scontrol -o show job <id>`: one
// line per task, pending tasks grouped as ArrayTaskId=2-5 (each of them
// reported pending).
func ParseScontrol(out string) []TaskState {
	var tasks []TaskState
	for _, line := range strings.Split(out, "\n") {
		var ids, state string
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "ArrayTaskId":
				ids = v
			case "JobState":
				state = v
			}
		}
		if ids == "" {
			continue
		}
		ids, _, _ = strings.Cut(ids, "%") // 0-5%2: at most 2 at once
		for _, i := range cluster.ParseIndexes(ids) {
			tasks = append(tasks, TaskState{Task: i, State: state})
		}
	}
	return tasks
}
