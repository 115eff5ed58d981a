package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/remote"
	"github.com/xp-ml/xp/sweep/cluster"
)

// Options tune the executor.
type Options struct {
	// Options say where the run directories are (Dir, default
	// .xp/kubernetes, on the volume the pods mount), the project's path
	// (Root, where the pods mount it) and how often the Job is read
	// (Poll).
	cluster.Options
	// Config is the Job's options; those left unset come from the sweep's
	// kubernetes block and resources.
	Config Config
	// Kubeconfig is the kubeconfig file ("": KUBECONFIG, ~/.kube/config,
	// else the pod's service account when xp runs in a cluster).
	Kubeconfig string
	// Remote opens the project's remote called name ("": the default)
	// for a sweep whose pods report through it (report "remote"), and
	// says where the pods find it; nil: the project has none.
	Remote func(name string) (*remote.Remote, RemoteAddr, error)
}

// New is the Kubernetes executor.
func New(opts Options) *cluster.Executor {
	cfg := opts.Config
	if cfg.Root == "" {
		cfg.Root = opts.Root
	}
	s := &scheduler{cfg: cfg, kubeconfig: opts.Kubeconfig}
	opts.Relay = func(sw *spec.Sweep) (cluster.Relay, error) { return s.relay(sw, opts.Remote) }
	return cluster.New(s, opts.Options)
}

// scheduler is a Kubernetes cluster, through client-go.
type scheduler struct {
	cfg        Config
	kubeconfig string
	client     kubernetes.Interface
	host       string // the API server, for messages
	namespace  string // the kubeconfig context's namespace
	// remote is where the pods report when they report through a remote.
	remote *RemoteAddr
}

// relay is the relay of sw's pods: nil when they report through the
// shared volume, else the remote's, opened by open.
func (s *scheduler) relay(sw *spec.Sweep, open func(string) (*remote.Remote, RemoteAddr, error)) (cluster.Relay, error) {
	k := s.cfg.Or(sw).Kube
	if k.Report != spec.ReportRemote {
		return nil, nil
	}
	if open == nil {
		return nil, ErrNoRemote
	}
	rm, addr, err := open(k.Remote)
	if err != nil {
		return nil, err
	}
	s.remote = &addr
	return cluster.RemoteRelay(rm), nil
}

var _ cluster.Scheduler = (*scheduler)(nil)

func (*scheduler) Name() string { return spec.ExecutorKubernetes }

// ErrNoCluster: no kubeconfig was found and xp does not run in a pod.
var ErrNoCluster = errors.New("no Kubernetes cluster configured: KUBECONFIG is unset, there is no ~/.kube/config, and xp is not running in a pod (pass --kubeconfig or set KUBECONFIG)")

// Client is a client of the cluster that kubeconfig names ("": the usual
// places), its API server's address and the kubeconfig context's
// namespace ("" when it names none).
func Client(kubeconfig string) (kubernetes.Interface, string, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	rc, err := cc.ClientConfig()
	ns := ""
	if err == nil {
		ns, _, _ = cc.Namespace()
	} else if clientcmd.IsEmptyConfig(err) {
		if rc, err = rest.InClusterConfig(); errors.Is(err, rest.ErrNotInCluster) {
			return nil, "", "", ErrNoCluster
		}
		if b, rerr := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); rerr == nil {
			ns = strings.TrimSpace(string(b))
		}
	}
	if err != nil {
		return nil, "", "", fmt.Errorf("kubeconfig: %w", err)
	}
	c, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, "", "", fmt.Errorf("kubernetes client for %s: %w", rc.Host, err)
	}
	return c, rc.Host, ns, nil
}

func (s *scheduler) connect() error {
	if s.client != nil {
		return nil
	}
	c, host, ns, err := Client(s.kubeconfig)
	if err != nil {
		return err
	}
	s.client, s.host, s.namespace = c, host, ns
	return nil
}

// Submit creates the array's Indexed Job; its id is "<namespace>/<name>".
func (s *scheduler) Submit(ctx context.Context, a cluster.Array) (string, error) {
	cfg := s.cfg.Or(a.Sweep)
	if cfg.Kube.Image == "" {
		return "", ErrNoImage
	}
	if err := s.connect(); err != nil {
		return "", err
	}
	if cfg.Kube.Namespace == "" {
		cfg.Kube.Namespace = s.namespace
	}
	cfg.Remote = s.remote
	job, err := Job(a, cfg)
	if err != nil {
		return "", err
	}
	created, err := s.client.BatchV1().Jobs(job.Namespace).Create(ctx, job, metav1.CreateOptions{})
	if err != nil {
		return "", s.explain(err, "create Job "+job.Name, job.Namespace)
	}
	return created.Namespace + "/" + created.Name, nil
}

// explain makes an API error one line that says what to do.
func (s *scheduler) explain(err error, what, ns string) error {
	var ue *url.Error
	var ne net.Error
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Errorf("kubernetes: %s in namespace %s is forbidden (xp needs RBAC to create, get, list and delete Jobs and Pods there): %s",
			what, ns, apiMessage(err))
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("kubernetes: %s: the API server %s refused the kubeconfig's credentials: %s", what, s.host, apiMessage(err))
	case apierrors.IsNotFound(err) && strings.Contains(apiMessage(err), "namespaces"):
		return fmt.Errorf("kubernetes: %s: namespace %s does not exist on %s", what, ns, s.host)
	case errors.As(err, &ue), errors.As(err, &ne):
		return fmt.Errorf("kubernetes: API server %s unreachable: %v", s.host, innermost(err))
	}
	return fmt.Errorf("kubernetes: %s: %w", what, err)
}

func apiMessage(err error) string {
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		return se.Status().Message
	}
	return err.Error()
}

// innermost is the last error of err's chain: "connection refused" rather
// than the request's whole URL again.
func innermost(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Task is "kubernetes:<namespace>/<job>/<index>", as Cancel and xp cancel
// take it.
func (*scheduler) Task(id string, i int) string { return taskPrefix + id + "/" + strconv.Itoa(i) }

const taskPrefix = spec.ExecutorKubernetes + ":"

// IsTask says whether a task id recorded in the store is a Kubernetes one.
func IsTask(id string) bool { return strings.HasPrefix(id, taskPrefix) }

// parseTask splits "kubernetes:<ns>/<job>[/<index>]"; index -1 when absent.
func parseTask(id string) (ns, job string, index int, err error) {
	parts := strings.Split(strings.TrimPrefix(id, taskPrefix), "/")
	index = -1
	if len(parts) == 3 {
		if index, err = strconv.Atoi(parts[2]); err != nil {
			return "", "", 0, fmt.Errorf("kubernetes task %q: %w", id, err)
		}
		parts = parts[:2]
	}
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", "", 0, fmt.Errorf("kubernetes task %q: want <namespace>/<job>[/<index>]", id)
	}
	return parts[0], parts[1], index, nil
}

// Poll reads the Job and its pods: where each index stands.
func (s *scheduler) Poll(ctx context.Context, id string, n int) ([]cluster.State, error) {
	if err := s.connect(); err != nil {
		return nil, err
	}
	ns, name, _, err := parseTask(taskPrefix + id)
	if err != nil {
		return nil, err
	}
	states := make([]cluster.State, n)
	job, err := s.client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		// Deleted (xp cancel, kubectl delete): what is left is judged by
		// its files, canceled.
		for i := range states {
			states[i] = cluster.State{Name: "deleted", Ended: true, Canceled: true}
		}
		return states, nil
	}
	if err != nil {
		return nil, s.explain(err, "get Job "+name, ns)
	}
	pods, err := s.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labelJobName + "=" + name})
	if err != nil {
		return nil, s.explain(err, "list the pods of Job "+name, ns)
	}
	states, stuck := IndexStates(job, pods.Items, n)
	ended := 0
	for _, st := range states {
		if st.Ended {
			ended++
		}
	}
	if ended == n && stuck {
		// Every index has ended for xp, some only for xp (an image that
		// cannot be pulled stays pending for ever for Kubernetes): the
		// Job goes.
		_ = s.deleteJob(context.WithoutCancel(ctx), ns, name)
	}
	return states, nil
}

// IndexStates is where each of the n indexes of job stands, from the
// Job's status and its pods; stuck says that some index has ended for xp
// only, its pod unable to start, which the Job would keep for ever.
func IndexStates(job *batchv1.Job, pods []corev1.Pod, n int) (states []cluster.State, stuck bool) {
	completed := parseIndexes(job.Status.CompletedIndexes)
	failed := map[int]bool{}
	if job.Status.FailedIndexes != nil {
		failed = parseIndexes(*job.Status.FailedIndexes)
	}
	latest := map[int]*corev1.Pod{}
	for i := range pods {
		p := &pods[i]
		idx, err := strconv.Atoi(p.Annotations[annotationIndex])
		if err != nil {
			continue
		}
		if q := latest[idx]; q == nil || attemptOf(p) > attemptOf(q) ||
			(attemptOf(p) == attemptOf(q) && q.CreationTimestamp.Before(&p.CreationTimestamp)) {
			latest[idx] = p
		}
	}
	var finished *batchv1.JobCondition
	for i, c := range job.Status.Conditions {
		if (c.Type == batchv1.JobFailed || c.Type == batchv1.JobComplete) && c.Status == corev1.ConditionTrue {
			finished = &job.Status.Conditions[i]
		}
	}
	states = make([]cluster.State, n)
	for i := range states {
		p := latest[i]
		st := cluster.State{Name: "Pending", Pending: true}
		if p != nil {
			st.Attempt = attemptOf(p)
		}
		switch {
		case completed[i]:
			st = cluster.State{Name: "Succeeded", Ended: true, Attempt: st.Attempt}
		case failed[i]:
			st = cluster.State{Name: "Failed", Ended: true, Attempt: st.Attempt}
			if p != nil {
				st.Name, st.Killed, st.Canceled = podEnd(p)
			}
		case finished != nil:
			st = cluster.State{Name: "Job" + string(finished.Type), Ended: true, Attempt: st.Attempt,
				Killed: "the Job " + strings.ToLower(string(finished.Type)) + ": " + finished.Reason + " " + finished.Message}
		case p == nil:
		case p.Status.Phase == corev1.PodRunning || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed:
			// Ended pods of an index not yet counted by the controller:
			// still in its hands (a retry comes, or the index is marked).
			st = cluster.State{Name: string(p.Status.Phase), Attempt: st.Attempt}
		default:
			if why := stuckPod(p); why != "" {
				st = cluster.State{Name: "Pending", Ended: true, Killed: why, Attempt: st.Attempt}
				stuck = true
			}
		}
		states[i] = st
	}
	return states, stuck
}

// attemptOf is the pod's attempt at its index: 0 for the first.
func attemptOf(p *corev1.Pod) int {
	n, _ := strconv.Atoi(p.Annotations[annotationFailures])
	return n
}

// podEnd is how a failed pod ended: its state's name, the cluster's reason
// when it was the cluster's doing (out of memory, evicted), and whether
// xp was stopped (it exits 130 when canceled).
func podEnd(p *corev1.Pod) (name, killed string, canceled bool) {
	name = "Failed"
	if p.Status.Reason != "" {
		name = p.Status.Reason
		killed = strings.TrimSpace(p.Status.Reason + ": " + p.Status.Message)
	}
	for _, cs := range p.Status.ContainerStatuses {
		t := cs.State.Terminated
		if t == nil {
			continue
		}
		switch {
		case t.Reason == "OOMKilled":
			name = "OOMKilled"
			killed = "OOMKilled: the pod ran out of memory"
			if q, ok := p.Spec.Containers[0].Resources.Limits[corev1.ResourceMemory]; ok && len(p.Spec.Containers) > 0 {
				killed += " (limit " + q.String() + "; raise sweep.resources.memory)"
			}
		case t.ExitCode == 130:
			canceled = true
		case t.Reason != "" && t.Reason != "Error" && t.Reason != "Completed" && killed == "":
			name, killed = t.Reason, t.Reason+": "+t.Message
		}
	}
	return name, killed, canceled
}

// stuckPod says why a pending pod will not start by itself (its image
// cannot be pulled, its configuration is wrong), "" when it may yet.
func stuckPod(p *corev1.Pod) string {
	for _, cs := range p.Status.ContainerStatuses {
		w := cs.State.Waiting
		if w == nil {
			continue
		}
		switch w.Reason {
		case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull":
			return fmt.Sprintf("image %s cannot be pulled (%s: %s)", cs.Image, w.Reason, w.Message)
		case "CreateContainerConfigError", "CreateContainerError":
			return fmt.Sprintf("the container cannot be created (%s: %s)", w.Reason, w.Message)
		}
	}
	return ""
}

// parseIndexes reads the Job status's "1,3-5,7".
func parseIndexes(s string) map[int]bool {
	out := map[int]bool{}
	for _, i := range cluster.ParseIndexes(s) {
		out[i] = true
	}
	return out
}

// Cancel stops tasks or Jobs: a task id with an index deletes that index's
// pods (xp in the pod records its run canceled and exits 130, which fails
// the index without a retry); one without deletes the Job and its pods.
func (s *scheduler) Cancel(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.connect(); err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		ns, job, idx, err := parseTask(taskPrefix + strings.TrimPrefix(id, taskPrefix))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if idx < 0 {
			errs = append(errs, s.deleteJob(ctx, ns, job))
			continue
		}
		sel := labelJobName + "=" + job + ",batch.kubernetes.io/job-completion-index=" + strconv.Itoa(idx)
		err = s.client.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: sel})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, s.explain(err, "delete the pods of index "+strconv.Itoa(idx)+" of Job "+job, ns))
		}
	}
	return errors.Join(errs...)
}

// deleteJob deletes a Job and its pods (also where no garbage collector
// runs); one gone already is no error.
func (s *scheduler) deleteJob(ctx context.Context, ns, name string) error {
	bg := metav1.DeletePropagationBackground
	err := s.client.BatchV1().Jobs(ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg})
	if err != nil && !apierrors.IsNotFound(err) {
		return s.explain(err, "delete Job "+name, ns)
	}
	err = s.client.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{},
		metav1.ListOptions{LabelSelector: labelJobName + "=" + name})
	if err != nil && !apierrors.IsNotFound(err) {
		return s.explain(err, "delete the pods of Job "+name, ns)
	}
	return nil
}

// Canceled is what Cancel did to one Job ("kubernetes:<namespace>/<job>"):
// deleted it, or found it gone already (deleted by kubectl, its TTL, or
// another xp cancel).
type Canceled struct {
	Job  string
	Gone bool
}

// Cancel deletes the Jobs of the Kubernetes tasks among ids, as the store
// records them (xp cancel): each Job once, with its pods. The coordinator
// following them records their runs canceled, curves kept, and puts their
// points back in the queue for the next xp run. A Job gone already is no
// error: its pods are deleted all the same.
func Cancel(ctx context.Context, kubeconfig string, ids ...string) ([]Canceled, error) {
	var jobs []Canceled
	for _, id := range ids {
		if !IsTask(id) {
			continue
		}
		ns, job, _, err := parseTask(id)
		if err != nil {
			return nil, err
		}
		j := taskPrefix + ns + "/" + job
		if !slices.ContainsFunc(jobs, func(c Canceled) bool { return c.Job == j }) {
			jobs = append(jobs, Canceled{Job: j})
		}
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	s := &scheduler{kubeconfig: kubeconfig}
	if err := s.connect(); err != nil {
		return nil, err
	}
	var errs []error
	for i, j := range jobs {
		ns, name, _, _ := parseTask(j.Job)
		_, err := s.client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
		jobs[i].Gone = apierrors.IsNotFound(err)
		errs = append(errs, s.deleteJob(ctx, ns, name))
	}
	return jobs, errors.Join(errs...)
}
