package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/sweep"
)

func TestSweepProgress(t *testing.T) {
	clock := time.Unix(0, 0)
	plan := &sweep.Plan{ID: "iris-3f9a2c41d0e7"}
	point := func(i int) *sweep.PointResult { return &sweep.PointResult{Index: i} }
	events := []struct {
		at time.Duration
		e  sweep.Event
	}{
		{0, sweep.Event{Kind: sweep.Started, Plan: plan, Total: 4, Done: 1}},
		{0, sweep.Event{Kind: sweep.PointStarted, Point: point(1)}},
		{1 * time.Second, sweep.Event{Kind: sweep.PointStarted, Point: point(2)}},
		{5 * time.Second, sweep.Event{Kind: sweep.Progress, Point: point(1), Run: runner.Event{Kind: runner.EventEpoch, Epoch: 1, Epochs: 2}}},
		{11 * time.Second, sweep.Event{Kind: sweep.Progress, Point: point(2), Run: runner.Event{Kind: runner.EventEpoch, Epoch: 1, Epochs: 2}}},
		{20 * time.Second, sweep.Event{Kind: sweep.PointDone, Point: &sweep.PointResult{Index: 1, State: "done", Status: "failed"}, Done: 2, Total: 4}},
	}
	t.Run("piped: the first start, then every 10s", func(t *testing.T) {
		var b bytes.Buffer
		p := newSweepProgress(&b, false)
		for _, ev := range events {
			p.now = func() time.Time { return clock.Add(ev.at) }
			p.event(ev.e, nil)
		}
		want := "sweep iris-3f9a2c41d0e7: 1/4 done, 1 running\n" +
			// at 11s: points 1 and 2 half done each, 1 point's work in
			// 11s, 2 left of 3 to train: 22s.
			"sweep iris-3f9a2c41d0e7: 1/4 done, 2 running, ETA 22s\n"
		if b.String() != want {
			t.Errorf("printed\n%s\nwant\n%s", b.String(), want)
		}
	})
	t.Run("terminal: redrawn in place, cleared around point lines", func(t *testing.T) {
		var b bytes.Buffer
		p := newSweepProgress(&b, true)
		for _, ev := range events {
			p.now = func() time.Time { return clock.Add(ev.at) }
			p.event(ev.e, func() { b.WriteString("[point line]\n") })
		}
		p.close()
		out := b.String()
		if !strings.Contains(out, "\r\033[Ksweep iris-3f9a2c41d0e7: 2/4 done, 1 running, 1 failed, ETA ") {
			t.Errorf("no redrawn line with the failed point:\n%q", out)
		}
		if strings.Contains(out, "running[point line]") || !strings.HasSuffix(out, "\r\033[K") {
			t.Errorf("a point line written over the progress line, or the line left at the end:\n%q", out)
		}
	})
}
