package model

import (
	"fmt"
	"math"
)

// ScheduleKind names a learning-rate schedule.
type ScheduleKind string

const (
	// Constant keeps the base rate (the zero Schedule is constant).
	Constant ScheduleKind = "constant"
	// StepDecay multiplies the rate by Gamma every StepSize epochs, as
	// torch.optim.lr_scheduler.StepLR stepped once per epoch.
	StepDecay ScheduleKind = "step"
	// Cosine anneals from the base rate to EtaMin over TMax epochs, as
	// CosineAnnealingLR stepped once per epoch (its closed form, which is
	// periodic past TMax as PyTorch's is).
	Cosine ScheduleKind = "cosine"
)

// Schedule sets each step's learning rate. The rate is a pure function of
// the epoch (counted from 0) and the global optimizer step (counted from
// 0), so every backend derives the same float32 rate, and a resumed run
// derives it from the counters alone.
type Schedule struct {
	Kind     ScheduleKind
	StepSize int     // step: epochs between decays
	Gamma    float64 // step: decay factor
	TMax     int     // cosine: epochs of the half period
	EtaMin   float64 // cosine: the final rate
	// A linear warmup multiplies the rate of the first WarmupEpochs epochs
	// (or of the first WarmupSteps steps) by (k+1)/W for epoch or step k:
	// the first step trains at LR/W, the rate is full from k = W on. It
	// composes with the schedule above, which keeps counting epochs from 0.
	WarmupEpochs int
	WarmupSteps  int
}

// Validate reports a schedule that cannot be followed.
func (s Schedule) Validate() error {
	switch s.Kind {
	case "", Constant:
	case StepDecay:
		if s.StepSize <= 0 || !(s.Gamma > 0) || math.IsInf(s.Gamma, 0) {
			return fmt.Errorf("schedule: step needs step_size > 0 and gamma > 0, have %d and %v", s.StepSize, s.Gamma)
		}
	case Cosine:
		if s.TMax <= 0 || !(s.EtaMin >= 0) || math.IsInf(s.EtaMin, 0) {
			return fmt.Errorf("schedule: cosine needs t_max > 0 and eta_min >= 0, have %d and %v", s.TMax, s.EtaMin)
		}
	default:
		return fmt.Errorf("schedule: unknown kind %q", s.Kind)
	}
	if s.WarmupEpochs < 0 || s.WarmupSteps < 0 || s.WarmupEpochs > 0 && s.WarmupSteps > 0 {
		return fmt.Errorf("schedule: warmup of %d epochs and %d steps; set one", s.WarmupEpochs, s.WarmupSteps)
	}
	return nil
}

// LR is the learning rate of the step numbered step (from 0), taken in
// epoch epoch (from 0), for an optimizer whose base rate is base.
func (s Schedule) LR(base float64, epoch, step int) float64 {
	lr := base
	switch s.Kind {
	case StepDecay:
		lr = base * math.Pow(s.Gamma, float64(epoch/s.StepSize))
	case Cosine:
		lr = s.EtaMin + (base-s.EtaMin)*(1+math.Cos(math.Pi*float64(epoch)/float64(s.TMax)))/2
	}
	switch {
	case s.WarmupEpochs > 0 && epoch < s.WarmupEpochs:
		lr *= float64(epoch+1) / float64(s.WarmupEpochs)
	case s.WarmupSteps > 0 && step < s.WarmupSteps:
		lr *= float64(step+1) / float64(s.WarmupSteps)
	}
	return lr
}

// StepLR is o's learning rate for the given epoch and step.
func (o Optimizer) StepLR(epoch, step int) float64 { return o.Schedule.LR(o.LR, epoch, step) }
