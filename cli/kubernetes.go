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

	"github.com/xp-ml/xp/cue/spec"
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
	return cfg, nil
}

// newKubeExecutor is the Kubernetes executor of xp run's --k8s-* options;
// the options they leave unset come from the spec's sweep.
func newKubeExecutor(o *runOptions, root string) sweep.Executor {
	cfg, _ := o.kubeConfig() // checked by xp run before
	return kubernetes.New(kubernetes.Options{Options: cluster.Options{Dir: o.kube.dir, Root: root},
		Config: cfg, Kubeconfig: o.kube.kubeconfig})
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
	job, err := kubernetes.Job(cluster.Array{Dir: filepath.Join(dir, plan.ID+"-dry-run"), Name: "xp-" + plan.ID, Tasks: left,
		Threads: threads, Sweep: &plan.Sweep}, cfg.Or(&plan.Sweep))
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

// newKubeTaskCmd is the hidden command each pod of a Job runs.
func newKubeTaskCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:    "kube-task <dir>",
		Short:  "Train one point of a Kubernetes Indexed Job (run by its pods, not by people)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if code := kubernetes.RunTask(cmd.Context(), args[0], os.Getenv, s.Err); code != 0 {
				return exitError{code: code, err: errors.New("")}
			}
			return nil
		},
	}
}
