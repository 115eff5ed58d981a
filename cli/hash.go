package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

type hashOptions struct {
	backend string
	threads int
	json    bool
}

func newHashCmd(s Streams) *cobra.Command {
	o := &hashOptions{}
	cmd := &cobra.Command{
		Use: "hash <experiment|path>...",
		Example: `  xp hash credit                 # spec hash, data hash, run key; cached or not
  xp hash experiments/credit.cue --json`,
		Short: "Show the spec hash, data hashes and run key, and whether the run is cached, without training",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHash(cmd.Context(), s, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.backend, "backend", "", "backend the key is for (default: from the spec's device)")
	f.IntVar(&o.threads, "threads", 1, "CPU threads the run would use (a multi-threaded OpenBLAS run has its own key)")
	f.BoolVar(&o.json, "json", false, "print one JSON object per experiment")
	return cmd
}

// hashJSON is the machine-readable form of `xp hash`.
type hashJSON struct {
	Experiment     string            `json:"experiment"`
	File           string            `json:"file"`
	SpecHash       string            `json:"spec_hash"`
	DataHashes     map[string]string `json:"data_hashes"`
	Backend        string            `json:"backend"`
	BackendVersion string            `json:"backend_version"`
	Device         string            `json:"device"`
	Key            string            `json:"key"`
	Cached         bool              `json:"cached"`
	// CachedBy is the succeeded run `xp run` would answer with.
	CachedBy *cachedJSON `json:"cached_by,omitempty"`
	Git      gitJSON     `json:"git"`
	// Sweep is set for an experiment with a sweep: the key above is its
	// base spec's; each point has its own.
	Sweep *sweepHashJSON `json:"sweep,omitempty"`
}

type sweepHashJSON struct {
	ID     string `json:"id"`
	Points int    `json:"points"`
}

type cachedJSON struct {
	ID      int64                         `json:"id"`
	Key     string                        `json:"key"`
	Created time.Time                     `json:"created"`
	Dirty   bool                          `json:"dirty"`
	Metrics map[string]map[string]float64 `json:"metrics"`
}

type gitJSON struct {
	InRepo     bool     `json:"in_repo"`
	Commit     string   `json:"commit,omitempty"`
	Branch     string   `json:"branch,omitempty"`
	Dirty      bool     `json:"dirty"`
	DirtyFiles []string `json:"dirty_files,omitempty"`
}

func runHash(ctx context.Context, s Streams, o *hashOptions, names []string) error {
	if !o.json {
		var flush func()
		s, flush = cleanText(s) // names, labels and values quote user data
		defer flush()
	}
	// Hashing reads no run: outside a project nothing is cached, and no
	// store is made.
	st, root, err := openExistingStore(ctx)
	switch {
	case errors.Is(err, errNoProject):
		if root, err = projectRoot(); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		defer st.Close()
	}
	for i, name := range names {
		exp, err := spec.Find(root, name)
		if err != nil {
			return err
		}
		job, err := runner.Plan(ctx, exp, runner.Options{Backend: o.backend, Threads: o.threads})
		if err != nil {
			return err
		}
		src, err := provenance.Inspect(exp, job.DataFiles()...)
		if err != nil {
			return err
		}
		h := hashJSON{
			Experiment: exp.Name, File: relPath(exp.File), SpecHash: exp.Hash, DataHashes: job.DataHashes,
			Backend: job.Backend.Name(), BackendVersion: job.BackendVersion, Device: job.Device, Key: job.Key,
			Git: gitJSON{InRepo: src.InRepo, Commit: src.Commit, Branch: src.Branch, Dirty: src.Dirty(), DirtyFiles: src.DirtyFiles()},
		}
		if exp.Spec.Sweep != nil {
			points, err := exp.Points()
			if err != nil {
				return err
			}
			n := len(points)
			if exp.Spec.Sweep.Method == spec.MethodTPE {
				n = exp.Spec.Sweep.Trials // the rest are proposed from results
			}
			h.Sweep = &sweepHashJSON{ID: exp.SweepID(), Points: n}
		}
		prev, err := latestSucceeded(ctx, st, job.Key)
		switch {
		case err == nil:
			h.Cached = true
			h.CachedBy = &cachedJSON{ID: prev.ID, Key: prev.Key, Created: prev.CreatedAt, Dirty: prev.Dirty, Metrics: runner.FinalMetrics(prev)}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if o.json {
			if err := writeJSONLine(s, h); err != nil {
				return err
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(s.Out)
		}
		printHash(s, &h, exp)
	}
	return nil
}

func printHash(s Streams, h *hashJSON, exp *spec.Experiment) {
	w := s.Out
	fmt.Fprintf(w, "experiment  %s  %s\n", h.Experiment, h.File)
	fmt.Fprintf(w, "spec hash   %s\n", h.SpecHash)
	for _, name := range sortStrings(keysOf(h.DataHashes)) {
		label := name
		if name == "source" {
			label = exp.Spec.Data.Source.File
		}
		fmt.Fprintf(w, "data        %s sha256:%s\n", label, h.DataHashes[name])
	}
	fmt.Fprintf(w, "backend     %s %s on %s\n", h.Backend, h.BackendVersion, h.Device)
	fmt.Fprintf(w, "run key     %s  %s\n", store.ShortKey(h.Key), h.Key)
	if h.Sweep != nil {
		fmt.Fprintf(w, "sweep       %s: %d points, each with its own key (the key above is the base spec's; xp ls --sweep %s)\n",
			h.Sweep.ID, h.Sweep.Points, h.Sweep.ID)
	}
	g := h.Git
	switch {
	case !g.InRepo:
		fmt.Fprintln(w, "git         not in a git repository (xp run needs --allow-dirty)")
	case g.Commit == "":
		fmt.Fprintf(w, "git         no commit yet; uncommitted: %s\n", strings.Join(g.DirtyFiles, ", "))
	default:
		fmt.Fprintf(w, "git         commit %s%s, ", store.ShortKey(g.Commit), onBranch(g.Branch))
		if g.Dirty {
			fmt.Fprintf(w, "uncommitted: %s\n", strings.Join(g.DirtyFiles, ", "))
		} else {
			fmt.Fprintln(w, "clean")
		}
	}
	if c := h.CachedBy; c != nil {
		dirty := ""
		if c.Dirty {
			dirty = ", dirty"
		}
		fmt.Fprintf(w, "cached      yes: run %s #%d%s, %s\n", store.ShortKey(c.Key), c.ID, dirty,
			c.Created.Local().Format("2006-01-02 15:04:05"))
		if m, ok := c.Metrics["test"]; ok {
			fmt.Fprintf(w, "  test      %s\n", formatMetrics(m))
		}
	} else {
		fmt.Fprintln(w, "cached      no: xp run trains it")
	}
}

func onBranch(branch string) string {
	if branch == "" {
		return " (detached)"
	}
	return " on " + branch
}

// writeJSONLine prints v as one line of JSON, as `xp run --json` does.
func writeJSONLine(s Streams, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(s.Out, "%s\n", b)
	return err
}

// latestSucceeded is st.LatestSucceeded, ErrNotFound without a store.
func latestSucceeded(ctx context.Context, st *store.Store, key string) (*store.Run, error) {
	if st == nil {
		return nil, store.ErrNotFound
	}
	return st.LatestSucceeded(ctx, key)
}
