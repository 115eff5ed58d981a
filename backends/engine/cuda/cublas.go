package cuda

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/internal/dl"
)

// CUBLASEnv names a cuBLAS shared object (a file) to load before any other.
const CUBLASEnv = "XP_CUBLAS"

// cublasSonames are tried on the loader's path after XP_CUBLAS, newest
// first: cuBLAS keeps its C API across majors, and each major needs a
// driver at least as new as its CUDA, which a newer driver always is.
var cublasSonames = []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11"}

// wheelDirs are where NVIDIA's pip wheels, which PyTorch installs, keep
// cuBLAS inside site-packages: nvidia-cublas for CUDA 13 and for CUDA 12.
var wheelDirs = []string{"nvidia/cu13/lib", "nvidia/cublas/lib"}

// lookup is how the search sees the machine; tests give their own.
type lookup struct {
	getenv   func(string) string
	lookPath func(string) (string, error)
	glob     func(string) ([]string, error)
	evalLink func(string) (string, error)
}

var machine = lookup{getenv: os.Getenv, lookPath: exec.LookPath, glob: filepath.Glob, evalLink: filepath.EvalSymlinks}

// cublasCandidates lists what to dlopen, in order: XP_CUBLAS, the sonames
// (resolved by the loader), then files in the pip wheels' lib folders under
// the site-packages of the python3 on PATH. The python3 is not run: its
// site-packages are found from its prefix, both as PATH names it (a
// virtual environment's bin/python3 is a link out of the environment) and
// with links resolved, plus the user's own site-packages.
func cublasCandidates(m lookup) []string {
	var out []string
	if p := m.getenv(CUBLASEnv); p != "" {
		out = append(out, p)
	}
	out = append(out, cublasSonames...)
	var prefixes []string
	if py, err := m.lookPath("python3"); err == nil {
		prefixes = append(prefixes, filepath.Dir(filepath.Dir(py)))
		if real, err := m.evalLink(py); err == nil {
			prefixes = append(prefixes, filepath.Dir(filepath.Dir(real)))
		}
	}
	if home := m.getenv("HOME"); home != "" {
		prefixes = append(prefixes, filepath.Join(home, ".local"))
	}
	var sites []string
	for _, p := range prefixes {
		for _, pat := range []string{"lib/python3*/site-packages", "lib/python3*/dist-packages", "local/lib/python3*/dist-packages", "lib/python3/dist-packages"} {
			found, _ := m.glob(filepath.Join(p, pat))
			sites = append(sites, found...)
		}
	}
	for _, site := range sites {
		for _, dir := range wheelDirs {
			for _, so := range cublasSonames {
				found, _ := m.glob(filepath.Join(site, dir, so))
				out = append(out, found...)
			}
		}
	}
	seen := map[string]bool{}
	return slices.DeleteFunc(out, func(s string) bool {
		dup := seen[s]
		seen[s] = true
		return dup
	})
}

// cublas holds the cuBLAS entry points xp uses.
type cublas struct {
	path                                         string // what was loaded
	version                                      int    // e.g. 130100 for 13.1.0
	create, destroy, setMathMode, sgemm, getProp uintptr
	setStream                                    uintptr
}

var (
	cublasOnce sync.Once
	cublasVal  *cublas
	cublasErr  error
)

func loadCUBLAS() (*cublas, error) {
	cublasOnce.Do(func() { cublasVal, cublasErr = openCUBLAS(cublasCandidates(machine)) })
	return cublasVal, cublasErr
}

func openCUBLAS(candidates []string) (*cublas, error) {
	var tried []string
	for _, c := range candidates {
		// A wheel's libcublas finds its libcublasLt beside it through its
		// RUNPATH; loading the latter first makes that hold even where the
		// RUNPATH is missing.
		if strings.Contains(c, "/") {
			lt := filepath.Join(filepath.Dir(c), strings.Replace(filepath.Base(c), "libcublas.", "libcublasLt.", 1))
			dl.Open(lt, true)
		}
		h, err := dl.Open(c, false)
		if err != nil {
			tried = append(tried, c)
			continue
		}
		l := &cublas{path: c}
		for _, s := range []struct {
			name string
			p    *uintptr
		}{
			{"cublasCreate_v2", &l.create}, {"cublasDestroy_v2", &l.destroy},
			{"cublasSetMathMode", &l.setMathMode}, {"cublasSgemm_v2", &l.sgemm}, {"cublasGetProperty", &l.getProp},
			{"cublasSetStream_v2", &l.setStream},
		} {
			if *s.p, err = dl.Sym(h, s.name); err != nil {
				return nil, fmt.Errorf("%w: %s has no %s", backends.ErrUnavailable, c, s.name)
			}
		}
		var major, minor, patch int32
		callC(l.getProp, 0, ptr(&major))
		callC(l.getProp, 1, ptr(&minor))
		callC(l.getProp, 2, ptr(&patch))
		l.version = int(major)*10000 + int(minor)*100 + int(patch)
		return l, nil
	}
	return nil, fmt.Errorf("%w: cuBLAS not found; set %s (tried %s)", backends.ErrUnavailable, CUBLASEnv, strings.Join(tried, ", "))
}

// versionString is "13.1.0".
func (l *cublas) versionString() string {
	return fmt.Sprintf("%d.%d.%d", l.version/10000, l.version/100%100, l.version%100)
}
