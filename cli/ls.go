package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/store"
)

type lsOptions struct {
	experiment string
	sweep      string
	status     string
	sort       string
	limit      int
	json       bool
}

func newLsCmd(s Streams) *cobra.Command {
	o := &lsOptions{}
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLs(cmd.Context(), s, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.experiment, "experiment", "", "only runs of this experiment")
	f.StringVar(&o.sweep, "sweep", "", "only the runs of this sweep (its id, a prefix of it, or its experiment's latest sweep), in point order")
	f.StringVar(&o.status, "status", "", "only runs with this status (running, succeeded, failed, canceled, ...)")
	f.StringVar(&o.sort, "sort", "", "sort by a metric, e.g. -test.accuracy (descending) or test.log_loss")
	f.IntVar(&o.limit, "limit", 50, "at most this many runs (0 = all)")
	f.BoolVar(&o.json, "json", false, "print a JSON array")
	return cmd
}

func runLs(ctx context.Context, s Streams, o *lsOptions) error {
	st, root, err := openLiveStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	sortBy := ""
	if o.sort != "" {
		desc := strings.HasPrefix(o.sort, "-")
		field := strings.TrimPrefix(o.sort, "-")
		if !strings.Contains(field, ".") {
			return usageError{fmt.Errorf("--sort %q: want <split>.<metric>, e.g. -test.accuracy", o.sort)}
		}
		sortBy = "summary:" + field
		if desc {
			sortBy = "-" + sortBy
		}
	}
	var runs []store.Run
	if o.sweep != "" {
		runs, err = sweepRuns(ctx, st, root, o)
	} else {
		runs, err = st.ListRuns(ctx, store.ListOptions{
			Experiment: o.experiment, Status: store.Status(o.status), Limit: o.limit, SortBy: sortBy,
		})
	}
	if err != nil {
		return err
	}
	if o.json {
		out := make([]runJSON, len(runs))
		for i := range runs {
			out[i] = toJSON(&runs[i], "", false)
		}
		return writeJSON(s.Out, out)
	}
	if len(runs) == 0 {
		fmt.Fprintln(s.Out, "no runs yet: xp run <experiment>")
		return nil
	}
	tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tRUN\tEXPERIMENT\tSTATUS\tDEVICE\tEPOCH\tTEST\tAGE")
	now := time.Now()
	for i := range runs {
		r := &runs[i]
		run := fmt.Sprintf("#%d", r.ID)
		if o := runOrigin(r, false); o != "" {
			run += " " + strings.TrimSuffix(o, ": xp run --force")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", store.ShortKey(r.Key), run, r.Experiment, r.Status,
			r.Device, epochCell(r), mainMetric(r), age(now, r.CreatedAt))
	}
	return tw.Flush()
}

// epochCell is "12/20", and "15/20 early" for a run that early stopping
// ended: done, not a run cut short.
func epochCell(r *store.Run) string {
	cell := fmt.Sprintf("%d/%d", r.Epoch, r.Epochs)
	if r.Status == store.StatusSucceeded && r.Epoch > 0 && r.Epoch < r.Epochs {
		cell += " early"
	}
	return cell
}

// mainMetric is the test accuracy (a regression's rmse), or the first
// test metric there is.
func mainMetric(r *store.Run) string {
	test := r.Summary["test"]
	for _, name := range []string{"accuracy", "rmse"} {
		if m, ok := test[name]; ok {
			return fmt.Sprintf("%s %.4f", name, m.Last)
		}
	}
	if names := sortStrings(keysOf(test)); len(names) > 0 {
		return fmt.Sprintf("%s %.4f", names[0], test[names[0]].Last)
	}
	return "-"
}

func age(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// sweepRuns lists the runs of the sweep --sweep names, in point order
// (the run holding each point's result, a cached one included), then the
// sweep's other runs; --experiment, --status and --limit still apply.
func sweepRuns(ctx context.Context, st *store.Store, root string, o *lsOptions) ([]store.Run, error) {
	if o.sort != "" {
		return nil, usageError{fmt.Errorf("--sort does not go with --sweep: a sweep's runs are listed in point order (xp best ranks them)")}
	}
	sw, err := findSweep(ctx, st, root, o.sweep)
	if err != nil {
		return nil, err
	}
	all, err := st.SweepRuns(ctx, sw.ID)
	if err != nil {
		return nil, err
	}
	var runs []store.Run
	for _, r := range all {
		if (o.experiment == "" || r.Experiment == o.experiment) && (o.status == "" || string(r.Status) == o.status) {
			runs = append(runs, r)
		}
	}
	if o.limit > 0 && len(runs) > o.limit {
		runs = runs[:o.limit]
	}
	return runs, nil
}
