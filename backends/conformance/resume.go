package conformance

import (
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/model"
)

// Resume trains p for epochs epochs straight, and again in two trainers:
// the first trains split epochs and hands its State, through its encoding,
// to a second compiled from the initial parameters, which Restores it and
// trains the rest. The two must end with the same bits: parameters,
// optimizer state and losses.
func Resume(t *testing.T, b backends.Backend, p Problem, epochs, split int) {
	t.Helper()
	ctx := context.Background()
	p0, err := model.Init(p.Model, p.InitSeed)
	if err != nil {
		t.Fatal(err)
	}
	compile := func() backends.Trainer {
		tr, err := b.Compile(ctx, p.Model, p0, p.Config)
		if err != nil {
			t.Fatalf("%s: %v", b.Name(), err)
		}
		t.Cleanup(func() { tr.Close() })
		return tr
	}
	straight, first, second := compile(), compile(), compile()
	var want, got []float64
	for e := range epochs {
		o := Order(p.Data.N, uint64(200+e))
		want = append(want, epoch(t, straight, p.Data, o))
		switch {
		case e < split:
			got = append(got, epoch(t, first, p.Data, o))
		case e == split:
			s, err := first.State()
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := s.Encode(&buf); err != nil {
				t.Fatal(err)
			}
			back, err := model.DecodeTrainState(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if err := second.Restore(back); err != nil {
				t.Fatal(err)
			}
			fallthrough
		default:
			got = append(got, epoch(t, second, p.Data, o))
		}
	}
	for e := range want {
		if math.Float64bits(got[e]) != math.Float64bits(want[e]) {
			t.Errorf("epoch %d: loss %v resumed, %v straight", e, got[e], want[e])
		}
	}
	sw, err := straight.State()
	if err != nil {
		t.Fatal(err)
	}
	sg, err := second.State()
	if err != nil {
		t.Fatal(err)
	}
	if sw.Step != sg.Step || sw.Epoch != sg.Epoch {
		t.Errorf("resumed at step %d epoch %d, straight at %d %d", sg.Step, sg.Epoch, sw.Step, sw.Epoch)
	}
	if sw.Params.Digest() != sg.Params.Digest() || sw.Optimizer.Digest() != sg.Optimizer.Digest() {
		t.Errorf("resumed parameters or optimizer state differ from the straight run's")
	}
}
