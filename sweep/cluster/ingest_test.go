package cluster

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// A task that Slurm ended before it wrote a result and before it was seen
// training (cancelled, timed out, killed for memory) is recorded with its
// state and its log's tail, canceled when it was scancel'ed and failed
// otherwise, and the next Enqueue makes its point pending again.
func TestIngestNoResult(t *testing.T) {
	tests := []struct {
		name, log string
		state     State
		status    store.Status
		want      []string
	}{
		{name: "cancelled", state: cancelled, status: store.StatusCanceled, log: "epoch 1\nslurmstepd: *** JOB 4 CANCELLED ***\n",
			want: []string{"batch CANCELLED: no result", "task-0.log", "JOB 4 CANCELLED"}},
		{name: "timeout without a log", state: timeout, status: store.StatusFailed,
			want: []string{"batch TIMEOUT: stopped at its time limit", "task-0.log"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			c, sw, queued := claimedCoordinator(t)
			st, plan := c.st, c.plan
			sub := &sweep.Submission{ID: "4", Dir: t.TempDir(), Points: []int{2}, Tasks: []string{"4.0"}}
			if tt.log != "" {
				if err := os.WriteFile(LogPath(sub.Dir, 0), []byte(tt.log), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.ingest(ctx, sub, 0, tt.state, nil); err != nil {
				t.Fatal(err)
			}
			points, err := st.SweepPoints(ctx, plan.ID)
			if err != nil {
				t.Fatal(err)
			}
			p := points[2]
			if p.State != store.PointDone || p.Status != tt.status || p.RunID != 0 {
				t.Errorf("point 2: state %s status %s run %d, want done, %s, no run", p.State, p.Status, p.RunID, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(p.Error, w) {
					t.Errorf("error %q does not say %q", p.Error, w)
				}
			}
			if err := c.s.ReleaseAll(ctx, []int{0, 1, 3, 4, 5}); err != nil {
				t.Fatal(err)
			}
			left, err := st.Enqueue(ctx, sw, queued, false)
			if err != nil || left != 6 {
				t.Errorf("Enqueue again: %d left, %v; want 6 (the failed point pending again)", left, err)
			}
		})
	}
}
