package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/metric"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

type bestOptions struct {
	metric string
	mode   string
	json   bool
}

func newBestCmd(s Streams) *cobra.Command {
	o := &bestOptions{}
	cmd := &cobra.Command{
		Use: "best <sweep|experiment>",
		Example: `  xp best credit                 # the best point of credit's latest sweep
  xp best credit-9e3dab18b8cf    # a sweep by its id
  xp best credit --metric validation.loss --mode min`,
		Short: "Print the best point of a sweep and its params",
		Long: `Prints the succeeded point of a sweep with the best value of the sweep's
metric, its params and its final metrics. The name is an experiment's first:
its latest sweep, or, for an experiment without one, its best succeeded run;
else a sweep's id or a unique prefix of it. Points tied for the best (equal
values) are listed: the first in the sweep's order wins (for runs of an
experiment, the newest).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBest(cmd.Context(), s, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.metric, "metric", "", "rank by this metric, <split>.<name> (default: the sweep's, else validation.loss)")
	f.StringVar(&o.mode, "mode", "", "min or max (default: the sweep's, else min for losses and errors)")
	f.BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

type bestJSON struct {
	Sweep  string         `json:"sweep,omitempty"`
	Metric string         `json:"metric"`
	Mode   string         `json:"mode"`
	Value  float64        `json:"value"`
	Params map[string]any `json:"params,omitempty"`
	Of     int            `json:"of"` // succeeded points (runs) ranked
	Run    runJSON        `json:"run"`
	// TiedWith are the keys of the other points (runs) with the same
	// value, which lost the tie.
	TiedWith []string `json:"tied_with,omitempty"`
}

func runBest(ctx context.Context, s Streams, o *bestOptions, ref string) error {
	if !o.json {
		var flush func()
		s, flush = cleanText(s) // names, labels and values quote user data
		defer flush()
	}
	if o.mode != "" && o.mode != sweep.ModeMin && o.mode != sweep.ModeMax {
		return usageError{fmt.Errorf("--mode %q: want min or max", o.mode)}
	}
	if o.metric != "" && !strings.Contains(o.metric, ".") {
		return usageError{fmt.Errorf("--metric %q: want <split>.<name>, e.g. validation.accuracy", o.metric)}
	}
	st, root, err := openLiveStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	sw, err := findSweep(ctx, st, root, ref)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return bestRun(ctx, s, o, st, root, ref)
	case err != nil:
		return err
	}
	metric, mode := sw.Metric, sw.Mode
	if o.metric != "" {
		metric, mode = o.metric, modeOf(o.metric)
	}
	if o.mode != "" {
		mode = o.mode
	}
	points, err := sweep.ReadPoints(ctx, st, sw.ID, metric)
	if err != nil {
		return err
	}
	best := sweep.Best(points, mode)
	ties := sweep.Tied(points, best)
	succeeded := 0
	for _, p := range points {
		if p.State == store.PointDone && p.Status == store.StatusSucceeded {
			succeeded++
		}
	}
	if best == nil {
		return fmt.Errorf("sweep %s: none of its %d points has succeeded with %s (%d succeeded)", sw.ID, len(points), metric, succeeded)
	}
	if o.json {
		params := map[string]any{}
		for _, p := range best.Params {
			var v any
			if err := json.Unmarshal(p.Value, &v); err == nil {
				params[p.Path] = v
			}
		}
		return writeJSON(s.Out, bestJSON{Sweep: sw.ID, Metric: metric, Mode: mode, Value: best.Value,
			Params: params, Of: succeeded, Run: toJSON(best.Run, "", false), TiedWith: tiedKeys(ties)})
	}
	fmt.Fprintf(s.Out, "best of sweep %s by %s (%s), %d of %d points succeeded\n", sw.ID, metric, mode, succeeded, len(points))
	printBest(s, best.Run, metric, best.Value)
	for _, p := range best.Params {
		fmt.Fprintf(s.Out, "  %s = %s\n", p.Path, p.Value)
	}
	printTies(s, ties, "point", "the first in the sweep's order")
	return nil
}

// tiedKeys are the keys of the points that tied with the best.
func tiedKeys(ties []sweep.PointResult) []string {
	var out []string
	for _, p := range ties {
		out = append(out, p.Key)
	}
	return out
}

// printTies says that the best is one of several equal points, which, and
// by what rule it was picked.
func printTies(s Streams, ties []sweep.PointResult, what, rule string) {
	if len(ties) == 0 {
		return
	}
	fmt.Fprintf(s.Out, "  tie: %d %ss have this value; the best is %s\n", len(ties)+1, what, rule)
	for _, p := range ties {
		label := p.Label()
		if label == "" && p.Run != nil {
			label = fmt.Sprintf("run #%d", p.Run.ID)
		}
		fmt.Fprintf(s.Out, "  tied    %s  %s\n", store.ShortKey(p.Key), label)
	}
}

// findSweep finds the sweep a name means (store.FindSweep), the name of an
// experiment of the project's files taken as that experiment's even when
// it has no run of its own (its runs were all cached under another name):
// never as a prefix of another experiment's sweep id.
func findSweep(ctx context.Context, st *store.Store, root, ref string) (*store.Sweep, error) {
	if exp, err := spec.Find(root, ref); err == nil && exp.Name == ref {
		return st.LatestSweep(ctx, ref)
	}
	return st.FindSweep(ctx, ref)
}

// bestPage is how many of the best runs bestRun reads: the best, and up to
// bestPage-1 runs tied with it.
const bestPage = 100

// bestRun ranks the succeeded runs of an experiment that has no sweep.
func bestRun(ctx context.Context, s Streams, o *bestOptions, st *store.Store, root, experiment string) error {
	metric, mode := o.metric, o.mode
	if metric == "" {
		metric = "validation.loss"
	}
	if mode == "" {
		mode = modeOf(metric)
	}
	// The best runs first, through the summaries' index: the best run and
	// those tied with it are in the first page, whatever the store holds.
	sortBy := "+summary:" + metric
	if mode == sweep.ModeMax {
		sortBy = "-summary:" + metric
	}
	sel := store.ListOptions{Experiment: experiment, Status: store.StatusSucceeded}
	of, err := st.CountRuns(ctx, sel)
	if err != nil {
		return err
	}
	sel.SortBy, sel.Limit = sortBy, bestPage
	runs, err := st.ListRuns(ctx, sel)
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		if exp, err := spec.Find(root, experiment); err == nil && exp.Name == experiment {
			return fmt.Errorf("experiment %s has no sweep, and no succeeded run recorded under its name (a run cached from another experiment with the same key keeps that one's); `xp ls` lists the runs", experiment)
		}
		return fmt.Errorf("no sweep or experiment %q with succeeded runs; `xp queue --all` lists the sweeps", experiment)
	}
	points := make([]sweep.PointResult, len(runs))
	for i := range runs {
		points[i] = sweep.PointResult{Index: i, Key: runs[i].Key, State: store.PointDone, Status: store.StatusSucceeded,
			Run: &runs[i], Value: sweep.MetricValue(&runs[i], metric)}
	}
	// In order of the metric, equal values newest first: a tie goes to the
	// newest run.
	best := sweep.Best(points, mode)
	ties := sweep.Tied(points, best)
	if best == nil {
		return fmt.Errorf("no succeeded run of %s has %s", experiment, metric)
	}
	if o.json {
		return writeJSON(s.Out, bestJSON{Metric: metric, Mode: mode, Value: best.Value, Of: of,
			Run: toJSON(best.Run, "", false), TiedWith: tiedKeys(ties)})
	}
	fmt.Fprintf(s.Out, "best run of %s by %s (%s), of %d succeeded\n", experiment, metric, mode, of)
	printBest(s, best.Run, metric, best.Value)
	printTies(s, ties, "run", "the newest")
	return nil
}

func printBest(s Streams, r *store.Run, metric string, value float64) {
	fmt.Fprintf(s.Out, "%s  %s %s\n", r.Short(), metric, formatValue(value))
	final := runner.FinalMetrics(r)
	for _, split := range []string{"test", "validation"} {
		if m, ok := final[split]; ok {
			fmt.Fprintf(s.Out, "  %-10s %s\n", split, formatMetrics(m))
		}
	}
}

// modeOf is the direction a metric is better in: min for losses and
// errors, max otherwise.
func modeOf(series string) string {
	_, name, _ := strings.Cut(series, ".")
	if metric.Lower(name) {
		return sweep.ModeMin
	}
	return sweep.ModeMax
}

func formatValue(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return formatNum(v)
}
