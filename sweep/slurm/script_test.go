package slurm

import (
	"slices"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
)

func TestScript(t *testing.T) {
	tests := []struct {
		name      string
		res       Resources
		want, not []string
	}{
		{name: "defaults", res: Resources{},
			want: []string{"#SBATCH --array=0-5", "#SBATCH --output=/shared/run/task-%a.log",
				"#SBATCH --no-requeue", `exec /opt/xp slurm-task /shared/run "$SLURM_ARRAY_TASK_ID"`},
			not: []string{"--cpus-per-task", "--gres", "--mem", "--time", "--partition", "--account"}},
		{name: "every option", res: Resources{Partition: "gpu", Account: "lab", CPUs: 4, GPUs: 2, Mem: "8G",
			Time: "1:00:00", Extra: []string{"--qos=high", "--constraint=a100"}},
			want: []string{"#SBATCH --cpus-per-task=4", "#SBATCH --gres=gpu:2", "#SBATCH --mem=8G",
				"#SBATCH --time=1:00:00", "#SBATCH --partition=gpu", "#SBATCH --account=lab",
				"#SBATCH --qos=high", "#SBATCH --constraint=a100"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Script("/opt/xp", "/shared/run", "xp-s", 6, tt.res)
			lines := strings.Split(got, "\n")
			for _, w := range tt.want {
				if !slices.Contains(lines, w) {
					t.Errorf("no line %q in\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("%q in\n%s", n, got)
				}
			}
		})
	}
	t.Run("quoted paths", func(t *testing.T) {
		got := Script("/my xp", "/it's", "n", 1, Resources{})
		if !strings.Contains(got, `exec '/my xp' slurm-task '/it'\''s' "$SLURM_ARRAY_TASK_ID"`) {
			t.Errorf("paths not quoted:\n%s", got)
		}
	})
}

func TestParseScontrol(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want []TaskState
	}{
		{name: "finished and running",
			out: "JobId=12 ArrayJobId=10 ArrayTaskId=2 JobName=x JobState=COMPLETED Reason=None\n" +
				"JobId=11 ArrayJobId=10 ArrayTaskId=1 JobState=FAILED Reason=NonZeroExitCode\n" +
				"JobId=13 ArrayJobId=10 ArrayTaskId=0 JobState=RUNNING\n",
			want: []TaskState{{2, "COMPLETED"}, {1, "FAILED"}, {0, "RUNNING"}}},
		{name: "pending range with a limit",
			out:  "JobId=10 ArrayJobId=10 ArrayTaskId=3-5%2 JobState=PENDING Reason=JobArrayTaskLimit\n",
			want: []TaskState{{3, "PENDING"}, {4, "PENDING"}, {5, "PENDING"}}},
		{name: "pending list", out: "JobId=10 ArrayTaskId=1,4-5 JobState=PENDING\n",
			want: []TaskState{{1, "PENDING"}, {4, "PENDING"}, {5, "PENDING"}}},
		{name: "not an array", out: "JobId=10 JobState=RUNNING\n", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseScontrol(tt.out)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseScontrol = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFinished(t *testing.T) {
	for state, want := range map[string]bool{"PENDING": false, "RUNNING": false, "COMPLETING": false,
		"COMPLETED": true, "FAILED": true, "CANCELLED": true, "TIMEOUT": true, "OUT_OF_MEMORY": true} {
		t.Run(state, func(t *testing.T) {
			if got := (TaskState{State: state}).Finished(); got != want {
				t.Errorf("Finished = %v, want %v", got, want)
			}
		})
	}
}

func TestResourcesOr(t *testing.T) {
	fromSpec := SpecResources(&spec.Sweep{Resources: spec.Resources{CPUs: 4, GPUs: 1},
		Slurm: &spec.Slurm{Partition: "gpu", Account: "ml", Time: "2:00:00", Mem: "8G", Extra: []string{"--qos=low"}}})
	tests := []struct {
		name  string
		flags Resources
		want  Resources
	}{
		{name: "spec alone", want: Resources{Partition: "gpu", Account: "ml", GPUs: 1, Time: "2:00:00", Mem: "8G",
			Extra: []string{"--qos=low"}}},
		{name: "flags win", flags: Resources{Partition: "debug", CPUs: 2, GPUs: 2, Mem: "1G", Time: "5", Extra: []string{"--qos=high"}},
			want: Resources{Partition: "debug", Account: "ml", CPUs: 2, GPUs: 2, Time: "5", Mem: "1G",
				Extra: []string{"--qos=low", "--qos=high"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.flags.Or(fromSpec)
			if got.Partition != tt.want.Partition || got.Account != tt.want.Account || got.CPUs != tt.want.CPUs ||
				got.GPUs != tt.want.GPUs || got.Time != tt.want.Time || got.Mem != tt.want.Mem || !slices.Equal(got.Extra, tt.want.Extra) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if r := SpecResources(nil); r.GPUs != 0 || r.Partition != "" {
		t.Errorf("SpecResources(nil) = %+v", r)
	}
}

// What each Slurm state means to the coordinator: waiting, training, or
// ended, and then how.
func TestStateOf(t *testing.T) {
	tests := []struct {
		state                              string
		pending, ended, cancelled, requeue bool
		killed                             string
	}{
		{state: "PENDING", pending: true},
		{state: "RUNNING"},
		{state: "COMPLETING"},
		{state: ""},
		{state: "COMPLETED", ended: true},
		{state: "FAILED", ended: true},
		{state: "UNKNOWN", ended: true},
		{state: "CANCELLED", ended: true, cancelled: true},
		{state: "TIMEOUT", ended: true, requeue: true, killed: "stopped at its time limit"},
		{state: "PREEMPTED", ended: true, requeue: true, killed: "preempted"},
		{state: "OUT_OF_MEMORY", ended: true, killed: "stopped out of memory"},
		{state: "NODE_FAIL", ended: true, killed: "stopped by Slurm"},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			got := stateOf(tt.state)
			if got.Name != tt.state || got.Pending != tt.pending || got.Ended != tt.ended ||
				got.Canceled != tt.cancelled || got.Requeue != tt.requeue || got.Killed != tt.killed {
				t.Errorf("stateOf(%q) = %+v", tt.state, got)
			}
		})
	}
}
