package model

import (
	"math"
	"testing"
)

func TestScheduleLR(t *testing.T) {
	tests := []struct {
		name        string
		s           Schedule
		epoch, step int
		want        float64
	}{
		{"zero is constant", Schedule{}, 7, 900, 0.1},
		{"constant", Schedule{Kind: Constant}, 3, 10, 0.1},
		// StepLR(step_size=2, gamma=0.5): epochs 0,1 -> lr; 2,3 -> lr/2; 4 -> lr/4.
		{"step before", Schedule{Kind: StepDecay, StepSize: 2, Gamma: 0.5}, 1, 0, 0.1},
		{"step after one", Schedule{Kind: StepDecay, StepSize: 2, Gamma: 0.5}, 2, 0, 0.05},
		{"step after two", Schedule{Kind: StepDecay, StepSize: 2, Gamma: 0.5}, 5, 0, 0.025},
		// CosineAnnealingLR(T_max=4, eta_min=0.01): epoch 2 is the midpoint.
		{"cosine start", Schedule{Kind: Cosine, TMax: 4, EtaMin: 0.01}, 0, 0, 0.1},
		{"cosine middle", Schedule{Kind: Cosine, TMax: 4, EtaMin: 0.01}, 2, 0, 0.055},
		{"cosine end", Schedule{Kind: Cosine, TMax: 4, EtaMin: 0.01}, 4, 0, 0.01},
		{"warmup epochs first", Schedule{WarmupEpochs: 4}, 0, 50, 0.025},
		{"warmup epochs last", Schedule{WarmupEpochs: 4}, 3, 50, 0.1},
		{"warmup epochs done", Schedule{WarmupEpochs: 4}, 4, 50, 0.1},
		{"warmup steps", Schedule{WarmupSteps: 10}, 0, 4, 0.05},
		{"warmup steps done", Schedule{WarmupSteps: 10}, 0, 10, 0.1},
		{"warmup composes with step", Schedule{Kind: StepDecay, StepSize: 1, Gamma: 0.5, WarmupEpochs: 2}, 1, 0, 0.05 * 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Validate(); err != nil {
				t.Fatal(err)
			}
			got := tt.s.LR(0.1, tt.epoch, tt.step)
			if math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("LR(0.1, %d, %d) = %v, want %v", tt.epoch, tt.step, got, tt.want)
			}
		})
	}
}

func TestScheduleValidate(t *testing.T) {
	bad := map[string]Schedule{
		"unknown":         {Kind: "exponential"},
		"step size 0":     {Kind: StepDecay, Gamma: 0.5},
		"gamma 0":         {Kind: StepDecay, StepSize: 1},
		"cosine t_max 0":  {Kind: Cosine},
		"negative floor":  {Kind: Cosine, TMax: 3, EtaMin: -1},
		"both warmups":    {WarmupEpochs: 1, WarmupSteps: 1},
		"negative warmup": {WarmupSteps: -1},
	}
	for name, s := range bad {
		t.Run(name, func(t *testing.T) {
			if err := s.Validate(); err == nil {
				t.Errorf("%+v validated", s)
			}
		})
	}
}
