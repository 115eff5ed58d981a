//go:build !(linux || freebsd || netbsd)

package cuda

import (
	"errors"
	"runtime"
)

// NVIDIA's CUDA driver for xp's purposes is a Linux (or BSD) library.
func dlopen(name string, global bool) (uintptr, error) {
	return 0, errors.New("no CUDA driver on " + runtime.GOOS)
}

func dlsym(h uintptr, name string) (uintptr, error) {
	return 0, errors.New("no CUDA driver on " + runtime.GOOS)
}
