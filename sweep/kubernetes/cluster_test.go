package kubernetes

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
	"github.com/xp-ml/xp/sweep/cluster"
	"github.com/xp-ml/xp/sweep/internal/sweeptest"
)

// buildXP builds the xp binary the pods run.
func buildXP(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "xp")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/xp-ml/xp/cmd/xp")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build xp: %v: %s", err, out)
	}
	return bin
}

func withNamespace(job *batchv1.Job, ns string) *batchv1.Job {
	job.Namespace = ns
	return job
}

// slowExperiments: slow's points train until stopped; oom's point asks for
// less memory than xp needs.
const slowExperiments = `slow: #Experiment & {
	data: {
		source: file: "data/iris0.csv"
		target: "Species"
	}
	model: layers: [{dense: 32}]
	train: {epochs: 100000, batch_size: 1}
	device: "cpu"
	sweep: {
		executor: "kubernetes"
		kubernetes: {namespace: "xp", image: "xp:test"}
		params: "train.seed": [1, 2]
	}
}
oom: #Experiment & {
	data: slow.data
	model: logreg: {}
	train: epochs: 2
	device: "cpu"
	sweep: {
		executor: "kubernetes"
		resources: memory: "12Mi"
		kubernetes: {namespace: "xp", image: "xp:test"}
		params: "train.seed": [7]
	}
}
pull: #Experiment & {
	data: slow.data
	model: logreg: {}
	train: epochs: 2
	device: "cpu"
	sweep: params: "train.seed": [8]
}
`

// TestKubernetes runs sweeps as Indexed Jobs of a real control plane whose
// real Job controller creates the pods, retries failed indexes and marks
// them, with the test's node agent running each pod's xp kube-task.
func TestKubernetes(t *testing.T) {
	bin := needK8s(t)
	xp := buildXP(t)
	cp := startControlPlane(t, bin)
	agent := startAgent(t, cp.client, map[string]string{"xp": xp})
	t.Cleanup(func() {
		if t.Failed() {
			agent.mu.Lock()
			t.Logf("node agent:\n%s", strings.Join(agent.Events, "\n"))
			agent.mu.Unlock()
		}
	})
	root := sweeptest.Project(t)
	if err := os.WriteFile(filepath.Join(root, "experiments", "slow.cue"), []byte(slowExperiments), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	st, err := store.Open(ctx, filepath.Join(root, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	image := "xp:test"
	executor := func(kubeconfig string) sweep.Executor {
		return New(Options{Options: cluster.Options{Root: root, Poll: 300 * time.Millisecond},
			Config: Config{Kube: spec.Kubernetes{Image: image}}, Kubeconfig: kubeconfig})
	}
	runSweep := func(t *testing.T, name, kubeconfig string) (*sweep.Result, error) {
		t.Helper()
		exp, err := spec.Find(root, name)
		if err != nil {
			t.Fatal(err)
		}
		// The project is not a git repository.
		return sweep.Run(ctx, st, exp, executor(kubeconfig), sweep.Options{Options: runner.Options{AllowDirty: true}})
	}
	xpCmd := func(args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, xp, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "KUBECONFIG="+cp.admin)
		return cmd
	}
	podsOf := func(t *testing.T, job string) map[string]int {
		t.Helper()
		_, name, _, _ := parseTask(taskPrefix + job)
		pods, err := cp.client.CoreV1().Pods(testNamespace).List(ctx, metav1.ListOptions{LabelSelector: labelJobName + "=" + name})
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, p := range pods.Items {
			n[p.Annotations[annotationIndex]]++
		}
		return n
	}
	checkFailed := func(t *testing.T, res *sweep.Result) {
		t.Helper()
		failed := res.Failed()
		if len(failed) != 1 || failed[0].Index != 5 {
			t.Fatalf("failed points %+v, want point 5 only", failed)
		}
		for _, want := range []string{"kubernetes Failed", "Species", "task-"} {
			if !strings.Contains(failed[0].Error, want) {
				t.Errorf("the failure %q does not say %q", failed[0].Error, want)
			}
		}
	}

	t.Run("the golden manifests are valid Jobs", func(t *testing.T) {
		// Their priority class must exist for admission to pass them.
		_, err := cp.client.SchedulingV1().PriorityClasses().Create(ctx, &schedulingv1.PriorityClass{
			ObjectMeta: metav1.ObjectMeta{Name: "batch-low"}, Value: 10}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"cpu", "gpu"} {
			b, err := os.ReadFile(filepath.Join("testdata", "golden", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var job batchv1.Job
			if err := yaml.UnmarshalStrict(b, &job); err != nil {
				t.Fatalf("%s.yaml: %v", name, err)
			}
			// Validated and admitted by the API server, stored nowhere.
			_, err = cp.client.BatchV1().Jobs(testNamespace).Create(ctx, withNamespace(&job, testNamespace),
				metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			if err != nil {
				t.Errorf("%s.yaml: %v", name, err)
			}
		}
	})
	t.Run("six points, one failing, retried once", func(t *testing.T) {
		res, err := runSweep(t, "iris", cp.admin)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := res.Submission.Points; len(got) != 6 {
			t.Fatalf("submitted points %v, want all 6", got)
		}
		t.Logf("Job %s: points %v", res.Submission.ID, res.Submission.Points)
		checkFailed(t, res)
		t.Logf("point 5: %s", res.Failed()[0].Error)
		job, err := cp.client.BatchV1().Jobs(testNamespace).Get(ctx, strings.SplitN(res.Submission.ID, "/", 2)[1], metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if job.Status.CompletedIndexes != "0-4" || job.Status.FailedIndexes == nil || *job.Status.FailedIndexes != "5" {
			t.Errorf("Job status: completed %q, failed %v; want 0-4 and 5", job.Status.CompletedIndexes, job.Status.FailedIndexes)
		}
		pods := podsOf(t, res.Submission.ID)
		if pods["5"] != 2 || pods["0"] != 1 {
			t.Errorf("pods by index %v: want 2 for index 5 (retried once), 1 for the others", pods)
		}
		if _, err := os.Stat(filepath.Join(cluster.AttemptDir(res.Submission.Dir, 5, 1), "result.json")); err != nil {
			t.Errorf("the retry of index 5 left no result of its own: %v", err)
		}
		runs, err := st.ListRuns(ctx, store.ListOptions{Experiment: "iris"})
		if err != nil {
			t.Fatal(err)
		}
		succeeded := 0
		for _, r := range runs {
			if r.Status == store.StatusSucceeded {
				succeeded++
				if len(r.Summary["test"]) == 0 {
					t.Errorf("run %d has no test metrics ingested", r.ID)
				}
			}
		}
		if succeeded != 5 {
			t.Errorf("%d succeeded runs, want 5", succeeded)
		}
	})
	t.Run("rerun submits only the failed point", func(t *testing.T) {
		res, err := runSweep(t, "iris", cp.admin)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if res.Submission == nil || len(res.Submission.Points) != 1 || res.Submission.Points[0] != 5 {
			t.Fatalf("submission %+v, want point 5 alone", res.Submission)
		}
		if res.Earlier != 5 {
			t.Errorf("%d points done before, want 5", res.Earlier)
		}
		checkFailed(t, res)
	})
	t.Run("forbidden namespace", func(t *testing.T) {
		_, err := runSweep(t, "iris", cp.nobody)
		if err == nil || !strings.Contains(err.Error(), "kubernetes: create Job") || !strings.Contains(err.Error(), "is forbidden") ||
			strings.Contains(err.Error(), "\n") {
			t.Fatalf("Run as a user with no rights: %v; want one line saying the Job is forbidden", err)
		}
		t.Logf("%v", err)
	})
	t.Run("OOMKilled", func(t *testing.T) {
		res, err := runSweep(t, "oom", cp.admin)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		failed := res.Failed()
		if len(failed) != 1 || !strings.Contains(failed[0].Error, "kubernetes OOMKilled: OOMKilled: the pod ran out of memory (limit 12Mi") {
			t.Fatalf("failed points %+v, want the one point OOMKilled", failed)
		}
		t.Logf("point 0: %s", failed[0].Error)
		points, err := st.SweepPoints(ctx, res.Plan.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p := points[0]; p.Status != store.StatusFailed || !strings.Contains(p.Error, "OOMKilled") {
			t.Errorf("recorded point: %s %q, want failed, OOMKilled", p.Status, p.Error)
		}
		if pods := podsOf(t, res.Submission.ID); pods["0"] != 2 {
			t.Errorf("pods by index %v: want 2 (an OOMKilled pod is retried once)", pods)
		}
	})
	t.Run("image that cannot be pulled", func(t *testing.T) {
		image = "unpullable.example/xp:1"
		defer func() { image = "xp:test" }()
		res, err := runSweep(t, "pull", cp.admin)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		failed := res.Failed()
		if len(failed) != 1 || !strings.Contains(failed[0].Error, "image unpullable.example/xp:1 cannot be pulled (ImagePullBackOff") {
			t.Fatalf("failed points %+v, want the one point failed on its image", failed)
		}
		t.Logf("point 0: %s", failed[0].Error)
		_, name, _, _ := parseTask(taskPrefix + res.Submission.ID)
		if _, err := cp.client.BatchV1().Jobs(testNamespace).Get(ctx, name, metav1.GetOptions{}); err == nil {
			t.Errorf("the Job %s is left, its pod pending for ever", name)
		}
	})
	t.Run("live progress and xp cancel", func(t *testing.T) {
		run := xpCmd("run", "--allow-dirty", "slow")
		var stdout, stderr strings.Builder
		run.Stdout, run.Stderr = &stdout, &stderr
		if err := run.Start(); err != nil {
			t.Fatal(err)
		}
		var live *store.Run
		deadline := time.Now().Add(3 * time.Minute)
		for live == nil && time.Now().Before(deadline) {
			runs, err := st.ListRuns(ctx, store.ListOptions{Experiment: "slow"})
			if err != nil {
				t.Fatal(err)
			}
			for i := range runs {
				if runs[i].Status == store.StatusRunning && runs[i].Epoch >= 3 {
					live = &runs[i]
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		if live == nil {
			run.Process.Kill()
			run.Wait()
			t.Fatalf("no run of slow at epoch 3 within 3 minutes\nstderr:\n%s", stderr.String())
		}
		n := sweeptest.CountPoints(t, st, live.ID)
		t.Logf("run %s: running, epoch %d, %d points in the store while its pod trains", live.Short(), live.Epoch, n)
		if n < 3 {
			t.Errorf("%d metric points at epoch %d, want those of every epoch", n, live.Epoch)
		}
		ls, err := xpCmd("ls").CombinedOutput()
		if err != nil || !strings.Contains(string(ls), "running") {
			t.Errorf("xp ls (%v) does not show the run running:\n%s", err, ls)
		}
		out, err := xpCmd("cancel", "slow").CombinedOutput()
		t.Logf("xp cancel slow: %v\n%s", err, out)
		if err != nil || !strings.Contains(string(out), "deleted   Job xp/") {
			t.Errorf("xp cancel slow did not delete the Job")
		}
		err = run.Wait()
		t.Logf("xp run slow: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		r, err := st.Run(ctx, live.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := sweeptest.CountPoints(t, st, r.ID); r.Status != store.StatusCanceled || n < 3 {
			t.Errorf("run %s: %s %q with %d points, want canceled with its curves", r.Short(), r.Status, r.Error, n)
		}
		points, err := st.SweepPoints(ctx, live.SweepID)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range points {
			if p.Status != store.StatusCanceled {
				t.Errorf("point %d: %s %q, want canceled", p.Index, p.Status, p.Error)
			}
		}
		jobs, err := cp.client.BatchV1().Jobs(testNamespace).List(ctx, metav1.ListOptions{LabelSelector: LabelSweep + "=" + dnsLabel(live.SweepID)})
		if err != nil || len(jobs.Items) != 0 {
			t.Errorf("Jobs of slow left: %v, %v; want none", jobs, err)
		}
	})
}
