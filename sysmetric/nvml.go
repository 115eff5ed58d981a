package sysmetric

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/xp-ml/xp/internal/dl"
)

// NVMLLibrary is NVML's shared object, installed with the NVIDIA driver.
var NVMLLibrary = "libnvidia-ml.so.1"

// ErrNoNVML wraps the reason a GPU's figures cannot be read.
var ErrNoNVML = errors.New("no GPU metrics")

// nvml holds the entry points used, resolved once per process.
type nvml struct {
	init, handleByBusID, utilization, memoryInfo, errorString uintptr
}

var (
	nvmlOnce sync.Once
	nvmlVal  *nvml
	nvmlErr  error
)

func loadNVML() (*nvml, error) {
	nvmlOnce.Do(func() { nvmlVal, nvmlErr = openNVML(NVMLLibrary) })
	return nvmlVal, nvmlErr
}

func openNVML(library string) (*nvml, error) {
	h, err := dl.Open(library, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %s not found", ErrNoNVML, library)
	}
	n := &nvml{}
	for _, s := range []struct {
		name string
		p    *uintptr
	}{
		{"nvmlInit_v2", &n.init}, {"nvmlDeviceGetHandleByPciBusId_v2", &n.handleByBusID},
		{"nvmlDeviceGetUtilizationRates", &n.utilization}, {"nvmlDeviceGetMemoryInfo", &n.memoryInfo},
		{"nvmlErrorString", &n.errorString},
	} {
		if *s.p, err = dl.Sym(h, s.name); err != nil {
			return nil, fmt.Errorf("%w: %s has no %s", ErrNoNVML, library, s.name)
		}
	}
	if r, _, _ := purego.SyscallN(n.init); r != 0 {
		return nil, fmt.Errorf("%w: nvmlInit: %s", ErrNoNVML, n.describe(r))
	}
	return n, nil
}

func (n *nvml) describe(r uintptr) string {
	s, _, _ := purego.SyscallN(n.errorString, r)
	if msg := dl.GoString(s); msg != "" {
		return msg
	}
	return fmt.Sprintf("NVML error %d", r)
}

// gpu is one GPU's NVML handle, with the structs NVML writes into: they
// live in this heap object, which never moves while C writes them.
type gpu struct {
	lib    *nvml
	handle uintptr
	util   struct{ gpu, memory uint32 }       // nvmlUtilization_t
	mem    struct{ total, free, used uint64 } // nvmlMemory_t
	busID  []byte
}

func openGPU(busID string) (*gpu, error) {
	lib, err := loadNVML()
	if err != nil {
		return nil, err
	}
	g := &gpu{lib: lib, busID: append([]byte(busID), 0)}
	if r, _, _ := purego.SyscallN(lib.handleByBusID, uintptr(unsafe.Pointer(&g.busID[0])), uintptr(unsafe.Pointer(&g.handle))); r != 0 {
		return nil, fmt.Errorf("%w: GPU %s: %s", ErrNoNVML, busID, lib.describe(r))
	}
	return g, nil
}

func (g *gpu) sample() (GPUSample, error) {
	if r, _, _ := purego.SyscallN(g.lib.utilization, g.handle, uintptr(unsafe.Pointer(&g.util))); r != 0 {
		return GPUSample{}, fmt.Errorf("nvmlDeviceGetUtilizationRates: %s", g.lib.describe(r))
	}
	if r, _, _ := purego.SyscallN(g.lib.memoryInfo, g.handle, uintptr(unsafe.Pointer(&g.mem))); r != 0 {
		return GPUSample{}, fmt.Errorf("nvmlDeviceGetMemoryInfo: %s", g.lib.describe(r))
	}
	return GPUSample{UtilPercent: float64(g.util.gpu), MemUsedBytes: g.mem.used, MemTotalBytes: g.mem.total}, nil
}
