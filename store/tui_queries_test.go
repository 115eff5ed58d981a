package store

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// rowsStore is a store of n queued runs of experiment "e", ids 1..n.
func rowsStore(t *testing.T, n int) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for i := 1; i <= n; i++ {
		r := &Run{Key: fmt.Sprintf("%064x", i), Experiment: "e", Epochs: 10, Device: "cpu", SweepID: "s"}
		if err := s.CreateRun(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func rowIDs(rows []RunRow) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

func TestRunRows(t *testing.T) {
	ctx := context.Background()
	s := rowsStore(t, 10)
	for _, tc := range []struct {
		name      string
		q         RowsQuery
		want      []int64
		max       int64
		count     int
		wantError bool
	}{
		{"all newest first", RowsQuery{}, []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 10, 10, false},
		{"first page", RowsQuery{Limit: 3}, []int64{10, 9, 8}, 10, 10, false},
		{"next page", RowsQuery{BeforeID: 8, Limit: 3}, []int64{7, 6, 5}, 10, 10, false},
		{"last page", RowsQuery{BeforeID: 3, Limit: 3}, []int64{2, 1}, 10, 10, false},
		{"new and live", RowsQuery{AfterID: 8, Also: []int64{2, 5, 9, 99}}, []int64{10, 9, 5, 2}, 10, 10, false},
		{"only", RowsQuery{Only: []int64{3, 4, 7}}, []int64{7, 4, 3}, 7, 3, false},
		{"only and after", RowsQuery{AfterID: 4, Only: []int64{3, 4, 7}, Also: []int64{3}}, []int64{7, 3}, 7, 3, false},
		{"negative", RowsQuery{Limit: -1}, nil, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.RunRows(ctx, tc.q)
			if tc.wantError {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rowIDs(got.Rows), tc.want) || got.MaxID != tc.max || got.Count != tc.count {
				t.Errorf("rows %v, max %d, count %d; want %v, %d, %d", rowIDs(got.Rows), got.MaxID, got.Count, tc.want, tc.max, tc.count)
			}
		})
	}
	// Rows carry the run's fields as CreateRun and StartRun wrote them.
	if err := s.StartRun(ctx, 4, 42, "box"); err != nil {
		t.Fatal(err)
	}
	got, err := s.RunRows(ctx, RowsQuery{Also: []int64{4}, AfterID: 10})
	if err != nil {
		t.Fatal(err)
	}
	r := got.Rows[0]
	if r.ID != 4 || r.Key != fmt.Sprintf("%064x", 4) || r.Experiment != "e" || r.Device != "cpu" || r.SweepID != "s" ||
		r.Status != StatusRunning || r.Epochs != 10 || r.StartedAt.IsZero() || r.CreatedAt.IsZero() || r.Short() != r.Key[:12] {
		t.Errorf("row %+v", r)
	}
}

func TestRunIDs(t *testing.T) {
	ctx := context.Background()
	s := rowsStore(t, 5)
	if err := s.DeleteRun(ctx, 3); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		only []int64
		want []int64
	}{{nil, []int64{1, 2, 4, 5}}, {[]int64{5, 3, 1}, []int64{1, 5}}} {
		got, err := s.RunIDs(ctx, tc.only)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("RunIDs(%v) = %v, want %v", tc.only, got, tc.want)
		}
	}
}

func TestMetricNamesAndLastValues(t *testing.T) {
	ctx := context.Background()
	s := rowsStore(t, 3)
	names, err := s.MetricNames(ctx)
	if err != nil || len(names) != 0 {
		t.Fatalf("empty store: %v, %v", names, err)
	}
	add := func(id int64, pts ...Point) {
		t.Helper()
		if err := s.AddPoints(ctx, id, pts); err != nil {
			t.Fatal(err)
		}
	}
	add(1, Point{Split: "validation", Name: "loss", Epoch: 1, Value: 0.5}, Point{Split: "test", Name: "accuracy", Epoch: 1, Value: 0.9})
	add(2, Point{Split: "test", Name: "accuracy", Epoch: 1, Value: math.NaN()}, Point{Split: "test", Name: "auc", Epoch: 1, Value: 0.7})
	add(3, Point{Split: "train", Name: "loss", Epoch: 1, Value: 1}, Point{Split: "test", Name: "accuracy", Epoch: 2, Value: 0.8},
		Point{Split: "test", Name: "accuracy", Epoch: 1, Value: 0.1})
	names, err = s.MetricNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []SplitMetric{{"test", "accuracy"}, {"test", "auc"}, {"train", "loss"}, {"validation", "loss"}}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	if names[0].String() != "test.accuracy" {
		t.Errorf("String() = %q", names[0].String())
	}
	acc := SplitMetric{"test", "accuracy"}
	all, err := s.LastValues(ctx, acc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[1] != 0.9 || !math.IsNaN(all[2]) || all[3] != 0.8 {
		t.Errorf("LastValues(all) = %v", all)
	}
	some, err := s.LastValues(ctx, acc, []int64{3, 99})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(some, map[int64]float64{3: 0.8}) {
		t.Errorf("LastValues(3, 99) = %v", some)
	}
}
