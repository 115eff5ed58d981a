package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/doctor"
	"github.com/xp-ml/xp/internal/project"
	"github.com/xp-ml/xp/internal/termtext"
	"github.com/xp-ml/xp/store"
)

type doctorOptions struct {
	rebuild bool
}

func newDoctorCmd(s Streams) *cobra.Command {
	o := &doctorOptions{}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the store for damage: the database's integrity, every succeeded run's artifacts against their sha256",
		Long: `Doctor runs SQLite's integrity check over .xp/xp.db and checks every
succeeded run's artifacts (weights.bin against the sha256 the run recorded,
preprocessing.json, spec.json). It reports what it finds and changes
nothing; it exits 1 when anything is damaged.

With --rebuild it makes a new database from the record each finished run
keeps in its folder, keeps the old one aside (.xp/xp.db.damaged-<time>) and
puts the new one in its place: for a database that is lost, empty or
damaged. Stop every xp process of the project first.`,
		Example: `  xp doctor             # check the database and every run's artifacts
  xp doctor --rebuild   # a lost or damaged database made again from the run folders`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDoctor(cmd.Context(), s, o)
		},
	}
	cmd.Flags().BoolVar(&o.rebuild, "rebuild", false, "rebuild the database from the run folders, keeping the old one aside")
	return cmd
}

// errDamaged is a store xp doctor found damaged.
var errDamaged = errors.New("the store is damaged")

func runDoctor(ctx context.Context, s Streams, o *doctorOptions) error {
	s, flush := cleanText(s)
	defer flush()
	if o.rebuild {
		return runRebuild(ctx, s)
	}
	st, _, err := openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := doctor.Check(ctx, st)
	if err != nil {
		return err
	}
	if len(rep.Integrity) == 0 {
		fmt.Fprintln(s.Out, "database   ok (integrity_check)")
	} else {
		fmt.Fprintf(s.Out, "database   DAMAGED: integrity_check reports %d problem(s)\n", len(rep.Integrity))
		for i, p := range rep.Integrity {
			if i == 10 {
				fmt.Fprintf(s.Out, "  ... and %d more\n", len(rep.Integrity)-10)
				break
			}
			fmt.Fprintf(s.Out, "  %s\n", termtext.Clean(p))
		}
	}
	fmt.Fprintf(s.Out, "artifacts  %d succeeded run(s) checked, %d damaged\n", rep.Checked, len(rep.Artifacts))
	for _, p := range rep.Artifacts {
		fmt.Fprintf(s.Out, "  %s  %s  %s\n", store.ShortKey(p.Run.Key), termtext.Clean(p.Run.Experiment), termtext.Clean(p.What))
	}
	if rep.Damaged() {
		return exitError{code: ExitError, err: fmt.Errorf("%w: `xp doctor --rebuild` makes a new database from the run folders (keeping this one aside), or restore .xp/xp.db from a copy made with `xp backup`; a run whose artifacts are damaged trains again with `xp run --force` (or `xp rerun`)", errDamaged)}
	}
	return nil
}

func runRebuild(ctx context.Context, s Streams) error {
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, ok := project.Find(cwd)
	if !ok {
		return fmt.Errorf("%w (no .xp/ from %s up)", errNoProject, cwd)
	}
	res, err := doctor.Rebuild(ctx, project.Dir(root))
	if err != nil {
		return err
	}
	if res.Aside != "" {
		fmt.Fprintf(s.Out, "kept the old database as %s\n", relPath(res.Aside))
	}
	fmt.Fprintf(s.Out, "rebuilt the database: %d run(s) restored from their folders\n", res.Restored)
	for _, f := range res.Failed {
		fmt.Fprintf(s.Out, "  not restored: %s\n", f)
	}
	for _, m := range res.Missing {
		fmt.Fprintf(s.Out, "  not restored: %s has no record (a run that never finished, or one older than the records)\n", relPath(m))
	}
	if res.MovedTo != "" {
		fmt.Fprintf(s.Out, "moved the %d folder(s) without a record, files and all, to %s (left in place, a new run could be given one's id)\n", len(res.Missing), relPath(res.MovedTo))
	}
	return nil
}
