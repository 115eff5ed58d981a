package cli

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
)

type rmOptions struct {
	yes bool
}

func newRmCmd(s Streams) *cobra.Command {
	o := &rmOptions{}
	cmd := &cobra.Command{
		Use:   "rm <key-prefix|KEY#N|experiment>...",
		Short: "Delete runs and their artifacts (asks first; never a running run or one a sweep holds)",
		Long: `Delete runs from the store with their metrics and artifact directories.
A key prefix names every run of its key, KEY#N run N alone, an experiment's
name all its runs. A run in training, or one that holds a sweep point's
result, is never deleted: it is named and left. xp rm lists what it would
delete and asks; --yes deletes without asking (and is needed when stdin is
not a terminal).`,
		Example: `  xp rm 3f9a                     # every run of key 3f9a...
  xp rm 3f9a#2                   # run 2 of it only
  xp rm iris --yes               # every run of experiment iris, without asking`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRm(cmd.Context(), s, o, args)
		},
	}
	cmd.Flags().BoolVarP(&o.yes, "yes", "y", false, "delete without asking")
	return cmd
}

func runRm(ctx context.Context, s Streams, o *rmOptions, refs []string) error {
	st, root, err := openLiveStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var runs []store.Run
	seen := map[int64]bool{}
	for _, ref := range refs {
		found, err := rmTargets(ctx, st, root, ref)
		if err != nil {
			return err
		}
		for _, r := range found {
			if !seen[r.ID] {
				seen[r.ID] = true
				runs = append(runs, r)
			}
		}
	}
	var doomed []store.Run
	for _, r := range runs {
		if why := kept(ctx, st, &r); why != "" {
			fmt.Fprintf(s.Err, "kept    %s #%d  %s: %s\n", store.ShortKey(r.Key), r.ID, r.Experiment, why)
			continue
		}
		doomed = append(doomed, r)
	}
	if len(doomed) == 0 {
		return fmt.Errorf("rm: nothing to delete")
	}
	var total int64
	for i := range doomed {
		total += dirSize(st.ArtifactDir(&doomed[i]))
	}
	if !o.yes {
		if !s.InTerminal {
			return usageError{fmt.Errorf("rm: would delete %s (%s): pass --yes to delete without asking", plural(len(doomed), "run", "runs"), humanBytes(total))}
		}
		for _, r := range doomed {
			fmt.Fprintf(s.Err, "delete  %s #%d  %s  %s\n", store.ShortKey(r.Key), r.ID, r.Experiment, r.Status)
		}
		fmt.Fprintf(s.Err, "delete %s (%s)? [y/N] ", plural(len(doomed), "run", "runs"), humanBytes(total))
		answer, _ := bufio.NewReader(s.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return exitError{code: ExitError, err: fmt.Errorf("rm: nothing deleted")}
		}
	}
	for _, r := range doomed {
		size := dirSize(st.ArtifactDir(&r))
		if err := st.DeleteRun(ctx, r.ID); err != nil {
			return err
		}
		fmt.Fprintf(s.Out, "deleted %s #%d  %s  %s  %s\n", store.ShortKey(r.Key), r.ID, r.Experiment, r.Status, humanBytes(size))
	}
	fmt.Fprintf(s.Out, "freed %s in %s\n", humanBytes(total), plural(len(doomed), "run", "runs"))
	return nil
}

// rmTargets is the runs ref names: KEY#N one run, a key prefix every run of
// the key, an experiment's name all its runs.
func rmTargets(ctx context.Context, st *store.Store, root, ref string) ([]store.Run, error) {
	if exp, err := spec.Find(root, ref); err == nil && exp.Name == ref {
		runs, err := st.ListRuns(ctx, store.ListOptions{Experiment: ref})
		if err == nil && len(runs) == 0 {
			err = fmt.Errorf("rm: experiment %s has no runs", ref)
		}
		return runs, err
	}
	r, err := resolveRun(ctx, st, ref)
	if err != nil {
		// A name no experiment has now may still name recorded runs.
		if runs, lerr := st.ListRuns(ctx, store.ListOptions{Experiment: ref}); lerr == nil && len(runs) > 0 {
			return runs, nil
		}
		return nil, err
	}
	if strings.Contains(ref, "#") {
		return []store.Run{*r}, nil
	}
	return st.ListRuns(ctx, store.ListOptions{Key: r.Key})
}

// kept says why a run must not be deleted: it trains, or a sweep reads a
// point's result from it; "" when it may go.
func kept(ctx context.Context, st *store.Store, r *store.Run) string {
	if r.Status == store.StatusRunning || r.Status == store.StatusQueued {
		return fmt.Sprintf("%s (xp cancel %s first)", r.Status, store.ShortKey(r.Key))
	}
	held, err := st.PointsHeld(ctx, r.ID)
	if err != nil {
		return err.Error()
	}
	if len(held) > 0 {
		return "holds the result of sweep point " + strings.Join(held, ", ")
	}
	return ""
}

// dirSize is the bytes of the files under dir (0 when it is gone).
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
