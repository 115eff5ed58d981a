package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"
)

func TestPoints(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	r := createTest(t, s, testKey("eeee", 1), "credit")
	other := createTest(t, s, testKey("eeee", 2), "credit")
	at := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	// Out of order on purpose: Points orders by (epoch, step).
	batch := []Point{
		{Split: SplitTrain, Name: "loss", Epoch: 1, Step: 0, Value: 0.5, Time: at},
		{Split: SplitTrain, Name: "loss", Epoch: 0, Step: 1, Value: 0.8, Time: at},
		{Split: SplitTrain, Name: "loss", Epoch: 0, Step: 0, Value: 0.9, Time: at},
		{Split: SplitValidation, Name: "loss", Epoch: 0, Value: math.NaN(), Time: at},
		{Split: SplitValidation, Name: "auc", Epoch: 0, Value: math.Inf(1), Time: at},
	}
	if err := s.AddPoints(ctx, r.ID, batch); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPoints(ctx, other.ID, []Point{{Split: SplitTrain, Name: "loss", Value: 7}}); err != nil {
		t.Fatal(err)
	}

	t.Run("one curve in order", func(t *testing.T) {
		pts, err := s.Points(ctx, r.ID, SplitTrain, "loss")
		if err != nil {
			t.Fatal(err)
		}
		want := []float64{0.9, 0.8, 0.5}
		if len(pts) != len(want) {
			t.Fatalf("got %d points, want %d", len(pts), len(want))
		}
		for i, p := range pts {
			if p.Value != want[i] || !p.Time.Equal(at) || p.Time.Location() != time.UTC {
				t.Errorf("point %d = %+v, want value %v at %v", i, p, want[i], at)
			}
		}
	})
	t.Run("all curves of a run", func(t *testing.T) {
		pts, err := s.Points(ctx, r.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if len(pts) != len(batch) {
			t.Errorf("got %d points, want %d", len(pts), len(batch))
		}
	})
	t.Run("NaN and Inf survive", func(t *testing.T) {
		pts, err := s.Points(ctx, r.ID, SplitValidation, "")
		if err != nil {
			t.Fatal(err)
		}
		vals := map[string]float64{}
		for _, p := range pts {
			vals[p.Name] = p.Value
		}
		if !math.IsNaN(vals["loss"]) || !math.IsInf(vals["auc"], 1) {
			t.Errorf("values %v, want NaN loss and +Inf auc", vals)
		}
		got, err := s.Run(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		sum := got.Summary[SplitValidation]["loss"]
		if !math.IsNaN(sum.Last) || !math.IsNaN(sum.Best) || sum.Count != 1 {
			t.Errorf("summary of an all-NaN metric = %+v, want NaN last and best, count 1", sum)
		}
	})
	t.Run("summary ignores NaN for best", func(t *testing.T) {
		if err := s.AddPoints(ctx, r.ID, []Point{{Split: SplitValidation, Name: "loss", Epoch: 1, Value: 0.4}}); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Run(ctx, r.ID)
		sum := got.Summary[SplitValidation]["loss"]
		want := MetricSummary{Last: 0.4, Best: 0.4, BestEpoch: 1, LastEpoch: 1, Count: 2}
		if sum != want {
			t.Errorf("summary %+v, want %+v", sum, want)
		}
	})
	t.Run("last is by epoch and step, not arrival", func(t *testing.T) {
		got, _ := s.Run(ctx, r.ID)
		sum := got.Summary[SplitTrain]["loss"]
		want := MetricSummary{Last: 0.5, Best: 0.5, BestEpoch: 1, LastEpoch: 1, Count: 3}
		if sum != want {
			t.Errorf("summary %+v, want %+v", sum, want)
		}
	})
	t.Run("invalid point", func(t *testing.T) {
		err := s.AddPoints(ctx, r.ID, []Point{{Split: SplitTrain, Name: "loss"}, {Name: "loss"}})
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("AddPoints = %v, want ErrInvalid", err)
		}
		pts, _ := s.Points(ctx, r.ID, SplitTrain, "loss")
		if len(pts) != 3 {
			t.Errorf("a refused batch left %d train loss points, want the 3 from before", len(pts))
		}
	})
}

func TestPointsSince(t *testing.T) {
	defer func(n int64) { sinceScanRows = n }(sinceScanRows)
	// Both ways of reading: by id from the cursor, and through the run's
	// index when the cursor is far behind.
	for _, scan := range []int64{1 << 40, 0} {
		sinceScanRows = scan
		t.Run(fmt.Sprintf("scan window %d", scan), testPointsSince)
	}
}

func testPointsSince(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	r := createTest(t, s, testKey("ffff", 1), "credit")
	other := createTest(t, s, testKey("ffff", 2), "credit")

	pts, last, err := s.PointsSince(ctx, r.ID, 0)
	if err != nil || len(pts) != 0 || last != 0 {
		t.Fatalf("empty run: %d points, last %d, %v", len(pts), last, err)
	}
	var cursor int64
	steps := []struct {
		name   string
		add    []Point
		others int // points written to another run meanwhile
		want   []float64
	}{
		{"first batch", []Point{{Split: "train", Name: "loss", Value: 1}, {Split: "train", Name: "loss", Step: 1, Value: 2}}, 0, []float64{1, 2}},
		{"nothing new", nil, 3, nil},
		{"second batch after other runs wrote", []Point{{Split: "validation", Name: "loss", Value: 3}}, 2, []float64{3}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			for i := range st.others {
				if err := s.AddPoints(ctx, other.ID, []Point{{Split: "train", Name: "loss", Step: i}}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.AddPoints(ctx, r.ID, st.add); err != nil {
				t.Fatal(err)
			}
			pts, next, err := s.PointsSince(ctx, r.ID, cursor)
			if err != nil {
				t.Fatal(err)
			}
			if len(pts) != len(st.want) {
				t.Fatalf("got %d points, want %d", len(pts), len(st.want))
			}
			for i, p := range pts {
				if p.Value != st.want[i] {
					t.Errorf("point %d = %v, want %v", i, p.Value, st.want[i])
				}
			}
			if len(st.want) == 0 && next != cursor {
				t.Errorf("cursor moved from %d to %d with nothing new", cursor, next)
			}
			if len(st.want) > 0 && next <= cursor {
				t.Errorf("cursor %d did not advance past %d", next, cursor)
			}
			cursor = next
		})
	}
}
