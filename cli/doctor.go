package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/doctor"
	"github.com/xp-ml/xp/internal/termtext"
	"github.com/xp-ml/xp/store"
)

type doctorOptions struct{}

func newDoctorCmd(s Streams) *cobra.Command {
	o := &doctorOptions{}
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check the store for damage: the database's integrity, every succeeded run's artifacts against their sha256",
		Long: `Doctor runs SQLite's integrity check over .xp/xp.db and checks every
succeeded run's artifacts (weights.bin against the sha256 the run recorded,
preprocessing.json, spec.json). It reports what it finds and changes
nothing; it exits 1 when anything is damaged.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDoctor(cmd.Context(), s, o)
		},
	}
}

// errDamaged is a store xp doctor found damaged.
var errDamaged = errors.New("the store is damaged")

func runDoctor(ctx context.Context, s Streams, _ *doctorOptions) error {
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
		return exitError{code: ExitError, err: fmt.Errorf("%w: restore .xp/xp.db from a copy made with `xp backup`; a run whose artifacts are damaged trains again with `xp run --force` (or `xp rerun`)", errDamaged)}
	}
	return nil
}
