package cuda_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/backends/conformance"
	"github.com/xp-ml/xp/backends/engine"
	"github.com/xp-ml/xp/backends/engine/cpu"
	"github.com/xp-ml/xp/backends/engine/cuda"
	"github.com/xp-ml/xp/backends/engine/device"
	_ "github.com/xp-ml/xp/backends/gorgonia" // the reference registers itself
	"github.com/xp-ml/xp/model"
)

// needGPU skips a test where CUDA cannot run, saying why.
func needGPU(t testing.TB) {
	t.Helper()
	if err := cuda.Available(); err != nil {
		t.Skipf("no GPU: %v", err)
	}
}

// TestConformsToCPU runs the conformance suite, CUDA against the CPU
// device: every layer's forward outputs and gradients, every optimizer's
// steps and a trajectory, within the float32 tolerance (the GEMMs sum in
// different orders; the other kernels compute what the CPU's do).
func TestConformsToCPU(t *testing.T) {
	needGPU(t)
	forEachFusing(t, func(t *testing.T) {
		conformance.Run(t, cuda.Backend, engine.CPU, conformance.Float32())
	})
}

// forEachFusing runs f with every step replayed where it can be, in each
// replay mode, and with none replayed: every path must conform.
func forEachFusing(t *testing.T, f func(t *testing.T)) {
	for _, mode := range append(cuda.ReplayModes(), "off") {
		t.Run("replay-"+mode, func(t *testing.T) {
			if mode == "off" {
				defer cuda.SetFusing("off")()
			} else {
				defer cuda.SetFusing("on")()
				defer cuda.SetReplayMode(mode)()
			}
			f(t)
		})
	}
}

// TestConformsToGorgonia runs the suite against the reference backend.
func TestConformsToGorgonia(t *testing.T) {
	needGPU(t)
	ref, err := backends.Get("gorgonia")
	if err != nil {
		t.Fatal(err)
	}
	forEachFusing(t, func(t *testing.T) {
		conformance.Run(t, cuda.Backend, ref, conformance.Float32())
	})
}

// TestDatasets trains credit and digits on the GPU and on the CPU: the
// loss trajectories agree within the float32 tolerance, and the test
// accuracies after 5 epochs within 0.5 points.
func TestDatasets(t *testing.T) {
	needGPU(t)
	adam := model.Optimizer{Kind: model.Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-4}
	for _, tt := range []struct {
		file, target string
		hidden       []int
		rate         float64
	}{
		{"digits.csv", "target", []int{128, 64}, 0},
		{"credit_data.csv", "Status", []int{64, 32}, 0.2},
	} {
		t.Run(tt.file, func(t *testing.T) {
			data := conformance.LoadCSV(t, filepath.Join("..", "..", "..", "experiments", "data", tt.file), tt.target)
			m := conformance.MLP(data.D, conformance.Classes(data), tt.hidden, model.ActReLU, tt.rate, adam)
			p := conformance.Problem{Model: m, Data: data, Config: backends.Config{BatchSize: 64, Seed: 7}, InitSeed: 7}
			conformance.Trajectory(t, cuda.Backend, engine.CPU, p, 3, conformance.Float32())

			train, test := split(data, 0.2)
			accGPU := accuracy(t, cuda.Backend, m, train, test)
			accCPU := accuracy(t, engine.CPU, m, train, test)
			t.Logf("test accuracy after 5 epochs: cuda %.4f, cpu %.4f", accGPU, accCPU)
			if math.Abs(accGPU-accCPU) > 0.005 {
				t.Errorf("accuracy: cuda %.4f, cpu %.4f: more than 0.5 points apart", accGPU, accCPU)
			}
		})
	}
}

func split(b *backends.Batches, frac float64) (train, test *backends.Batches) {
	perm := rand.New(rand.NewPCG(1, 2)).Perm(b.N)
	nTest := int(float64(b.N) * frac)
	take := func(rows []int) *backends.Batches {
		out := &backends.Batches{N: len(rows), D: b.D, X: make([]float32, 0, len(rows)*b.D), Y: make([]int32, 0, len(rows))}
		for _, r := range rows {
			out.X = append(out.X, b.X[r*b.D:(r+1)*b.D]...)
			out.Y = append(out.Y, b.Y[r])
		}
		return out
	}
	return take(perm[nTest:]), take(perm[:nTest])
}

func accuracy(t *testing.T, b backends.Backend, m *model.Model, train, test *backends.Batches) float64 {
	t.Helper()
	tr := compile(t, b, m, backends.Config{BatchSize: 64, Seed: 7})
	for e := range 5 {
		if _, err := tr.Epoch(context.Background(), train, conformance.Order(train.N, uint64(e)), nil); err != nil {
			t.Fatal(err)
		}
	}
	k := m.Classes
	probs := make([]float32, test.N*k)
	if err := tr.Predict(context.Background(), test, probs); err != nil {
		t.Fatal(err)
	}
	correct := 0
	for i := range test.N {
		best := 0
		for c := range k {
			if probs[i*k+c] > probs[i*k+best] {
				best = c
			}
		}
		if int32(best) == test.Y[i] {
			correct++
		}
	}
	return float64(correct) / float64(test.N)
}

func compile(t testing.TB, b backends.Backend, m *model.Model, cfg backends.Config) backends.Trainer {
	t.Helper()
	p, err := model.Init(m, 42)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := b.Compile(context.Background(), m, p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// TestMissingGPU: an ordinal the machine does not have is refused before
// training, in one line.
func TestMissingGPU(t *testing.T) {
	needGPU(t)
	err := backends.CheckConfig(cuda.Backend, backends.Config{GPU: 99})
	if err == nil || !strings.Contains(err.Error(), "this machine has") {
		t.Fatalf("CheckConfig(cuda:99) = %v", err)
	}
	if err := backends.CheckConfig(cuda.Backend, backends.Config{GPU: 0}); err != nil {
		t.Fatalf("CheckConfig(cuda:0) = %v", err)
	}
}

// TestDeterministic: the same run twice on the GPU gives the same bits,
// losses and parameters; every reduction has a fixed shape.
func TestDeterministic(t *testing.T) {
	needGPU(t)
	forEachFusing(t, testDeterministic)
}

func testDeterministic(t *testing.T) {
	adamw := model.Optimizer{Kind: model.AdamW, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, ClipNorm: 1}
	m := conformance.MLP(64, 5, []int{300, 40}, model.ActGELU, 0.25, adamw)
	data := conformance.Synthetic(2000, 64, 5, 3)
	run := func() ([]float64, *model.Params) {
		tr := compile(t, cuda.Backend, m, backends.Config{BatchSize: 128, Seed: 5})
		var losses []float64
		for e := range 3 {
			l, err := tr.Epoch(context.Background(), data, conformance.Order(data.N, uint64(e)), nil)
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, l)
		}
		return losses, tr.Params()
	}
	l1, p1 := run()
	l2, p2 := run()
	for i := range l1 {
		if math.Float64bits(l1[i]) != math.Float64bits(l2[i]) {
			t.Errorf("epoch %d loss %v then %v", i+1, l1[i], l2[i])
		}
	}
	for i, tensor := range p1.Tensors {
		for j, v := range tensor.Data {
			if math.Float32bits(v) != math.Float32bits(p2.Tensors[i].Data[j]) {
				t.Fatalf("%s[%d]: %v then %v", tensor.Name, j, v, p2.Tensors[i].Data[j])
			}
		}
	}
}

// TestZeroAllocsPerStep: a training epoch on the GPU allocates nothing in
// Go once compiled (the first epoch grows the loss slots and the batch
// ring; AllocsPerRun's warm-up call takes those).
func TestZeroAllocsPerStep(t *testing.T) {
	needGPU(t)
	forEachFusing(t, testZeroAllocs)
}

func testZeroAllocs(t *testing.T) {
	opt := model.Optimizer{Kind: model.Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, ClipNorm: 1}
	m := conformance.BatchNormMLP(32, 4, []int{64, 64}, model.ActReLU, opt)
	m.Loss = model.Loss{ClassWeights: []float64{1, 2, 0.5, 1}, LabelSmoothing: 0.1}
	data := conformance.Synthetic(300, 32, 4, 2)
	tr := compile(t, cuda.Backend, m, backends.Config{BatchSize: 64, Seed: 1})
	o := conformance.Order(data.N, 3)
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := tr.Epoch(context.Background(), data, o, nil); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per epoch of 5 steps", allocs)
	}
}

// TestKernelsMatchCPU runs each device method on the GPU and on the CPU
// device with the same inputs. The kernels that are plain float32
// arithmetic (optimizers, dropout, ReLU, products) and the batch norm's
// float64 column sums, done in the CPU's order, must give the same bits;
// those with a transcendental function (exp, tanh, erf: Go's algorithms
// ported to the GPU, where Go's amd64 exp is assembly) or a sum in another
// order within a few float32 ulps.
func TestKernelsMatchCPU(t *testing.T) {
	needGPU(t)
	g, err := cuda.Open(0)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	c, err := cpu.New(1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, k := range kernelTable(t) {
		t.Run(k.name, func(t *testing.T) {
			got := runKernel(t, g, k.inputs, k.labels, k.run)
			want := runKernel(t, c, k.inputs, k.labels, k.run)
			compareBuffers(t, got, want, k.check, k.tol)
		})
	}
}

// kernelCase is one device method on fixed inputs: its buffers, labels,
// the buffers to compare afterwards and how closely. plan holds the
// per-step values it passes (a fused step takes them from its plan), and
// order the rows it gathers.
type kernelCase struct {
	name   string
	inputs [][]float32
	labels []int32
	run    func(d device.Device, b []device.Buffer, l device.Labels)
	check  []int
	tol    conformance.Bound
	plan   device.StepPlan
	order  []int32
}

// kernelTable is every device method a training step or a prediction
// calls, on random inputs of 300 rows × 37 columns.
func kernelTable(t *testing.T) []kernelCase {
	const rows, cols = 300, 37
	n := rows * cols
	rng := rand.New(rand.NewPCG(9, 9))
	random := func(n int, scale float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
		}
		return v
	}
	positive := func(n int) []float32 {
		v := random(n, 1)
		for i := range v {
			v[i] = v[i]*v[i] + 0.1
		}
		return v
	}
	labels := make([]int32, rows)
	for i := range labels {
		labels[i] = int32(rng.IntN(cols))
	}
	exact := conformance.Bound{}
	ulps := conformance.Bound{Abs: 1e-7, Rel: 4e-7}
	sums := conformance.Bound{Abs: 1e-5, Rel: 1e-5}
	adam := device.NewAdamStep(model.Optimizer{Kind: model.Adam, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}, 3, 1e-3)
	type kernel struct {
		name   string
		inputs [][]float32
		run    func(d device.Device, b []device.Buffer, l device.Labels)
		check  []int // indices of the buffers to compare
		tol    conformance.Bound
	}
	sgdStep := device.SGDStep{LR: 0.01, Momentum: 0.9, WeightDecay: 1e-4, Nesterov: true}
	rmsStep := device.NewRMSpropStep(model.Optimizer{Alpha: 0.99, Eps: 1e-8, Momentum: 0.9, WeightDecay: 1e-4}, 1e-3)
	binary := make([]int32, rows)
	for i := range binary {
		binary[i] = labels[i] % 2
	}
	table := random(1000*cols, 1)
	// A raw batch of 3 columns whose last holds embedding indices into a
	// table of 500 rows: indices repeat, and most rows are never chosen.
	const vocab, dim = 500, 4
	raw := random(rows*3, 1)
	for r := range rows {
		raw[r*3+2] = float32(rng.IntN(vocab))
	}
	picks := make([]int32, rows)
	for i := range picks {
		picks[i] = int32(rng.IntN(1000))
	}
	var kernels []kernel
	for _, act := range []model.Activation{model.ActNone, model.ActReLU, model.ActLeakyReLU, model.ActTanh, model.ActSigmoid, model.ActGELU} {
		tol := ulps
		if act == model.ActNone || act == model.ActReLU || act == model.ActLeakyReLU {
			tol = exact
		}
		kernels = append(kernels,
			kernel{"bias-" + string(act), [][]float32{random(n, 3), random(cols, 1)},
				func(d device.Device, b []device.Buffer, _ device.Labels) {
					d.BiasActivation(b[0], b[1], rows, cols, act)
				}, []int{0}, tol},
			kernel{"activate-" + string(act), [][]float32{make([]float32, n), random(n, 3)},
				func(d device.Device, b []device.Buffer, _ device.Labels) { d.Activate(b[0], b[1], n, act) }, []int{0}, tol},
			kernel{"backward-" + string(act), [][]float32{random(n, 1), random(n, 1), make([]float32, cols)},
				func(d device.Device, b []device.Buffer, _ device.Labels) {
					d.ActivationBackward(b[0], b[1], b[2], rows, cols, act)
				}, []int{0, 2}, sums},
		)
	}
	kernels = append(kernels,
		kernel{"dropout", [][]float32{make([]float32, n)},
			func(d device.Device, b []device.Buffer, _ device.Labels) { d.DropoutMask(b[0], n, 77, 12345, 3, 0.3) }, []int{0}, exact},
		kernel{"mul", [][]float32{make([]float32, n), random(n, 1), random(n, 1)},
			func(d device.Device, b []device.Buffer, _ device.Labels) { d.Mul(b[0], b[1], b[2], n) }, []int{0}, exact},
		kernel{"scale", [][]float32{random(n, 1)},
			func(d device.Device, b []device.Buffer, _ device.Labels) { d.Scale(b[0], n, 0.999) }, []int{0}, exact},
		kernel{"adam", [][]float32{random(n, 1), random(n, 0.1), random(n, 0.01), positive(n)},
			func(d device.Device, b []device.Buffer, _ device.Labels) { d.Adam(b[0], b[1], b[2], b[3], n, adam) }, []int{0, 2, 3}, exact},
		kernel{"sgd-nesterov", [][]float32{random(n, 1), random(n, 0.1), random(n, 0.1)},
			func(d device.Device, b []device.Buffer, _ device.Labels) {
				d.SGD(b[0], b[1], b[2], n, sgdStep)
			}, []int{0, 2}, exact},
		kernel{"rmsprop", [][]float32{random(n, 1), random(n, 0.1), positive(n), random(n, 0.1)},
			func(d device.Device, b []device.Buffer, _ device.Labels) {
				d.RMSprop(b[0], b[1], b[2], b[3], n, rmsStep)
			}, []int{0, 2, 3}, exact},
		kernel{"clip", [][]float32{random(n, 1)},
			func(d device.Device, b []device.Buffer, _ device.Labels) { d.ClipGradNorm(b[0], n, 1) }, []int{0}, ulps},
		kernel{"batchnorm-train", [][]float32{random(n, 2), make([]float32, n), make([]float32, n), make([]float32, cols),
			random(cols, 1), random(cols, 1), random(cols, 1), positive(cols)},
			func(d device.Device, b []device.Buffer, _ device.Labels) {
				d.BatchNormTrain(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], rows, cols, 1e-5, 0.1)
			}, []int{1, 2, 3, 6, 7}, exact},
		kernel{"batchnorm-backward", [][]float32{random(n, 1), random(n, 1), positive(cols), random(cols, 1), make([]float32, n),
			make([]float32, cols), make([]float32, cols)},
			func(d device.Device, b []device.Buffer, _ device.Labels) {
				d.BatchNormBackward(b[0], b[1], b[2], b[3], b[4], b[5], b[6], rows, cols)
			}, []int{4, 5, 6}, exact},
		kernel{"batchnorm-infer", [][]float32{random(n, 2), make([]float32, n), random(cols, 1), random(cols, 1), random(cols, 1), positive(cols)},
			func(d device.Device, b []device.Buffer, _ device.Labels) {
				d.BatchNormInfer(b[0], b[1], b[2], b[3], b[4], b[5], rows, cols, 1e-5)
			}, []int{1}, exact},
		kernel{"softmax", [][]float32{make([]float32, n), random(n, 3)},
			func(d device.Device, b []device.Buffer, _ device.Labels) { d.Softmax(b[0], b[1], rows, cols) }, []int{0}, ulps},
		kernel{"softmax-cross-entropy", [][]float32{random(n, 3), make([]float32, n), make([]float32, 4)},
			func(d device.Device, b []device.Buffer, l device.Labels) {
				d.SoftmaxCrossEntropy(b[0], l, rows, cols, b[1], b[2], 2)
			}, []int{1, 2}, ulps},
		kernel{"binary-cross-entropy", [][]float32{random(rows, 5), make([]float32, rows), make([]float32, 4), positive(2)},
			func(d device.Device, b []device.Buffer, l device.Labels) {
				d.BinaryCrossEntropy(b[0], l, rows, b[3], b[1], b[2], 3)
			}, []int{1, 2}, ulps},
		kernel{"gather-rows", [][]float32{make([]float32, n)},
			func(d device.Device, b []device.Buffer, _ device.Labels) {
				if err := d.GatherRows(b[0], table, cols, picks); err != nil {
					t.Fatal(err)
				}
			}, []int{0}, exact},
		kernel{"copy-columns", [][]float32{make([]float32, rows*10), raw},
			func(d device.Device, b []device.Buffer, _ device.Labels) { d.CopyColumns(b[0], b[1], rows, 3, 10, 2) }, []int{0}, exact},
		kernel{"embedding-gather", [][]float32{make([]float32, rows*10), raw, random(vocab*dim, 1)},
			func(d device.Device, b []device.Buffer, _ device.Labels) {
				d.EmbeddingGather(b[0], b[1], b[2], rows, 3, 2, vocab, dim, 10, 5)
			}, []int{0}, exact},
		kernel{"embedding-scatter-add", [][]float32{random(vocab*dim, 1), random(rows*10, 1), raw},
			func(d device.Device, b []device.Buffer, _ device.Labels) {
				d.EmbeddingScatterAdd(b[0], b[1], b[2], rows, 3, 2, vocab, dim, 10, 5)
			}, []int{0}, exact},
		kernel{"weighted-smoothed-cross-entropy", [][]float32{random(n, 3), make([]float32, n), make([]float32, 4), positive(cols)},
			func(d device.Device, b []device.Buffer, l device.Labels) {
				d.WeightedSoftmaxCrossEntropy(b[0], l, rows, cols, b[3], 0.1, b[1], b[2], 1)
			}, []int{1, 2}, ulps},
	)
	for _, kind := range []model.LossKind{model.LossMSE, model.LossMAE, model.LossHuber} {
		kernels = append(kernels, kernel{"regression-" + string(kind), [][]float32{random(n, 2), random(n, 2), make([]float32, n), make([]float32, 4)},
			func(d device.Device, b []device.Buffer, _ device.Labels) {
				d.RegressionLoss(b[0], b[1], rows, cols, kind, 1.5, b[2], b[3], 1)
			}, []int{2, 3}, ulps})
	}
	for _, tr := range []struct{ transA, transB bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		const m, k2, n2 = 37, 300, 23
		name := fmt.Sprintf("gemm-%v-%v", tr.transA, tr.transB)
		kernels = append(kernels, kernel{name, [][]float32{random(m*k2, 1), random(k2*n2, 1), make([]float32, m*n2)},
			func(d device.Device, b []device.Buffer, _ device.Labels) {
				d.Gemm(tr.transA, tr.transB, m, n2, k2, 1, b[0], b[1], 0, b[2])
			}, []int{2}, conformance.Bound{Abs: 1e-4, Rel: 1e-4}})
	}
	// The per-step values each case passes, which a fused step takes from
	// its plan.
	plans := map[string]device.StepPlan{
		"dropout": {Step: 12345}, "scale": {Decay: 0.999}, "adam": {Adam: adam}, "sgd-nesterov": {SGD: sgdStep},
		"rmsprop": {RMSprop: rmsStep}, "softmax-cross-entropy": {Slot: 2}, "binary-cross-entropy": {Slot: 3},
		"weighted-smoothed-cross-entropy": {Slot: 1},
	}
	var out []kernelCase
	for _, k := range kernels {
		c := kernelCase{name: k.name, inputs: k.inputs, labels: labels, run: k.run, check: k.check, tol: k.tol, plan: plans[k.name]}
		switch {
		case k.name == "binary-cross-entropy":
			c.labels = binary
		case strings.HasPrefix(k.name, "regression-"):
			c.plan.Slot = 1
		case k.name == "gather-rows":
			c.order = picks
		}
		out = append(out, c)
	}
	return out
}

// compareBuffers checks buffers check of got against want within tol.
func compareBuffers(t *testing.T, got, want [][]float32, check []int, tol conformance.Bound) {
	t.Helper()
	for _, i := range check {
		differ, worst := 0, 0.0
		for j := range want[i] {
			a, b := float64(got[i][j]), float64(want[i][j])
			if a != b && !(math.IsNaN(a) && math.IsNaN(b)) {
				differ++
				worst = max(worst, math.Abs(a-b))
				if math.Abs(a-b) > tol.Abs+tol.Rel*math.Abs(b) {
					t.Fatalf("buffer %d [%d]: %v, want %v (tolerance %+v)", i, j, a, b, tol)
				}
			}
		}
		if differ > 0 {
			t.Logf("buffer %d: %d of %d values differ, by at most %.3g", i, differ, len(want[i]), worst)
		}
	}
}

// TestFusedOpsMatchKernels runs each method of a training step as a
// one-op recorded step replayed in every mode (fused_steps in its
// variants, and one launch per op) and as its kernel: the same bits, since
// all run the same code, but for the GEMM, which a replay computes with
// xp's own (within a float32 tolerance of cuBLAS, and the same bits in
// every mode). The methods of a prediction (softmax, batch norm inference)
// are not part of a step and are refused.
func TestFusedOpsMatchKernels(t *testing.T) {
	needGPU(t)
	defer cuda.SetFusing("on")()
	g, err := cuda.Open(0)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, k := range kernelTable(t) {
		t.Run(k.name, func(t *testing.T) {
			want := runKernel(t, g, k.inputs, k.labels, k.run)
			order, batch := k.order, len(k.order)
			if order == nil {
				order, batch = []int32{0}, 1
			}
			var first [][]float32
			for _, mode := range cuda.ReplayModes() {
				restore := cuda.SetReplayMode(mode)
				replayed := false
				got := runKernel(t, g, k.inputs, k.labels, func(d device.Device, b []device.Buffer, l device.Labels) {
					r := d.(device.Replayer)
					if err := r.PlanEpoch(order, batch, []device.StepPlan{k.plan}); err != nil {
						t.Fatal(err)
					}
					ok, err := r.Record(func() error { k.run(d, b, l); return nil })
					if err != nil {
						t.Fatalf("record: %v", err)
					}
					if replayed = ok; ok {
						if err := r.Replay(0, 1); err != nil {
							t.Fatalf("replay: %v", err)
						}
					}
				})
				restore()
				if k.name == "softmax" || k.name == "batchnorm-infer" {
					if replayed {
						t.Fatal("a prediction's kernel was replayed")
					}
					return
				}
				if !replayed {
					t.Fatalf("%s: not replayed", mode)
				}
				tol := conformance.Bound{}
				if strings.HasPrefix(k.name, "gemm") {
					tol = k.tol
				}
				t.Run(mode, func(t *testing.T) { compareBuffers(t, got, want, k.check, tol) })
				if first == nil {
					first = got
				} else {
					t.Run(mode+"-same-bits", func(t *testing.T) { compareBuffers(t, got, first, k.check, conformance.Bound{}) })
				}
			}
		})
	}
}

// TestReplayModesAgree trains a small model, dropout, clipping, AdamW, a
// weighted loss, a few epochs in each replay mode: the same losses and
// parameters, bit for bit, so the mode a device picks by timing never
// shows in a result.
func TestReplayModesAgree(t *testing.T) {
	needGPU(t)
	defer cuda.SetFusing("on")()
	adamw := model.Optimizer{Kind: model.AdamW, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, ClipNorm: 1}
	m := conformance.MLP(20, 4, []int{48, 24}, model.ActGELU, 0.25, adamw)
	m.Loss = model.Loss{ClassWeights: []float64{1, 2, 0.5, 1}, LabelSmoothing: 0.1}
	data := conformance.Synthetic(700, 20, 4, 5)
	var wantLosses []float64
	var wantParams *model.Params
	for _, mode := range append(cuda.ReplayModes(), "tuned") {
		restore := cuda.SetReplayMode(mode)
		tr := compile(t, cuda.Backend, m, backends.Config{BatchSize: 32, Seed: 5})
		var losses []float64
		for e := range 3 {
			l, err := tr.Epoch(context.Background(), data, conformance.Order(data.N, uint64(e)), nil)
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, l)
		}
		params := tr.Params()
		restore()
		if wantParams == nil {
			wantLosses, wantParams = losses, params
			continue
		}
		for i := range losses {
			if math.Float64bits(losses[i]) != math.Float64bits(wantLosses[i]) {
				t.Errorf("%s: epoch %d loss %v, %s gave %v", mode, i+1, losses[i], cuda.ReplayModes()[0], wantLosses[i])
			}
		}
		for i, tensor := range params.Tensors {
			for j, v := range tensor.Data {
				if math.Float32bits(v) != math.Float32bits(wantParams.Tensors[i].Data[j]) {
					t.Fatalf("%s: %s[%d] = %v, %s gave %v", mode, tensor.Name, j, v, cuda.ReplayModes()[0], wantParams.Tensors[i].Data[j])
				}
			}
		}
	}
}

// runKernel copies inputs and labels to d, runs f and reads every buffer back.
func runKernel(t *testing.T, d device.Device, inputs [][]float32, labels []int32, f func(device.Device, []device.Buffer, device.Labels)) [][]float32 {
	t.Helper()
	bufs := make([]device.Buffer, len(inputs))
	for i, in := range inputs {
		b, err := d.Alloc(len(in))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Write(b, in); err != nil {
			t.Fatal(err)
		}
		bufs[i] = b
	}
	// Labels arrive the way training brings them: gathered with a batch.
	l, err := d.AllocLabels(len(labels))
	if err != nil {
		t.Fatal(err)
	}
	x, err := d.Alloc(len(labels))
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]int32, len(labels))
	for i := range rows {
		rows[i] = int32(i)
	}
	if err := d.Gather(x, l, make([]float32, len(labels)), labels, 1, rows); err != nil {
		t.Fatal(err)
	}
	f(d, bufs, l)
	out := make([][]float32, len(inputs))
	for i, b := range bufs {
		out[i] = make([]float32, b.Len())
		if err := d.Read(out[i], b); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Sync(); err != nil {
		t.Fatalf("%s: %v", d.Name(), err)
	}
	return out
}
