//go:build !(linux || darwin || freebsd || netbsd)

package gemm

import (
	"errors"
	"runtime"
)

// Shared libraries are not loaded on this system: the pure-Go kernel runs.
func dlopen(name string) (uintptr, error) {
	return 0, errors.New("no dlopen on " + runtime.GOOS)
}

func dlsym(h uintptr, name string) (uintptr, error) {
	return 0, errors.New("no dlsym on " + runtime.GOOS)
}
