package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	// Named so: cli's report (exit.go) prints an error.
	xpreport "github.com/xp-ml/xp/report"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

type reportOptions struct {
	out    string
	format string
	// limit is the most runs an experiment's name brings in.
	limit int
}

func newReportCmd(s Streams) *cobra.Command {
	o := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report <key|experiment|sweep>...",
		Short: "Write a report of runs, a comparison or a sweep: HTML, Markdown, SVG or PNG",
		Example: `  xp report 3f9a                 # one run, report.html
  xp report 3f9a 7b21            # a comparison
  xp report credit --format md -o report/`,
		Long: `Write a report of what the store holds: for each run its spec and provenance,
metrics, curves and test-split figures; for several runs a comparison; for a
sweep its parallel coordinates and a panel per parameter.

An argument is a run (a key prefix or KEY#N), a sweep (its id, or an
experiment's name: its latest sweep), or an experiment without a sweep (its
newest succeeded runs, up to --limit).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(cmd.Context(), s, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.out, "output", "o", "", "where to write: a file for html (default report.html), a directory for md, svg and png (default report)")
	f.StringVar(&o.format, "format", "html", "html (one self-contained file), md (report.md with SVG and PNG figures), svg or png (every figure alone)")
	f.IntVar(&o.limit, "limit", 10, "the most runs an experiment's name brings in")
	return cmd
}

func runReport(ctx context.Context, s Streams, o *reportOptions, args []string) error {
	switch o.format {
	case "html", "md", "svg", "png":
	default:
		return usageError{fmt.Errorf("--format %q: want html, md, svg or png", o.format)}
	}
	if o.limit < 1 {
		return usageError{fmt.Errorf("--limit %d: want at least 1", o.limit)}
	}
	st, root, err := openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	in, err := reportInput(ctx, st, root, o, args)
	if err != nil {
		return err
	}
	doc, err := xpreport.Build(ctx, st, in)
	if err != nil {
		return err
	}
	out, err := writeReport(doc, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "wrote %s: %d figures, %s, in %s\n", out, len(doc.Figures()),
		humanSize(pathSize(out)), time.Since(start).Round(time.Millisecond))
	return nil
}

// reportInput resolves each argument to a sweep, a run or an
// experiment's runs.
func reportInput(ctx context.Context, st *store.Store, root string, o *reportOptions, args []string) (xpreport.Input, error) {
	var in xpreport.Input
	seen := map[int64]bool{}
	add := func(r *store.Run) {
		if !seen[r.ID] {
			seen[r.ID] = true
			in.Runs = append(in.Runs, r)
		}
	}
	for _, arg := range args {
		sw, err := findSweep(ctx, st, root, arg)
		switch {
		case err == nil && in.Sweep != nil:
			return in, usageError{fmt.Errorf("%s: a report shows one sweep; %s is another", arg, in.Sweep.ID)}
		case err == nil:
			points, err := sweep.ReadPoints(ctx, st, sw.ID, sw.Metric)
			if err != nil {
				return in, err
			}
			in.Sweep = &xpreport.Sweep{Sweep: sw, Metric: sw.Metric, Mode: sw.Mode, Points: points, Rungs: sweep.RungsOf(root, sw)}
			if best := sweep.Best(points, sw.Mode); best != nil && best.Run != nil {
				add(best.Run)
			}
			continue
		case !errors.Is(err, store.ErrNotFound):
			return in, err
		}
		r, err := resolveRun(ctx, st, arg)
		if err == nil {
			add(r)
			continue
		}
		runs, lerr := st.ListRuns(ctx, store.ListOptions{Experiment: arg, Status: store.StatusSucceeded, Limit: o.limit})
		if lerr != nil {
			return in, lerr
		}
		if len(runs) == 0 {
			return in, fmt.Errorf("%s: no sweep, run or experiment with succeeded runs of that name; xp ls lists the runs, xp queue --all the sweeps", arg)
		}
		for i := range runs {
			add(&runs[i])
		}
	}
	return in, nil
}

// writeReport writes doc as o asks and returns the path written.
func writeReport(doc *xpreport.Document, o *reportOptions) (string, error) {
	out := o.out
	if o.format == "html" {
		if out == "" {
			out = "report.html"
		}
		return out, writeFileAtomic(out, func(f *os.File) error { return xpreport.WriteHTML(f, doc) })
	}
	if out == "" {
		out = "report"
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	if o.format == "md" {
		return out, xpreport.WriteMarkdown(out, doc)
	}
	return out, xpreport.WriteFigures(out, doc, o.format)
}
