package cuda

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xp-ml/xp/backends"
)

// TestCUBLASSearchOrder builds a machine in a temporary directory: a
// virtual environment whose bin/python3 links to an interpreter elsewhere,
// NVIDIA wheels in both site-packages, and a user site, and checks the
// order in which cuBLAS is looked for.
func TestCUBLASSearchOrder(t *testing.T) {
	root := t.TempDir()
	touch := func(rel string) string {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	realPy := touch("usr/bin/python3.12")
	venvPy := filepath.Join(root, "venv/bin/python3")
	if err := os.MkdirAll(filepath.Dir(venvPy), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(realPy, venvPy); err != nil {
		t.Fatal(err)
	}
	venv13 := touch("venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13")
	venv12 := touch("venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12")
	system := touch("usr/lib/python3/dist-packages/nvidia/cublas/lib/libcublas.so.12")
	user := touch("home/.local/lib/python3.11/site-packages/nvidia/cu13/lib/libcublas.so.13")
	touch("venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublasLt.so.12") // not a candidate

	env := map[string]string{"HOME": filepath.Join(root, "home")}
	m := lookup{
		getenv: func(k string) string { return env[k] },
		lookPath: func(name string) (string, error) {
			if name != "python3" {
				return "", errors.New("not found")
			}
			return venvPy, nil
		},
		glob:     filepath.Glob,
		evalLink: filepath.EvalSymlinks,
	}
	tests := []struct {
		name    string
		xpCUBLA string
		want    []string
	}{
		{"sonames before wheels, the PATH's environment before the linked interpreter's, the user site last", "",
			[]string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", venv13, venv12, system, user}},
		{"XP_CUBLAS first", "/opt/cublas/libcublas.so.12",
			[]string{"/opt/cublas/libcublas.so.12", "libcublas.so.13", "libcublas.so.12", "libcublas.so.11", venv13, venv12, system, user}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env[CUBLASEnv] = tt.xpCUBLA
			got := cublasCandidates(m)
			if !slices.Equal(got, tt.want) {
				t.Errorf("candidates:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
	t.Run("no python3 on PATH", func(t *testing.T) {
		env[CUBLASEnv] = ""
		m := m
		m.lookPath = func(string) (string, error) { return "", errors.New("not found") }
		got := cublasCandidates(m)
		want := []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", user}
		if !slices.Equal(got, want) {
			t.Errorf("candidates:\n got %q\nwant %q", got, want)
		}
	})
}

// TestUnavailableSaysWhy checks the one-line reasons, with libraries that
// cannot load on any machine.
func TestUnavailableSaysWhy(t *testing.T) {
	_, err := openDriver("libcuda-xp-missing.so.1")
	if !errors.Is(err, backends.ErrUnavailable) || !strings.HasSuffix(err.Error(), "libcuda-xp-missing.so.1 not found: no NVIDIA driver") {
		t.Errorf("driver missing: %v", err)
	}
	bogus := filepath.Join(t.TempDir(), "libcublas.so.12")
	if err := os.WriteFile(bogus, []byte("not an ELF file"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = openCUBLAS([]string{"libcublas-xp-missing.so.13", bogus})
	if !errors.Is(err, backends.ErrUnavailable) || !strings.Contains(err.Error(), "cuBLAS not found; set XP_CUBLAS") ||
		!strings.Contains(err.Error(), bogus) {
		t.Errorf("cuBLAS missing: %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("reason spans lines: %q", err)
	}
}

// TestAvailableOnThisMachine: where there is no driver, Available and the
// backend's version say so; where there is one, they agree it runs.
func TestAvailableOnThisMachine(t *testing.T) {
	err := Available()
	if err != nil {
		if !errors.Is(err, backends.ErrUnavailable) {
			t.Fatalf("Available: %v does not wrap ErrUnavailable", err)
		}
		if v := Backend.Version(); !strings.Contains(v, "device-error=") {
			t.Errorf("Version without CUDA = %q, want the reason", v)
		}
		t.Logf("no CUDA here: %v", err)
		return
	}
	if v := Backend.Version(); !strings.Contains(v, "gpu=") || !strings.Contains(v, "kernels="+KernelsDigest) {
		t.Errorf("Version = %q", v)
	}
}
