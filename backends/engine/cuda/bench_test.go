package cuda_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/backends/conformance"
	"github.com/xp-ml/xp/backends/engine"
	"github.com/xp-ml/xp/backends/engine/cuda"
	"github.com/xp-ml/xp/model"
)

// BenchmarkEpoch trains the shipped tabular jobs (credit, churn, digits:
// the models of bench/gpu-run.sh) at batch 32 and 256 on the GPU, replayed
// in each mode, in the mode the device picks (tuned), by the engine's
// calls with cuBLAS, and on one CPU core, and reports samples/s.
func BenchmarkEpoch(b *testing.B) {
	jobs := []struct {
		name, file, target string
		hidden             []int
	}{
		{"credit", "credit_data.csv", "Status", []int{64}},
		{"churn", "churn.csv", "churn", []int{64, 32}},
		{"digits", "digits.csv", "target", []int{128, 64}},
	}
	adam := model.Optimizer{Kind: model.Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	for _, job := range jobs {
		data := conformance.LoadCSV(b, filepath.Join("..", "..", "..", "experiments", "data", job.file), job.target)
		m := conformance.MLP(data.D, conformance.Classes(data), job.hidden, model.ActReLU, 0, adam)
		for _, batch := range []int{32, 256} {
			for _, side := range append(cuda.ReplayModes(), "tuned", "cublas", "cpu") {
				b.Run(fmt.Sprintf("%s/b%d/%s", job.name, batch, side), func(b *testing.B) {
					backend := backends.Backend(cuda.Backend)
					switch side {
					case "cpu":
						backend = engine.CPU
					case "cublas":
						needGPU(b)
						defer cuda.SetFusing("off")()
					default:
						needGPU(b)
						defer cuda.SetFusing("on")()
						defer cuda.SetReplayMode(side)()
					}
					tr := compile(b, backend, m, backends.Config{BatchSize: batch, Seed: 1, Threads: 1})
					order := conformance.Order(data.N, 1)
					t0 := time.Now()
					if _, err := tr.Epoch(context.Background(), data, order, nil); err != nil { // records, warms up
						b.Fatal(err)
					}
					first := time.Since(t0)
					b.ResetTimer()
					for range b.N {
						if _, err := tr.Epoch(context.Background(), data, order, nil); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.N*data.N)/b.Elapsed().Seconds(), "samples/s")
					b.ReportMetric(float64(first.Microseconds())/1000, "first-epoch-ms")
				})
			}
		}
	}
}
