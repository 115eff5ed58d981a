package engine_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/backends/conformance"
	"github.com/xp-ml/xp/backends/engine"
	"github.com/xp-ml/xp/backends/engine/gemm"
	"github.com/xp-ml/xp/model"
)

// The benchmarks train the jobs of bench/ (the PyTorch comparison) and
// report samples/s. Each runs the engine with OpenBLAS and with the pure-Go
// GEMM, and gorgonia on the same job as the same-run baseline.

// benchData is n rows of d standard-normal features with a binary label
// from a random linear map plus noise, the shape of bench/'s synthetic job.
func benchData(n, d int) *backends.Batches {
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float64, d)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	b := &backends.Batches{X: make([]float32, n*d), Y: make([]int32, n), N: n, D: d}
	for i := range n {
		s := 0.5 * rng.NormFloat64()
		for k := range d {
			v := rng.NormFloat64()
			b.X[i*d+k] = float32(v)
			s += v * w[k]
		}
		if s > 0 {
			b.Y[i] = 1
		}
	}
	return b
}

var benchAdam = model.Optimizer{Kind: model.Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}

func benchEpochs(b *testing.B, m *model.Model, data *backends.Batches, batch int) {
	for _, name := range []string{"openblas", "purego", "gorgonia"} {
		b.Run(name, func(b *testing.B) {
			backend := backends.Backend(engine.CPU)
			switch name {
			case "openblas":
				if _, err := gemm.OpenBLASName(); err != nil {
					b.Skipf("OpenBLAS not installed: %v", err)
				}
				b.Setenv(gemm.EnvBLAS, "openblas")
			case "purego":
				b.Setenv(gemm.EnvBLAS, "go")
			case "gorgonia":
				ref, err := backends.Get("gorgonia")
				if err != nil {
					b.Skipf("gorgonia not registered: %v", err)
				}
				backend = ref
			}
			p, err := model.Init(m, 1)
			if err != nil {
				b.Fatal(err)
			}
			tr, err := backend.Compile(context.Background(), m, p, backends.Config{BatchSize: batch, Seed: 1, Threads: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close()
			o := order(data.N, 1)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				if _, err := tr.Epoch(ctx, data, o, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(data.N)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkEpochSynthetic32 is one epoch of 100000×32 through MLP [64]
// (ReLU, Adam) at batch 32: per-step overhead dominates.
func BenchmarkEpochSynthetic32(b *testing.B) {
	benchEpochs(b, conformance.MLP(32, 2, []int{64}, model.ActReLU, 0, benchAdam), benchData(100000, 32), 32)
}

// BenchmarkEpochSynthetic256 is the same at batch 256.
func BenchmarkEpochSynthetic256(b *testing.B) {
	benchEpochs(b, conformance.MLP(32, 2, []int{64}, model.ActReLU, 0, benchAdam), benchData(100000, 32), 256)
}

// BenchmarkLargeMLP is 256 -> 1024 -> 1024 -> 10 at batch 1024: GEMM-bound.
func BenchmarkLargeMLP(b *testing.B) {
	data := benchData(4096, 256)
	for i := range data.Y {
		data.Y[i] = int32(i % 10)
	}
	benchEpochs(b, conformance.MLP(256, 10, []int{1024, 1024}, model.ActReLU, 0, benchAdam), data, 1024)
}
