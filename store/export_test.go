package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"
)

// exportStore has 6 runs of two experiments; every run but #3 has
// summaries (#3 has no points), and #5 failed. Runs 1, 2 and 4 share a
// spec hash.
func exportStore(t *testing.T) *Store {
	t.Helper()
	s, _ := openTest(t)
	ctx := context.Background()
	for i := 1; i <= 6; i++ {
		exp := "credit"
		if i%2 == 0 {
			exp = "iris"
		}
		hash := fmt.Sprintf("%064x", i)
		if i == 1 || i == 2 || i == 4 {
			hash = fmt.Sprintf("%064x", 1)
		}
		r := &Run{Key: testKey("e", i), Experiment: exp, SpecHash: hash, Epochs: 2,
			Spec: json.RawMessage(fmt.Sprintf(`{"train":{"lr":%d}}`, i))}
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			continue
		}
		pts := []Point{
			{Split: SplitTrain, Name: "loss", Epoch: 1, Value: 1},
			{Split: SplitTrain, Name: "loss", Epoch: 2, Value: float64(i)},
			{Split: SplitValidation, Name: "loss", Epoch: 2, Value: math.NaN()},
			{Split: SplitTrain, Name: "loss", Epoch: 2, Step: 1, Value: 0.5},
		}
		if err := s.AddPoints(ctx, r.ID, pts); err != nil {
			t.Fatal(err)
		}
		if i == 5 {
			if err := s.FinishRun(ctx, r.ID, StatusFailed, "boom", "", nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	return s
}

func TestEachRun(t *testing.T) {
	s := exportStore(t)
	ctx := context.Background()
	cases := []struct {
		name string
		o    ExportOptions
		want []int64
	}{
		{"all", ExportOptions{}, []int64{1, 2, 3, 4, 5, 6}},
		{"experiment", ExportOptions{ListOptions: ListOptions{Experiment: "iris"}}, []int64{2, 4, 6}},
		{"status", ExportOptions{ListOptions: ListOptions{Status: StatusFailed}}, []int64{5}},
		{"newest two", ExportOptions{ListOptions: ListOptions{Limit: 2}}, []int64{5, 6}},
		{"ids", ExportOptions{IDs: []int64{3, 6, 99}}, []int64{3, 6}},
		{"ids and experiment", ExportOptions{ListOptions: ListOptions{Experiment: "credit"}, IDs: []int64{3, 6}}, []int64{3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []int64
			err := s.EachRun(ctx, tc.o, func(r *Run) error {
				got = append(got, r.ID)
				// Each run's summaries are its own, as ListRuns reads them.
				want, err := s.Run(ctx, r.ID)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(fmt.Sprint(r.Summary), fmt.Sprint(want.Summary)) {
					t.Errorf("run %d: summary %v, want %v", r.ID, r.Summary, want.Summary)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("runs %v, want %v", got, tc.want)
			}
		})
	}
	if err := s.EachRun(ctx, ExportOptions{ListOptions: ListOptions{Status: "done"}}, func(*Run) error { return nil }); err == nil {
		t.Error("status done: no error")
	}
}

func TestEachPointAndSpec(t *testing.T) {
	s := exportStore(t)
	ctx := context.Background()
	var got []string
	err := s.EachPoint(ctx, ExportOptions{IDs: []int64{2, 3}}, func(p *ExportedPoint) error {
		got = append(got, fmt.Sprintf("%d %s %s/%s %d.%d %g", p.Run, p.Key[:2], p.Split, p.Name, p.Epoch, p.Step, p.Value))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2 e0 train/loss 1.0 1", "2 e0 train/loss 2.0 2", "2 e0 train/loss 2.1 0.5", "2 e0 validation/loss 2.0 NaN"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("points\n%q\nwant\n%q", got, want)
	}

	var specs []string
	if err := s.EachSpec(ctx, ExportOptions{}, func(raw json.RawMessage) error {
		specs = append(specs, string(raw))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// One spec per hash: run 1's stands for runs 1, 2 and 4.
	if want := []string{`{"train":{"lr":1}}`, `{"train":{"lr":3}}`, `{"train":{"lr":5}}`, `{"train":{"lr":6}}`}; !reflect.DeepEqual(specs, want) {
		t.Errorf("specs %v, want %v", specs, want)
	}
	series, err := s.MetricSeries(ctx, ExportOptions{IDs: []int64{3}})
	if err != nil || len(series) != 0 {
		t.Errorf("series of run 3 (no points): %v, %v", series, err)
	}
	series, err = s.MetricSeries(ctx, ExportOptions{})
	if err != nil || fmt.Sprint(series) != "[train.loss validation.loss]" {
		t.Errorf("series: %v, %v", series, err)
	}
}
