//go:build linux || darwin || freebsd || netbsd

package dl

import "github.com/ebitengine/purego"

// Open loads the shared library name (a soname the loader searches for,
// or a path), resolving every symbol now. global makes its symbols
// visible to libraries loaded after it, which a library that finds a
// companion by soname (cuBLAS's libcublasLt) needs.
func Open(name string, global bool) (uintptr, error) {
	mode := purego.RTLD_NOW | purego.RTLD_LOCAL
	if global {
		mode = purego.RTLD_NOW | purego.RTLD_GLOBAL
	}
	return purego.Dlopen(name, mode)
}

// Sym returns the address of symbol name in library h.
func Sym(h uintptr, name string) (uintptr, error) { return purego.Dlsym(h, name) }
