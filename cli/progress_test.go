package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xp-ml/xp/runner"
)

// A resumed run's ETA counts the epochs left at the rate of the epochs
// this process trained, not of all the epochs done since the run began.
func TestProgressResumedETA(t *testing.T) {
	for _, tt := range []struct {
		name           string
		from, epoch, n int
		elapsed        time.Duration
		want           string
	}{
		// Resumed after 30 of 60: one epoch took 1s here, 29 are left.
		{name: "resumed", from: 30, epoch: 31, n: 60, elapsed: time.Second, want: "ETA 29s"},
		{name: "from the start", from: 0, epoch: 10, n: 40, elapsed: 5 * time.Second, want: "ETA 15s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			p := newProgress(&out, false)
			p.event(runner.Event{Kind: runner.EventStarted, Experiment: "long", Key: strings.Repeat("a", 64),
				Epochs: tt.n, TotalRows: 100, FromEpoch: tt.from, ResumedRun: 1})
			p.event(runner.Event{Kind: runner.EventEpoch, Epoch: tt.epoch, Epochs: tt.n, FromEpoch: tt.from, Elapsed: tt.elapsed})
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("progress printed\n%s\nwant %q", out.String(), tt.want)
			}
			if tt.from > 0 && !strings.Contains(out.String(), "resuming from epoch 30 of 60 (run #1's checkpoint)") {
				t.Errorf("progress printed\n%s\nwithout where it resumes from", out.String())
			}
		})
	}
}

// The in-place line of a terminal counts the part of the epoch done.
func TestProgressBatchETA(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, true)
	// Resumed after 10 of 20; half of epoch 11 took 1s: 9.5 epochs left.
	p.event(runner.Event{Kind: runner.EventBatch, Epoch: 11, Epochs: 20, FromEpoch: 10, Rows: 50, TotalRows: 100,
		Elapsed: time.Second})
	if !strings.Contains(out.String(), "ETA 19s") {
		t.Errorf("progress printed %q, want ETA 19s", out.String())
	}
}
