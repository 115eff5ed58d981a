package kubernetes

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The integration test's Kubernetes: etcd, kube-apiserver and
// kube-controller-manager (its real Job controller) on loopback, started
// by the test, and a node agent in the test that runs each pod's command
// as a local process and reports its status through the status
// subresource, as a kubelet would. It is the one stand-in: nothing else of
// Kubernetes is faked.

// needK8s skips the test unless XP_TEST_K8S=1 (make test-k8s) and returns
// the directory of kube-apiserver and kube-controller-manager ($XP_KUBE_BIN,
// which sweep/kubernetes/testdata/cp/build.sh prints).
func needK8s(t *testing.T) string {
	t.Helper()
	if os.Getenv("XP_TEST_K8S") != "1" {
		t.Skip("starts a Kubernetes control plane: run with XP_TEST_K8S=1 and XP_KUBE_BIN (make test-k8s)")
	}
	bin := os.Getenv("XP_KUBE_BIN")
	for _, b := range []string{"kube-apiserver", "kube-controller-manager"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			t.Fatalf("XP_TEST_K8S=1 but %s is not in XP_KUBE_BIN=%q (sweep/kubernetes/testdata/cp/build.sh builds it)", b, bin)
		}
	}
	if _, err := exec.LookPath("etcd"); err != nil {
		t.Fatal("XP_TEST_K8S=1 but etcd is not installed (Debian etcd-server)")
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// daemon starts a process of the control plane, its output to a log in
// dir, and stops it by its pid at the end of t.
func daemon(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	log := filepath.Join(dir, name+".log")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); f.Close(); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	return log
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// controlPlane is a running control plane: kubeconfigs for an admin and
// for a user with no rights at all.
type controlPlane struct {
	admin, nobody string
	client        kubernetes.Interface
}

const testNamespace = "xp"

func startControlPlane(t *testing.T, bin string) *controlPlane {
	t.Helper()
	dir := t.TempDir()
	etcdPort, peerPort, apiPort := freePort(t), freePort(t), freePort(t)
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdPort)
	daemon(t, dir, "etcd", "etcd", "--data-dir", filepath.Join(dir, "etcd"), "--listen-client-urls", etcdURL,
		"--advertise-client-urls", etcdURL, "--listen-peer-urls", "http://127.0.0.1:"+strconv.Itoa(peerPort))

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	saKey, saPub := filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	write := func(path string, b []byte) {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(saKey, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	write(saPub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	tokens := filepath.Join(dir, "tokens.csv")
	write(tokens, []byte("admin-token,admin,admin,system:masters\nnobody-token,nobody,nobody\n"))
	server := "https://127.0.0.1:" + strconv.Itoa(apiPort)
	apiLog := daemon(t, dir, "kube-apiserver", filepath.Join(bin, "kube-apiserver"),
		"--etcd-servers="+etcdURL, "--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(apiPort),
		"--cert-dir="+filepath.Join(dir, "certs"), "--token-auth-file="+tokens, "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc", "--service-account-key-file="+saPub,
		"--service-account-signing-key-file="+saKey, "--service-cluster-ip-range=10.96.0.0/12",
		"--endpoint-reconciler-type=none", "--advertise-address=127.0.0.1")

	kubeconfig := func(name, token string) string {
		path := filepath.Join(dir, name+".kubeconfig")
		write(path, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: %q, insecure-skip-tls-verify: true}
users:
- name: %s
  user: {token: %s}
contexts:
- name: test
  context: {cluster: test, user: %s, namespace: %s}
current-context: test
`, server, name, token, name, testNamespace)))
		return path
	}
	cp := &controlPlane{admin: kubeconfig("admin", "admin-token"), nobody: kubeconfig("nobody", "nobody-token")}

	// Ready when /readyz says so (about 10 s).
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	deadline := time.Now().Add(90 * time.Second)
	for {
		req, _ := http.NewRequest("GET", server+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer admin-token")
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("kube-apiserver not ready after 90 s (%v); its log:\n%s", err, tail(apiLog, 30))
		}
		time.Sleep(300 * time.Millisecond)
	}
	cmLog := daemon(t, dir, "kube-controller-manager", filepath.Join(bin, "kube-controller-manager"),
		"--kubeconfig="+cp.admin, "--controllers=job", "--leader-elect=false",
		"--service-account-private-key-file="+saKey, "--use-service-account-credentials=false",
		"--bind-address=127.0.0.1", "--secure-port=0")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kube-controller-manager log:\n%s", tail(cmLog, 40))
		}
	})

	c, _, _, err := Client(cp.admin)
	if err != nil {
		t.Fatal(err)
	}
	cp.client = c
	ctx := context.Background()
	if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNamespace}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// No serviceaccount controller runs: the pods' account is made here.
	for {
		_, err := c.CoreV1().ServiceAccounts(testNamespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
			metav1.CreateOptions{})
		if err == nil || apierrors.IsAlreadyExists(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("service account: %v", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	return cp
}

// nodeAgent is the node: it binds each new pod of the namespace to itself
// (but one that selects a node it is not: labelPool "none"),
// reports an image under unpullable.example/ as one it cannot pull,
// runs its container's command as a local process (command[0] looked up
// in path), enforces its memory limit by the process's resident set (the
// OOM killer's part: SIGKILL, reason OOMKilled, exit code 137), and
// reports the pod's phase and container state through the status
// subresource. A pod being deleted gets SIGTERM, then is removed once its
// process has ended.
type nodeAgent struct {
	t      *testing.T
	c      kubernetes.Interface
	path   map[string]string // command name -> binary
	mu     sync.Mutex
	pods   map[string]*agentPod // by UID
	stop   chan struct{}
	done   chan struct{}
	Events []string // what it did, for the test's log
}

type agentPod struct {
	cmd     *exec.Cmd
	started metav1.Time
	ended   chan struct{}
	oom     bool
	exit    int
	output  strings.Builder
}

const nodeName = "xp-test-node"

// labelPool is a node label; the agent's node has none, so a pod that
// selects labelPool "none" stays pending.
const labelPool = "xp.test/pool"

func startAgent(t *testing.T, c kubernetes.Interface, path map[string]string) *nodeAgent {
	a := &nodeAgent{t: t, c: c, path: path, pods: map[string]*agentPod{}, stop: make(chan struct{}), done: make(chan struct{})}
	go a.loop()
	t.Cleanup(func() {
		close(a.stop)
		<-a.done
		a.mu.Lock()
		defer a.mu.Unlock()
		for _, p := range a.pods {
			if p.cmd.Process != nil {
				syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
			}
			<-p.ended
		}
	})
	return a
}

func (a *nodeAgent) logf(format string, args ...any) {
	a.mu.Lock()
	a.Events = append(a.Events, fmt.Sprintf(format, args...))
	a.mu.Unlock()
}

func (a *nodeAgent) loop() {
	defer close(a.done)
	tick := time.NewTicker(150 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		pods, err := a.c.CoreV1().Pods(testNamespace).List(ctx, metav1.ListOptions{})
		if err == nil {
			for i := range pods.Items {
				a.sync(ctx, &pods.Items[i])
			}
		}
		cancel()
	}
}

// sync moves one pod on.
func (a *nodeAgent) sync(ctx context.Context, pod *corev1.Pod) {
	a.mu.Lock()
	p := a.pods[string(pod.UID)]
	a.mu.Unlock()
	if pod.DeletionTimestamp != nil {
		if p != nil {
			select {
			case <-p.ended:
			default:
				syscall.Kill(p.cmd.Process.Pid, syscall.SIGTERM)
				return
			}
			a.report(ctx, pod, p)
		}
		zero := int64(0)
		if err := a.c.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err == nil {
			a.logf("pod %s deleted", pod.Name)
		}
		return
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return
	}
	if p == nil {
		if pod.Spec.NodeSelector[labelPool] == "none" {
			return // no node has that label: left pending, as the scheduler would
		}
		a.start(ctx, pod)
		return
	}
	select {
	case <-p.ended:
		a.report(ctx, pod, p)
	default:
		if pod.Status.Phase != corev1.PodRunning {
			// The first report lost a race with the Job controller's
			// update of the pod: sent again, on this fresher copy.
			a.running(ctx, pod, p)
		}
	}
}

// running reports pod's container running since p started.
func (a *nodeAgent) running(ctx context.Context, pod *corev1.Pod, p *agentPod) {
	ctr := pod.Spec.Containers[0]
	pod.Status.Phase = corev1.PodRunning
	pod.Status.StartTime = &p.started
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: ctr.Name, Image: ctr.Image, Ready: true, Started: ptr(true),
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: p.started}}}}
	if _, err := a.c.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		a.logf("status of %s: %v", pod.Name, err)
	}
}

// start binds pod to the node, starts its process and reports it running.
func (a *nodeAgent) start(ctx context.Context, pod *corev1.Pod) {
	if pod.Spec.NodeName == "" {
		err := a.c.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: pod.Name, UID: pod.UID},
			Target: corev1.ObjectReference{Kind: "Node", Name: nodeName}}, metav1.CreateOptions{})
		if err != nil {
			a.logf("bind %s: %v", pod.Name, err)
			return
		}
	}
	ctr := pod.Spec.Containers[0]
	if strings.HasPrefix(ctr.Image, "unpullable.example/") {
		a.setWaiting(ctx, pod, "ImagePullBackOff", `Back-off pulling image "`+ctr.Image+`"`)
		return
	}
	bin, ok := a.path[ctr.Command[0]]
	if !ok {
		a.setWaiting(ctx, pod, "ErrImagePull", "no "+ctr.Command[0]+" on this node")
		return
	}
	cmd := exec.Command(bin, ctr.Command[1:]...)
	cmd.Dir = ctr.WorkingDir
	cmd.Env = append(os.Environ(), "HOSTNAME="+pod.Name)
	for _, e := range ctr.Env {
		v := e.Value
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			v = fieldValue(pod, e.ValueFrom.FieldRef.FieldPath)
		}
		cmd.Env = append(cmd.Env, e.Name+"="+v)
	}
	p := &agentPod{cmd: cmd, ended: make(chan struct{}), started: metav1.Now()}
	cmd.Stdout, cmd.Stderr = &lockedWriter{b: &p.output, mu: &a.mu}, &lockedWriter{b: &p.output, mu: &a.mu}
	if err := cmd.Start(); err != nil {
		a.setWaiting(ctx, pod, "CreateContainerError", err.Error())
		return
	}
	a.mu.Lock()
	a.pods[string(pod.UID)] = p
	a.mu.Unlock()
	var limit int64
	if q, ok := ctr.Resources.Limits[corev1.ResourceMemory]; ok {
		limit = q.Value()
	}
	go func() {
		defer close(p.ended)
		if limit > 0 {
			go a.enforce(p, limit)
		}
		err := cmd.Wait()
		p.exit = cmd.ProcessState.ExitCode()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.exit = 128 + int(ws.Signal())
		}
		_ = err
	}()
	a.logf("pod %s (index %s, attempt %s) started: %s", pod.Name, pod.Annotations[annotationIndex],
		pod.Annotations[annotationFailures], strings.Join(ctr.Command, " "))
	a.running(ctx, pod, p)
}

// enforce kills p's process when its resident set passes limit bytes.
func (a *nodeAgent) enforce(p *agentPod, limit int64) {
	for {
		select {
		case <-p.ended:
			return
		case <-time.After(20 * time.Millisecond):
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
		if err != nil {
			return
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				if kb*1024 > limit {
					a.mu.Lock()
					p.oom = true
					a.mu.Unlock()
					syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
					return
				}
			}
		}
	}
}

// report sets the pod's final phase and its container's terminated state.
func (a *nodeAgent) report(ctx context.Context, pod *corev1.Pod, p *agentPod) {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return
	}
	a.mu.Lock()
	oom, out := p.oom, p.output.String()
	a.mu.Unlock()
	reason := "Completed"
	pod.Status.Phase = corev1.PodSucceeded
	if p.exit != 0 {
		reason, pod.Status.Phase = "Error", corev1.PodFailed
	}
	if oom {
		reason = "OOMKilled"
	}
	now := metav1.Now()
	ctr := pod.Spec.Containers[0]
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: ctr.Name, Image: ctr.Image,
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: int32(p.exit), Reason: reason,
			Message: lastLines(out, 3), FinishedAt: now}}}}
	if _, err := a.c.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		a.logf("status of %s: %v", pod.Name, err)
		return
	}
	a.logf("pod %s (index %s) ended: exit %d, %s", pod.Name, pod.Annotations[annotationIndex], p.exit, reason)
}

func (a *nodeAgent) setWaiting(ctx context.Context, pod *corev1.Pod, reason, msg string) {
	ctr := pod.Spec.Containers[0]
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: ctr.Name, Image: ctr.Image,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}}
	a.c.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
}

// fieldValue is a downward API field of pod: metadata.name, namespace,
// an annotation or a label.
func fieldValue(pod *corev1.Pod, path string) string {
	switch {
	case path == "metadata.name":
		return pod.Name
	case path == "metadata.namespace":
		return pod.Namespace
	case strings.HasPrefix(path, "metadata.annotations['"):
		return pod.Annotations[strings.TrimSuffix(strings.TrimPrefix(path, "metadata.annotations['"), "']")]
	case strings.HasPrefix(path, "metadata.labels['"):
		return pod.Labels[strings.TrimSuffix(strings.TrimPrefix(path, "metadata.labels['"), "']")]
	}
	return ""
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

type lockedWriter struct {
	b  *strings.Builder
	mu *sync.Mutex
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
