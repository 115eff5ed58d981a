package gemm

import (
	"errors"
	"strings"
	"testing"
)

// TestMissingLibrary: a machine without OpenBLAS gets ErrUnavailable with
// the library's name, which is what makes Choose fall back to pure Go.
func TestMissingLibrary(t *testing.T) {
	_, err := dlopenOpenBLAS("libxp-no-such-blas.so.0")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "libxp-no-such-blas.so.0") {
		t.Fatalf("err = %v, want ErrUnavailable naming the library", err)
	}
}

// TestLibraryWithoutSgemm: a library that loads but is not a BLAS (libc).
func TestLibraryWithoutSgemm(t *testing.T) {
	_, err := dlopenOpenBLAS("libc.so.6")
	if err == nil {
		t.Fatal("libc accepted as OpenBLAS")
	}
	if strings.Contains(err.Error(), "load libc.so.6") {
		t.Skipf("no glibc here: %v", err)
	}
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "sgemm_") {
		t.Fatalf("err = %v, want ErrUnavailable naming sgemm_", err)
	}
}

func TestOpenBLASNameFormat(t *testing.T) {
	l := &openblasLib{config: "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64", corename: "Haswell"}
	if got := l.name(); got != "openblas-0.3.21-haswell" {
		t.Fatalf("name %q", got)
	}
	if got := (Choice{Name: l.name(), OpenBLAS: true}).NameFor(2); got != "openblas-0.3.21-haswell/2threads" {
		t.Fatalf("name on 2 threads %q", got)
	}
	if got := (Choice{Name: GoName}).NameFor(2); got != GoName {
		t.Fatalf("pure Go on 2 threads %q", got)
	}
}
