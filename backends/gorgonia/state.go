package gorgonia

import (
	"fmt"

	"github.com/xp-ml/xp/model"
)

// State implements backends.Trainer.
func (t *Trainer) State() (*model.TrainState, error) {
	if t.closed {
		return nil, ErrClosed
	}
	s := &model.TrainState{Step: t.step, Epoch: t.epoch, Params: t.Params(), Optimizer: &model.Params{}}
	for i, name := range model.OptimizerBuffers(t.m.Optimizer) {
		bufs := t.opt.first
		if i == 1 {
			bufs = t.opt.second
		}
		for j, p := range t.params {
			s.Optimizer.Tensors = append(s.Optimizer.Tensors, model.Tensor{
				Name: name + "/" + p.name, Shape: append([]int(nil), p.shape...), Data: append([]float32(nil), bufs[j]...),
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
		return fmt.Errorf("gorgonia: restore: %w", err)
	}
	names := model.OptimizerBuffers(t.m.Optimizer)
	if len(names) > 0 && s.Optimizer == nil {
		return fmt.Errorf("gorgonia: restore: no optimizer state")
	}
	// Check everything before changing anything.
	for _, p := range t.params {
		if src := s.Params.Get(p.name); src == nil || len(src.Data) != len(p.data) {
			return fmt.Errorf("gorgonia: restore: %s missing or mis-sized", p.name)
		}
		for _, n := range names {
			if src := s.Optimizer.Get(n + "/" + p.name); src == nil || len(src.Data) != len(p.data) {
				return fmt.Errorf("gorgonia: restore: %s/%s missing or mis-sized", n, p.name)
			}
		}
	}
	for _, p := range t.stats {
		if src := s.Params.Get(p.name); src == nil || len(src.Data) != len(p.data) {
			return fmt.Errorf("gorgonia: restore: %s missing or mis-sized", p.name)
		}
	}
	for _, p := range t.stats {
		copy(p.data, s.Params.Get(p.name).Data)
	}
	for j, p := range t.params {
		// In place: the graphs hold these backing arrays.
		copy(p.data, s.Params.Get(p.name).Data)
		for i, n := range names {
			bufs := t.opt.first
			if i == 1 {
				bufs = t.opt.second
			}
			copy(bufs[j], s.Optimizer.Get(n+"/"+p.name).Data)
		}
	}
	t.step, t.epoch, t.opt.steps = s.Step, s.Epoch, s.Step
	return nil
}
