package model

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// TrainState is everything a trainer needs to continue exactly where it
// stopped: the parameters, the optimizer's state tensors and the counters
// that drive dropout masks, Adam's bias corrections and the schedule.
// Optimizer tensors are named "<buffer>/<parameter>" with PyTorch's buffer
// names ("momentum_buffer", "exp_avg", "exp_avg_sq", "square_avg"), so
// every backend reads every other's.
type TrainState struct {
	Step      int // optimizer steps taken
	Epoch     int // epochs started
	Params    *Params
	Optimizer *Params
}

// ErrBadState is returned for bytes that are not an encoded TrainState.
var ErrBadState = errors.New("not an xp training state")

var stateMagic = [4]byte{'X', 'P', 'S', 1}

// Encode writes s: a magic, the two counters and the length of the
// parameters' encoding as uint64, then the parameters and the optimizer
// state in the weights format.
func (s *TrainState) Encode(w io.Writer) error {
	var params bytes.Buffer
	if err := s.Params.Encode(&params); err != nil {
		return fmt.Errorf("encode training state: %w", err)
	}
	var head [28]byte
	copy(head[:4], stateMagic[:])
	binary.LittleEndian.PutUint64(head[4:], uint64(s.Step))
	binary.LittleEndian.PutUint64(head[12:], uint64(s.Epoch))
	binary.LittleEndian.PutUint64(head[20:], uint64(params.Len()))
	opt := s.Optimizer
	if opt == nil {
		opt = &Params{}
	}
	if _, err := w.Write(head[:]); err != nil {
		return fmt.Errorf("encode training state: %w", err)
	}
	if _, err := w.Write(params.Bytes()); err != nil {
		return fmt.Errorf("encode training state: %w", err)
	}
	if err := opt.Encode(w); err != nil {
		return fmt.Errorf("encode training state: %w", err)
	}
	return nil
}

// DecodeTrainState reads what Encode wrote.
func DecodeTrainState(b []byte) (*TrainState, error) {
	if len(b) < 28 || !bytes.Equal(b[:4], stateMagic[:]) {
		return nil, ErrBadState
	}
	s := &TrainState{
		Step:  int(binary.LittleEndian.Uint64(b[4:])),
		Epoch: int(binary.LittleEndian.Uint64(b[12:])),
	}
	n := binary.LittleEndian.Uint64(b[20:])
	if n > uint64(len(b)-28) {
		return nil, fmt.Errorf("%w: parameters of %d bytes in %d", ErrBadState, n, len(b)-28)
	}
	var err error
	if s.Params, err = Decode(bytes.NewReader(b[28 : 28+n])); err != nil {
		return nil, fmt.Errorf("decode training state: %w", err)
	}
	if s.Optimizer, err = Decode(bytes.NewReader(b[28+n:])); err != nil {
		return nil, fmt.Errorf("decode training state: %w", err)
	}
	return s, nil
}

// OptimizerBuffers names the state tensors o keeps per parameter, in
// PyTorch's words.
func OptimizerBuffers(o Optimizer) []string {
	switch o.Kind {
	case SGD:
		if o.Momentum != 0 {
			return []string{"momentum_buffer"}
		}
	case Adam, AdamW:
		return []string{"exp_avg", "exp_avg_sq"}
	case RMSprop:
		if o.Momentum > 0 {
			return []string{"square_avg", "momentum_buffer"}
		}
		return []string{"square_avg"}
	}
	return nil
}
