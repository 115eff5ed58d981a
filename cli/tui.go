package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/tui"
)

// errNotTerminal: the UI needs a terminal to draw on.
var errNotTerminal = errors.New("xp tui needs a terminal: for a table of runs in a pipe, use xp ls")

type tuiOptions struct {
	noColor bool
}

func newTuiCmd(s Streams) *cobra.Command {
	o := &tuiOptions{}
	cmd := &cobra.Command{
		Use:     "tui",
		Example: `  xp tui`,
		Short:   "Watch runs live, compare them, and cancel or delete them, in the terminal",
		Long: `Shows the project's runs in a live table: runs started from any terminal appear
within half a second. Enter opens a run (loss and metric curves, spec,
provenance, log); space marks runs and c compares them; / filters
(status:failed, exp:credit, test.accuracy>0.8); x cancels, d deletes, y copies
a key; ? lists every key. NO_COLOR turns colours off.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTui(cmd.Context(), s, o)
		},
	}
	cmd.Flags().BoolVar(&o.noColor, "no-color", false, "draw without colours (as NO_COLOR does)")
	return cmd
}

func runTui(ctx context.Context, s Streams, o *tuiOptions) error {
	if !s.OutTerminal {
		return usageError{errNotTerminal}
	}
	st, root, err := openLiveStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	return tui.Run(ctx, st, tui.Options{NoColor: o.noColor, Input: s.In, Output: s.Out, Root: root,
		Rerun: func(ctx context.Context, key string) error { return rerunFromTUI(ctx, st, root, key) }})
}

// rerunFromTUI rebuilds a run from its commit, as `xp rerun` does; the new
// run shows up in the table while it trains.
func rerunFromTUI(ctx context.Context, st *store.Store, root, key string) error {
	orig, err := st.Resolve(ctx, key)
	if err != nil {
		return err
	}
	rep, err := runner.Rerun(ctx, st, orig, root, runner.Options{})
	if err != nil {
		return err
	}
	if !rep.Identical() {
		return fmt.Errorf("did not reproduce: %d fields differ (xp rerun %s shows them)", len(rep.Diffs), store.ShortKey(orig.Key))
	}
	return nil
}
