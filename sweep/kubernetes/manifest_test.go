package kubernetes

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/sweep/cluster"
)

var update = flag.Bool("update", false, "rewrite the golden manifests")

// The Jobs of a CPU and a GPU sweep, as `xp run --dry-run -o yaml` prints
// them, against the golden files in testdata/golden (go test -update
// rewrites them).
func TestGoldenManifests(t *testing.T) {
	seconds := int64(300)
	tests := []struct {
		name  string
		array cluster.Array
		cfg   Config
	}{
		{"cpu", cluster.Array{Dir: "/shared/proj/.xp/kubernetes/credit-3fb53a086e1c-123456", Name: "xp-credit-3fb53a086e1c",
			Tasks: 6, Threads: 2, Sweep: &spec.Sweep{Parallel: 3, Resources: spec.Resources{CPUs: 2, Memory: "2Gi"},
				Kubernetes: &spec.Kubernetes{Namespace: "ml", Image: "registry.example/xp:1.4", Claim: "xp-shared"}}},
			Config{Root: "/shared/proj"}},
		{"gpu", cluster.Array{Dir: "/shared/proj/.xp/kubernetes/Credit_Wide-0c1d2e3f4a5b-987654", Name: "xp-Credit_Wide-0c1d2e3f4a5b",
			Tasks: 4, Threads: 8, Sweep: &spec.Sweep{Parallel: 2, Resources: spec.Resources{CPUs: 8, GPUs: 1, Memory: "16Gi"},
				Kubernetes: &spec.Kubernetes{Namespace: "ml", Image: "registry.example/xp-cuda:1.4", ServiceAccount: "xp-trainer",
					Claim:        "xp-shared",
					NodeSelector: map[string]string{"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"},
					Tolerations: []spec.Toleration{{Key: "nvidia.com/gpu", Operator: "Exists", Effect: "NoSchedule"},
						{Key: "spot", Operator: "Equal", Value: "true", Effect: "NoExecute", TolerationSeconds: &seconds}},
					Extra: map[string]any{"spec": map[string]any{"activeDeadlineSeconds": 86400,
						"template": map[string]any{"spec": map[string]any{"priorityClassName": "batch-low"}}}}}}},
			Config{Root: "/shared/proj", Kube: spec.Kubernetes{Image: "registry.example/xp-cuda:1.5"}}},
		// No shared volume: the pods report through the project's remote,
		// with its credentials from a Secret, the project in the image.
		{"remote", cluster.Array{Dir: "/home/ana/proj/.xp/kubernetes/credit-3fb53a086e1c-555555", Name: "xp-credit-3fb53a086e1c",
			Tasks: 6, Threads: 2, Sweep: &spec.Sweep{Parallel: 3, Resources: spec.Resources{CPUs: 2, Memory: "2Gi"},
				Kubernetes: &spec.Kubernetes{Namespace: "ml", Image: "registry.example/credit-xp:1.4", Report: spec.ReportRemote,
					Secret: "xp-remote", Workdir: "/project", Claim: "xp-shared"}}},
			Config{Root: "/home/ana/proj", Remote: &RemoteAddr{URL: "s3://ml-runs/credit", Endpoint: "https://minio.example:9000"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, err := Job(tt.array, tt.cfg.Or(tt.array.Sweep))
			if err != nil {
				t.Fatal(err)
			}
			got, err := YAML(job)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", tt.name+".yaml")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the manifest made now (go test -update rewrites it):\n%s", path, got)
			}
		})
	}
}

// What the golden files hold, said once: the flag's image wins over the
// spec's, the GPU is a limit, and the extra merged in.
func TestJobFields(t *testing.T) {
	sw := &spec.Sweep{Parallel: 8, Resources: spec.Resources{CPUs: 1, GPUs: 2},
		Kubernetes: &spec.Kubernetes{Image: "spec:1", Extra: map[string]any{"metadata": map[string]any{"labels": map[string]any{"team": "ml"}}}}}
	job, err := Job(cluster.Array{Dir: "/p/.xp/kubernetes/s-1", Name: "xp-s", Tasks: 3, Sweep: sw},
		Config{Kube: spec.Kubernetes{Image: "flag:2"}}.Or(sw))
	if err != nil {
		t.Fatal(err)
	}
	c := job.Spec.Template.Spec.Containers[0]
	if c.Image != "flag:2" || *job.Spec.Parallelism != 3 || *job.Spec.Completions != 3 || job.Namespace != "default" {
		t.Errorf("image %s, parallelism %d, completions %d, namespace %s; want flag:2, 3 (no more than the tasks), 3, default",
			c.Image, *job.Spec.Parallelism, *job.Spec.Completions, job.Namespace)
	}
	if q := c.Resources.Limits["nvidia.com/gpu"]; q.Value() != 2 {
		t.Errorf("GPU limit %v, want 2", q.String())
	}
	if job.Labels["team"] != "ml" || job.Labels[LabelManagedBy] != "xp" {
		t.Errorf("labels %v: want the extra's team=ml merged with xp's", job.Labels)
	}
	if got := strings.Join(c.Command, " "); got != "xp kube-task /p/.xp/kubernetes/s-1" {
		t.Errorf("command %q", got)
	}
}

func TestJobErrors(t *testing.T) {
	a := cluster.Array{Dir: "/p/.xp/kubernetes/s-1", Name: "xp-s", Tasks: 1}
	if _, err := Job(a, Config{}); err != ErrNoImage {
		t.Errorf("no image: %v, want ErrNoImage", err)
	}
	if _, err := Job(a, Config{Kube: spec.Kubernetes{Image: "x", Report: spec.ReportRemote}}); err != ErrNoRemote {
		t.Errorf("report remote without a remote: %v, want ErrNoRemote", err)
	}
	_, err := Job(a, Config{Kube: spec.Kubernetes{Image: "x", Extra: map[string]any{"spec": map[string]any{"paralelism": 2}}}})
	if err == nil || !strings.Contains(err.Error(), `sweep.kubernetes.extra does not make a Job: json: unknown field "paralelism"`) {
		t.Errorf("a misspelt extra field: %v", err)
	}
}

func TestJobName(t *testing.T) {
	for dir, want := range map[string]string{
		"/x/credit-3fb53a086e1c-123":                              "xp-credit-3fb53a086e1c-123",
		"/x/Credit_Wide-0c1d-9":                                   "xp-credit-wide-0c1d-9",
		"/x/" + strings.Repeat("a", 70) + "-3fb53a086e1c-1234567": "xp-aaaaaaaaaaaaaaaaaaaaaaa-aaaa-3fb53a086e1c-1234567",
	} {
		if got := JobName(dir); got != want || len(got) > 52 {
			t.Errorf("JobName(%s) = %s, want %s", dir, got, want)
		}
	}
}

func TestParseIndexes(t *testing.T) {
	got := parseIndexes("0,2-4,7")
	for _, i := range []int{0, 2, 3, 4, 7} {
		if !got[i] {
			t.Errorf("index %d missing from %v", i, got)
		}
	}
	if len(got) != 5 {
		t.Errorf("parseIndexes = %v, want 5 indexes", got)
	}
}
