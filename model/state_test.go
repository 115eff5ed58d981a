package model

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestTrainStateRoundTrip(t *testing.T) {
	p, _ := Init(mlp(), 3)
	opt := &Params{Tensors: []Tensor{{Name: "exp_avg/layer0.weight", Shape: []int{2}, Data: []float32{0.5, -1}}}}
	s := &TrainState{Step: 1234, Epoch: 7, Params: p, Optimizer: opt}
	var buf bytes.Buffer
	if err := s.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := DecodeTrainState(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if back.Step != 1234 || back.Epoch != 7 || back.Params.Digest() != p.Digest() || !reflect.DeepEqual(back.Optimizer, opt) {
		t.Errorf("round trip: step %d epoch %d, optimizer %+v", back.Step, back.Epoch, back.Optimizer)
	}
	tests := map[string][]byte{
		"empty":     nil,
		"bad magic": append([]byte("XPW\x01"), buf.Bytes()[4:]...),
		"truncated": buf.Bytes()[:40],
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeTrainState(b); err == nil {
				t.Error("decoded")
			} else if name != "truncated" && !errors.Is(err, ErrBadState) {
				t.Errorf("err %v, want ErrBadState", err)
			}
		})
	}
}

func TestOptimizerBuffers(t *testing.T) {
	tests := []struct {
		o    Optimizer
		want []string
	}{
		{Optimizer{Kind: SGD}, nil},
		{Optimizer{Kind: SGD, Momentum: 0.9}, []string{"momentum_buffer"}},
		{Optimizer{Kind: AdamW}, []string{"exp_avg", "exp_avg_sq"}},
		{Optimizer{Kind: RMSprop}, []string{"square_avg"}},
		{Optimizer{Kind: RMSprop, Momentum: 0.5}, []string{"square_avg", "momentum_buffer"}},
	}
	for _, tt := range tests {
		if got := OptimizerBuffers(tt.o); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%+v: %q, want %q", tt.o, got, tt.want)
		}
	}
}
