package cpu

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"golang.org/x/sys/cpu"
)

var kindOnce = sync.OnceValue(detectKind)

// Kind describes the processor as far as it can change a result: the
// architecture and the level the Go code was compiled for (GOAMD64=v3 lets
// the compiler fuse a*b+c into one FMA, which rounds once instead of twice),
// the vector extensions that OpenBLAS picks its kernels by, and the model
// name, e.g. "amd64/v1 avx512 AMD EPYC".
func Kind() string { return kindOnce() }

func detectKind() string {
	parts := []string{runtime.GOARCH}
	if level := archLevel(); level != "" {
		parts[0] += "/" + level
	}
	if v := vectorLevel(); v != "" {
		parts = append(parts, v)
	}
	if name := modelName(); name != "" {
		parts = append(parts, name)
	}
	return strings.Join(parts, " ")
}

// archLevel is the GOAMD64 (GOARM64, ...) setting the binary was built with.
func archLevel() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	key := "GO" + strings.ToUpper(runtime.GOARCH)
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

func vectorLevel() string {
	switch runtime.GOARCH {
	case "amd64", "386":
		switch {
		case cpu.X86.HasAVX512F:
			return "avx512"
		case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
			return "avx2"
		case cpu.X86.HasAVX:
			return "avx"
		default:
			return "sse"
		}
	case "arm64":
		if cpu.ARM64.HasSVE {
			return "sve"
		}
		return "neon"
	}
	return ""
}

// modelName is the first "model name" of /proc/cpuinfo; empty where there
// is none (not Linux, or an architecture that does not report it).
func modelName() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.Join(strings.Fields(val), " ")
		}
	}
	return ""
}
