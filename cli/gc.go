package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/internal/project"
	"github.com/xp-ml/xp/store"
)

type gcOptions struct {
	olderThan string
	dryRun    bool
}

func newGCCmd(s Streams) *cobra.Command {
	o := &gcOptions{}
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Free space: lost runs older than a limit, artifact folders no run owns, cached data no run read",
		Long: `Free what no run needs: runs lost (their process died) longer ago than
--older-than, artifact folders under .xp/runs that no run in the store owns,
and files in .xp/cache (fetched http and s3 data) whose sha256 no run
recorded. A run in training, one that holds a sweep point's result, and a
key's checkpoint are never removed. Each thing removed is printed with what
it freed; --dry-run prints the same and removes nothing.`,
		Example: `  xp gc --dry-run                # what it would free
  xp gc                          # lost runs older than 7 days, orphans, unread cache
  xp gc --older-than 24h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGC(cmd.Context(), s, o)
		},
	}
	cmd.Flags().StringVar(&o.olderThan, "older-than", "7d", "remove lost runs lost longer ago than this (a Go duration, or days: 7d)")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print what would be removed, remove nothing")
	return cmd
}

func runGC(ctx context.Context, s Streams, o *gcOptions) error {
	age, err := parseAge(o.olderThan)
	if err != nil {
		return usageError{fmt.Errorf("--older-than %q: %v", o.olderThan, err)}
	}
	st, root, err := openLiveStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	verb := "removed"
	if o.dryRun {
		verb = "would remove"
	}
	runs, err := st.ListRuns(ctx, store.ListOptions{})
	if err != nil {
		return err
	}
	var freed int64
	count := 0
	report := func(what string, n int64) {
		fmt.Fprintf(s.Out, "%s %s  %s\n", verb, what, humanBytes(n))
		freed += n
		count++
	}
	// Lost runs past the limit.
	cutoff := time.Now().Add(-age)
	for i := range runs {
		r := &runs[i]
		if r.Status != store.StatusLost || lastSign(r).After(cutoff) || kept(ctx, st, r) != "" {
			continue
		}
		n := dirSize(st.ArtifactDir(r))
		if !o.dryRun {
			if err := st.DeleteRun(ctx, r.ID); err != nil {
				return err
			}
		}
		report(fmt.Sprintf("lost run %s #%d (%s, lost %s ago)", store.ShortKey(r.Key), r.ID, r.Experiment, formatDuration(time.Since(lastSign(r)).Round(time.Minute))), n)
	}
	// Artifact folders no run owns.
	owned := map[string]bool{}
	for i := range runs {
		owned[st.ArtifactDir(&runs[i])] = true
	}
	orphans, err := orphanDirs(filepath.Join(st.Dir(), "runs"), owned)
	if err != nil {
		return err
	}
	for _, dir := range orphans {
		n := dirSize(dir)
		if !o.dryRun {
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
			_ = os.Remove(filepath.Dir(dir)) // the key's folder, once empty
		}
		report("artifact folder "+relPath(dir)+" (no run owns it)", n)
	}
	// Cached data no run read.
	read := map[string]bool{}
	for i := range runs {
		for _, sha := range runs[i].DataHashes {
			read[sha] = true
		}
	}
	cache := filepath.Join(project.CacheDir(root), "sha256")
	files, _ := filepath.Glob(filepath.Join(cache, "*", "*"))
	for _, f := range files {
		if read[filepath.Base(f)] || strings.Contains(filepath.Base(f), ".") {
			continue // read by a run, or a download in progress
		}
		info, err := os.Stat(f)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if !o.dryRun {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
		report("cached file "+relPath(f)+" (no run read it)", info.Size())
	}
	if count == 0 {
		fmt.Fprintln(s.Out, "nothing to remove")
		return nil
	}
	total := "freed"
	if o.dryRun {
		total = "would free"
	}
	fmt.Fprintf(s.Out, "%s %s in all (%s)\n", total, humanBytes(freed), plural(count, "item", "items"))
	return nil
}

// lastSign is the last time a run was heard of: its heartbeat, else its
// start or creation.
func lastSign(r *store.Run) time.Time {
	for _, t := range []time.Time{r.HeartbeatAt, r.FinishedAt, r.StartedAt} {
		if !t.IsZero() {
			return t
		}
	}
	return r.CreatedAt
}

// orphanDirs lists the run folders (.xp/runs/<key>/<id>) that no run owns.
// A key's checkpoint.gob and anything not named like a run's folder stay.
func orphanDirs(runsDir string, owned map[string]bool) ([]string, error) {
	keyDirs, err := os.ReadDir(runsDir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, k := range keyDirs {
		if !k.IsDir() {
			continue
		}
		ids, err := os.ReadDir(filepath.Join(runsDir, k.Name()))
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if _, err := strconv.ParseInt(id.Name(), 10, 64); err != nil || !id.IsDir() {
				continue
			}
			if dir := filepath.Join(runsDir, k.Name(), id.Name()); !owned[dir] {
				out = append(out, dir)
			}
		}
	}
	return out, nil
}

// parseAge reads a Go duration or a number of days ("7d").
func parseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(d, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("want a duration such as 7d or 36h")
		}
		return time.Duration(n * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("want a duration such as 7d or 36h")
	}
	return d, nil
}
