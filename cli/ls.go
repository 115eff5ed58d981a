package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/internal/suggest"
	"github.com/xp-ml/xp/store"
)

// defaultRemote is --remote without a name.
const defaultRemote = " "

type lsOptions struct {
	experiment string
	sweep      string
	status     string
	sort       string
	limit      int
	json       bool
	// remote, when set, lists the runs on that remote instead (a blank:
	// the default remote).
	remote string
}

func newLsCmd(s Streams) *cobra.Command {
	o := &lsOptions{}
	cmd := &cobra.Command{
		Use: "ls",
		Example: `  xp ls
  xp ls --experiment credit --status succeeded
  xp ls --sort -test.accuracy    # best first, the sorted-by value in a column
  xp ls --sweep credit           # the latest sweep of credit, a column per parameter
  xp ls --json`,
		Short: "List runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLs(cmd.Context(), s, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.experiment, "experiment", "", "only runs of this experiment")
	f.StringVar(&o.sweep, "sweep", "", "the points of this sweep (its id, a prefix of it, or its experiment's latest sweep): a column per swept parameter and the sweep's metric, the best marked *")
	f.StringVar(&o.status, "status", "", "only runs with this status: "+statusList())
	f.StringVar(&o.sort, "sort", "", "sort by a metric, e.g. -test.accuracy (descending) or test.log_loss; with --sweep, also by a swept parameter")
	f.IntVar(&o.limit, "limit", 50, "at most this many runs (0 = all)")
	f.BoolVar(&o.json, "json", false, "print a JSON array")
	f.StringVar(&o.remote, "remote", "", "list the runs on the project's remote instead (--remote=NAME: that remote)")
	// --remote alone is the default remote.
	f.Lookup("remote").NoOptDefVal = defaultRemote
	return cmd
}

func runLs(ctx context.Context, s Streams, o *lsOptions) error {
	if !o.json {
		var flush func()
		s, flush = cleanText(s) // names, labels and values quote user data
		defer flush()
	}
	st, root, err := openLiveStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if o.remote != "" {
		return lsRemote(ctx, s, o, st, root)
	}
	if err := checkStatus(o.status); err != nil {
		return err
	}
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
	if o.sweep != "" {
		return lsSweep(ctx, s, o, st, root)
	}
	opts := store.ListOptions{Experiment: o.experiment, Status: store.Status(o.status), Limit: o.limit, SortBy: sortBy}
	sortField := strings.TrimPrefix(o.sort, "-")
	if o.json {
		return lsJSON(ctx, s, st, opts, sortField)
	}
	return lsTable(ctx, s, st, opts, sortField)
}

// lsJSON prints the runs as one JSON array, a batch at a time.
func lsJSON(ctx context.Context, s Streams, st *store.Store, opts store.ListOptions, sortField string) error {
	params := newSweepParams(st)
	arr := &jsonArray{w: s.Out}
	first := true
	err := st.EachListed(ctx, opts, func(runs []store.Run) error {
		if first {
			first = false
			// Runs with the metric come first: a first batch without it
			// means no run has it.
			if err := checkSortMetric(runs, sortField); err != nil {
				return err
			}
		}
		ps := params.of(ctx, runs)
		for i := range runs {
			j := toJSON(&runs[i], "", false)
			j.Params = paramsJSON(ps[runs[i].ID])
			if err := arr.add(j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return arr.close()
}

// lsTable prints the runs as a table, a batch at a time: the columns are
// as wide as the widest cell so far (a batch never narrows them).
func lsTable(ctx context.Context, s Streams, st *store.Store, opts store.ListOptions, sortField string) error {
	sorted := ""
	if sortField != "" {
		// The value the rows are sorted by, in a column of its own.
		sorted = "\t" + strings.ToUpper(sortField)
	}
	t := &streamTable{w: s.Out}
	t.row(fmt.Sprintf("KEY\tRUN\tEXPERIMENT\tSTATUS\tDEVICE\tEPOCH\tTEST%s\tAGE", sorted))
	now := time.Now()
	first, listed := true, false
	err := st.EachListed(ctx, opts, func(runs []store.Run) error {
		if first {
			first = false
			if err := checkSortMetric(runs, sortField); err != nil {
				return err
			}
		}
		listed = true
		for i := range runs {
			r := &runs[i]
			run := fmt.Sprintf("#%d", r.ID)
			if o := runOrigin(r, false); o != "" {
				run += " " + strings.TrimSuffix(o, ": xp run --force")
			}
			if sortField != "" {
				sorted = "\t" + summaryCell(r, sortField)
			}
			t.row(fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s%s\t%s", store.ShortKey(r.Key), run, r.Experiment, r.Status,
				r.Device, epochCell(r), mainMetric(r), sorted, age(now, r.CreatedAt)))
		}
		return t.flush()
	})
	if err != nil {
		return err
	}
	if !listed {
		fmt.Fprintln(s.Out, "no runs yet: xp run <experiment>")
		return nil
	}
	return t.flush()
}

// statusList is the statuses, "queued, running, ...".
func statusList() string {
	names := make([]string, len(store.Statuses))
	for i, st := range store.Statuses {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}

// checkStatus refuses a --status that is no status, listing those there are.
func checkStatus(status string) error {
	if status == "" || store.Status(status).Valid() {
		return nil
	}
	names := strings.Split(statusList(), ", ")
	hint := ""
	if c, ok := suggest.Closest(status, names); ok {
		hint = fmt.Sprintf(" (did you mean %s?)", c)
	}
	return usageError{fmt.Errorf("--status %q: want one of %s%s", status, statusList(), hint)}
}

// checkSortMetric refuses a --sort field ("test.accuracy") that none of
// the runs listed has, suggesting the closest one they have; with no runs
// there is nothing to check it against.
func checkSortMetric(runs []store.Run, field string) error {
	if field == "" || len(runs) == 0 {
		return nil
	}
	seen := map[string]bool{}
	for i := range runs {
		for split, ms := range runs[i].Summary {
			for name := range ms {
				seen[split+"."+name] = true
			}
		}
	}
	if seen[field] {
		return nil
	}
	known := sortStrings(keysOf(seen))
	hint := ""
	if c, ok := suggest.Closest(field, known); ok {
		hint = fmt.Sprintf("; did you mean %s?", c)
	}
	return usageError{fmt.Errorf("--sort %s: no run listed has this metric%s (they have %s)", field, hint, strings.Join(known, ", "))}
}

// summaryCell is a run's last value of split.metric, "-" when it has none.
func summaryCell(r *store.Run, field string) string {
	split, name, _ := strings.Cut(field, ".")
	m, ok := r.Summary[split][name]
	if !ok {
		return "-"
	}
	return formatNum(m.Last)
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
			return name + " " + formatNum(m.Last)
		}
	}
	if names := sortStrings(keysOf(test)); len(names) > 0 {
		return names[0] + " " + formatNum(test[names[0]].Last)
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

// remoteRunJSON is a run on the remote, as xp ls --remote --json prints it.
type remoteRunJSON struct {
	UID        string             `json:"uid"`
	Key        string             `json:"key"`
	Experiment string             `json:"experiment"`
	Status     store.Status       `json:"status"`
	Origin     string             `json:"origin,omitempty"`
	Created    time.Time          `json:"created"`
	Finished   *time.Time         `json:"finished,omitempty"`
	Test       map[string]float64 `json:"test,omitempty"`
	// Local is the run's number here (#N) once pulled, 0 before.
	Local int64 `json:"local,omitempty"`
}

// lsRemote lists the runs on the remote, newest first: who trained each,
// and its number here when it was pulled.
func lsRemote(ctx context.Context, s Streams, o *lsOptions, st *store.Store, root string) error {
	if o.sweep != "" || o.status != "" || o.sort != "" {
		return usageError{fmt.Errorf("--remote lists by --experiment and --limit only")}
	}
	set, err := loadSettings(root)
	if err != nil {
		return err
	}
	rm, err := openRemote(set, strings.TrimSpace(o.remote))
	if err != nil {
		return err
	}
	entries, total, err := rm.List(ctx, o.experiment, o.limit)
	if err != nil {
		return err
	}
	out := make([]remoteRunJSON, len(entries))
	for i, e := range entries {
		out[i] = remoteRunJSON{UID: e.UID, Key: e.Key, Experiment: e.Experiment, Status: e.Status, Origin: e.Origin,
			Created: e.Created, Finished: timePtr(e.Finished), Test: e.Test}
		if r, err := st.RunByUID(ctx, e.UID); err == nil {
			out[i].Local = r.ID
		}
	}
	if o.json {
		return writeJSON(s.Out, out)
	}
	if len(out) == 0 {
		fmt.Fprintf(s.Out, "no runs on %s yet: xp push\n", rm)
		return nil
	}
	tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tEXPERIMENT\tSTATUS\tTEST\tORIGIN\tAGE\tHERE")
	now := time.Now()
	for _, r := range out {
		here := "-"
		if r.Local != 0 {
			here = fmt.Sprintf("#%d", r.Local)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", store.ShortKey(r.Key), r.Experiment, r.Status,
			mainMetric(&store.Run{Summary: testSummary(r.Test)}), orDash(r.Origin), age(now, r.Created), here)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if total > len(out) {
		fmt.Fprintf(s.Out, "%d of %d runs on %s (--limit 0 lists them all)\n", len(out), total, rm)
	}
	return nil
}

// testSummary is final test metrics as a run's summary holds them.
func testSummary(test map[string]float64) map[string]map[string]store.MetricSummary {
	m := map[string]store.MetricSummary{}
	for k, v := range test {
		m[k] = store.MetricSummary{Last: v}
	}
	return map[string]map[string]store.MetricSummary{"test": m}
}
