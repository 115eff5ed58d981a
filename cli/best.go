package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"

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
		Use:   "best <sweep|experiment>",
		Short: "Print the best point of a sweep and its params",
		Long: `Prints the succeeded point of a sweep with the best value of the sweep's
metric, its params and its final metrics. The sweep is named by its id (or a
unique prefix), or by its experiment: the experiment's latest sweep, or, for
an experiment without one, its best succeeded run.`,
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
}

func runBest(ctx context.Context, s Streams, o *bestOptions, ref string) error {
	if o.mode != "" && o.mode != sweep.ModeMin && o.mode != sweep.ModeMax {
		return usageError{fmt.Errorf("--mode %q: want min or max", o.mode)}
	}
	if o.metric != "" && !strings.Contains(o.metric, ".") {
		return usageError{fmt.Errorf("--metric %q: want <split>.<name>, e.g. validation.accuracy", o.metric)}
	}
	st, _, err := openLiveStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	sw, err := st.FindSweep(ctx, ref)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return bestRun(ctx, s, o, st, ref)
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
			Params: params, Of: succeeded, Run: toJSON(best.Run, "", false)})
	}
	fmt.Fprintf(s.Out, "best of sweep %s by %s (%s), %d of %d points succeeded\n", sw.ID, metric, mode, succeeded, len(points))
	printBest(s, best.Run, metric, best.Value)
	for _, p := range best.Params {
		fmt.Fprintf(s.Out, "  %s = %s\n", p.Path, p.Value)
	}
	return nil
}

// bestRun ranks the succeeded runs of an experiment that has no sweep.
func bestRun(ctx context.Context, s Streams, o *bestOptions, st *store.Store, experiment string) error {
	metric, mode := o.metric, o.mode
	if metric == "" {
		metric = "validation.loss"
	}
	if mode == "" {
		mode = modeOf(metric)
	}
	runs, err := st.ListRuns(ctx, store.ListOptions{Experiment: experiment, Status: store.StatusSucceeded})
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		return fmt.Errorf("no sweep or experiment %q with succeeded runs; `xp queue --all` lists the sweeps", experiment)
	}
	points := make([]sweep.PointResult, len(runs))
	for i := range runs {
		points[i] = sweep.PointResult{Index: i, State: store.PointDone, Status: store.StatusSucceeded,
			Run: &runs[i], Value: sweep.MetricValue(&runs[i], metric)}
	}
	best := sweep.Best(points, mode)
	if best == nil {
		return fmt.Errorf("no succeeded run of %s has %s", experiment, metric)
	}
	if o.json {
		return writeJSON(s.Out, bestJSON{Metric: metric, Mode: mode, Value: best.Value, Of: len(runs),
			Run: toJSON(best.Run, "", false)})
	}
	fmt.Fprintf(s.Out, "best run of %s by %s (%s), of %d succeeded\n", experiment, metric, mode, len(runs))
	printBest(s, best.Run, metric, best.Value)
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
	return fmt.Sprintf("%.4f", v)
}
