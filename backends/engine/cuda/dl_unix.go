//go:build linux || freebsd || netbsd

package cuda

import "github.com/ebitengine/purego"

func dlopen(name string, global bool) (uintptr, error) {
	mode := purego.RTLD_NOW | purego.RTLD_LOCAL
	if global {
		mode = purego.RTLD_NOW | purego.RTLD_GLOBAL
	}
	return purego.Dlopen(name, mode)
}

func dlsym(h uintptr, name string) (uintptr, error) { return purego.Dlsym(h, name) }
