package engine

import (
	"fmt"

	"github.com/xp-ml/xp/backends/engine/device"
	"github.com/xp-ml/xp/model"
)

// optimizerBuffers pairs the optimizer's state buffers with their names.
func (t *Trainer) optimizerBuffers() ([]string, []device.Buffer) {
	names := model.OptimizerBuffers(t.m.Optimizer)
	return names, []device.Buffer{t.state1, t.state2}[:len(names)]
}

// State implements backends.Trainer.
func (t *Trainer) State() (*model.TrainState, error) {
	if t.closed {
		return nil, ErrClosed
	}
	p, err := t.readParams()
	if err != nil {
		return nil, err
	}
	s := &model.TrainState{Step: t.step, Epoch: t.epoch, Params: p, Optimizer: &model.Params{}}
	names, bufs := t.optimizerBuffers()
	host := make([]float32, t.nparams)
	for i, b := range bufs {
		if err := t.dev.Read(host, b); err != nil {
			return nil, fmt.Errorf("engine: read optimizer state: %w", err)
		}
		for _, sl := range t.slots {
			if sl.stat {
				continue
			}
			s.Optimizer.Tensors = append(s.Optimizer.Tensors, model.Tensor{
				Name: names[i] + "/" + sl.name, Shape: append([]int(nil), sl.shape...),
				Data: append([]float32(nil), host[sl.off:sl.off+sl.n]...),
			})
		}
	}
	return s, nil
}

// Restore implements backends.Trainer.
func (t *Trainer) Restore(s *model.TrainState) error {
	if t.closed {
		return ErrClosed
	}
	if err := s.Params.Check(&t.m); err != nil {
		return fmt.Errorf("engine: restore: %w", err)
	}
	names, bufs := t.optimizerBuffers()
	if len(names) > 0 && s.Optimizer == nil {
		return fmt.Errorf("engine: restore: no optimizer state")
	}
	// Check the optimizer state fits before anything is overwritten.
	for _, n := range names {
		for _, sl := range t.slots {
			if sl.stat {
				continue
			}
			if src := s.Optimizer.Get(n + "/" + sl.name); src == nil || len(src.Data) != sl.n {
				return fmt.Errorf("engine: restore: %s/%s missing or mis-sized", n, sl.name)
			}
		}
	}
	if err := t.writeSlots(s.Params, "", false, t.params); err != nil {
		return fmt.Errorf("engine: restore: %w", err)
	}
	if err := t.writeSlots(s.Params, "", true, t.stats); err != nil {
		return fmt.Errorf("engine: restore: %w", err)
	}
	for i, b := range bufs {
		if err := t.writeSlots(s.Optimizer, names[i]+"/", false, b); err != nil {
			return fmt.Errorf("engine: restore: %w", err)
		}
	}
	t.step, t.epoch = s.Step, s.Epoch
	return nil
}
