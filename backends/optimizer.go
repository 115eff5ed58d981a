package backends

import (
	"fmt"
	"math"

	"github.com/xp-ml/xp/model"
)

// CheckOptimizer accepts what torch.optim accepts for the same rule, so
// every backend refuses the same settings with the same words.
func CheckOptimizer(o model.Optimizer) error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !finite(o.LR) || o.LR < 0 {
		return fmt.Errorf("optimizer: learning rate %v", o.LR)
	}
	if !finite(o.WeightDecay) || o.WeightDecay < 0 {
		return fmt.Errorf("optimizer: weight decay %v", o.WeightDecay)
	}
	if !finite(o.ClipNorm) || o.ClipNorm < 0 {
		return fmt.Errorf("optimizer: clip norm %v", o.ClipNorm)
	}
	if !finite(o.Momentum) || o.Momentum < 0 {
		return fmt.Errorf("optimizer: %s momentum %v", o.Kind, o.Momentum)
	}
	if o.Nesterov && (o.Kind != model.SGD || o.Momentum <= 0) {
		return fmt.Errorf("optimizer: nesterov needs sgd with momentum > 0")
	}
	switch o.Kind {
	case model.SGD:
	case model.Adam, model.AdamW:
		if !(o.Beta1 >= 0 && o.Beta1 < 1) || !(o.Beta2 >= 0 && o.Beta2 < 1) {
			return fmt.Errorf("optimizer: %s betas (%v, %v) not in [0, 1)", o.Kind, o.Beta1, o.Beta2)
		}
		if !finite(o.Eps) || o.Eps < 0 {
			return fmt.Errorf("optimizer: %s eps %v", o.Kind, o.Eps)
		}
	case model.RMSprop:
		if !(o.Alpha >= 0 && o.Alpha <= 1) {
			return fmt.Errorf("optimizer: rmsprop alpha %v not in [0, 1]", o.Alpha)
		}
		if !finite(o.Eps) || o.Eps < 0 {
			return fmt.Errorf("optimizer: rmsprop eps %v", o.Eps)
		}
	default:
		return fmt.Errorf("optimizer: unknown kind %q", o.Kind)
	}
	if err := o.Schedule.Validate(); err != nil {
		return fmt.Errorf("optimizer: %w", err)
	}
	return nil
}
