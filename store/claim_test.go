package store

import (
	"context"
	"sync"
	"testing"
)

func TestClaimKey(t *testing.T) {
	ctx := context.Background()
	key := testKey("c1a1", 1)
	newRun := func() *Run { return &Run{Key: key, Experiment: "e", Epochs: 10, PID: 7, Host: "h"} }
	alive := ClaimOptions{Gone: func(*Run) bool { return false }}

	t.Run("a free key is claimed, a held one is not", func(t *testing.T) {
		s, _ := openTest(t)
		first := newRun()
		c, err := s.ClaimKey(ctx, first, alive)
		if err != nil || c.Holder != nil || first.ID == 0 {
			t.Fatalf("first claim = %+v, %v (id %d)", c, err, first.ID)
		}
		if err := s.StartRun(ctx, first.ID, 7, "h"); err != nil {
			t.Fatal(err)
		}
		second := newRun()
		c, err = s.ClaimKey(ctx, second, alive)
		if err != nil {
			t.Fatal(err)
		}
		if c.Holder == nil || c.Holder.ID != first.ID || second.ID != 0 {
			t.Fatalf("second claim: holder %+v, id %d; want run %d holding, nothing recorded", c.Holder, second.ID, first.ID)
		}
		// Once the holder finished, the key is free.
		if err := s.FinishRun(ctx, first.ID, StatusCanceled, "canceled", "", nil); err != nil {
			t.Fatal(err)
		}
		if c, err = s.ClaimKey(ctx, second, alive); err != nil || c.Holder != nil || second.ID == 0 {
			t.Fatalf("claim after the holder finished = %+v, %v", c, err)
		}
	})

	t.Run("a dead holder is taken over and told to stop", func(t *testing.T) {
		s, _ := openTest(t)
		dead := newRun()
		if _, err := s.ClaimKey(ctx, dead, alive); err != nil {
			t.Fatal(err)
		}
		if err := s.StartRun(ctx, dead.ID, 7, "h"); err != nil {
			t.Fatal(err)
		}
		next := newRun()
		c, err := s.ClaimKey(ctx, next, ClaimOptions{Gone: func(r *Run) bool { return r.ID == dead.ID }})
		if err != nil || c.Holder != nil || next.ID == 0 {
			t.Fatalf("claim = %+v, %v", c, err)
		}
		if len(c.TakenOver) != 1 || c.TakenOver[0].ID != dead.ID {
			t.Fatalf("taken over %+v, want run %d", c.TakenOver, dead.ID)
		}
		got, err := s.Run(ctx, dead.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != StatusLost || !got.CancelRequested {
			t.Errorf("taken-over run is %s, cancel requested %v; want lost, true", got.Status, got.CancelRequested)
		}
		// Its process was only slow: its next heartbeat tells it to stop.
		if stop, err := s.Heartbeat(ctx, dead.ID, 3); err != nil || !stop {
			t.Errorf("heartbeat of the taken-over run = %v, %v; want stop", stop, err)
		}
	})

	t.Run("unless succeeded", func(t *testing.T) {
		s, _ := openTest(t)
		done := newRun()
		if _, err := s.ClaimKey(ctx, done, alive); err != nil {
			t.Fatal(err)
		}
		if err := s.StartRun(ctx, done.ID, 7, "h"); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishRun(ctx, done.ID, StatusSucceeded, "", "", nil); err != nil {
			t.Fatal(err)
		}
		again := newRun()
		c, err := s.ClaimKey(ctx, again, ClaimOptions{Gone: alive.Gone, UnlessSucceeded: true})
		if err != nil || c.Succeeded == nil || c.Succeeded.ID != done.ID || again.ID != 0 {
			t.Fatalf("claim = %+v, %v, id %d; want the succeeded run %d, nothing recorded", c, err, again.ID, done.ID)
		}
	})

	t.Run("of many claiming at once, one gets it", func(t *testing.T) {
		s, _ := openTest(t)
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			won  int
			errs []error
		)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := newRun()
				c, err := s.ClaimKey(ctx, r, alive)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				if c.Holder == nil {
					won++
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 || won != 1 {
			t.Fatalf("%d claims won, errors %v; want exactly 1", won, errs)
		}
	})
}

func TestSetResumedAndForced(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	key := testKey("a11a", 2)
	orig := createTest(t, s, key, "e")
	forced := &Run{Key: key, Experiment: "e", Forced: true}
	if err := s.CreateRun(ctx, forced); err != nil {
		t.Fatal(err)
	}
	if err := s.SetResumed(ctx, forced.ID, orig.ID, 4); err != nil {
		t.Fatal(err)
	}
	got, err := s.Run(ctx, forced.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Forced || got.ResumedFrom != orig.ID || got.ResumedEpoch != 4 {
		t.Errorf("run = forced %v, resumed from %d after epoch %d; want true, %d, 4", got.Forced, got.ResumedFrom, got.ResumedEpoch, orig.ID)
	}
	// Deleting the run it resumed leaves it, without the link.
	if err := s.DeleteRun(ctx, orig.ID); err != nil {
		t.Fatal(err)
	}
	if got, err = s.Run(ctx, forced.ID); err != nil || got.ResumedFrom != 0 {
		t.Errorf("after deleting run %d: resumed from %d, %v", orig.ID, got.ResumedFrom, err)
	}
}

func TestKeepEpoch(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	r := createTest(t, s, testKey("cee9", 3), "e")
	var pts []Point
	for epoch, loss := range []float64{0.9, 0.5, 0.3, 0.4, 0.6} {
		pts = append(pts, Point{Split: SplitValidation, Name: "loss", Epoch: epoch + 1, Value: loss},
			Point{Split: SplitValidation, Name: "accuracy", Epoch: epoch + 1, Value: float64(epoch) / 10},
			Point{Split: SplitTrain, Name: "loss", Epoch: epoch + 1, Value: loss})
	}
	if err := s.AddPoints(ctx, r.ID, pts); err != nil {
		t.Fatal(err)
	}
	if err := s.KeepEpoch(ctx, r.ID, SplitValidation, 3); err != nil {
		t.Fatal(err)
	}
	got, err := s.Run(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	val := got.Summary[SplitValidation]
	if l, a := val["loss"], val["accuracy"]; l.Last != 0.3 || l.LastEpoch != 3 || a.Last != 0.2 || a.LastEpoch != 3 || l.Count != 5 {
		t.Errorf("validation summaries after KeepEpoch(3): loss %+v, accuracy %+v", l, a)
	}
	if tr := got.Summary[SplitTrain]["loss"]; tr.Last != 0.6 || tr.LastEpoch != 5 {
		t.Errorf("the train split moved: %+v", tr)
	}
	points, err := s.Points(ctx, r.ID, SplitValidation, "loss")
	if err != nil || len(points) != 5 {
		t.Errorf("the curve changed: %d points, %v", len(points), err)
	}
}
