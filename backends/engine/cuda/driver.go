package cuda

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/internal/dl"
)

// DriverLibrary is the CUDA driver's shared object, installed with the
// NVIDIA driver (not with the CUDA toolkit).
const DriverLibrary = "libcuda.so.1"

// result is a CUresult; 0 is CUDA_SUCCESS.
type result uintptr

const (
	errNoDevice result = 100 // CUDA_ERROR_NO_DEVICE
)

// driver holds the entry points xp uses, resolved once per process.
type driver struct {
	init, driverGetVersion, deviceGetCount, deviceGet, deviceGetName, deviceGetAttribute uintptr
	deviceTotalMem, primaryCtxRetain, primaryCtxRelease, ctxSetCurrent, ctxSynchronize   uintptr
	memAlloc, memFree, memcpyHtoD, memcpyDtoH, memcpyHtoDAsync, memsetD32, memGetInfo    uintptr
	memHostAlloc, memFreeHost, moduleLoadData, moduleUnload, moduleGetFunction           uintptr
	launchKernel, getErrorName, getErrorString, funcGetAttribute, funcSetAttribute       uintptr
	streamCreate, streamDestroy, streamSynchronize, memcpyDtoHAsync, memsetD32Async      uintptr
	deviceGetPCIBusID                                                                    uintptr
	version                                                                              int // e.g. 13000 for CUDA 13.0
}

var (
	driverOnce sync.Once
	driverVal  *driver
	driverErr  error
)

// loadDriver opens libcuda.so.1 and initialises it, once per process. Its
// errors wrap backends.ErrUnavailable and read as one line.
func loadDriver() (*driver, error) {
	driverOnce.Do(func() { driverVal, driverErr = openDriver(DriverLibrary) })
	return driverVal, driverErr
}

func openDriver(library string) (*driver, error) {
	h, err := dl.Open(library, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %s not found: no NVIDIA driver", backends.ErrUnavailable, library)
	}
	d := &driver{}
	for _, s := range []struct {
		name string
		p    *uintptr
	}{
		{"cuInit", &d.init}, {"cuDriverGetVersion", &d.driverGetVersion},
		{"cuDeviceGetCount", &d.deviceGetCount}, {"cuDeviceGet", &d.deviceGet},
		{"cuDeviceGetName", &d.deviceGetName}, {"cuDeviceGetAttribute", &d.deviceGetAttribute},
		{"cuDeviceTotalMem_v2", &d.deviceTotalMem},
		{"cuDevicePrimaryCtxRetain", &d.primaryCtxRetain}, {"cuDevicePrimaryCtxRelease_v2", &d.primaryCtxRelease},
		{"cuCtxSetCurrent", &d.ctxSetCurrent}, {"cuCtxSynchronize", &d.ctxSynchronize},
		{"cuMemAlloc_v2", &d.memAlloc}, {"cuMemFree_v2", &d.memFree},
		{"cuMemcpyHtoD_v2", &d.memcpyHtoD}, {"cuMemcpyDtoH_v2", &d.memcpyDtoH},
		{"cuMemcpyHtoDAsync_v2", &d.memcpyHtoDAsync}, {"cuMemsetD32_v2", &d.memsetD32},
		{"cuMemGetInfo_v2", &d.memGetInfo}, {"cuMemHostAlloc", &d.memHostAlloc}, {"cuMemFreeHost", &d.memFreeHost},
		{"cuModuleLoadData", &d.moduleLoadData}, {"cuModuleUnload", &d.moduleUnload},
		{"cuModuleGetFunction", &d.moduleGetFunction}, {"cuLaunchKernel", &d.launchKernel},
		{"cuGetErrorName", &d.getErrorName}, {"cuGetErrorString", &d.getErrorString},
		{"cuFuncGetAttribute", &d.funcGetAttribute}, {"cuFuncSetAttribute", &d.funcSetAttribute},
		{"cuStreamCreate", &d.streamCreate}, {"cuStreamDestroy_v2", &d.streamDestroy},
		{"cuStreamSynchronize", &d.streamSynchronize}, {"cuMemcpyDtoHAsync_v2", &d.memcpyDtoHAsync},
		{"cuMemsetD32Async", &d.memsetD32Async}, {"cuDeviceGetPCIBusId", &d.deviceGetPCIBusID},
	} {
		if *s.p, err = dl.Sym(h, s.name); err != nil {
			return nil, fmt.Errorf("%w: %s has no %s (driver too old?)", backends.ErrUnavailable, library, s.name)
		}
	}
	if r := d.call(d.init, 0); r != 0 {
		if r == errNoDevice {
			return nil, fmt.Errorf("%w: cuInit: no device", backends.ErrUnavailable)
		}
		return nil, fmt.Errorf("%w: cuInit: %s", backends.ErrUnavailable, d.describe(r))
	}
	var v int32
	if r := d.call(d.driverGetVersion, ptr(&v)); r != 0 {
		return nil, fmt.Errorf("%w: cuDriverGetVersion: %s", backends.ErrUnavailable, d.describe(r))
	}
	d.version = int(v)
	return d, nil
}

// call invokes a driver entry point that returns a CUresult. Callers that
// run every training step pass a preallocated argument slice instead (see
// launcher), since a variadic list is allocated per call.
func (d *driver) call(fn uintptr, args ...uintptr) result {
	r, _, _ := purego.SyscallN(fn, args...)
	return result(r)
}

// describe is "CUDA_ERROR_OUT_OF_MEMORY (out of memory)".
func (d *driver) describe(r result) string {
	var name, text uintptr
	purego.SyscallN(d.getErrorName, uintptr(r), ptr(&name))
	purego.SyscallN(d.getErrorString, uintptr(r), ptr(&text))
	n, s := dl.GoString(name), dl.GoString(text)
	if n == "" {
		return fmt.Sprintf("CUDA error %d", r)
	}
	return fmt.Sprintf("%s (%s)", n, s)
}

// check turns a CUresult into an error naming what was being done.
func (d *driver) check(what string, r result) error {
	if r == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s", what, d.describe(r))
}

// GPU describes one device as the driver reports it.
type GPU struct {
	Ordinal      int
	Name         string // "NVIDIA H200"
	Major, Minor int    // compute capability
	SMs          int
	Memory       uint64 // bytes
	SharedOptIn  int    // bytes of shared memory a block may have, opted in
	PCIBusID     string // "0000:19:00.0": how NVML finds the same GPU
}

// Arch is the compute capability as "sm_90".
func (g GPU) Arch() string { return fmt.Sprintf("sm_%d%d", g.Major, g.Minor) }

const (
	attrMultiprocessors = 16
	attrCCMajor         = 75
	attrCCMinor         = 76
	attrSharedOptIn     = 97 // CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
)

// gpu describes device ordinal.
func (d *driver) gpu(ordinal int) (GPU, error) {
	var count int32
	if err := d.check("cuDeviceGetCount", d.call(d.deviceGetCount, ptr(&count))); err != nil {
		return GPU{}, err
	}
	if count == 0 {
		return GPU{}, errors.New("cuInit: no device")
	}
	if ordinal < 0 || ordinal >= int(count) {
		return GPU{}, fmt.Errorf("this machine has %d GPU(s), cuda:0 to cuda:%d", count, count-1)
	}
	var dev int32
	if err := d.check("cuDeviceGet", d.call(d.deviceGet, ptr(&dev), uintptr(ordinal))); err != nil {
		return GPU{}, err
	}
	g := GPU{Ordinal: ordinal}
	var name [256]byte
	if err := d.check("cuDeviceGetName", d.call(d.deviceGetName, ptr(&name[0]), uintptr(len(name)), uintptr(dev))); err != nil {
		return GPU{}, err
	}
	g.Name = cString(name[:])
	for _, a := range []struct {
		attr int
		p    *int
	}{{attrCCMajor, &g.Major}, {attrCCMinor, &g.Minor}, {attrMultiprocessors, &g.SMs}, {attrSharedOptIn, &g.SharedOptIn}} {
		var v int32
		if err := d.check("cuDeviceGetAttribute", d.call(d.deviceGetAttribute, ptr(&v), uintptr(a.attr), uintptr(dev))); err != nil {
			return GPU{}, err
		}
		*a.p = int(v)
	}
	var mem uint64
	if err := d.check("cuDeviceTotalMem", d.call(d.deviceTotalMem, ptr(&mem), uintptr(dev))); err != nil {
		return GPU{}, err
	}
	g.Memory = mem
	var bus [32]byte
	if err := d.check("cuDeviceGetPCIBusId", d.call(d.deviceGetPCIBusID, ptr(&bus[0]), uintptr(len(bus)), uintptr(dev))); err != nil {
		return GPU{}, err
	}
	g.PCIBusID = cString(bus[:])
	runtime.KeepAlive(&name)
	runtime.KeepAlive(&bus)
	return g, nil
}

// ptr passes the address of a Go value to C. The value must not move while
// C writes it, but a goroutine's stack moves when it grows, and the call
// into C (purego.SyscallN, a Go function) can grow it after the address
// was taken: the C side then writes a stale address (seen on a GPU: a
// device count read back as 0). Storing the pointer in a package variable
// makes every value passed here escape to the heap, which never moves.
func ptr[T any](p *T) uintptr {
	atomic.StorePointer(&escaped, unsafe.Pointer(p))
	return uintptr(unsafe.Pointer(p))
}

// escaped is written by ptr only to move its arguments to the heap.
var escaped unsafe.Pointer

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// callC calls a C function for its integer result, outside hot paths.
func callC(fn uintptr, args ...uintptr) uintptr {
	r, _, _ := purego.SyscallN(fn, args...)
	return r
}
