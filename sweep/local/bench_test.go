package local_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// sweep100 is 100 tiny points: 10 learning rates by 10 widths of a small
// iris MLP, a few epochs each.
var sweep100 = func() string {
	src := strings.Replace(irisSweep, `epochs: 3, batch_size: 16`, `epochs: 4, batch_size: 2`, 1)
	src = strings.Replace(src, `[0.003, 0.01, 0.03]`, `[0.001, 0.002, 0.003, 0.005, 0.007, 0.01, 0.02, 0.03, 0.05, 0.07]`, 1)
	return strings.Replace(src, `[4, 8, 16, 32]`, `[4, 6, 8, 10, 12, 16, 20, 24, 28, 32]`, 1)
}()

// BenchmarkSweep100 runs the 100 points with parallel 1, then, on a fresh
// store, with parallel 2, on the default CPU backend with one thread each.
// It reports the scheduler's overhead, the share of the wall time not
// spent in Job.Train (planning and validating the points, the queue's
// transactions, cache lookups, the summary), and the speed-up of
// parallel 2 over parallel 1.
func BenchmarkSweep100(b *testing.B) {
	exp, _ := setup(b, sweep100)
	ctx := context.Background()
	run := func(parallel int) *sweep.Result {
		st, err := store.Open(ctx, filepath.Join(b.TempDir(), ".xp"))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		res, err := runSweep(ctx, st, exp, options{
			Options: sweep.Options{Options: runner.Options{AllowDirty: true}, Parallel: parallel}, CPUs: 2,
		})
		if err != nil {
			b.Fatal(err)
		}
		if res.Trained != 100 {
			b.Fatalf("trained %d points, want 100", res.Trained)
		}
		return res
	}
	overhead := func(r *sweep.Result) float64 {
		return 1 - float64(r.Busy)/float64(r.Parallel)/float64(r.Elapsed)
	}
	var o1, o2, speedup float64
	for b.Loop() {
		p1, p2 := run(1), run(2)
		o1, o2 = overhead(p1), overhead(p2)
		speedup = float64(p1.Elapsed) / float64(p2.Elapsed)
		b.Logf("parallel 1: %v (%v training, %v a point; planning %v); parallel 2: %v (%v training); overhead %.1f%%, %.1f%%; speed-up %.2fx",
			p1.Elapsed.Round(time.Millisecond), p1.Busy.Round(time.Millisecond), (p1.Busy / 100).Round(10*time.Microsecond),
			p1.Planning.Round(time.Millisecond), p2.Elapsed.Round(time.Millisecond), p2.Busy.Round(time.Millisecond),
			100*o1, 100*o2, speedup)
	}
	b.ReportMetric(100*o1, "%overhead-p1")
	b.ReportMetric(100*o2, "%overhead-p2")
	b.ReportMetric(speedup, "speedup-p2")
}
