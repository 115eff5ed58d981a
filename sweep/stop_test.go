package sweep

import (
	"math"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
)

func TestStopReason(t *testing.T) {
	done := func(values ...float64) []PointResult {
		out := make([]PointResult, len(values))
		for i, v := range values {
			out[i] = PointResult{Index: i, State: store.PointDone, Status: store.StatusSucceeded, Value: v}
			if math.IsNaN(v) {
				out[i].Status = store.StatusFailed
			}
		}
		return out
	}
	at := func(x float64) *float64 { return &x }
	pending := done(0.5, 0.9, 0.95)
	pending[1].State, pending[1].Status = store.PointClaimed, ""
	nan := math.NaN()
	tests := []struct {
		name   string
		stop   spec.Stop
		points []PointResult
		mode   string
		want   string // a part of the reason; "" goes on
	}{
		{"reached, max", spec.Stop{MetricAtLeast: at(0.9)}, done(0.5, 0.92, 0.7), ModeMax, "point 1 reached validation.x 0.92"},
		{"reached exactly", spec.Stop{MetricAtLeast: at(0.9)}, done(0.9), ModeMax, "point 0 reached"},
		{"not reached, max", spec.Stop{MetricAtLeast: at(0.9)}, done(0.5, 0.89), ModeMax, ""},
		{"reached, min", spec.Stop{MetricAtLeast: at(0.2)}, done(0.5, 0.19), ModeMin, "point 1 reached"},
		{"a later point reached it, an earlier one training", spec.Stop{MetricAtLeast: at(0.9)}, pending, ModeMax, ""},
		{"no improvement", spec.Stop{NoImprovementIn: 2}, done(0.5, 0.7, 0.6, 0.7, 0.9), ModeMax, "has not improved in the 2 points after point 1"},
		{"improving", spec.Stop{NoImprovementIn: 2}, done(0.5, 0.7, 0.6, 0.8, 0.7), ModeMax, ""},
		{"failures do not improve", spec.Stop{NoImprovementIn: 2}, done(0.5, nan, nan), ModeMin, "after point 0"},
		{"nothing succeeded", spec.Stop{NoImprovementIn: 2}, done(nan, nan), ModeMin, "none of the first 2 points"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := stopReason(&tt.stop, tt.points, "validation.x", tt.mode)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("reason %q, want %q", got, tt.want)
			}
		})
	}
}
