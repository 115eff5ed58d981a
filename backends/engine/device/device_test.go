package device_test

import (
	"math"
	"testing"

	"github.com/xp-ml/xp/backends/engine/device"
	"github.com/xp-ml/xp/model"
)

func TestNewAdamStep(t *testing.T) {
	o := model.Optimizer{Kind: model.Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1}
	tests := []struct {
		step              int
		stepSize, bc2Sqrt float64
	}{
		{1, 0.01 / 0.1, math.Sqrt(0.001)},
		{2, 0.01 / (1 - 0.81), math.Sqrt(1 - 0.999*0.999)},
		{1000, 0.01 / (1 - math.Pow(0.9, 1000)), math.Sqrt(1 - math.Pow(0.999, 1000))},
	}
	for _, tt := range tests {
		s := device.NewAdamStep(o, tt.step, o.LR)
		if s.StepSize != float32(tt.stepSize) || s.BiasCorrection2Sqrt != float32(tt.bc2Sqrt) {
			t.Errorf("step %d: step size %v, sqrt(bc2) %v; want %v, %v", tt.step, s.StepSize, s.BiasCorrection2Sqrt, float32(tt.stepSize), float32(tt.bc2Sqrt))
		}
		if s.OneMinusBeta1 != float32(0.1) || s.OneMinusBeta2 != float32(1-0.999) || s.WeightDecay != 0.1 || s.Eps != 1e-8 {
			t.Errorf("step %d: constants %+v", tt.step, s)
		}
	}
}
