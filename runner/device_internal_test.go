package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xp-ml/xp/backends"
	_ "github.com/xp-ml/xp/backends/engine"    // registers "cpu"
	"github.com/xp-ml/xp/backends/engine/cuda" // registers "cuda"
	"github.com/xp-ml/xp/cue/spec"
)

// TestDeviceChoice: "auto" trains on CUDA where it can run and otherwise
// on the CPU with the reason; "cuda" and "cuda:N" fail with that reason
// where it cannot; "cpu" is always the CPU.
func TestDeviceChoice(t *testing.T) {
	reason := cuda.Available()
	t.Run("cpu", func(t *testing.T) {
		b, dev, fallback, err := chooseBackend("cpu", "")
		if err != nil || b.Name() != "cpu" || dev != "cpu" || fallback != "" {
			t.Fatalf("cpu: %v %q %q %v", b, dev, fallback, err)
		}
	})
	t.Run("auto", func(t *testing.T) {
		b, dev, fallback, err := chooseBackend("auto", "")
		if err != nil {
			t.Fatal(err)
		}
		if reason == nil {
			if b.Name() != "cuda" || dev != "cuda" || fallback != "" {
				t.Fatalf("auto with a GPU: %s on %s, fallback %q", b.Name(), dev, fallback)
			}
			return
		}
		if b.Name() != "cpu" || dev != "cpu" {
			t.Fatalf("auto without a GPU: %s on %s", b.Name(), dev)
		}
		bare, ok := strings.CutPrefix(fallback, "no CUDA here (")
		bare, _ = strings.CutSuffix(bare, ")")
		if !ok || bare == "" || !strings.Contains(reason.Error(), bare) || strings.Contains(fallback, "backend unavailable") {
			t.Fatalf("fallback %q, want \"no CUDA here (\" and the bare reason from %q", fallback, reason)
		}
	})
	for _, device := range []string{"cuda", "cuda:1"} {
		t.Run(device, func(t *testing.T) {
			if reason == nil {
				t.Skip("this machine has a GPU")
			}
			_, _, _, err := chooseBackend(device, "")
			want := `"` + device + `" cannot run here: ` + strings.TrimPrefix(reason.Error(), "backend unavailable: ")
			if err == nil || err.Error() != want || !errors.Is(err, backends.ErrUnavailable) {
				t.Fatalf("%s without a GPU: %v, want %q", device, err, want)
			}
		})
	}
	t.Run("ordinal", func(t *testing.T) {
		for dev, want := range map[string]int{"cuda": 0, "cuda:0": 0, "cuda:3": 3, "cpu": 0} {
			if got := gpuOrdinal(dev); got != want {
				t.Errorf("gpuOrdinal(%q) = %d, want %d", dev, got, want)
			}
		}
	})
}

// TestAutoDevice: device "auto" on a machine with CUDA keeps the shipped
// tabular models on the CPU, saying why, and sends a model with big GEMMs
// to the GPU; the input width comes from the data's header as the
// features say.
func TestAutoDevice(t *testing.T) {
	dir := t.TempDir()
	csv := "a,b,state,review,label\n1,2,KS,good,yes\n3,4,OH,bad,no\n"
	if err := os.WriteFile(filepath.Join(dir, "d.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	exp := func(layers string, batch int, features string) *spec.Experiment {
		src := fmt.Sprintf(`x: #Experiment & {
	data: {source: file: "d.csv", target: "label"%s}
	model: layers: %s
	train: batch_size: %d
}
`, features, layers, batch)
		path := filepath.Join(dir, "x.cue")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		exps, err := spec.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		return exps[0]
	}
	tests := []struct {
		name     string
		exp      *spec.Experiment
		width    int
		wantCUDA bool
	}{
		{"small MLP", exp(`[{dense: 64}]`, 32, ""), 4, false},
		{"hashed text is wide", exp(`[{dense: 1024}, {dense: 1024}]`, 512, `, features: review: text: {buckets: 4096}`), 4099, true},
		{"capped one-hot and an embedding", exp(`[{dense: 8}]`, 32,
			`, features: {state: categorical: {max_categories: 20}, review: categorical: {encoding: "embedding", dim: 4}}`), 2 + 21 + 4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := inputWidth(&tt.exp.Spec, []string{"a", "b", "state", "review", "label"}); got != tt.width {
				t.Errorf("input width %d, want %d", got, tt.width)
			}
			cuda, why := autoDevice(context.Background(), tt.exp, DataOptions{}, 1)
			if cuda != tt.wantCUDA || (cuda == (why != "")) {
				t.Errorf("autoDevice = %v %q, want cuda %v", cuda, why, tt.wantCUDA)
			}
			if !cuda && !strings.Contains(why, "multiply-adds a step") {
				t.Errorf("reason %q", why)
			}
		})
	}
}
