package cuda

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPTXUpToDate rebuilds the kernels with kernels/gen.sh where its clang
// is installed and checks that the embedded PTX is what kernels.cu makes.
func TestPTXUpToDate(t *testing.T) {
	clang, err := exec.LookPath("clang-16")
	if err != nil {
		t.Skip("clang-16 not installed: cannot rebuild the PTX here")
	}
	for _, f := range []string{"kernels.cu", "gen.sh"} {
		if _, err := os.Stat(filepath.Join("kernels", f)); err != nil {
			t.Skip("the kernels' source is not beside this test binary")
		}
	}
	out, err := exec.Command(clang, "--version").Output()
	if err != nil {
		t.Skipf("%s --version: %v", clang, err)
	}
	here, _, _ := strings.Cut(string(out), "\n")
	made, _, _ := strings.Cut(kernelsPTX, "\n")
	if made != "// clang: "+here {
		t.Skipf("kernels.ptx was made by %q; this clang-16 is %q, whose PTX differs", strings.TrimPrefix(made, "// clang: "), here)
	}
	dir := t.TempDir()
	for _, f := range []string{"kernels.cu", "gen.sh"} {
		b, err := os.ReadFile(filepath.Join("kernels", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", filepath.Join(dir, "gen.sh"))
	cmd.Env = append(os.Environ(), "CLANG="+clang)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen.sh: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "kernels.ptx"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != kernelsPTX {
		t.Fatal("kernels/kernels.ptx is stale: run backends/engine/cuda/kernels/gen.sh and commit it")
	}
}
