package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

type rerunOptions struct {
	threads int
	json    bool
}

func newRerunCmd(s Streams) *cobra.Command {
	o := &rerunOptions{}
	cmd := &cobra.Command{
		Use: "rerun <key-prefix>",
		Example: `  xp rerun 3f9a                  # "reproduced: bitwise identical", or what differs
  xp rerun 3f9a#2`,
		Short: "Train a past run again from its recorded commit and check that it reproduces bit for bit",
		Long: `Rerun rebuilds a run's experiment from the files recorded at its commit
(read through git: the working tree is not touched), checks that the spec hash
and the data hashes are unchanged, trains it again as a new run linked to the
original, and compares every final metric and the trained weights' sha256.
It exits 0 when the rerun is bitwise identical and 3 when it is not.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRerun(cmd.Context(), s, o, args[0])
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.threads, "threads", 1, "CPU threads the backend may use")
	f.BoolVar(&o.json, "json", false, "print the comparison as a JSON object")
	return cmd
}

// rerunJSON is the machine-readable form of `xp rerun`.
type rerunJSON struct {
	Reproduced  bool                `json:"reproduced"`
	OriginalID  int64               `json:"original_id"`
	RerunID     int64               `json:"rerun_id"`
	Commit      string              `json:"commit,omitempty"`
	Dirty       bool                `json:"dirty"`
	Differences []runner.Difference `json:"differences"`
	Original    runJSON             `json:"original"`
	Rerun       runJSON             `json:"rerun"`
}

func runRerun(ctx context.Context, s Streams, o *rerunOptions, prefix string) error {
	st, root, err := openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	orig, err := resolveRun(ctx, st, prefix)
	if err != nil {
		return err
	}
	if orig.Status != store.StatusSucceeded {
		// The newest run of a key may be a failed or canceled retrain;
		// what there is to reproduce is the newest success.
		if ok, err := st.LatestSucceeded(ctx, orig.Key); err == nil {
			orig = ok
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if !o.json {
		fmt.Fprintf(s.Out, "rerun of %s (%s, run #%d) %s\n", orig.Short(), orig.Experiment, orig.ID, origin(orig))
	}
	p := newProgress(s.Err, s.ErrTerminal && !o.json)
	rep, err := runner.Rerun(ctx, st, orig, root, runner.Options{Threads: o.threads, Events: p.event})
	p.done()
	if err != nil {
		return err
	}
	if o.json {
		diffs := rep.Diffs
		if diffs == nil {
			diffs = []runner.Difference{}
		}
		err = writeJSON(s.Out, rerunJSON{
			Reproduced: rep.Identical(), OriginalID: orig.ID, RerunID: rep.Rerun.ID, Commit: rep.Source.Commit,
			Dirty: rep.Rerun.Dirty, Differences: diffs, Original: toJSON(orig, "", false), Rerun: toJSON(rep.Rerun, "", false),
		})
		if err != nil {
			return err
		}
	} else {
		printReproduction(s, rep)
	}
	autoPush(context.WithoutCancel(ctx), s, st, root, []store.Run{*rep.Rerun})
	if !rep.Identical() {
		return exitError{code: ExitNotReproduced, err: fmt.Errorf("run #%d did not reproduce run %s (#%d): %s",
			rep.Rerun.ID, orig.Short(), orig.ID, plural(len(rep.Diffs), "difference", "differences"))}
	}
	return nil
}

// origin says where a rerun of r reads its experiment from.
func origin(r *store.Run) string {
	p, err := provenance.Parse(r.Provenance)
	switch {
	case err != nil || len(p.Files) == 0:
		return "(no recorded source)"
	case p.Dirty && p.Commit != "":
		return fmt.Sprintf("from the sources stored with it (uncommitted changes on commit %s)", store.ShortKey(p.Commit))
	case p.Dirty:
		return "from the sources stored with it (not in a git repository)"
	}
	return fmt.Sprintf("from commit %s%s", store.ShortKey(p.Commit), onBranch(p.Branch))
}

func printReproduction(s Streams, rep *runner.Reproduction) {
	w := s.Out
	r := rep.Rerun
	fmt.Fprintf(w, "%-9s %s  %s  run #%d\n", r.Status, r.Short(), r.Experiment, r.ID)
	if rep.Identical() {
		n := 0
		for _, ms := range runner.FinalMetrics(r) {
			n += len(ms)
		}
		fmt.Fprintf(w, "reproduced: bitwise identical (%d final metrics, weights sha256:%s)\n", n, store.ShortKey(r.WeightsSHA256))
		return
	}
	fmt.Fprintf(w, "not reproduced: %s\n", plural(len(rep.Diffs), "difference", "differences"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIELD\tORIGINAL\tRERUN")
	for _, d := range rep.Diffs {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Field, d.Original, d.Rerun)
	}
	tw.Flush()
}
