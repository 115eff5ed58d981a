package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestListRuns(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	// Created in this order; accuracy NaN counts as missing.
	runs := []struct {
		experiment string
		sweep      string
		status     Status
		accuracy   float64 // test accuracy; 0 = no point
	}{
		{"credit", "", StatusSucceeded, 0.70},
		{"credit", "s1", StatusSucceeded, 0.90},
		{"churn", "s1", StatusFailed, 0},
		{"credit", "s1", StatusSucceeded, 0.80},
		{"churn", "", StatusSucceeded, math.NaN()},
	}
	ids := make([]int64, len(runs))
	for i, rr := range runs {
		r := &Run{Key: testKey("1234", i), Experiment: rr.experiment, SweepID: rr.sweep}
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		ids[i] = r.ID
		if rr.accuracy != 0 {
			if err := s.AddPoints(ctx, r.ID, []Point{
				{Split: SplitTest, Name: "accuracy", Value: rr.accuracy},
				{Split: SplitTest, Name: "loss", Value: 1 - rr.accuracy},
			}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.FinishRun(ctx, r.ID, rr.status, "", "", nil); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		opts ListOptions
		want []int // indexes into runs, in order
	}{
		{"default newest first", ListOptions{}, []int{4, 3, 2, 1, 0}},
		{"created", ListOptions{SortBy: "created"}, []int{4, 3, 2, 1, 0}},
		{"oldest first", ListOptions{SortBy: "+created"}, []int{0, 1, 2, 3, 4}},
		{"metric ascending", ListOptions{SortBy: "test.accuracy"}, []int{0, 3, 1, 4, 2}},
		{"metric descending", ListOptions{SortBy: "-test.accuracy"}, []int{1, 3, 0, 4, 2}},
		{"summary prefix", ListOptions{SortBy: "-summary:test.accuracy"}, []int{1, 3, 0, 4, 2}},
		{"minimised metric ascending", ListOptions{SortBy: "test.loss"}, []int{1, 3, 0, 4, 2}},
		{"experiment", ListOptions{Experiment: "churn"}, []int{4, 2}},
		{"status", ListOptions{Status: StatusFailed}, []int{2}},
		{"sweep sorted", ListOptions{SweepID: "s1", SortBy: "-test.accuracy"}, []int{1, 3, 2}},
		{"limit", ListOptions{SortBy: "-test.accuracy", Limit: 2}, []int{1, 3}},
		{"page", ListOptions{SortBy: "-test.accuracy", Limit: 2, Offset: 2}, []int{0, 4}},
		{"page past the runs with the metric", ListOptions{SortBy: "-test.accuracy", Limit: 2, Offset: 3}, []int{4, 2}},
		{"page inside the runs without", ListOptions{SortBy: "-test.accuracy", Limit: 5, Offset: 4}, []int{2}},
		{"page past the end", ListOptions{SortBy: "-test.accuracy", Limit: 2, Offset: 10}, nil},
		{"metric offset without limit", ListOptions{SortBy: "test.accuracy", Offset: 1}, []int{3, 1, 4, 2}},
		{"metric filtered page past the end", ListOptions{Experiment: "churn", SortBy: "-test.accuracy", Limit: 1, Offset: 1}, []int{2}},
		{"offset only", ListOptions{Offset: 3}, []int{1, 0}},
		{"no match", ListOptions{Experiment: "nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListRuns(ctx, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.opts.Limit == 0 && tt.opts.Offset == 0 {
				n, err := s.CountRuns(ctx, tt.opts)
				if err != nil || n != len(tt.want) {
					t.Errorf("CountRuns = %d, %v; want %d", n, err, len(tt.want))
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d runs, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				if got[i].ID != ids[w] {
					t.Errorf("position %d: run %d, want %d (runs[%d])", i, got[i].ID, ids[w], w)
				}
				acc, ok := got[i].Summary[SplitTest]["accuracy"]
				if want := runs[w].accuracy; want != 0 && (!ok || !sameFloat(acc.Last, want)) {
					t.Errorf("run %d: summary accuracy %v, want %v", got[i].ID, acc.Last, want)
				}
			}
		})
	}
	for _, by := range []string{"test", "accuracy", ".accuracy", "test.", "-"} {
		t.Run("bad sort "+by, func(t *testing.T) {
			if _, err := s.ListRuns(ctx, ListOptions{SortBy: by}); !errors.Is(err, ErrInvalid) {
				t.Errorf("ListRuns(SortBy %q) = %v, want ErrInvalid", by, err)
			}
		})
	}
	t.Run("bad status", func(t *testing.T) {
		if _, err := s.ListRuns(ctx, ListOptions{Status: "done"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("ListRuns = %v, want ErrInvalid", err)
		}
	})
}

func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

// TestEachListedBatches: EachListed hands over ListBatch runs at a time,
// with their summaries, in ListRuns's order, sorted by a metric or not, and
// stops at fn's error, returned as it is.
func TestEachListedBatches(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	n := 2*ListBatch + 7
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			res, err := tx.ExecContext(ctx, `INSERT INTO runs (key, experiment, spec_hash, status, created, uid)
				VALUES (?, 'credit', 'h', 'succeeded', ?, ?)`, testKey("ab", i), i, fmt.Sprintf("uid%d", i))
			if err != nil {
				return err
			}
			id, _ := res.LastInsertId()
			if i%3 != 0 { // every third run has no test accuracy
				if _, err := tx.ExecContext(ctx, `INSERT INTO summaries (run_id, split, name, last, last_epoch, last_step, best, best_epoch, count)
					VALUES (?, 'test', 'accuracy', ?, 1, 0, ?, 1, 1)`, id, float64(i%50)/50, float64(i%50)/50); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, sortBy := range []string{"", "-test.accuracy"} {
		t.Run("sort "+sortBy, func(t *testing.T) {
			opts := ListOptions{SortBy: sortBy}
			want, err := s.ListRuns(ctx, opts)
			if err != nil || len(want) != n {
				t.Fatalf("ListRuns = %d runs, %v; want %d", len(want), err, n)
			}
			var sizes []int
			var got []Run
			err = s.EachListed(ctx, opts, func(batch []Run) error {
				sizes = append(sizes, len(batch))
				got = append(got, batch...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sizes, []int{ListBatch, ListBatch, 7}) {
				t.Errorf("batches of %v, want %d, %d, 7", sizes, ListBatch, ListBatch)
			}
			for i := range got {
				if got[i].ID != want[i].ID || len(got[i].Summary) != len(want[i].Summary) {
					t.Fatalf("run %d: #%d with %d summaries, want #%d with %d", i, got[i].ID, len(got[i].Summary), want[i].ID, len(want[i].Summary))
				}
			}
			if sortBy != "" && (got[0].Summary["test"]["accuracy"].Last != 0.98 || got[n-1].Summary != nil) {
				t.Errorf("sorted: first %v, last %v; want the best accuracy first, a run without it last", got[0].Summary, got[n-1].Summary)
			}
		})
	}
	stop := errors.New("stop")
	calls := 0
	err = s.EachListed(ctx, ListOptions{}, func([]Run) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("EachListed = %v after %d calls, want fn's error as it is after 1", err, calls)
	}
}
