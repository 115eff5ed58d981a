package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/data/fetch"
	"github.com/xp-ml/xp/internal/project"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/remote"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

type pushOptions struct {
	all    bool
	data   bool
	remote string
}

func newPushCmd(s Streams) *cobra.Command {
	o := &pushOptions{}
	cmd := &cobra.Command{
		Use: "push [key-prefix|experiment] [--all]",
		Example: `  xp push 3f9a
  xp push credit --data          # with its data files
  xp push --all`,
		Short: "Send runs to the project's remote: rows, curves, specs, provenance and artifacts",
		Long: `Push sends finished runs to a remote (xp.cue; xp remote add): every run of a
key or of an experiment, or --all. Each run goes as a bundle (its row, resolved
spec, sources, provenance, summary, points, log, weights, preprocessing and
predictions), every object named by its sha256 and the object that makes the
run visible written last: a push needs no lock, can be repeated, and a push
cut off leaves no run half visible (the next push completes it). Runs already
on the remote are skipped. --data also sends the data files the runs read
(by sha256), where this machine has them.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPush(cmd.Context(), s, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.all, "all", false, "push every finished run")
	f.BoolVar(&o.data, "data", false, "also push the data files the runs read")
	f.StringVar(&o.remote, "remote", "", "the remote to push to (default: xp.cue's default_remote, or its only one)")
	return cmd
}

func runPush(ctx context.Context, s Streams, o *pushOptions, args []string) error {
	if o.all == (len(args) == 1) {
		return usageError{fmt.Errorf("push: name a key prefix or an experiment, or --all")}
	}
	st, rm, root, err := openStoreAndRemote(ctx, o.remote)
	if err != nil {
		return err
	}
	defer st.Close()
	runs, err := selectRuns(ctx, st, args)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := rm.Push(ctx, st, runs, projectPush(st, root, o.data))
	if res != nil && (err == nil || res.Pushed > 0) {
		data := ""
		if o.data {
			data = ", " + plural(res.Data, "data file", "data files")
		}
		fmt.Fprintf(s.Out, "pushed %s to %s, %d already there%s: %d objects, %s in %s\n",
			plural(res.Pushed, "run", "runs"), rm, res.Already, data, res.Objects, humanBytes(res.Bytes), formatDuration(time.Since(start)))
		if res.Unfinished > 0 {
			fmt.Fprintf(s.Out, "  %s not finished (running, queued or lost) left out\n", plural(res.Unfinished, "run", "runs"))
		}
	}
	return err
}

// selectRuns are the runs args name: every run with none (--all), else
// the runs of the experiment args[0] names, else of the key it is a
// prefix of.
func selectRuns(ctx context.Context, st *store.Store, args []string) ([]store.Run, error) {
	if len(args) == 0 {
		return st.ListRuns(ctx, store.ListOptions{})
	}
	if n, err := st.CountRuns(ctx, store.ListOptions{Experiment: args[0]}); err != nil || n > 0 {
		if err != nil {
			return nil, err
		}
		return st.ListRuns(ctx, store.ListOptions{Experiment: args[0]})
	}
	r, err := resolveRun(ctx, st, args[0])
	if err != nil {
		return nil, fmt.Errorf("%q is not an experiment with runs here, nor a run key: %w", args[0], err)
	}
	return st.ListRuns(ctx, store.ListOptions{Key: r.Key})
}

// projectPush is how this project's runs are pushed: with the
// checkpoint an interrupted run left, and with --data the files it read.
func projectPush(st *store.Store, root string, data bool) remote.PushOptions {
	cache := &fetch.Cache{Dir: project.CacheDir(root)}
	return remote.PushOptions{
		Data:       data,
		Checkpoint: func(r *store.Run) string { return runner.CheckpointOf(st, r) },
		DataFile: func(r *store.Run, name, sha string) (string, bool) {
			if b, ok := cache.Lookup(sha); ok {
				return b.Path, true
			}
			p := dataFile(root, r, name)
			return p, p != ""
		},
	}
}

// dataFile is where the file data source name of run r lies in the
// project at root, "" when it is not a file: the spec's path, relative to
// the experiment's file, whose place in the repository the provenance
// records.
func dataFile(root string, r *store.Run, name string) string {
	var sp struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	if json.Unmarshal(r.Spec, &sp) != nil {
		return ""
	}
	var src struct {
		File string `json:"file"`
	}
	if json.Unmarshal(sp.Data[name], &src) != nil || src.File == "" {
		return ""
	}
	p, err := provenance.Parse(r.Provenance)
	if err != nil || p.SpecPath == "" {
		return ""
	}
	if filepath.IsAbs(src.File) {
		return src.File
	}
	return filepath.Join(root, filepath.Dir(filepath.FromSlash(p.SpecPath)), filepath.FromSlash(src.File))
}
