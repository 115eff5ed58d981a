package cpu

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/xp-ml/xp/model"
)

func newDevice(t *testing.T) *Device {
	t.Helper()
	t.Setenv("XP_BLAS", "go")
	d, err := New(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestKind(t *testing.T) {
	k := Kind()
	if !strings.HasPrefix(k, runtime.GOARCH) {
		t.Fatalf("Kind() = %q, does not start with %s", k, runtime.GOARCH)
	}
}

// TestSoftmaxCrossEntropy checks the fused kernel against float64 on rows
// that would overflow a naive exp, with enough rows and classes that the
// product of row sums is flushed to the logarithm several times.
func TestSoftmaxCrossEntropy(t *testing.T) {
	tests := []struct {
		name       string
		rows, cols int
		scale      float64
	}{
		{"two classes", 7, 2, 1},
		{"large logits", 5, 3, 1000},
		{"many rows and classes", 300, 1000, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDevice(t)
			rng := rand.New(rand.NewPCG(1, uint64(tt.rows)))
			z := make([]float32, tt.rows*tt.cols)
			for i := range z {
				z[i] = float32(rng.NormFloat64() * tt.scale)
			}
			labels := &Labels{Data: make([]int32, tt.rows)}
			for i := range labels.Data {
				labels.Data[i] = int32(rng.IntN(tt.cols))
			}
			dz, loss := &Buffer{Data: make([]float32, len(z))}, &Buffer{Data: make([]float32, 2)}
			d.SoftmaxCrossEntropy(&Buffer{Data: z}, labels, tt.rows, tt.cols, dz, loss, 1)
			var want float64
			for r := range tt.rows {
				row := z[r*tt.cols : (r+1)*tt.cols]
				top := math.Inf(-1)
				for _, v := range row {
					top = math.Max(top, float64(v))
				}
				var s float64
				for _, v := range row {
					s += math.Exp(float64(v) - top)
				}
				want += math.Log(s) + top - float64(row[labels.Data[r]])
				for j, v := range row {
					g := math.Exp(float64(v)-top) / s
					if int32(j) == labels.Data[r] {
						g--
					}
					g /= float64(tt.rows)
					if got := float64(dz.Data[r*tt.cols+j]); math.Abs(got-g) > 1e-6*(1+math.Abs(g)) {
						t.Fatalf("dz[%d,%d] = %v, want %v", r, j, got, g)
					}
				}
			}
			if got := float64(loss.Data[1]); math.Abs(got-want) > 1e-6*math.Abs(want) {
				t.Fatalf("loss %v, want %v", got, want)
			}
			if loss.Data[0] != 0 {
				t.Fatalf("slot 0 written: %v", loss.Data[0])
			}
		})
	}
}

func TestActivationBackward(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	tests := []struct {
		act        model.Activation
		y, dy      []float32
		wantDy     []float32
		wantColSum []float32 // 3 columns
	}{
		{model.ActReLU, []float32{0, 2, 0.5, 0, 1e-30, 3}, []float32{1, 2, 3, 4, 5, negZero}, []float32{0, 2, 3, 0, 5, negZero}, []float32{0, 7, 3}},
		{model.ActTanh, []float32{0, 0.5, -0.5, 1, 0, 0}, []float32{1, 1, 2, 5, 1, 1}, []float32{1, 0.75, 1.5, 0, 1, 1}, []float32{1, 1.75, 2.5}},
		{model.ActSigmoid, []float32{0.5, 1, 0, 0.5, 0.5, 0.5}, []float32{4, 4, 4, 1, 1, 1}, []float32{1, 0, 0, 0.25, 0.25, 0.25}, []float32{1.25, 0.25, 0.25}},
		{model.ActNone, []float32{9, 9, 9, 9, 9, 9}, []float32{1, 2, 3, 4, 5, 6}, []float32{1, 2, 3, 4, 5, 6}, []float32{5, 7, 9}},
	}
	for _, tt := range tests {
		t.Run(string(tt.act), func(t *testing.T) {
			d := newDevice(t)
			dy, db := &Buffer{Data: append([]float32(nil), tt.dy...)}, &Buffer{Data: []float32{7, 7, 7}}
			d.ActivationBackward(dy, &Buffer{Data: tt.y}, db, 2, 3, tt.act)
			for i, want := range tt.wantDy {
				if dy.Data[i] != want {
					t.Fatalf("dy = %v, want %v", dy.Data, tt.wantDy)
				}
			}
			for i, want := range tt.wantColSum {
				if db.Data[i] != want {
					t.Fatalf("bias gradient %v, want %v", db.Data, tt.wantColSum)
				}
			}
		})
	}
}

// TestColumnSums covers row counts on both sides of the four-row unroll.
func TestColumnSums(t *testing.T) {
	for rows := range 10 {
		m := make([]float32, rows*3)
		for i := range m {
			m[i] = float32(i + 1)
		}
		sums := []float32{-1, -1, -1}
		columnSums(sums, m, rows, 3)
		for j := range 3 {
			var want float32
			for r := range rows {
				want += m[r*3+j]
			}
			if sums[j] != want {
				t.Fatalf("%d rows: sums %v, column %d want %v", rows, sums, j, want)
			}
		}
	}
}

func TestBiasActivation(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	y := &Buffer{Data: []float32{-1, 0.5, negZero, 2, float32(math.NaN()), -3}}
	d := newDevice(t)
	d.BiasActivation(y, &Buffer{Data: []float32{0, 0.5, 0}}, 2, 3, model.ActReLU)
	want := []float32{0, 1, 0, 2, float32(math.NaN()), 0}
	for i, w := range want {
		got := y.Data[i]
		if math.IsNaN(float64(w)) != math.IsNaN(float64(got)) || !math.IsNaN(float64(w)) && (got != w || math.Signbit(float64(got))) {
			t.Fatalf("y = %v, want %v (no -0)", y.Data, want)
		}
	}
}
