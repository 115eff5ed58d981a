package tui

import (
	"context"
	"slices"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/xp-ml/xp/store"
)

// A poll reads nothing while the data version stands still, and then only
// the new runs, the live ones and the open run's new points.
func TestPollReadsOnlyChanges(t *testing.T) {
	ctx := context.Background()
	st, runs := standardStore(t)
	m := newTestModel(t, st, 100, 30)
	live := []int64{runs["f"].ID, runs["g"].ID, runs["j"].ID} // running, queued, lost
	slices.Sort(live)

	msg := m.plan().run(ctx, st)
	if msg.changed || msg.rows != nil {
		t.Fatalf("nothing changed, yet the poll read %v", msg.rows)
	}

	openRun(m, runs["f"].ID)
	d := m.runs[runs["f"].ID]
	if d == nil || len(d.curves[store.SplitMetric{Split: "train", Name: "loss"}]) != 12 {
		t.Fatal("the detail page did not load 12 epochs of train loss")
	}
	before := d.cursor
	n := addRun(t, st, fixture{name: "new", experiment: "wine", status: store.StatusRunning, epochs: 5, done: 1, startedAgo: time.Second})
	if err := st.AddPoints(ctx, runs["f"].ID, []store.Point{{Split: "train", Name: "loss", Epoch: 13, Value: 0.3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Heartbeat(ctx, runs["f"].ID, 13); err != nil {
		t.Fatal(err)
	}

	msg = m.plan().run(ctx, st)
	if !msg.changed {
		t.Fatal("the poll missed the change")
	}
	var read []int64
	for _, r := range msg.rows.Rows {
		read = append(read, r.ID)
	}
	slices.Sort(read)
	want := append(slices.Clone(live), n.ID)
	slices.Sort(want)
	if !slices.Equal(read, want) {
		t.Errorf("the poll read runs %v, want only the new and live ones %v", read, want)
	}
	u := msg.runs[runs["f"].ID]
	if u == nil || len(u.points) != 1 || u.points[0].Epoch != 13 {
		t.Errorf("the poll read points %+v, want the one new point", u)
	}
	drive(m, func() tea.Msg { return msg })
	if got := m.ix.rows[runs["f"].ID].Epoch; got != 13 {
		t.Errorf("epoch %d after the poll, want 13", got)
	}
	if m.ix.rows[n.ID] == nil {
		t.Error("the new run is not in the table")
	}
	if c := d.curves[store.SplitMetric{Split: "train", Name: "loss"}]; len(c) != 13 || d.cursor <= before {
		t.Errorf("train loss has %d points (cursor %d -> %d), want 13", len(c), before, d.cursor)
	}
}
