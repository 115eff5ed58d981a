package dl

import (
	"strings"
	"testing"
	"unsafe"
)

func TestGoString(t *testing.T) {
	for _, s := range []string{"", "OpenBLAS 0.3.21 DYNAMIC_ARCH", strings.Repeat("x", 100)} {
		b := append([]byte(s), 0)
		if got := GoString(uintptr(unsafe.Pointer(&b[0]))); got != s {
			t.Errorf("GoString(%q) = %q", s, got)
		}
	}
	if got := GoString(0); got != "" {
		t.Errorf("GoString(0) = %q", got)
	}
}

func TestOpenMissing(t *testing.T) {
	if _, err := Open("libxp-does-not-exist.so.7", false); err == nil {
		t.Fatal("Open of a missing library succeeded")
	}
}
