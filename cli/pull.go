package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/data/fetch"
	"github.com/xp-ml/xp/internal/project"
	"github.com/xp-ml/xp/remote"
	"github.com/xp-ml/xp/store"
)

type pullOptions struct {
	all       bool
	artifacts bool
	data      bool
	remote    string
}

func newPullCmd(s Streams) *cobra.Command {
	o := &pullOptions{}
	cmd := &cobra.Command{
		Use: "pull [experiment] [--all]",
		Example: `  xp pull credit                 # credit's runs from the default remote
  xp pull --all --remote team`,
		Short: "Bring runs from the project's remote: rows and curves (artifacts when needed, or --artifacts)",
		Long: `Pull brings the runs of an experiment, or --all, from a remote into this
project's store: each run's row, resolved spec, provenance, summary, points,
and the sources of a dirty run, every object checked against its sha256
before anything is recorded. A pulled run keeps its global id; it is shown
with who trained it, and gets a local number (#N) here. Its artifacts
(weights, preprocessing, predictions, log) are fetched when a command needs
them (predict, resume, serve), or now with --artifacts. --data also fetches
the data files the runs read, where they were pushed with --data, into the
data cache, and puts a missing data file of the working tree in place.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPull(cmd.Context(), s, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.all, "all", false, "pull every run on the remote")
	f.BoolVar(&o.artifacts, "artifacts", false, "also fetch the runs' artifacts now (weights, preprocessing, predictions, log)")
	f.BoolVar(&o.data, "data", false, "also fetch the data files the runs read")
	f.StringVar(&o.remote, "remote", "", "the remote to pull from (default: xp.cue's default_remote, or its only one)")
	return cmd
}

func runPull(ctx context.Context, s Streams, o *pullOptions, args []string) error {
	if o.all == (len(args) == 1) {
		return usageError{fmt.Errorf("pull: name an experiment, or --all")}
	}
	st, rm, root, err := openStoreAndRemote(ctx, o.remote)
	if err != nil {
		return err
	}
	defer st.Close()
	opts := remote.PullOptions{Artifacts: o.artifacts, Data: o.data}
	if len(args) == 1 {
		opts.Experiment = args[0]
	}
	if o.data {
		opts.DataCache = &fetch.Cache{Dir: project.CacheDir(root)}
		opts.OnData = restoreData(s, root)
	}
	start := time.Now()
	res, err := rm.Pull(ctx, st, opts)
	if res != nil && (err == nil || res.Pulled > 0) {
		of := ""
		if opts.Experiment != "" {
			of = " of " + opts.Experiment
		}
		fmt.Fprintf(s.Out, "pulled %s%s from %s, %d already here", plural(res.Pulled, "run", "runs"), of, rm, res.Already)
		if o.artifacts {
			fmt.Fprintf(s.Out, ", %s", plural(res.Files, "artifact file", "artifact files"))
		}
		if o.data {
			fmt.Fprintf(s.Out, ", %s", plural(res.Data, "data file", "data files"))
		}
		fmt.Fprintf(s.Out, ": %d objects, %s in %s\n", res.Objects, humanBytes(res.Bytes), formatDuration(time.Since(start)))
	}
	return err
}

// restoreData puts a data file that a pulled run read, and that the
// working tree lacks, at its place (never over a file that is there).
func restoreData(s Streams, root string) func(*store.Run, string, string) {
	var mu sync.Mutex
	return func(r *store.Run, name, cached string) {
		dst := dataFile(root, r, name)
		if dst == "" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
			return
		}
		if err := copyFile(cached, dst); err != nil {
			fmt.Fprintf(s.Err, "xp: warning: restore %s: %v\n", relPath(dst), err)
			return
		}
		fmt.Fprintf(s.Err, "restored %s (data %s of run %s)\n", relPath(dst), name, r.Short())
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".restore-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, in)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
