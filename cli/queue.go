package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

type queueOptions struct {
	all  bool
	json bool
}

func newQueueCmd(s Streams) *cobra.Command {
	o := &queueOptions{}
	cmd := &cobra.Command{
		Use: "queue",
		Example: `  xp queue                       # the sweeps with points left
  xp queue --all`,
		Short: "Show the pending and running work: sweeps with points left, and runs in training",
		Long: `Shows each sweep with points pending or running (how many are done, running,
pending, failed), then every point and run in training with its epoch, the
process that owns it and the age of its heartbeat. A sweep whose process was
killed keeps its points; the next xp run of the sweep continues it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runQueue(cmd.Context(), s, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.all, "all", false, "list finished sweeps too")
	f.BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

// openLiveStore opens the store of the project the working directory is
// in (openExistingStore) and marks lost the runs whose process is gone
// (sweep.ReapLost): a run left "running" by a killed xp is shown as lost
// by the next command that looks.
func openLiveStore(ctx context.Context) (*store.Store, string, error) {
	st, root, err := openExistingStore(ctx)
	if err != nil {
		return nil, "", err
	}
	return st, root, reapLost(ctx, st)
}

// openRunStore is openLiveStore for xp run, which creates the store on
// first use.
func openRunStore(ctx context.Context) (*store.Store, string, error) {
	st, root, err := openStore(ctx)
	if err != nil {
		return nil, "", err
	}
	return st, root, reapLost(ctx, st)
}

// reapLost marks lost the runs whose process is gone, and closes st if
// that fails.
func reapLost(ctx context.Context, st *store.Store) error {
	if _, err := sweep.ReapLost(ctx, st, sweep.DefaultStaleAfter); err != nil {
		st.Close()
		return err
	}
	return nil
}

type queueJSON struct {
	Sweeps []sweepQueueJSON `json:"sweeps"`
	Points []queuePointJSON `json:"points"`
	Runs   []runJSON        `json:"runs"`
}

// queuePointJSON is a point in training; an asha sweep's with the rung it
// trains to.
type queuePointJSON struct {
	store.QueuedPoint
	Rung *sweep.Rung `json:"rung,omitempty"`
}

type sweepQueueJSON struct {
	store.Sweep
	Done     int                  `json:"done"`
	Running  int                  `json:"running"`
	Pending  int                  `json:"pending"`
	ByStatus map[store.Status]int `json:"by_status"`
}

func runQueue(ctx context.Context, s Streams, o *queueOptions) error {
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
	sweeps, err := st.Sweeps(ctx, store.SweepQuery{Active: !o.all})
	if err != nil {
		return err
	}
	points, err := st.ClaimedPoints(ctx)
	if err != nil {
		return err
	}
	running, err := st.ListRuns(ctx, store.ListOptions{Status: store.StatusRunning})
	if err != nil {
		return err
	}
	// A point in training shows with its sweep; the runs list is the rest.
	inPoints := map[string]bool{}
	for _, p := range points {
		if p.RunKey != "" {
			inPoints[p.RunKey] = true
		}
	}
	var solo []store.Run
	for _, r := range running {
		if !inPoints[r.Key] {
			solo = append(solo, r)
		}
	}
	// An asha sweep's points show the rung they train to.
	rungs := map[string]func(int) []int{}
	rungsOf := func(id string) func(int) []int {
		f, ok := rungs[id]
		if !ok {
			if sw, err := st.FindSweep(ctx, id); err == nil {
				f = sweep.RungsOf(root, sw)
			}
			rungs[id] = f
		}
		return f
	}
	if o.json {
		out := queueJSON{Sweeps: []sweepQueueJSON{}, Points: []queuePointJSON{}, Runs: []runJSON{}}
		for _, sw := range sweeps {
			out.Sweeps = append(out.Sweeps, sweepQueueJSON{Sweep: sw.Sweep, Done: sw.Done, Running: sw.Claimed,
				Pending: sw.Pending, ByStatus: sw.ByStatus})
		}
		for i := range points {
			out.Points = append(out.Points, queuePointJSON{QueuedPoint: points[i],
				Rung: trainsToRung(ctx, st, rungsOf(points[i].SweepID), &points[i])})
		}
		for i := range solo {
			out.Runs = append(out.Runs, toJSON(&solo[i], "", false))
		}
		return writeJSON(s.Out, out)
	}
	if len(sweeps) == 0 && len(points) == 0 && len(solo) == 0 {
		fmt.Fprintln(s.Out, "nothing queued or running")
		return nil
	}
	now := time.Now()
	if len(sweeps) > 0 {
		tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SWEEP\tEXPERIMENT\tDONE\tRUNNING\tPENDING\tFAILED\tUPDATED")
		for _, sw := range sweeps {
			failed := sw.ByStatus[store.StatusFailed] + sw.ByStatus[store.StatusDiverged] + sw.ByStatus[store.StatusLost]
			fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%d\t%d\t%d\t%s\n", sw.ID, sw.Experiment, sw.Done, sw.Points,
				sw.Claimed, sw.Pending, failed, age(now, sw.UpdatedAt))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(points) == 0 && len(solo) == 0 {
		return nil
	}
	if len(sweeps) > 0 {
		fmt.Fprintln(s.Out)
	}
	tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "IN TRAINING\tKEY\tEPOCH\tPROCESS\tHEARTBEAT")
	for _, p := range points {
		key, epoch := "-", "-"
		if p.RunKey != "" {
			key, epoch = store.ShortKey(p.RunKey), fmt.Sprintf("%d/%d", p.RunEpoch, p.RunEpochs)
		}
		beat := age(now, p.HeartbeatAt) + " ago"
		if sweep.OwnerGone(p.Owner) {
			beat += " (process gone: xp run continues it)"
		}
		point := fmt.Sprintf("%s[%d]", p.SweepID, p.Index)
		if r := trainsToRung(ctx, st, rungsOf(p.SweepID), &p); r != nil {
			point += " rung " + r.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", point, key, epoch, sweep.OwnerProcess(p.Owner), beat)
	}
	for _, r := range solo {
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s/%d\t%s ago\n", r.Experiment, r.Short(), r.Epoch, r.Epochs,
			r.Host, r.PID, age(now, r.HeartbeatAt))
	}
	return tw.Flush()
}
