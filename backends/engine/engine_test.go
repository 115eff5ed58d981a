package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/backends/conformance"
	"github.com/xp-ml/xp/backends/engine"
	"github.com/xp-ml/xp/backends/engine/gemm"
	"github.com/xp-ml/xp/model"
)

// forEachGEMM runs f once per GEMM this machine has, with XP_BLAS set so
// that the engine picks it. OpenBLAS is skipped, with the reason, where it
// is not installed.
func forEachGEMM(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, g := range []string{"openblas", "go"} {
		t.Run(g, func(t *testing.T) {
			if g == "openblas" {
				if _, err := gemm.OpenBLASName(); err != nil {
					t.Skipf("OpenBLAS not installed: %v", err)
				}
			}
			t.Setenv(gemm.EnvBLAS, g)
			f(t)
		})
	}
}

var (
	adam     = model.Optimizer{Kind: model.Adam, LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-3}
	sgd      = model.Optimizer{Kind: model.SGD, LR: 0.1, Momentum: 0.9, WeightDecay: 1e-3}
	gradStep = model.Optimizer{Kind: model.SGD, LR: 1} // param delta = -gradient
)

func order(n int, seed uint64) []int32 {
	o := make([]int32, n)
	for i, v := range rand.New(rand.NewPCG(seed, 7)).Perm(n) {
		o[i] = int32(v)
	}
	return o
}

func compile(t testing.TB, m *model.Model, cfg backends.Config) (backends.Trainer, *model.Params) {
	t.Helper()
	p, err := model.Init(m, 42)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := engine.CPU.Compile(context.Background(), m, p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, p
}

// near reports whether got is within atol + rtol·|want| of want.
func near(got, want, atol, rtol float64) bool {
	return math.Abs(got-want) <= atol+rtol*math.Abs(want)
}

func TestRegisteredAsCPU(t *testing.T) {
	b, err := backends.Get("cpu")
	if err != nil {
		t.Fatal(err)
	}
	if b != engine.CPU {
		t.Fatalf("cpu backend is %T, not the engine", b)
	}
	if err := b.Available(); err != nil {
		t.Fatalf("Available() = %v", err)
	}
	forEachGEMM(t, func(t *testing.T) {
		c, err := gemm.Choose()
		if err != nil {
			t.Fatal(err)
		}
		v := b.Version()
		for _, want := range []string{engine.Version, "gemm=" + c.Name, "cpu="} {
			if !strings.Contains(v, want) {
				t.Errorf("Version() = %q, lacks %q", v, want)
			}
		}
		for _, threads := range []int{0, 1, 2} {
			cfg := backends.Config{BatchSize: 4, Threads: threads}
			tr, _ := compile(t, conformance.MLP(3, 2, []int{4}, model.ActReLU, 0, adam), cfg)
			if got, want := tr.(*engine.Trainer).Version(), engine.CPU.VersionFor(cfg); got != want {
				t.Errorf("threads %d: trainer runs %q, backend says %q", threads, got, want)
			}
		}
		if c.OpenBLAS && engine.CPU.VersionFor(backends.Config{Threads: 2}) == v {
			t.Errorf("OpenBLAS on 2 threads has the version of 1 thread, %q, but not its bits", v)
		}
	})
}

// TestMatchesFloat64 checks the engine against ref, the naive float64
// definition, on every layer kind and activation: forward outputs, the
// gradient (one SGD step with lr 1), a few epochs of each optimizer with
// weight decay, and the loss trajectory, with a short last batch.
func TestMatchesFloat64(t *testing.T) {
	tests := []struct {
		name   string
		model  *model.Model
		batch  int
		epochs int
		// params after training, element-wise
		atol, rtol float64
	}{
		{"relu/gradient", conformance.MLP(5, 3, []int{8}, model.ActReLU, 0, gradStep), 16, 1, 1e-5, 1e-4},
		{"tanh/gradient", conformance.MLP(5, 3, []int{8, 6}, model.ActTanh, 0, gradStep), 16, 1, 1e-5, 1e-4},
		{"sigmoid/gradient", conformance.MLP(5, 3, []int{8}, model.ActSigmoid, 0, gradStep), 16, 1, 1e-5, 1e-4},
		{"linear/gradient", conformance.MLP(5, 3, nil, model.ActNone, 0, gradStep), 16, 1, 1e-5, 1e-4},
		{"dropout/gradient", conformance.MLP(5, 3, []int{8, 8}, model.ActReLU, 0.3, gradStep), 16, 1, 1e-5, 1e-4},
		{"sgd-momentum-wd", conformance.MLP(5, 3, []int{8}, model.ActTanh, 0.2, sgd), 10, 3, 1e-4, 1e-3},
		{"adam-wd", conformance.MLP(5, 3, []int{8, 8}, model.ActReLU, 0.2, adam), 10, 3, 1e-4, 1e-3},
		{"adam-sigmoid", conformance.MLP(5, 2, []int{6}, model.ActSigmoid, 0, adam), 7, 3, 1e-4, 1e-3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachGEMM(t, func(t *testing.T) {
				data := conformance.Synthetic(37, tt.model.Inputs, tt.model.Classes, 1) // 37: a short last batch
				cfg := backends.Config{BatchSize: tt.batch, Seed: 5}
				tr, p0 := compile(t, tt.model, cfg)
				r := newRef(tt.model, p0, cfg)

				probs := make([]float32, data.N*tt.model.Classes)
				if err := tr.Predict(context.Background(), data, probs); err != nil {
					t.Fatal(err)
				}
				for i, want := range r.predict(data) {
					if !near(float64(probs[i]), want, 1e-6, 1e-5) {
						t.Fatalf("initial probs[%d] = %v, want %v", i, probs[i], want)
					}
				}
				for e := range tt.epochs {
					o := order(data.N, uint64(e))
					got, err := tr.Epoch(context.Background(), data, o, nil)
					if err != nil {
						t.Fatal(err)
					}
					if want := r.epoch(data, o); !near(got, want, 1e-6, 1e-5) {
						t.Fatalf("epoch %d loss %v, want %v", e, got, want)
					}
				}
				for i, ten := range tr.Params().Tensors {
					for j, v := range ten.Data {
						if want := r.params[i][j]; !near(float64(v), want, tt.atol, tt.rtol) {
							t.Fatalf("%s[%d] = %v, want %v", ten.Name, j, v, want)
						}
					}
				}
			})
		})
	}
}

// TestStepAllocatesNothing proves the zero-allocation design: after the
// first epoch has sized the loss slots, a whole epoch (every step of it)
// allocates nothing, with either GEMM, on one or two threads.
func TestStepAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	// Every activation, optimizer, clipping and schedule path.
	adamw := model.Optimizer{Kind: model.AdamW, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, ClipNorm: 1,
		Schedule: model.Schedule{Kind: model.Cosine, TMax: 5, WarmupSteps: 3}}
	rmsprop := model.Optimizer{Kind: model.RMSprop, LR: 1e-3, Alpha: 0.99, Eps: 1e-8, Momentum: 0.9,
		Schedule: model.Schedule{Kind: model.StepDecay, StepSize: 1, Gamma: 0.5}}
	nesterov := model.Optimizer{Kind: model.SGD, LR: 1e-2, Momentum: 0.9, Nesterov: true, ClipNorm: 0.1}
	variants := []struct {
		name string
		act  model.Activation
		opt  model.Optimizer
	}{
		{"relu-adam", model.ActReLU, adam},
		{"gelu-adamw-clip-cosine", model.ActGELU, adamw},
		{"leaky-rmsprop-step-weighted-smoothed", model.ActLeakyReLU, rmsprop},
		{"tanh-batchnorm-nesterov-clip", model.ActTanh, nesterov},
		{"relu-adam-binary", model.ActReLU, adam},
		{"gelu-adam-huber", model.ActGELU, adam},
		{"relu-adam-embedding", model.ActReLU, adam},
	}
	forEachGEMM(t, func(t *testing.T) {
		for _, threads := range []int{1, 2} {
			for _, v := range variants {
				t.Run(fmt.Sprintf("threads%d/%s", threads, v.name), func(t *testing.T) {
					m := conformance.MLP(32, 4, []int{64, 64}, v.act, 0.1, v.opt)
					if v.opt.Kind == model.RMSprop {
						m.Loss = model.Loss{ClassWeights: []float64{1, 2, 0.5, 1}, LabelSmoothing: 0.1}
					}
					if v.opt.Kind == model.SGD {
						m = conformance.BatchNormMLP(32, 4, []int{64, 64}, v.act, v.opt)
					}
					data := conformance.Synthetic(300, 32, 4, 2)
					switch {
					case strings.HasSuffix(v.name, "-binary"):
						m = conformance.Binary(conformance.MLP(32, 2, []int{64, 64}, v.act, 0.1, v.opt), []float64{1, 3})
						data = conformance.Synthetic(300, 32, 2, 2)
					case strings.HasSuffix(v.name, "-embedding"):
						m = conformance.Embed(conformance.MLP(30, 4, []int{64, 64}, v.act, 0.1, v.opt), conformance.Table{Vocab: 50, Dim: 8}, conformance.Table{Vocab: 7, Dim: 3})
						data = conformance.WithIndices(conformance.Synthetic(300, 30, 4, 2), []int{50, 7}, 2)
					case strings.HasSuffix(v.name, "-huber"):
						m = conformance.Regression(conformance.MLP(32, 1, []int{64, 64}, v.act, 0.1, v.opt), model.Loss{Kind: model.LossHuber, Delta: 1})
						data = conformance.SyntheticRegression(300, 32, 2)
					}
					tr, _ := compile(t, m, backends.Config{BatchSize: 64, Seed: 1, Threads: threads})
					o := order(data.N, 3)
					ctx := context.Background()
					allocs := testing.AllocsPerRun(5, func() {
						if _, err := tr.Epoch(ctx, data, o, nil); err != nil {
							t.Fatal(err)
						}
					})
					if allocs != 0 {
						t.Fatalf("%v allocations per epoch of 5 steps", allocs)
					}
				})
			}
		}
	})
}

// TestDeterministic: the same inputs on the same thread count give the
// same bits. The pure-Go GEMM also gives the same bits on any thread count;
// OpenBLAS does not, and its name in Version carries the count.
func TestDeterministic(t *testing.T) {
	forEachGEMM(t, func(t *testing.T) {
		m := conformance.MLP(64, 3, []int{300, 40}, model.ActReLU, 0.25, adam) // wide enough for the GEMMs to fan out
		data := conformance.Synthetic(500, 64, 3, 4)
		run := func(threads int) (*model.Params, float64) {
			tr, _ := compile(t, m, backends.Config{BatchSize: 128, Seed: 9, Threads: threads})
			var loss float64
			for e := range 2 {
				var err error
				if loss, err = tr.Epoch(context.Background(), data, order(data.N, uint64(e)), nil); err != nil {
					t.Fatal(err)
				}
			}
			return tr.Params(), loss
		}
		same := func(t *testing.T, p1, p2 *model.Params, l1, l2 float64) {
			t.Helper()
			if l1 != l2 {
				t.Fatalf("loss %v, then %v", l1, l2)
			}
			for i := range p1.Tensors {
				for j, v := range p1.Tensors[i].Data {
					if w := p2.Tensors[i].Data[j]; math.Float32bits(v) != math.Float32bits(w) {
						t.Fatalf("%s[%d] = %v, then %v", p1.Tensors[i].Name, j, v, w)
					}
				}
			}
		}
		for _, threads := range []int{1, 2} {
			t.Run(fmt.Sprintf("threads%d-twice", threads), func(t *testing.T) {
				p1, l1 := run(threads)
				p2, l2 := run(threads)
				same(t, p1, p2, l1, l2)
			})
		}
		if os.Getenv(gemm.EnvBLAS) == "go" {
			t.Run("threads1-vs-2", func(t *testing.T) {
				p1, l1 := run(1)
				p2, l2 := run(2)
				same(t, p1, p2, l1, l2)
			})
		}
	})
}

func TestCompileRejects(t *testing.T) {
	good := conformance.MLP(3, 2, []int{4}, model.ActReLU, 0, adam)
	p, err := model.Init(good, 1)
	if err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	badOpt := func(o model.Optimizer) *model.Model { return conformance.MLP(3, 2, []int{4}, model.ActReLU, 0, o) }
	tests := []struct {
		name   string
		ctx    context.Context
		model  *model.Model
		params *model.Params
		cfg    backends.Config
		want   string
	}{
		{"canceled", canceled, good, p, backends.Config{BatchSize: 4}, "canceled"},
		{"invalid model", context.Background(), &model.Model{Inputs: 3, Classes: 2}, p, backends.Config{BatchSize: 4}, "no layers"},
		{"no params", context.Background(), good, nil, backends.Config{BatchSize: 4}, "no params"},
		{"wrong params", context.Background(), conformance.MLP(3, 2, []int{5}, model.ActReLU, 0, adam), p, backends.Config{BatchSize: 4}, "layer 0"},
		{"zero batch", context.Background(), good, p, backends.Config{}, "batch size 0"},
		{"negative threads", context.Background(), good, p, backends.Config{BatchSize: 4, Threads: -1}, "threads"},
		{"negative lr", context.Background(), badOpt(model.Optimizer{Kind: model.SGD, LR: -1}), p, backends.Config{BatchSize: 4}, "learning rate"},
		{"adam beta 1", context.Background(), badOpt(model.Optimizer{Kind: model.Adam, LR: 1, Beta1: 1}), p, backends.Config{BatchSize: 4}, "betas"},
		{"unknown optimizer", context.Background(), badOpt(model.Optimizer{Kind: "lbfgs"}), p, backends.Config{BatchSize: 4}, "unknown kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := engine.CPU.Compile(tt.ctx, tt.model, tt.params, tt.cfg)
			if err == nil {
				tr.Close()
				t.Fatal("compiled")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q lacks %q", err, tt.want)
			}
		})
	}
}

func TestEpochRejectsBadData(t *testing.T) {
	m := conformance.MLP(3, 2, []int{4}, model.ActReLU, 0, adam)
	good := conformance.Synthetic(10, 3, 2, 1)
	badLabel := conformance.Synthetic(10, 3, 2, 1)
	badLabel.Y[4] = 2
	tests := []struct {
		name  string
		data  *backends.Batches
		order []int32
		want  string
	}{
		{"nil data", nil, nil, "no data"},
		{"wrong width", conformance.Synthetic(10, 4, 2, 1), order(10, 1), "4 features"},
		{"label out of range", badLabel, order(10, 1), "row 4: label 2"},
		{"order out of range", good, []int32{0, 10}, "order[1] = 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, _ := compile(t, m, backends.Config{BatchSize: 4})
			if _, err := tr.Epoch(context.Background(), tt.data, tt.order, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestEpochProgressAndCancel(t *testing.T) {
	m := conformance.MLP(3, 2, []int{4}, model.ActReLU, 0, adam)
	data := conformance.Synthetic(10, 3, 2, 1)
	tr, _ := compile(t, m, backends.Config{BatchSize: 4})
	var seen []int
	if _, err := tr.Epoch(context.Background(), data, order(10, 1), func(rows int) { seen = append(seen, rows) }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seen) != "[4 8 10]" {
		t.Fatalf("progress %v, want [4 8 10]", seen)
	}
	before := tr.Params()
	ctx, cancel := context.WithCancel(context.Background())
	_, err := tr.Epoch(ctx, data, order(10, 2), func(rows int) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled epoch: %v", err)
	}
	// Exactly one step ran before the cancellation was seen.
	if after := tr.Params(); fmt.Sprint(after.Tensors[0].Data) == fmt.Sprint(before.Tensors[0].Data) {
		t.Fatal("no step ran before cancel")
	}
}

func TestClosed(t *testing.T) {
	m := conformance.MLP(3, 2, []int{4}, model.ActReLU, 0, adam)
	data := conformance.Synthetic(10, 3, 2, 1)
	tr, p0 := compile(t, m, backends.Config{BatchSize: 4})
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := tr.Epoch(context.Background(), data, order(10, 1), nil); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("Epoch after Close: %v", err)
	}
	if err := tr.Predict(context.Background(), data, make([]float32, 20)); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("Predict after Close: %v", err)
	}
	if got := tr.Params(); fmt.Sprint(got.Tensors) != fmt.Sprint(p0.Tensors) {
		t.Fatal("Params after Close differ from the untrained parameters")
	}
}

// TestParamsAreCopies: Compile copies its params and Params returns a copy,
// so neither side can change the other's.
func TestParamsAreCopies(t *testing.T) {
	m := conformance.MLP(3, 2, []int{4}, model.ActReLU, 0, adam)
	tr, p0 := compile(t, m, backends.Config{BatchSize: 4})
	want := fmt.Sprint(p0.Tensors[0].Data)
	p0.Tensors[0].Data[0] = 100
	got := tr.Params()
	if fmt.Sprint(got.Tensors[0].Data) != want {
		t.Fatal("trainer sees a change to the params it was compiled from")
	}
	got.Tensors[0].Data[0] = 100
	if fmt.Sprint(tr.Params().Tensors[0].Data) != want {
		t.Fatal("trainer sees a change to the params it returned")
	}
	if err := got.Check(m); err != nil {
		t.Fatal(err)
	}
}
