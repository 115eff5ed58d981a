package kubernetes

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/sweep/cluster"
)

// Exit codes of the task command (`xp kube-task`) that the Job's pod
// failure policy reads (not 2, which a Go panic exits with): a point that
// cannot train (ExitInvalid: it does not fit the schema here, its key
// differs from the planned one) or that
// diverged (ExitDiverged), or whose xp was stopped and recorded it canceled
// (ExitCanceled: xp cancel deleted its pod), fails its index at once; any
// other failure (1, or a pod killed for memory) is retried up to
// BackoffLimitPerIndex times.
const (
	ExitFailed   = 1
	ExitInvalid  = 65
	ExitDiverged = 66
	ExitCanceled = 130
)

// BackoffLimitPerIndex is how many times a failed index is retried.
const BackoffLimitPerIndex = 1

// ContainerName is the name of the one container of each pod.
const ContainerName = "xp"

// Labels and annotations xp puts on its Jobs and pods; those of the Job
// controller that it reads.
const (
	LabelManagedBy     = "app.kubernetes.io/managed-by"
	LabelSweep         = "xp/sweep"
	labelJobName       = "batch.kubernetes.io/job-name"
	annotationIndex    = "batch.kubernetes.io/job-completion-index"
	annotationFailures = "batch.kubernetes.io/job-index-failure-count"
	// EnvAttempt is the environment variable that tells the task its
	// attempt (0 for the first), from the pod's failure-count annotation.
	EnvAttempt = "XP_TASK_ATTEMPT"
	// EnvIndex is the completion index, set by the Job controller.
	EnvIndex = "JOB_COMPLETION_INDEX"
)

// Config is what a Job is made of besides the array: the sweep's
// kubernetes block as flags override it, its resources, and the xp
// command in the image.
type Config struct {
	Kube      spec.Kubernetes
	Resources spec.Resources
	// XP is the xp command in the image (default "xp", on its PATH).
	XP string
	// Root is the project's path, mounted from Kube.Claim when set, and
	// the pods' working directory.
	Root string
	// Remote is the remote the pods report through when Kube.Report is
	// spec.ReportRemote (set by the executor from xp.cue).
	Remote *RemoteAddr
}

// RemoteAddr is where the pods find the remote they report through; its
// credentials are not here (Kube.Secret).
type RemoteAddr struct {
	URL, Endpoint, Region string
}

// ErrNoRemote: the pods are to report through a remote, and there is none.
var ErrNoRemote = errors.New(`sweep.kubernetes.report is "remote", and the project has no remote to report through (xp remote add, or report: "volume")`)

// Or fills c's fields left unset from the sweep's spec: flags win.
func (c Config) Or(sw *spec.Sweep) Config {
	if sw == nil {
		return c
	}
	var k spec.Kubernetes
	if sw.Kubernetes != nil {
		k = *sw.Kubernetes
	}
	or := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	c.Kube.Namespace = or(c.Kube.Namespace, k.Namespace)
	c.Kube.Image = or(c.Kube.Image, k.Image)
	c.Kube.ServiceAccount = or(c.Kube.ServiceAccount, k.ServiceAccount)
	c.Kube.Claim = or(c.Kube.Claim, k.Claim)
	c.Kube.Report = or(c.Kube.Report, k.Report)
	c.Kube.Remote = or(c.Kube.Remote, k.Remote)
	c.Kube.Secret = or(c.Kube.Secret, k.Secret)
	c.Kube.Workdir = or(c.Kube.Workdir, k.Workdir)
	if c.Kube.NodeSelector == nil {
		c.Kube.NodeSelector = k.NodeSelector
	}
	if c.Kube.Tolerations == nil {
		c.Kube.Tolerations = k.Tolerations
	}
	if c.Kube.Extra == nil {
		c.Kube.Extra = k.Extra
	}
	if c.Resources.CPUs <= 0 {
		c.Resources.CPUs = sw.Resources.CPUs
	}
	if c.Resources.GPUs <= 0 {
		c.Resources.GPUs = sw.Resources.GPUs
	}
	c.Resources.Memory = or(c.Resources.Memory, sw.Resources.Memory)
	return c
}

// ErrNoImage: the pods need an image with xp, and none was named.
var ErrNoImage = fmt.Errorf("no image for the pods: set sweep.kubernetes.image in the spec or pass --k8s-image (an image with xp on its PATH)")

// JobName is the Job's name for the run directory dir: "xp-" and the
// directory's name (the sweep id and a random suffix), made a DNS label
// short enough for the pods' host names.
func JobName(dir string) string {
	name := strings.Trim(notDNS.ReplaceAllString(strings.ToLower("xp-"+filepath.Base(dir)), "-"), "-")
	if len(name) > 52 {
		// Keep the random suffix, which tells submissions apart.
		name = strings.Trim(name[:26], "-") + "-" + strings.Trim(name[len(name)-25:], "-")
	}
	return name
}

var notDNS = regexp.MustCompile(`[^a-z0-9-]+`)

// dnsLabel is s lowercased, with every run of other characters a "-".
func dnsLabel(s string) string {
	s = notDNS.ReplaceAllString(strings.ToLower(s), "-")
	s = strings.Trim(s, "-")
	if len(s) > 63 {
		s = strings.Trim(s[:63], "-")
	}
	return s
}

// Job is the Indexed Job of array a: completion index i runs task i of the
// run directory, `xp kube-task <dir>`.
func Job(a cluster.Array, c Config) (*batchv1.Job, error) {
	if c.Kube.Image == "" {
		return nil, ErrNoImage
	}
	xp := c.XP
	if xp == "" {
		xp = "xp"
	}
	ns := c.Kube.Namespace
	if ns == "" {
		ns = "default"
	}
	threads := c.Resources.CPUs
	if threads <= 0 {
		threads = a.Threads
	}
	res, err := resources(threads, c.Resources.GPUs, c.Resources.Memory)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{LabelManagedBy: "xp"}
	if a.Sweep != nil {
		// The sweep's id names the experiment and a hash: as a label value
		// it may be cut, which only loses readability.
		labels[LabelSweep] = dnsLabel(strings.TrimPrefix(a.Name, "xp-"))
	}
	parallel := int32(1)
	if a.Sweep != nil && a.Sweep.Parallel > 0 {
		parallel = int32(a.Sweep.Parallel)
	}
	tasks := int32(a.Tasks)
	parallel = min(parallel, tasks)
	indexed := batchv1.IndexedCompletion
	backoff := int32(BackoffLimitPerIndex)
	ttl := int32(7 * 24 * 3600)
	command, workdir := []string{xp, "kube-task", a.Dir}, c.Root
	if c.Kube.Report == spec.ReportRemote {
		if c.Remote == nil {
			return nil, ErrNoRemote
		}
		command, workdir = remoteCommand(xp, *c.Remote, filepath.Base(a.Dir)), c.Kube.Workdir
	}
	container := corev1.Container{
		Name:       ContainerName,
		Image:      c.Kube.Image,
		Command:    command,
		WorkingDir: workdir,
		Env: []corev1.EnvVar{{Name: EnvAttempt, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
			FieldPath: "metadata.annotations['" + annotationFailures + "']"}}}},
		Resources:                res,
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
	pod := corev1.PodSpec{
		RestartPolicy:      corev1.RestartPolicyNever,
		ServiceAccountName: c.Kube.ServiceAccount,
		NodeSelector:       c.Kube.NodeSelector,
		Containers:         []corev1.Container{container},
	}
	for _, t := range c.Kube.Tolerations {
		pod.Tolerations = append(pod.Tolerations, corev1.Toleration{Key: t.Key, Operator: corev1.TolerationOperator(t.Operator),
			Value: t.Value, Effect: corev1.TaintEffect(t.Effect), TolerationSeconds: t.TolerationSeconds})
	}
	if c.Kube.Secret != "" {
		pod.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: c.Kube.Secret}}}}
	}
	if c.Kube.Claim != "" && c.Kube.Report != spec.ReportRemote {
		pod.Volumes = []corev1.Volume{{Name: "project", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c.Kube.Claim}}}}
		pod.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "project", MountPath: c.Root}}
	}
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: JobName(a.Dir), Namespace: ns, Labels: labels},
		Spec: batchv1.JobSpec{
			CompletionMode:          &indexed,
			Completions:             &tasks,
			Parallelism:             &parallel,
			BackoffLimitPerIndex:    &backoff,
			TTLSecondsAfterFinished: &ttl,
			PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
				{
					// Evicted or preempted: not the point's fault, and not
					// counted against its retries (the first rule that
					// matches decides, so also when xp exited 130 on the
					// eviction's SIGTERM).
					Action: batchv1.PodFailurePolicyActionIgnore,
					OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{
						{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}},
				},
				{
					// An invalid or diverged point fails the same way every
					// time, and a canceled one was meant to stop: its index
					// fails at once.
					Action: batchv1.PodFailurePolicyActionFailIndex,
					OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{ContainerName: ptr(ContainerName),
						Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{ExitInvalid, ExitDiverged, ExitCanceled}},
				},
			}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: pod},
		},
	}
	if len(c.Kube.Extra) > 0 {
		return mergeExtra(job, c.Kube.Extra)
	}
	return job, nil
}

// remoteCommand is the pods' command when they report through the remote
// at addr: the run directory is known there by its name.
func remoteCommand(xp string, addr RemoteAddr, name string) []string {
	cmd := []string{xp, "kube-task", "--remote-url", addr.URL}
	if addr.Endpoint != "" {
		cmd = append(cmd, "--remote-endpoint", addr.Endpoint)
	}
	if addr.Region != "" {
		cmd = append(cmd, "--remote-region", addr.Region)
	}
	return append(cmd, name)
}

// resources are each pod's requests and limits, equal: CPU threads, GPUs
// (nvidia.com/gpu) and memory.
func resources(cpus, gpus int, memory string) (corev1.ResourceRequirements, error) {
	l := corev1.ResourceList{}
	if cpus > 0 {
		l[corev1.ResourceCPU] = *resource.NewQuantity(int64(cpus), resource.DecimalSI)
	}
	if gpus > 0 {
		l["nvidia.com/gpu"] = *resource.NewQuantity(int64(gpus), resource.DecimalSI)
	}
	if memory != "" {
		q, err := resource.ParseQuantity(memory)
		if err != nil {
			return corev1.ResourceRequirements{}, fmt.Errorf("sweep.resources.memory %q: %w", memory, err)
		}
		l[corev1.ResourceMemory] = q
	}
	if len(l) == 0 {
		return corev1.ResourceRequirements{}, nil
	}
	return corev1.ResourceRequirements{Requests: l.DeepCopy(), Limits: l}, nil
}

// mergeExtra applies the spec's extra to job as a JSON merge patch.
func mergeExtra(job *batchv1.Job, extra map[string]any) (*batchv1.Job, error) {
	b, err := json.Marshal(job)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	doc = mergePatch(doc, extra)
	if b, err = json.Marshal(doc); err != nil {
		return nil, err
	}
	out := &batchv1.Job{}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return nil, fmt.Errorf("sweep.kubernetes.extra does not make a Job: %w", err)
	}
	return out, nil
}

// mergePatch is RFC 7386: objects merge, null deletes, anything else
// replaces.
func mergePatch(doc, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	d, ok := doc.(map[string]any)
	if !ok {
		d = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(d, k)
			continue
		}
		d[k] = mergePatch(d[k], v)
	}
	return d
}

// YAML is the manifests as `kubectl apply -f` reads them, documents
// separated by "---", without the fields the server fills.
func YAML(jobs ...*batchv1.Job) ([]byte, error) {
	var out []byte
	for i, j := range jobs {
		b, err := json.Marshal(j)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		delete(m, "status")
		dropCreation(m)
		y, err := yaml.Marshal(m)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out = append(out, "---\n"...)
		}
		out = append(out, y...)
	}
	return out, nil
}

// dropCreation removes every metadata.creationTimestamp: null.
func dropCreation(v any) {
	switch v := v.(type) {
	case map[string]any:
		if md, ok := v["metadata"].(map[string]any); ok && md["creationTimestamp"] == nil {
			delete(md, "creationTimestamp")
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			dropCreation(v[k])
		}
	case []any:
		for _, e := range v {
			dropCreation(e)
		}
	}
}

func ptr[T any](v T) *T { return &v }
