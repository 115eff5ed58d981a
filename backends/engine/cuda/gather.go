package cuda

import (
	"fmt"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/xp-ml/xp/backends/engine/device"
)

// dataset is the training set as the device holds it. The first Gather
// from a training set copies all of it to the GPU (when it fits with room
// to spare), so that a step moves only its row indices across PCIe and
// assembles the batch with a kernel. The engine passes the same slices for
// the life of a trainer, and training data does not change under it; a
// different slice replaces the copy.
type dataset struct {
	key       [4]uintptr // data and length of the features and labels
	x, y      uint64     // the device copies; 0 when not resident
	resident  bool
	rows      uint64         // the batch's row indices on the GPU
	pinned    unsafe.Pointer // ringSlots × capacity int32s of page-locked host memory
	capacity  int            // row indices per slot
	slot      int            // the next slot to write
	sinceWait int            // slots written since the host last waited for the GPU
	host      []float32      // batch staging when the set is not resident
	hostY     []int32
}

// residentMargin is GPU memory left free beside a resident training set,
// for the model's buffers, cuBLAS's workspace and other processes.
const residentMargin = 1 << 30

func (s *dataset) free(d *Device) {
	for _, p := range []uint64{s.x, s.y} {
		if p != 0 {
			d.drv.call(d.drv.memFree, uintptr(p))
		}
	}
	s.x, s.y, s.resident, s.key = 0, 0, false, [4]uintptr{}
	if s.pinned != nil {
		d.drv.call(d.drv.memFreeHost, uintptr(s.pinned))
		s.pinned = nil
	}
	// The ring goes with the pinned memory; the next set makes its own.
	s.capacity, s.slot, s.sinceWait = 0, 0, 0
}

// Gather implements device.Device.
func (d *Device) Gather(dst device.Buffer, labels device.Labels, src []float32, srcLabels []int32, width int, rows []int32) error {
	n := len(rows)
	x, y := dst.(*Buffer), labels.(*Labels)
	if n*width > x.n || n > y.n {
		return fmt.Errorf("cuda: gather %d rows of %d into %d floats", n, width, x.n)
	}
	if n == 0 {
		return nil
	}
	d.enter()
	defer d.leave()
	if err := d.prepare(src, srcLabels, n); err != nil {
		return err
	}
	s := &d.data
	if !s.resident {
		return d.gatherOnHost(x, y, src, srcLabels, width, rows)
	}
	if s.sinceWait >= ringSlots-1 {
		d.wait()
	}
	off := s.slot * s.capacity * 4
	host := unsafe.Slice((*int32)(unsafe.Add(s.pinned, off)), n)
	copy(host, rows)
	s.slot = (s.slot + 1) % ringSlots
	s.sinceWait++
	d.copyArgv = [4]uintptr{uintptr(s.rows), uintptr(unsafe.Pointer(&host[0])), uintptr(4 * n), 0}
	r, _, _ := purego.SyscallN(d.drv.memcpyHtoDAsync, d.copyArgv[:]...)
	d.record("copy batch rows (cuMemcpyHtoDAsync)", result(r))
	d.setBuf(0, x)
	d.setPtr(1, y.ptr)
	d.setPtr(2, s.x)
	d.setPtr(3, s.y)
	d.setInt(4, width)
	d.setPtr(5, s.rows)
	d.setInt(6, n)
	d.elementwise("gather", d.c.k.gather, n*width)
	return d.err
}

// prepare makes the training set resident the first time it is seen, and
// sizes the row-index ring for batches of n rows.
func (d *Device) prepare(src []float32, srcLabels []int32, n int) error {
	s := &d.data
	key := [4]uintptr{uintptr(unsafe.Pointer(unsafe.SliceData(src))), uintptr(len(src)),
		uintptr(unsafe.Pointer(unsafe.SliceData(srcLabels))), uintptr(len(srcLabels))}
	if key != s.key {
		d.wait()
		s.free(d)
		s.key = key
		var free, total uint64
		if err := d.drv.check("cuMemGetInfo", d.drv.call(d.drv.memGetInfo, ptr(&free), ptr(&total))); err != nil {
			return fmt.Errorf("cuda: %w", err)
		}
		need := uint64(4*len(src) + 4*len(srcLabels))
		if need+residentMargin < free {
			var err error
			if s.x, err = d.upload(unsafe.Pointer(unsafe.SliceData(src)), 4*len(src)); err != nil {
				return err
			}
			if len(srcLabels) > 0 {
				if s.y, err = d.upload(unsafe.Pointer(unsafe.SliceData(srcLabels)), 4*len(srcLabels)); err != nil {
					return err
				}
			}
			s.resident = true
		}
	}
	if s.resident && n > s.capacity {
		d.wait()
		if s.pinned != nil {
			d.drv.call(d.drv.memFreeHost, uintptr(s.pinned))
			s.pinned = nil
		}
		if err := d.drv.check("cuMemHostAlloc", d.drv.call(d.drv.memHostAlloc, ptr(&s.pinned), uintptr(ringSlots*n*4), 0)); err != nil {
			return fmt.Errorf("cuda: pinned memory for batch rows: %w", err)
		}
		p, err := d.alloc(4 * n)
		if err != nil {
			return err
		}
		s.rows, s.capacity, s.slot = p, n, 0
	}
	return nil
}

// upload copies bytes from host memory to a new allocation that the
// dataset owns (it is freed with the dataset, not with the model).
func (d *Device) upload(src unsafe.Pointer, bytes int) (uint64, error) {
	var p uint64
	if err := d.drv.check("cuMemAlloc", d.drv.call(d.drv.memAlloc, ptr(&p), uintptr(max(bytes, 4)))); err != nil {
		return 0, fmt.Errorf("cuda: training set (%d bytes) on %s: %w", bytes, d.c.gpu.Name, err)
	}
	if bytes > 0 {
		if err := d.drv.check("cuMemcpyHtoD", d.drv.call(d.drv.memcpyHtoD, uintptr(p), uintptr(src), uintptr(bytes))); err != nil {
			d.drv.call(d.drv.memFree, uintptr(p))
			return 0, fmt.Errorf("cuda: copy training set: %w", err)
		}
	}
	return p, nil
}

// gatherOnHost assembles the batch in host memory and copies it over, for
// a training set that does not fit on the GPU.
func (d *Device) gatherOnHost(x *Buffer, y *Labels, src []float32, srcLabels []int32, width int, rows []int32) error {
	s := &d.data
	n := len(rows)
	if len(s.host) < n*width {
		s.host, s.hostY = make([]float32, n*width), make([]int32, n)
	}
	for i, r := range rows {
		copy(s.host[i*width:(i+1)*width], src[int(r)*width:(int(r)+1)*width])
		s.hostY[i] = srcLabels[r]
	}
	d.copyArgv = [4]uintptr{uintptr(x.ptr), uintptr(unsafe.Pointer(&s.host[0])), uintptr(4 * n * width)}
	r, _, _ := purego.SyscallN(d.drv.memcpyHtoD, d.copyArgv[:3]...)
	d.record("copy batch (cuMemcpyHtoD)", result(r))
	d.copyArgv = [4]uintptr{uintptr(y.ptr), uintptr(unsafe.Pointer(&s.hostY[0])), uintptr(4 * n)}
	r, _, _ = purego.SyscallN(d.drv.memcpyHtoD, d.copyArgv[:3]...)
	d.record("copy batch labels (cuMemcpyHtoD)", result(r))
	return d.err
}
