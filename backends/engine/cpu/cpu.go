package cpu

import (
	"fmt"

	"github.com/xp-ml/xp/backends/engine/device"
	"github.com/xp-ml/xp/backends/engine/gemm"
)

// Buffer is host memory.
type Buffer struct {
	Data []float32
}

// Len implements device.Buffer.
func (b *Buffer) Len() int { return len(b.Data) }

// Labels is host memory for class indices.
type Labels struct {
	Data []int32
}

// Len implements device.Labels.
func (l *Labels) Len() int { return len(l.Data) }

// Device runs the engine's kernels on the calling goroutine, and its GEMM on
// as many threads as New was given. It is used by one trainer at a time.
type Device struct {
	gemm       gemm.Sgemm
	scratchBuf []float64  // SoftmaxCrossEntropy's exponentials
	adam       adamConsts // heap memory the vector kernel reads its constants from
}

var (
	_ device.Device = (*Device)(nil)
	_ device.Buffer = (*Buffer)(nil)
	_ device.Labels = (*Labels)(nil)
)

// New returns a CPU device with the GEMM that gemm.New picks (OpenBLAS when
// it loads, unless XP_BLAS says otherwise) on threads threads.
func New(threads int) (*Device, error) {
	g, err := gemm.New(threads)
	if err != nil {
		return nil, fmt.Errorf("cpu device: %w", err)
	}
	return &Device{gemm: g}, nil
}

// Version returns what New(threads) would build under the current
// environment, as Device.Version would report it, without building it.
func Version(threads int) (string, error) {
	c, err := gemm.Choose()
	if err != nil {
		return "", fmt.Errorf("cpu device: %w", err)
	}
	return version(c.NameFor(threads)), nil
}

func version(gemmName string) string {
	return fmt.Sprintf("gemm=%s cpu=%s", gemmName, Kind())
}

// Name implements device.Device.
func (d *Device) Name() string { return "cpu" }

// Version names the GEMM (with OpenBLAS's thread count, which changes its
// bits) and the processor kind.
func (d *Device) Version() string { return version(d.gemm.Name()) }

// GEMM returns the name of the GEMM this device runs.
func (d *Device) GEMM() string { return d.gemm.Name() }

// Alloc implements device.Device.
func (d *Device) Alloc(n int) (device.Buffer, error) {
	if n < 0 {
		return nil, fmt.Errorf("cpu: alloc %d floats", n)
	}
	return &Buffer{Data: make([]float32, n)}, nil
}

// View implements device.Device.
func (d *Device) View(b device.Buffer, off, n int) (device.Buffer, error) {
	s := buf(b)
	if off < 0 || n < 0 || off+n > len(s) {
		return nil, fmt.Errorf("cpu: view [%d, %d) of %d floats", off, off+n, len(s))
	}
	return &Buffer{Data: s[off : off+n : off+n]}, nil
}

// AllocLabels implements device.Device.
func (d *Device) AllocLabels(n int) (device.Labels, error) {
	if n < 0 {
		return nil, fmt.Errorf("cpu: alloc %d labels", n)
	}
	return &Labels{Data: make([]int32, n)}, nil
}

// Write implements device.Device.
func (d *Device) Write(dst device.Buffer, src []float32) error {
	s := buf(dst)
	if len(src) > len(s) {
		return fmt.Errorf("cpu: write %d floats into %d", len(src), len(s))
	}
	copy(s, src)
	return nil
}

// Read implements device.Device.
func (d *Device) Read(dst []float32, src device.Buffer) error {
	s := buf(src)
	if len(dst) > len(s) {
		return fmt.Errorf("cpu: read %d floats from %d", len(dst), len(s))
	}
	copy(dst, s)
	return nil
}

// Gather implements device.Device. Rows are copied, not referenced, so the
// training matrix is never duplicated beyond one batch.
func (d *Device) Gather(dst device.Buffer, labels device.Labels, src []float32, srcLabels []int32, width int, rows []int32) error {
	x, y := buf(dst), labels.(*Labels).Data
	if len(rows)*width > len(x) || len(rows) > len(y) {
		return errGather(len(rows), width, len(x))
	}
	for i, r := range rows {
		copy(x[i*width:(i+1)*width], src[int(r)*width:(int(r)+1)*width])
		y[i] = srcLabels[r]
	}
	return nil
}

func errGather(rows, width, have int) error {
	return fmt.Errorf("cpu: gather %d rows of %d into %d floats", rows, width, have)
}

// Gemm implements device.Device.
func (d *Device) Gemm(transA, transB bool, m, n, k int, alpha float32, a device.Buffer, b device.Buffer, beta float32, c device.Buffer) {
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	d.gemm.Sgemm(transA, transB, m, n, k, alpha, buf(a), lda, buf(b), ldb, beta, buf(c), n)
}

// Sync implements device.Device: CPU kernels are done when they return.
func (d *Device) Sync() error { return nil }

// Close stops the GEMM's workers.
func (d *Device) Close() error { return d.gemm.Close() }

func buf(b device.Buffer) []float32 { return b.(*Buffer).Data }
