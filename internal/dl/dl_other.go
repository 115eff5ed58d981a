//go:build !(linux || darwin || freebsd || netbsd)

package dl

import (
	"errors"
	"runtime"
)

// Open fails: shared libraries are not loaded on this system.
func Open(name string, global bool) (uintptr, error) {
	return 0, errors.New("no dlopen on " + runtime.GOOS)
}

// Sym fails: shared libraries are not loaded on this system.
func Sym(h uintptr, name string) (uintptr, error) {
	return 0, errors.New("no dlsym on " + runtime.GOOS)
}
