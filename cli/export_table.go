package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/export"
	"github.com/xp-ml/xp/store"
)

// exportTableOptions are xp export runs' and points' flags: xp ls's
// filters, a format and a file.
type exportTableOptions struct {
	experiment, sweep, status string
	limit                     int
	format                    string
	out                       string
}

func newExportRunsCmd(s Streams) *cobra.Command {
	o := &exportTableOptions{}
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "Write one row per run: identity, status, timings, provenance, spec fields, final metrics",
		Example: `  xp export runs -o runs.csv
  xp export runs --experiment credit --format parquet -o credit.parquet
  xp export runs --sweep credit --format jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExportTable(cmd.Context(), s, o, "runs", export.Runs)
		},
	}
	exportTableFlags(cmd, o)
	return cmd
}

func newExportPointsCmd(s Streams) *cobra.Command {
	o := &exportTableOptions{}
	cmd := &cobra.Command{
		Use:   "points",
		Short: "Write one row per metric point: run, key, split, metric, epoch, step, value, time",
		Example: `  xp export points -o points.csv
  xp export points --experiment credit --format parquet -o points.parquet`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExportTable(cmd.Context(), s, o, "points", export.Points)
		},
	}
	exportTableFlags(cmd, o)
	return cmd
}

func exportTableFlags(cmd *cobra.Command, o *exportTableOptions) {
	f := cmd.Flags()
	f.StringVar(&o.experiment, "experiment", "", "only runs of this experiment")
	f.StringVar(&o.sweep, "sweep", "", "only the runs of this sweep (its id, a prefix of it, or its experiment's latest sweep)")
	f.StringVar(&o.status, "status", "", "only runs with this status (succeeded, failed, ...)")
	f.IntVar(&o.limit, "limit", 0, "only the newest N runs (0 = all)")
	f.StringVar(&o.format, "format", "csv", "csv, jsonl or parquet")
	f.StringVarP(&o.out, "output", "o", "", "write to this file (default: standard output)")
}

type exportFunc func(context.Context, *store.Store, store.ExportOptions, export.Format, io.Writer) (int, error)

func runExportTable(ctx context.Context, s Streams, o *exportTableOptions, what string, write exportFunc) error {
	format, err := export.ParseFormat(o.format)
	if err != nil {
		return usageError{fmt.Errorf("--format: %w", err)}
	}
	if o.limit < 0 {
		return usageError{fmt.Errorf("--limit %d: want 0 (all) or more", o.limit)}
	}
	if o.status != "" && !store.Status(o.status).Valid() {
		return usageError{fmt.Errorf("--status %q: want one of %v", o.status, store.Statuses)}
	}
	st, root, err := openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	opts := store.ExportOptions{ListOptions: store.ListOptions{
		Experiment: o.experiment, Status: store.Status(o.status), Limit: o.limit}}
	if o.sweep != "" {
		sw, err := findSweep(ctx, st, root, o.sweep)
		if err != nil {
			return err
		}
		runs, err := st.SweepRuns(ctx, sw.ID)
		if err != nil {
			return err
		}
		opts.IDs = make([]int64, 0, len(runs))
		for _, r := range runs {
			opts.IDs = append(opts.IDs, r.ID)
		}
	}
	start := time.Now()
	if o.out == "" {
		_, err := write(ctx, st, opts, format, s.Out)
		return err
	}
	var n int
	err = writeFileAtomic(o.out, func(f *os.File) error {
		var err error
		n, err = write(ctx, st, opts, format, f)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "wrote %s: %d %s, %s, in %s\n", o.out, n, what, humanSize(pathSize(o.out)),
		time.Since(start).Round(time.Millisecond))
	return nil
}
