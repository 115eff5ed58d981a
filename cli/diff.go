package cli

import (
	"context"
	"fmt"
	"math"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

type diffOptions struct{ json bool }

func newDiffCmd(s Streams) *cobra.Command {
	o := &diffOptions{}
	cmd := &cobra.Command{
		Use: "diff <key-prefix> <key-prefix>",
		Example: `  xp diff 3f9a 7b21              # spec fields, data, commits and metric deltas
  xp diff 3f9a#1 3f9a#2 --json`,
		Short: "Show what differs between two runs: resolved spec fields, data, commits, metrics",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd.Context(), s, o, args[0], args[1])
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print a JSON object")
	return cmd
}

func runDiff(ctx context.Context, s Streams, o *diffOptions, pa, pb string) error {
	if !o.json {
		var flush func()
		s, flush = cleanText(s) // names, labels and values quote user data
		defer flush()
	}
	st, _, err := openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := resolveRun(ctx, st, pa)
	if err != nil {
		return err
	}
	b, err := resolveRun(ctx, st, pb)
	if err != nil {
		return err
	}
	d, err := runner.Diff(a, b)
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(s.Out, d)
	}
	printDiff(s, d, a.SpecHash == b.SpecHash)
	return nil
}

func printDiff(s Streams, d *runner.RunDiff, sameSpecHash bool) {
	w := s.Out
	for _, x := range []struct {
		label string
		side  runner.RunSide
	}{{"a", d.A}, {"b", d.B}} {
		r := x.side
		fmt.Fprintf(w, "%s  %s  %s  run #%d  %s", x.label, store.ShortKey(r.Key), r.Experiment, r.ID, r.Status)
		if r.Commit != "" {
			fmt.Fprintf(w, "  commit %s%s", store.ShortKey(r.Commit), onBranch(r.Branch))
		}
		if r.Dirty {
			fmt.Fprint(w, "  dirty")
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintln(w, "spec")
	switch {
	case len(d.Spec) == 0:
		fmt.Fprintln(w, "  identical")
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, f := range d.Spec {
			fmt.Fprintf(tw, "  %s\t%s\t->\t%s\n", f.Path, orAbsent(f.A), orAbsent(f.B))
		}
		tw.Flush()
		if sameSpecHash {
			fmt.Fprintln(w, "  (metadata only: the spec hashes are equal)")
		}
	}

	fmt.Fprintln(w, "data")
	for _, h := range d.Data {
		if h.Same {
			fmt.Fprintf(w, "  %s  same  sha256:%s\n", h.Name, store.ShortKey(h.A))
		} else {
			fmt.Fprintf(w, "  %s  sha256:%s -> sha256:%s\n", h.Name, orAbsent([]byte(store.ShortKey(h.A))), orAbsent([]byte(store.ShortKey(h.B))))
		}
	}

	if d.A.Weights != "" && d.A.Weights == d.B.Weights {
		fmt.Fprintf(w, "weights  same  sha256:%s\n", store.ShortKey(d.A.Weights))
	}
	if len(d.Metrics) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metrics\ta\tb\tdelta")
	for _, m := range d.Metrics {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", "  "+m.Split+"."+m.Name, num(m.A, false), num(m.B, false), num(m.Delta, true))
	}
	tw.Flush()
}

func orAbsent(raw []byte) string {
	if len(raw) == 0 {
		return "(absent)"
	}
	return string(raw)
}

func num(v *float64, signed bool) string {
	switch {
	case v == nil:
		return "-"
	case signed && *v == 0:
		return "0"
	case signed && math.Abs(*v) < 5e-5:
		return fmt.Sprintf("%+.1e", *v)
	case signed:
		return fmt.Sprintf("%+.4f", *v)
	}
	return formatNum(*v)
}
