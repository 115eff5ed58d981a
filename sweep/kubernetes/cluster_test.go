package kubernetes

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/remote"
	"github.com/xp-ml/xp/remote/dir"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
	"github.com/xp-ml/xp/sweep/cluster"
	"github.com/xp-ml/xp/sweep/internal/sweeptest"
	"github.com/xp-ml/xp/sweep/local"
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
relay: #Experiment & {
	data: slow.data
	model: layers: [{dense: 8}]
	train: epochs: 3
	device: "cpu"
	sweep: {
		executor: "kubernetes"
		parallel: 3
		kubernetes: {namespace: "xp", image: "xp:test", report: "remote"}
		params: "train.seed": [11, 12, 13]
	}
}
far: #Experiment & {
	data: slow.data
	model: slow.model
	train: slow.train
	device: "cpu"
	sweep: {
		executor: "kubernetes"
		kubernetes: {namespace: "xp", image: "xp:test", report: "remote"}
		params: "train.seed": [21]
	}
}
pair: #Experiment & {
	data: slow.data
	model: slow.model
	train: slow.train
	device: "cpu"
	sweep: {
		executor: "kubernetes"
		parallel: 2
		kubernetes: {namespace: "xp", image: "xp:test"}
		params: "train.seed": [41, 42]
	}
}
pending: #Experiment & {
	data: slow.data
	model: logreg: {}
	train: epochs: 2
	device: "cpu"
	sweep: {
		executor: "kubernetes"
		parallel: 2
		kubernetes: {namespace: "xp", image: "xp:test", node_selector: {"xp.test/pool": "none"}}
		params: "train.seed": [31, 32]
	}
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
	// The remote that pods of report "remote" report through, named in
	// the project's xp.cue; and what such a pod sees of the project: a
	// copy in a directory of its own (the image's), not the run directory.
	remoteURL := "file://" + filepath.ToSlash(t.TempDir())
	settings := "remotes: team: url: " + strconv.Quote(remoteURL) + "\ndefault_remote: \"team\"\nremote_check: false\n"
	if err := os.WriteFile(filepath.Join(root, "xp.cue"), []byte(settings), 0o644); err != nil {
		t.Fatal(err)
	}
	podRoot := copyProject(t, root)
	objs, err := dir.Open(remoteURL)
	if err != nil {
		t.Fatal(err)
	}
	rm := remote.New("team", objs)
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
			Config: Config{Kube: spec.Kubernetes{Image: image, Workdir: podRoot}}, Kubeconfig: kubeconfig,
			Remote: func(string) (*remote.Remote, RemoteAddr, error) { return rm, RemoteAddr{URL: remoteURL}, nil }})
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
	// waitRunning waits for a run of exp running at epoch epochs or later
	// in the store while run, the xp run that trains it, goes on.
	waitRunning := func(t *testing.T, exp string, epochs int, run *exec.Cmd, stderr *strings.Builder) *store.Run {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		for time.Now().Before(deadline) {
			runs, err := st.ListRuns(ctx, store.ListOptions{Experiment: exp})
			if err != nil {
				t.Fatal(err)
			}
			for i := range runs {
				if runs[i].Status == store.StatusRunning && runs[i].Epoch >= epochs {
					return &runs[i]
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		run.Process.Kill()
		run.Wait()
		t.Fatalf("no run of %s at epoch %d within 3 minutes\nstderr:\n%s", exp, epochs, stderr.String())
		return nil
	}
	startXP := func(t *testing.T, args ...string) (*exec.Cmd, *strings.Builder, *strings.Builder) {
		t.Helper()
		run := xpCmd(args...)
		var stdout, stderr strings.Builder
		run.Stdout, run.Stderr = &stdout, &stderr
		if err := run.Start(); err != nil {
			t.Fatal(err)
		}
		return run, &stdout, &stderr
	}
	jobsOf := func(t *testing.T, sweepID string) []batchv1.Job {
		t.Helper()
		jobs, err := cp.client.BatchV1().Jobs(testNamespace).List(ctx, metav1.ListOptions{LabelSelector: LabelSweep + "=" + dnsLabel(sweepID)})
		if err != nil {
			t.Fatal(err)
		}
		return jobs.Items
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
		for _, name := range []string{"cpu", "gpu", "remote"} {
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
		run, stdout, stderr := startXP(t, "run", "--allow-dirty", "slow")
		live := waitRunning(t, "slow", 3, run, stderr)
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
		t.Logf("xp run slow: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
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
		if jobs := jobsOf(t, live.SweepID); len(jobs) != 0 {
			t.Errorf("Jobs of slow left: %v; want none", jobs)
		}
	})
	t.Run("tasks report through a directory remote", func(t *testing.T) {
		res, err := runSweep(t, "relay", cp.admin)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		for _, job := range jobsOf(t, res.Plan.ID) {
			c := job.Spec.Template.Spec.Containers[0]
			if cmd := strings.Join(c.Command, " "); strings.Contains(cmd, root) || !strings.Contains(cmd, "--remote-url "+remoteURL) ||
				c.WorkingDir != podRoot || len(job.Spec.Template.Spec.Volumes) != 0 {
				t.Errorf("pod: command %q in %s, volumes %v; want the remote, the node's copy of the project, no volume",
					cmd, c.WorkingDir, job.Spec.Template.Spec.Volumes)
			}
		}
		// The same points trained here, by the local executor.
		here := copyProject(t, root)
		hexp, err := spec.Find(here, "relay")
		if err != nil {
			t.Fatal(err)
		}
		hst, err := store.Open(ctx, filepath.Join(here, ".xp"))
		if err != nil {
			t.Fatal(err)
		}
		defer hst.Close()
		want, err := sweep.Run(ctx, hst, hexp, &local.Executor{CPUs: 2}, sweep.Options{Options: runner.Options{AllowDirty: true}})
		if err != nil {
			t.Fatal(err)
		}
		uids := map[string]bool{}
		for i, p := range res.Points {
			w := want.Points[i]
			if p.Status != store.StatusSucceeded || p.Run == nil || p.Key != w.Key || w.Run == nil ||
				p.Run.WeightsSHA256 == "" || p.Run.WeightsSHA256 != w.Run.WeightsSHA256 {
				t.Errorf("point %d: %s %q, key %.12s, run %+v; here: key %.12s, run %+v: want succeeded with the same key and weights",
					i, p.Status, p.Error, p.Key, p.Run, w.Key, w.Run)
				continue
			}
			uids[p.Run.UID] = true
			if n := sweeptest.CountPoints(t, st, p.Run.ID); n != sweeptest.CountPoints(t, hst, w.Run.ID) {
				t.Errorf("point %d: %d metric points, %d here", i, n, sweeptest.CountPoints(t, hst, w.Run.ID))
			}
			if _, err := os.Stat(filepath.Join(st.ArtifactDir(p.Run), "weights.bin")); err != nil {
				t.Errorf("point %d: its weights were not fetched: %v", i, err)
			}
		}
		entries, _, err := rm.List(ctx, "relay", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			delete(uids, e.UID)
		}
		if len(entries) != 3 || len(uids) != 0 {
			t.Errorf("the remote holds %d runs of relay; runs %v of the store are not among them", len(entries), uids)
		}
		if _, err := os.Stat(filepath.Join(podRoot, ".xp")); err == nil {
			t.Errorf("a pod made a store in its project")
		}
	})
	t.Run("live progress through the remote and xp cancel", func(t *testing.T) {
		run, stdout, stderr := startXP(t, "run", "--allow-dirty", "--k8s-workdir", podRoot, "far")
		live := waitRunning(t, "far", 3, run, stderr)
		n := sweeptest.CountPoints(t, st, live.ID)
		t.Logf("run %s: running, epoch %d, %d points in the store, sent through the remote", live.Short(), live.Epoch, n)
		if n < 3 {
			t.Errorf("%d metric points at epoch %d, want those of every epoch", n, live.Epoch)
		}
		ls, err := xpCmd("ls").CombinedOutput()
		if err != nil || !strings.Contains(string(ls), live.Short()) || !strings.Contains(string(ls), "running") {
			t.Errorf("xp ls (%v) does not show run %s running:\n%s", err, live.Short(), ls)
		}
		queue, err := xpCmd("queue").CombinedOutput()
		if err != nil || !strings.Contains(string(queue), live.SweepID) {
			t.Errorf("xp queue (%v) does not show sweep %s:\n%s", err, live.SweepID, queue)
		}
		out, err := xpCmd("cancel", "far").CombinedOutput()
		t.Logf("xp cancel far: %v\n%s", err, out)
		if err != nil || !strings.Contains(string(out), "deleted   Job xp/") {
			t.Errorf("xp cancel far did not delete the Job")
		}
		err = run.Wait()
		t.Logf("xp run far: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
		r, err := st.Run(ctx, live.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := sweeptest.CountPoints(t, st, r.ID); r.Status != store.StatusCanceled || n < 3 {
			t.Errorf("run %s: %s %q with %d points, want canceled with its curves", r.Short(), r.Status, r.Error, n)
		}
	})
	t.Run("the TUI's cancel of one run, then xp cancel by key", func(t *testing.T) {
		run, stdout, stderr := startXP(t, "run", "--allow-dirty", "pair")
		var both []store.Run
		deadline := time.Now().Add(3 * time.Minute)
		for len(both) < 2 && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
			runs, err := st.ListRuns(ctx, store.ListOptions{Experiment: "pair"})
			if err != nil {
				t.Fatal(err)
			}
			both = both[:0]
			for _, r := range runs {
				if r.Status == store.StatusRunning && r.Epoch >= 1 {
					both = append(both, r)
				}
			}
		}
		if len(both) != 2 {
			run.Process.Kill()
			run.Wait()
			t.Fatalf("%d runs of pair training within 3 minutes, want 2\nstderr:\n%s", len(both), stderr)
		}
		// What the TUI's cancel does: a request on one run, which the
		// coordinator turns into the deletion of that index's pod.
		first, second := both[0], both[1]
		if err := st.RequestCancel(ctx, first.ID); err != nil {
			t.Fatal(err)
		}
		for {
			r, err := st.Run(ctx, first.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status.Finished() {
				if r.Status != store.StatusCanceled {
					t.Errorf("run %s: %s %q, want canceled", r.Short(), r.Status, r.Error)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %s still %s after its cancel request", r.Short(), r.Status)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if r, err := st.Run(ctx, second.ID); err != nil || r.Status != store.StatusRunning {
			t.Errorf("the other run: %v, %v; want it still running", r, err)
		}
		if jobs := jobsOf(t, first.SweepID); len(jobs) != 1 {
			t.Errorf("%d Jobs of pair after one run's cancel, want its Job left", len(jobs))
		}
		out, err := xpCmd("cancel", second.Key[:12]).CombinedOutput()
		t.Logf("xp cancel %s: %v\n%s", second.Key[:12], err, out)
		if err != nil || !strings.Contains(string(out), "deleted   Job xp/") || !strings.Contains(string(out), "its Job deleted") {
			t.Errorf("xp cancel by key did not delete the point's Job")
		}
		err = run.Wait()
		t.Logf("xp run pair: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
		r, err := st.Run(ctx, second.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := sweeptest.CountPoints(t, st, r.ID); r.Status != store.StatusCanceled || n == 0 {
			t.Errorf("run %s: %s %q with %d points, want canceled with its curves", r.Short(), r.Status, r.Error, n)
		}
		if jobs := jobsOf(t, first.SweepID); len(jobs) != 0 {
			t.Errorf("Jobs of pair left: %d", len(jobs))
		}
	})
	t.Run("xp cancel of a sweep whose pods are pending", func(t *testing.T) {
		run, stdout, stderr := startXP(t, "run", "--allow-dirty", "pending")
		var pods []corev1.Pod
		var sw *store.Sweep
		deadline := time.Now().Add(time.Minute)
		for len(pods) < 2 && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
			if sw == nil {
				if sw, err = st.LatestSweep(ctx, "pending"); err != nil {
					sw = nil
					continue
				}
			}
			list, err := cp.client.CoreV1().Pods(testNamespace).List(ctx, metav1.ListOptions{LabelSelector: LabelSweep + "=" + dnsLabel(sw.ID)})
			if err != nil {
				t.Fatal(err)
			}
			pods = list.Items
		}
		if len(pods) != 2 {
			run.Process.Kill()
			run.Wait()
			t.Fatalf("%d pods of pending within a minute, want 2\nstderr:\n%s", len(pods), stderr)
		}
		for _, p := range pods {
			if p.Status.Phase != corev1.PodPending || p.Spec.NodeName != "" {
				t.Errorf("pod %s: %s on %q, want pending on no node", p.Name, p.Status.Phase, p.Spec.NodeName)
			}
		}
		out, err := xpCmd("cancel", "pending").CombinedOutput()
		t.Logf("xp cancel pending: %v\n%s", err, out)
		if err != nil || !strings.Contains(string(out), "deleted   Job xp/") {
			t.Errorf("xp cancel pending did not delete the Job")
		}
		err = run.Wait()
		t.Logf("xp run pending: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 130 {
			t.Errorf("xp run pending: %v, want exit 130 (canceled)", err)
		}
		points, err := st.SweepPoints(ctx, sw.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range points {
			if p.Status != store.StatusCanceled || p.RunID != 0 {
				t.Errorf("point %d: %s %q, run %d; want canceled, no run (it never started)", p.Index, p.Status, p.Error, p.RunID)
			}
		}
		if jobs := jobsOf(t, sw.ID); len(jobs) != 0 {
			t.Errorf("Jobs of pending left: %v", jobs)
		}
		list, err := cp.client.CoreV1().Pods(testNamespace).List(ctx, metav1.ListOptions{LabelSelector: LabelSweep + "=" + dnsLabel(sw.ID)})
		if err != nil || len(list.Items) != 0 {
			t.Errorf("pods of pending left: %d, %v", len(list.Items), err)
		}
	})
	t.Run("xp cancel when the Job is already gone", func(t *testing.T) {
		run, _, stderr := startXP(t, "run", "--allow-dirty", "slow")
		live := waitRunning(t, "slow", 1, run, stderr)
		// The coordinator dies, and the Job is deleted behind xp's back
		// (kubectl delete job): what xp cancel finds is a recorded task
		// whose Job is gone, and a run that nothing follows.
		run.Process.Kill()
		run.Wait()
		jobs := jobsOf(t, live.SweepID)
		if len(jobs) != 1 {
			t.Fatalf("%d Jobs of slow, want 1", len(jobs))
		}
		bg := metav1.DeletePropagationBackground
		if err := cp.client.BatchV1().Jobs(testNamespace).Delete(ctx, jobs[0].Name, metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil {
			t.Fatal(err)
		}
		out, err := xpCmd("cancel", "slow").CombinedOutput()
		t.Logf("xp cancel slow: %v\n%s", err, out)
		if err != nil || !strings.Contains(string(out), "gone      Job xp/"+jobs[0].Name+" (deleted already; its pods deleted)") {
			t.Errorf("xp cancel slow: want the Job said gone, exit 0")
		}
		r, err := st.Run(ctx, live.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := sweeptest.CountPoints(t, st, r.ID); r.Status != store.StatusCanceled || n == 0 {
			t.Errorf("run %s: %s %q with %d points, want canceled with its curves", r.Short(), r.Status, r.Error, n)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			list, err := cp.client.CoreV1().Pods(testNamespace).List(ctx, metav1.ListOptions{LabelSelector: labelJobName + "=" + jobs[0].Name})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Items) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d pods of the deleted Job left 30 s after xp cancel", len(list.Items))
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

// copyProject copies the experiments of the project at root (files and
// data, not .xp) into a new directory: the project as an image holds it.
func copyProject(t *testing.T, root string) string {
	t.Helper()
	to := t.TempDir()
	if err := os.CopyFS(filepath.Join(to, "experiments"), os.DirFS(filepath.Join(root, "experiments"))); err != nil {
		t.Fatal(err)
	}
	return to
}
