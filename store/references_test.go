package store

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPointsHeld(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key := strings.Repeat("ab", 32)
	r := &Run{Key: key, Experiment: "iris", SpecHash: key, Backend: "cpu", Device: "cpu", Epochs: 1}
	if err := s.CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	id := r.ID
	if held, err := s.PointsHeld(ctx, id); err != nil || len(held) != 0 {
		t.Fatalf("a run of no sweep holds %q (%v)", held, err)
	}
	sw := &Sweep{ID: "iris-1", Experiment: "iris", SpecHash: key, Method: "grid", Metric: "validation.loss", Mode: "min", Points: 1}
	if _, err := s.Enqueue(ctx, sw, []QueuedPoint{{Index: 0, Key: key, Params: json.RawMessage(`[]`)}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimPoint(ctx, "iris-1", "a", time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishPoint(ctx, "iris-1", 0, "a", PointOutcome{Status: StatusSucceeded, RunID: id, Cached: true}); err != nil {
		t.Fatal(err)
	}
	held, err := s.PointsHeld(ctx, id)
	if err != nil || !slices.Equal(held, []string{"iris-1[0]"}) {
		t.Errorf("held %q (%v), want iris-1[0]", held, err)
	}
}
