package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep/cluster"
)

// pod is a pod of index i at attempt a, as the Job controller makes them.
func pod(i, a int, phase corev1.PodPhase, status func(*corev1.Pod)) corev1.Pod {
	p := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("xp-s-1-%d-%d", i, a), CreationTimestamp: metav1.NewTime(time.Unix(int64(100+a), 0)),
			Annotations: map[string]string{annotationIndex: fmt.Sprint(i), annotationFailures: fmt.Sprint(a)}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: ContainerName, Image: "xp:1",
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}}}}},
		Status: corev1.PodStatus{Phase: phase},
	}
	if status != nil {
		status(&p)
	}
	return p
}

func terminated(code int32, reason string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: ContainerName, Image: "xp:1",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason}}}}
	}
}

// Where each index of a Job stands, from its status and pods: the
// cluster's reasons (OOMKilled, evicted, an image that cannot be pulled)
// become the state's Killed, a retried index its attempt.
func TestIndexStates(t *testing.T) {
	failed := "1,2,6"
	job := &batchv1.Job{Status: batchv1.JobStatus{CompletedIndexes: "0", FailedIndexes: &failed}}
	pods := []corev1.Pod{
		pod(0, 0, corev1.PodSucceeded, terminated(0, "Completed")),
		pod(1, 0, corev1.PodFailed, terminated(137, "OOMKilled")),
		pod(1, 1, corev1.PodFailed, terminated(137, "OOMKilled")),
		pod(2, 0, corev1.PodFailed, func(p *corev1.Pod) {
			p.Status.Reason, p.Status.Message = "Evicted", "The node was low on resource: ephemeral-storage."
		}),
		pod(3, 0, corev1.PodFailed, terminated(1, "Error")),
		pod(3, 1, corev1.PodRunning, nil),
		pod(4, 0, corev1.PodPending, func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: ContainerName, Image: "xp:1",
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image \"xp:1\""}}}}
		}),
		pod(6, 0, corev1.PodFailed, terminated(130, "Error")),
	}
	got, stuck := IndexStates(job, pods, 7)
	if !stuck {
		t.Error("IndexStates does not say that index 4 is stuck")
	}
	want := []cluster.State{
		{Name: "Succeeded", Ended: true},
		{Name: "OOMKilled", Ended: true, Attempt: 1, Killed: "OOMKilled: the pod ran out of memory (limit 64Mi; raise sweep.resources.memory)"},
		{Name: "Evicted", Ended: true, Killed: "Evicted: The node was low on resource: ephemeral-storage."},
		{Name: "Running", Attempt: 1},
		{Name: "Pending", Ended: true, Killed: `image xp:1 cannot be pulled (ImagePullBackOff: Back-off pulling image "xp:1")`},
		{Name: "Pending", Pending: true},
		{Name: "Failed", Ended: true, Canceled: true},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("index %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// A Job that failed as a whole (activeDeadlineSeconds) ends the
	// indexes it had not finished.
	job.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "DeadlineExceeded",
		Message: "Job was active longer than specified deadline"}}
	if states, _ := IndexStates(job, pods, 7); !states[5].Ended || !strings.Contains(states[5].Killed, "DeadlineExceeded") {
		t.Errorf("index 5 of a failed Job: %+v, want ended, DeadlineExceeded", states[5])
	}
	if _, stuck := IndexStates(job, pods[:4], 7); stuck {
		t.Error("IndexStates says stuck with no stuck pod")
	}
}

// The task's exit code is what the pod failure policy reads: only what
// another attempt may change is retried.
func TestExitCode(t *testing.T) {
	run := func(s store.Status) *cluster.TaskResult { return &cluster.TaskResult{Run: &store.Run{Status: s}} }
	tests := []struct {
		name string
		err  error
		res  *cluster.TaskResult
		rerr error
		want int
	}{
		{"succeeded", nil, run(store.StatusSucceeded), nil, 0},
		{"failed in training", nil, run(store.StatusFailed), nil, ExitFailed},
		{"diverged", nil, run(store.StatusDiverged), nil, ExitDiverged},
		{"canceled", nil, run(store.StatusCanceled), nil, ExitCanceled},
		{"key differs here", &cluster.InvalidError{Err: errors.New("point 2 has key a on this node")}, &cluster.TaskResult{}, nil, ExitInvalid},
		{"data not readable", errors.New("open data/x.csv: input/output error"), &cluster.TaskResult{}, nil, ExitFailed},
		{"stopped before a run", context.Canceled, &cluster.TaskResult{}, nil, ExitCanceled},
		{"no result written", errors.New("write result.json: no space left on device"), &cluster.TaskResult{}, errors.New("no result"), ExitFailed},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err, tt.res, tt.rerr); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}
