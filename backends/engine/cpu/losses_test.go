package cpu

import (
	"math"
	"testing"

	"github.com/xp-ml/xp/model"
)

// The expected values were computed in float64 with PyTorch 1.13:
//
//	F.binary_cross_entropy_with_logits(z, y, weight=w[y], reduction="sum") / w[y].sum()
//	F.binary_cross_entropy_with_logits(z, y)
//	nn.MSELoss()(p, t), nn.L1Loss()(p, t), nn.HuberLoss(delta=1.5)(p, t)
//
// and .backward() for the gradients.

func TestBinaryCrossEntropy(t *testing.T) {
	// Logits of ±30 and ±40 would overflow a naive log(1 + exp(z)) in
	// float32; a weight of 0 for every label zeroes the batch.
	z := []float32{0.5, -2, 30, -40, 0, 1.25}
	labels := []int32{1, 0, 0, 1, 1, 0}
	tests := []struct {
		name     string
		weights  []float32
		wantLoss float64 // the mean; the slot holds it times rows
		wantGrad []float64
	}{
		{"plain", []float32{1, 1}, 12.132680209521416,
			[]float64{-0.0629234447996909, 0.019867153670352924, 0.1666666666666511, -0.16666666666666666, -0.08333333333333333, 0.1295499768624485}},
		{"class weights", []float32{0.5, 2}, 13.086516916756576,
			[]float64{-0.10067751167950544, 0.00794686146814117, 0.06666666666666043, -0.26666666666666666, -0.13333333333333333, 0.0518199907449794}},
		{"zero weights", []float32{0, 0}, 0, make([]float64, 6)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDevice(t)
			dz := &Buffer{Data: make([]float32, len(z))}
			for i := range dz.Data {
				dz.Data[i] = 9 // must be overwritten
			}
			loss := &Buffer{Data: make([]float32, 3)}
			d.BinaryCrossEntropy(&Buffer{Data: z}, &Labels{Data: labels}, len(z), &Buffer{Data: tt.weights}, dz, loss, 2)
			if got, want := float64(loss.Data[2]), tt.wantLoss*float64(len(z)); math.Abs(got-want) > 1e-6*(1+math.Abs(want)) {
				t.Errorf("loss slot %v, want %v", got, want)
			}
			if loss.Data[0] != 0 || loss.Data[1] != 0 {
				t.Errorf("other slots written: %v", loss.Data)
			}
			for i, want := range tt.wantGrad {
				if got := float64(dz.Data[i]); math.Abs(got-want) > 1e-7+1e-6*math.Abs(want) {
					t.Errorf("dz[%d] = %v, want %v", i, got, want)
				}
			}
		})
	}
}

func TestRegressionLoss(t *testing.T) {
	// 3 rows of 2 targets; the second element has d = 0 (sign 0 for mae),
	// and huber's delta 1.5 leaves some |d| inside and some outside.
	pred := []float32{0.5, -1, 2, 3, 0.25, -4}
	target := []float32{0, -1, 0.5, 1, 1, 0}
	tests := []struct {
		kind     model.LossKind
		wantLoss float64
		wantGrad []float64
	}{
		{model.LossMSE, 3.84375, []float64{0.16666666666666666, 0, 0.5, 0.6666666666666666, -0.25, -1.3333333333333333}},
		{model.LossMAE, 1.4583333333333333, []float64{0.16666666666666666, 0, 0.16666666666666666, 0.16666666666666666, -0.16666666666666666, -0.16666666666666666}},
		{model.LossHuber, 1.3802083333333333, []float64{0.08333333333333333, 0, 0.25, 0.25, -0.125, -0.25}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			d := newDevice(t)
			g := &Buffer{Data: make([]float32, len(pred))}
			loss := &Buffer{Data: make([]float32, 2)}
			d.RegressionLoss(&Buffer{Data: pred}, &Buffer{Data: target}, 3, 2, tt.kind, 1.5, g, loss, 1)
			if got, want := float64(loss.Data[1]), tt.wantLoss*3; math.Abs(got-want) > 1e-6*want {
				t.Errorf("loss slot %v, want %v (mean %v times 3 rows)", got, want, tt.wantLoss)
			}
			for i, want := range tt.wantGrad {
				if got := float64(g.Data[i]); math.Abs(got-want) > 1e-7 {
					t.Errorf("dpred[%d] = %v, want %v", i, got, want)
				}
			}
		})
	}
}

func TestGatherRows(t *testing.T) {
	d := newDevice(t)
	src := []float32{0, 1, 10, 11, 20, 21}
	dst := &Buffer{Data: make([]float32, 6)}
	if err := d.GatherRows(dst, src, 2, []int32{2, 0}); err != nil {
		t.Fatal(err)
	}
	want := []float32{20, 21, 0, 1, 0, 0}
	for i, v := range want {
		if dst.Data[i] != v {
			t.Fatalf("dst = %v, want %v", dst.Data, want)
		}
	}
	if err := d.GatherRows(dst, src, 2, []int32{0, 1, 2, 0}); err == nil {
		t.Fatal("4 rows of 2 into 6 floats: no error")
	}
}
