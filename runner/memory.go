package runner

import (
	"errors"
	"fmt"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/sysmetric"
)

// ErrTooBig is a model whose training could not fit in this machine's
// memory, found before any of it is allocated.
var ErrTooBig = errors.New("model too large for this machine's memory")

// Bytes per parameter while training: the weights, their gradients and up
// to two optimizer moments, float32 each.
const bytesPerParam = 16

// Bytes per unit of a layer per row of a batch: its pre-activation, its
// output and their gradients, float32 each.
const bytesPerActivation = 16

// ModelBytes is a lower bound on the memory that training exp's model
// takes: its inputs and outputs are taken as 1 wide (the data is not read),
// so the true figure is higher. layer is the index of the dense layer that
// takes the most, -1 for none.
func ModelBytes(s *spec.Spec) (bytes float64, layer int) {
	batch := float64(max(s.Train.BatchSize, 1))
	prev, biggest, layer := 1.0, 0.0, -1
	for i, l := range s.Model.Layers {
		if l.Dense <= 0 {
			continue
		}
		units := float64(l.Dense)
		b := (prev*units+units)*bytesPerParam + batch*units*bytesPerActivation
		if b > biggest {
			biggest, layer = b, i
		}
		bytes += b
		prev = units
	}
	bytes += (prev + 1) * bytesPerParam // the head, onto at least one output
	return bytes, layer
}

// CheckMemory refuses a model that cannot train in the memory available
// here (an error on model.layers[i].dense matching ErrTooBig), before a
// byte of it is allocated: without it, `dense: 2000000000` ends in the Go
// runtime's out of memory. When the machine does not say, it says nothing.
func CheckMemory(exp *spec.Experiment) error {
	avail, ok := sysmetric.MemoryAvailable()
	if !ok {
		return nil
	}
	need, layer := ModelBytes(&exp.Spec)
	if need <= float64(avail) {
		return nil
	}
	field := "model"
	if layer >= 0 {
		field = fmt.Sprintf("model.layers[%d].dense", layer)
	}
	return exp.FieldError(field, fmt.Errorf("%w: training it needs at least %.1f GiB, and %.1f GiB is available here",
		ErrTooBig, need/(1<<30), float64(avail)/(1<<30)))
}
