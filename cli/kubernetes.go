package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/xp-ml/xp/cue/settings"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/remote"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
	"github.com/xp-ml/xp/sweep/cluster"
	"github.com/xp-ml/xp/sweep/kubernetes"
)

// kubeFlags are the --k8s-* options of xp run.
type kubeFlags struct {
	cfg          kubernetes.Config
	nodeSelector []string
	kubeconfig   string
	dir          string
}

func addKubeFlags(f *pflag.FlagSet, o *runOptions) {
	k := &o.kube
	f.StringVar(&k.cfg.Kube.Namespace, "k8s-namespace", "", "namespace of the Job (--executor kubernetes; default: the sweep's, else the kubeconfig context's)")
	f.StringVar(&k.cfg.Kube.Image, "k8s-image", "", "image of the pods, with xp on its PATH (default: the sweep's kubernetes.image)")
	f.StringVar(&k.cfg.Kube.ServiceAccount, "k8s-service-account", "", "service account of the pods")
	f.StringVar(&k.cfg.Kube.Claim, "k8s-claim", "", "ReadWriteMany PersistentVolumeClaim mounted at the project's path in every pod")
	f.StringArrayVar(&k.nodeSelector, "k8s-node-selector", nil, "node label the pods need, key=value, repeatable")
	f.StringVar(&k.cfg.Resources.Memory, "k8s-memory", "", "memory request and limit of each pod (e.g. 4Gi; default: the sweep's resources.memory)")
	f.IntVar(&k.cfg.Resources.GPUs, "k8s-gpus", 0, "nvidia.com/gpu of each pod (default: the sweep's resources.gpus)")
	f.StringVar(&k.cfg.XP, "k8s-xp", "", "the xp command in the image (default: xp)")
	f.StringVar(&k.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else in-cluster)")
	f.StringVar(&k.dir, "k8s-dir", "", "directory on the volume the pods share for the Jobs' files (default: .xp/kubernetes)")
	f.StringVar(&k.cfg.Kube.Report, "k8s-report", "", "how the pods report: volume (the shared volume) or remote (the project's remote; default: the sweep's kubernetes.report, else volume)")
	f.StringVar(&k.cfg.Kube.Remote, "k8s-remote", "", "with --k8s-report remote: the remote of xp.cue the pods report through (default: default_remote)")
	f.StringVar(&k.cfg.Kube.Secret, "k8s-secret", "", "Secret whose keys become the pods' environment (the remote's credentials)")
	f.StringVar(&k.cfg.Kube.Workdir, "k8s-workdir", "", "with --k8s-report remote: the project's path in the image (default: the image's working directory)")
}

// kubeConfig is the Job options of the --k8s-* flags.
func (o *runOptions) kubeConfig() (kubernetes.Config, error) {
	cfg := o.kube.cfg
	for _, kv := range o.kube.nodeSelector {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return cfg, usageError{fmt.Errorf("--k8s-node-selector %q: want key=value", kv)}
		}
		if cfg.Kube.NodeSelector == nil {
			cfg.Kube.NodeSelector = map[string]string{}
		}
		cfg.Kube.NodeSelector[k] = v
	}
	switch r := cfg.Kube.Report; r {
	case "", spec.ReportVolume, spec.ReportRemote:
	default:
		return cfg, usageError{fmt.Errorf("--k8s-report %q: want %s or %s", r, spec.ReportVolume, spec.ReportRemote)}
	}
	if w := cfg.Kube.Workdir; w != "" && !strings.HasPrefix(w, "/") {
		return cfg, usageError{fmt.Errorf("--k8s-workdir %q: want an absolute path in the image", w)}
	}
	return cfg, nil
}

// kubeRemote opens the remote of the project at root called name ("": the
// default) for pods that report through it, and says where they find it.
func kubeRemote(root string) func(name string) (*remote.Remote, kubernetes.RemoteAddr, error) {
	return func(name string) (*remote.Remote, kubernetes.RemoteAddr, error) {
		cfg, err := kubeRemoteSettings(root, name)
		if err != nil {
			return nil, kubernetes.RemoteAddr{}, err
		}
		rm, err := openConfigured(cfg)
		if err != nil {
			return nil, kubernetes.RemoteAddr{}, err
		}
		return rm, kubernetes.RemoteAddr{URL: cfg.URL, Endpoint: cfg.Endpoint, Region: cfg.Region}, nil
	}
}

func kubeRemoteSettings(root, name string) (*settings.Remote, error) {
	set, err := loadSettings(root)
	if err != nil {
		return nil, err
	}
	if len(set.Remotes) == 0 {
		return nil, kubernetes.ErrNoRemote
	}
	return set.Remote(name)
}

// newKubeExecutor is the Kubernetes executor of xp run's --k8s-* options;
// the options they leave unset come from the spec's sweep.
func newKubeExecutor(o *runOptions, root string) sweep.Executor {
	cfg, _ := o.kubeConfig() // checked by xp run before
	return kubernetes.New(kubernetes.Options{Options: cluster.Options{Dir: o.kube.dir, Root: root},
		Config: cfg, Kubeconfig: o.kube.kubeconfig, Remote: kubeRemote(root)})
}

// printKubeDryRun prints the Job that xp run would submit for exp's points
// left to train, as YAML, and submits and writes nothing.
func printKubeDryRun(ctx context.Context, s Streams, o *runOptions, st *store.Store, root string, exp *spec.Experiment) error {
	cfg, err := o.kubeConfig()
	if err != nil {
		return err
	}
	plan, err := sweep.NewPlan(ctx, exp, runner.Options{Backend: o.backend, AllowDirty: o.dirty})
	if err != nil {
		return err
	}
	left := 0
	for _, p := range plan.Points {
		_, err := st.LatestSucceeded(ctx, p.Job.Key)
		switch {
		case errors.Is(err, store.ErrNotFound) || o.force:
			left++
		case err != nil:
			return err
		}
	}
	if left == 0 {
		fmt.Fprintf(s.Err, "sweep %s: every point has succeeded: nothing to submit\n", plan.ID)
		return nil
	}
	dir := o.kube.dir
	if dir == "" {
		dir = filepath.Join(st.Dir(), spec.ExecutorKubernetes)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	threads := plan.Sweep.Resources.CPUs
	if o.threadsSet {
		threads = o.threads
	}
	cfg.Root = root
	cfg = cfg.Or(&plan.Sweep)
	if cfg.Kube.Report == spec.ReportRemote {
		rc, err := kubeRemoteSettings(root, cfg.Kube.Remote)
		if err != nil {
			return err
		}
		cfg.Remote = &kubernetes.RemoteAddr{URL: rc.URL, Endpoint: rc.Endpoint, Region: rc.Region}
	}
	job, err := kubernetes.Job(cluster.Array{Dir: filepath.Join(dir, plan.ID+"-dry-run"), Name: "xp-" + plan.ID, Tasks: left,
		Threads: threads, Sweep: &plan.Sweep}, cfg)
	if err != nil {
		return err
	}
	b, err := kubernetes.YAML(job)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "sweep %s: %d of %d points left to train; nothing submitted (--dry-run)\n", plan.ID, left, len(plan.Points))
	_, err = s.Out.Write(b)
	return err
}

// newKubeTaskCmd is the hidden command each pod of a Job runs: with
// --remote-url, the pod reports through that remote, its argument the run
// directory's name there; else the argument is the run directory on the
// shared volume.
func newKubeTaskCmd(s Streams) *cobra.Command {
	var rc settings.Remote
	cmd := &cobra.Command{
		Use:    "kube-task <dir>",
		Short:  "Train one point of a Kubernetes Indexed Job (run by its pods, not by people)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var code int
			if rc.URL == "" {
				code = kubernetes.RunTask(cmd.Context(), args[0], os.Getenv, s.Err)
			} else {
				rc.Name = "remote"
				rm, err := openConfigured(&rc)
				if err != nil {
					return exitError{code: kubernetes.ExitFailed, err: err}
				}
				rm.Name = "" // named by its URL in messages
				code = kubernetes.RunRemoteTask(cmd.Context(), rm, args[0], os.Getenv, s.Err)
			}
			if code != 0 {
				return exitError{code: code, err: errors.New("")}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&rc.URL, "remote-url", "", "the remote the pod reports through (s3://bucket/prefix, file:///path)")
	cmd.Flags().StringVar(&rc.Endpoint, "remote-endpoint", "", "its S3-compatible endpoint")
	cmd.Flags().StringVar(&rc.Region, "remote-region", "", "its S3 region")
	return cmd
}
