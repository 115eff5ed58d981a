package cuda

import (
	"fmt"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/backends/engine"
	"github.com/xp-ml/xp/backends/engine/device"
)

// Backend is the engine on the CUDA device, registered as "cuda".
var Backend = engine.NewBackend("cuda", open, version, Available).WithDevices(interchangeable)

func init() { backends.Register(Backend) }

func open(cfg backends.Config) (device.Device, error) { return Open(cfg.GPU) }

// version is the device part of the backend version for cfg's GPU.
func version(cfg backends.Config) (string, error) {
	drv, err := loadDriver()
	if err != nil {
		return "", err
	}
	blas, err := loadCUBLAS()
	if err != nil {
		return "", err
	}
	g, err := drv.gpu(cfg.GPU)
	if err != nil {
		return "", err
	}
	return versionOf(drv, blas, g), nil
}

// Available reports whether CUDA can run here: nil, or one line saying
// why not ("libcuda.so.1 not found: no NVIDIA driver", "cuInit: no
// device", "cuBLAS not found; set XP_CUBLAS ..."), wrapping
// backends.ErrUnavailable.
func Available() error {
	drv, err := loadDriver()
	if err != nil {
		return err
	}
	var count int32
	if err := drv.check("cuDeviceGetCount", drv.call(drv.deviceGetCount, ptr(&count))); err != nil {
		return fmt.Errorf("%w: %v", backends.ErrUnavailable, err)
	}
	if count == 0 {
		return fmt.Errorf("%w: cuInit: no device", backends.ErrUnavailable)
	}
	if _, err := loadCUBLAS(); err != nil {
		return err
	}
	return nil
}

// interchangeable lists the GPUs whose version is cfg.GPU's (the same
// model, driver, cuBLAS and kernels), cfg.GPU first.
func interchangeable(cfg backends.Config) ([]int, error) {
	drv, err := loadDriver()
	if err != nil {
		return nil, err
	}
	blas, err := loadCUBLAS()
	if err != nil {
		return nil, err
	}
	want, err := drv.gpu(cfg.GPU)
	if err != nil {
		return nil, err
	}
	var count int32
	if err := drv.check("cuDeviceGetCount", drv.call(drv.deviceGetCount, ptr(&count))); err != nil {
		return nil, err
	}
	out := []int{cfg.GPU}
	for i := range int(count) {
		if i == cfg.GPU {
			continue
		}
		if g, err := drv.gpu(i); err == nil && versionOf(drv, blas, g) == versionOf(drv, blas, want) {
			out = append(out, i)
		}
	}
	return out, nil
}
