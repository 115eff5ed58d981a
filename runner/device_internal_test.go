package runner

import (
	"errors"
	"strings"
	"testing"

	"github.com/xp-ml/xp/backends"
	_ "github.com/xp-ml/xp/backends/engine"    // registers "cpu"
	"github.com/xp-ml/xp/backends/engine/cuda" // registers "cuda"
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
		if fallback == "" || !strings.Contains(reason.Error(), fallback) || strings.Contains(fallback, "backend unavailable") {
			t.Fatalf("fallback %q, want the bare reason from %q", fallback, reason)
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
