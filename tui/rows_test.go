package tui

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/xp-ml/xp/store"
)

var accuracy = store.SplitMetric{Split: store.SplitTest, Name: "accuracy"}

// randomRow is run id with random fields from rng.
func randomRow(rng *rand.Rand, id int64) store.RunRow {
	st := store.Statuses[rng.IntN(len(store.Statuses))]
	r := store.RunRow{ID: id, Key: fmt.Sprintf("%064x", rng.Uint64()), Experiment: []string{"credit", "churn", "iris"}[rng.IntN(3)],
		Device: []string{"cpu", "cuda"}[rng.IntN(2)], Status: st, Epochs: 20, Epoch: rng.IntN(21),
		SweepID: []string{"", "", "s1", "s2"}[rng.IntN(4)], CreatedAt: clock.Add(-time.Duration(rng.IntN(1000)) * time.Minute)}
	if st != store.StatusQueued {
		r.StartedAt = r.CreatedAt.Add(time.Second)
	}
	if st.Finished() {
		r.FinishedAt = r.StartedAt.Add(time.Duration(rng.IntN(600)) * time.Second)
	}
	return r
}

// Moving changed rows one by one (patch) gives the same table as sorting
// everything again (rebuild), for every column, direction and filter,
// through random changes, additions and deletions.
func TestPatchMatchesRebuild(t *testing.T) {
	for col := range numColumns {
		for _, desc := range []bool{false, true} {
			for _, query := range []string{"", "status:running,queued", "credit", "test.accuracy>0.5"} {
				t.Run(fmt.Sprintf("%s-%v-%q", col, desc, query), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(col), 7))
					ix := newIndex()
					var rows []store.RunRow
					for id := int64(1); id <= 300; id++ {
						rows = append(rows, randomRow(rng, id))
					}
					ix.apply(rows, nil)
					vals := map[int64]float64{}
					for id := int64(1); id <= 300; id++ {
						if rng.IntN(5) > 0 {
							vals[id] = rng.Float64()
						}
					}
					vals[7] = math.NaN()
					ix.setSeries(accuracy, vals)
					f, err := parseFilter(query, []store.SplitMetric{accuracy})
					if err != nil {
						t.Fatal(err)
					}
					patched := rowView{filter: f, order: ordering{col: col, desc: desc}, metric: accuracy}
					patched.rebuild(ix, clock)
					nextID := int64(301)
					for step := range 40 {
						var changed []store.RunRow
						var asked []int64
						for range rng.IntN(6) {
							id := int64(1 + rng.IntN(int(nextID-1)))
							if ix.rows[id] == nil {
								continue
							}
							asked = append(asked, id)
							if rng.IntN(4) == 0 {
								continue // deleted: asked for, not returned
							}
							r := ix.rows[id].RunRow
							r.Status, r.Epoch = store.Statuses[rng.IntN(len(store.Statuses))], rng.IntN(21)
							changed = append(changed, r)
							ix.updateSeries(accuracy, []int64{id}, map[int64]float64{id: rng.Float64()})
						}
						for range rng.IntN(3) {
							changed = append(changed, randomRow(rng, nextID))
							nextID++
						}
						ch, rm := ix.apply(changed, asked)
						var reread []int64
						for _, r := range changed {
							reread = append(reread, r.ID)
						}
						ch = patched.withSeriesChanges(ix, ch, reread)
						patched.patch(ix, ch, rm, clock)
						full := rowView{filter: f, order: ordering{col: col, desc: desc}, metric: accuracy}
						full.rebuild(ix, clock)
						if !slices.Equal(ids(patched.rows), ids(full.rows)) {
							t.Fatalf("step %d: patched %v\nrebuilt %v", step, ids(patched.rows), ids(full.rows))
						}
					}
				})
			}
		}
	}
}

// Runs without the sorted metric (or with NaN) come last in both
// directions; ties go newest first.
func TestSortMissingLast(t *testing.T) {
	ix := newIndex()
	ix.apply([]store.RunRow{{ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}, {ID: 5}}, nil)
	ix.setSeries(accuracy, map[int64]float64{1: 0.5, 2: 0.9, 4: math.NaN(), 5: 0.5})
	for _, tc := range []struct {
		desc bool
		want []int64
	}{{false, []int64{5, 1, 2, 4, 3}}, {true, []int64{2, 5, 1, 4, 3}}} {
		v := rowView{order: ordering{col: colMetric, desc: tc.desc}, metric: accuracy}
		v.rebuild(ix, clock)
		if got := ids(v.rows); !slices.Equal(got, tc.want) {
			t.Errorf("desc=%v: %v, want %v", tc.desc, got, tc.want)
		}
	}
}

// Pages merged in as they arrive (add) give the same table as sorting
// them all at once, for every column and direction.
func TestAddMatchesRebuild(t *testing.T) {
	for col := range numColumns {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s-%v", col, desc), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(col), 11))
				var rows []store.RunRow
				for id := int64(1); id <= 500; id++ {
					rows = append(rows, randomRow(rng, id))
				}
				// Newest first, as the pages come; the last page brings
				// a device no earlier page had.
				rows[0].Device = "tpu"
				vals := map[int64]float64{}
				for id := int64(1); id <= 500; id += 2 {
					vals[id] = rng.Float64()
				}
				ix := newIndex()
				ix.setSeries(accuracy, vals)
				paged := rowView{order: ordering{col: col, desc: desc}, metric: accuracy}
				for end := 500; end > 0; end -= 120 {
					added, _ := ix.apply(rows[max(0, end-120):end], nil)
					if paged.all == nil {
						paged.rebuild(ix, clock)
					} else {
						paged.add(ix, added, clock)
					}
				}
				full := rowView{order: ordering{col: col, desc: desc}, metric: accuracy}
				full.rebuild(ix, clock)
				if !slices.Equal(ids(paged.rows), ids(full.rows)) {
					t.Errorf("paged %v\nrebuilt %v", ids(paged.rows), ids(full.rows))
				}
			})
		}
	}
}

func TestSilent(t *testing.T) {
	started := clock.Add(-time.Hour)
	for _, tc := range []struct {
		name  string
		r     store.RunRow
		quiet bool
	}{
		{"fresh heartbeat", store.RunRow{Status: store.StatusRunning, StartedAt: started, HeartbeatAt: clock.Add(-10 * time.Second), Epoch: 100}, false},
		{"quick epochs, 3m quiet", store.RunRow{Status: store.StatusRunning, StartedAt: started, HeartbeatAt: clock.Add(-3 * time.Minute), Epoch: 100}, true},
		{"20m epochs, 30m quiet", store.RunRow{Status: store.StatusRunning, StartedAt: started, HeartbeatAt: started.Add(20 * time.Minute), Epoch: 1}, false},
		{"20m epochs, 2h quiet", store.RunRow{Status: store.StatusRunning, StartedAt: clock.Add(-140 * time.Minute), HeartbeatAt: clock.Add(-2 * time.Hour), Epoch: 1}, true},
		{"first epoch, 90s", store.RunRow{Status: store.StatusRunning, StartedAt: clock.Add(-90 * time.Second), HeartbeatAt: clock.Add(-90 * time.Second)}, false},
		{"finished", store.RunRow{Status: store.StatusSucceeded, StartedAt: started, HeartbeatAt: started, Epoch: 3}, false},
	} {
		if _, got := silent(&tc.r, clock); got != tc.quiet {
			t.Errorf("%s: silent %v, want %v", tc.name, got, tc.quiet)
		}
	}
}
