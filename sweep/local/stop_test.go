package local_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/xp-ml/xp/store"
)

// A stop rule decides over the points in their order: the sweep stops at
// the same point, for the same reason, at parallel 1 and 3; at parallel 1
// no point past it trains.
func TestStopRuleSameAtAnyParallelism(t *testing.T) {
	src := strings.Replace(irisSweep, `metric: "validation.accuracy"`, `metric: "validation.accuracy"
		stop: no_improvement_in: 2`, 1)
	reasons := map[int]string{}
	for _, parallel := range []int{1, 3} {
		exp, st := setup(t, src)
		opts := sweepOpts(parallel)
		opts.CPUs = 8
		res, err := runSweep(context.Background(), st, exp, opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.Stopped == "" {
			t.Fatalf("parallel %d: not stopped; points %d, pending %d", parallel, len(res.Points), res.Pending())
		}
		reasons[parallel] = res.Stopped
		trained := 0
		for _, p := range res.Points {
			if p.State == store.PointDone {
				trained++
			}
		}
		if trained == 12 {
			t.Errorf("parallel %d: every point trained", parallel)
		}
		if parallel == 1 {
			// Points 0..k trained, k = the best point + 2, and none after.
			var best int
			if _, err := fmt.Sscanf(res.Stopped[strings.Index(res.Stopped, "after point"):], "after point %d", &best); err != nil {
				t.Fatalf("reason %q: %v", res.Stopped, err)
			}
			for _, p := range res.Points {
				if done := p.State == store.PointDone; done != (p.Index <= best+2) {
					t.Errorf("point %d: %s, stopping after point %d", p.Index, p.State, best+2)
				}
			}
		}
		t.Logf("parallel %d: %s; %d trained", parallel, res.Stopped, trained)
	}
	if reasons[1] != reasons[3] {
		t.Errorf("stopped at parallel 1: %s; at 3: %s", reasons[1], reasons[3])
	}
}
