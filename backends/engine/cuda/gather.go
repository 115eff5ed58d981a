package cuda

import (
	"fmt"
	"unsafe"

	"github.com/xp-ml/xp/backends/engine/device"
)

// dataset is the training data as the device holds it. The first time a
// host array (the features, the labels, a regression's targets) is
// gathered from, all of it is copied to the GPU when it fits with room to
// spare, so that a step moves only its row indices across PCIe and
// assembles the batch with a kernel. The engine passes the same slices for
// the life of a trainer, and training data does not change under it; an
// array not seen before is copied again.
type dataset struct {
	arrays    []resident     // the copies, at most maxResident
	noRoom    bool           // the last copy did not fit: gather on the host
	rows      uint64         // the batch's row indices on the GPU
	pinned    unsafe.Pointer // ringSlots × capacity int32s of page-locked host memory
	capacity  int            // row indices per slot
	slot      int            // the next slot to write
	sinceWait int            // slots written since the host last waited for the GPU
	host      []float32      // batch staging when an array is not resident
	hostY     []int32
}

// resident is one host array copied to the GPU, known by its address and
// length.
type resident struct {
	key [2]uintptr
	ptr uint64
}

// maxResident bounds the copies kept: features, labels and targets of the
// training set, and one more for a set that replaces it.
const maxResident = 4

// residentMargin is GPU memory left free beside the resident copies, for
// the model's buffers, cuBLAS's workspace and other processes.
const residentMargin = 1 << 30

func (s *dataset) free(d *Device) {
	for _, a := range s.arrays {
		d.drv.call(d.drv.memFree, uintptr(a.ptr))
	}
	s.arrays, s.noRoom = nil, false
	if s.pinned != nil {
		d.drv.call(d.drv.memFreeHost, uintptr(s.pinned))
		s.pinned = nil
	}
	// The ring goes with the pinned memory; the next batch makes its own.
	s.capacity, s.slot, s.sinceWait = 0, 0, 0
}

// copyOf returns the GPU copy of the host array at p (bytes long), making
// it the first time, or 0 when it does not fit.
func (d *Device) copyOf(p unsafe.Pointer, bytes int) (uint64, error) {
	s := &d.data
	key := [2]uintptr{uintptr(p), uintptr(bytes)}
	for _, a := range s.arrays {
		if a.key == key {
			return a.ptr, nil
		}
	}
	if s.noRoom {
		return 0, nil
	}
	d.wait()
	if len(s.arrays) == maxResident {
		d.drv.call(d.drv.memFree, uintptr(s.arrays[0].ptr))
		s.arrays = s.arrays[1:]
	}
	var free, total uint64
	if err := d.drv.check("cuMemGetInfo", d.drv.call(d.drv.memGetInfo, ptr(&free), ptr(&total))); err != nil {
		return 0, fmt.Errorf("cuda: %w", err)
	}
	if uint64(bytes)+residentMargin >= free {
		s.noRoom = true
		return 0, nil
	}
	g, err := d.upload(p, bytes)
	if err != nil {
		return 0, err
	}
	s.arrays = append(s.arrays, resident{key: key, ptr: g})
	return g, nil
}

// sendRows queues the copy of a batch's row indices to the GPU, through
// the next slot of the pinned ring.
func (d *Device) sendRows(rows []int32) error {
	s := &d.data
	n := len(rows)
	if n > s.capacity {
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
	if s.sinceWait >= ringSlots-1 {
		d.wait()
	}
	host := unsafe.Slice((*int32)(unsafe.Add(s.pinned, s.slot*s.capacity*4)), n)
	copy(host, rows)
	s.slot = (s.slot + 1) % ringSlots
	s.sinceWait++
	d.record("copy batch rows (cuMemcpyHtoDAsync)", d.copyIn(s.rows, unsafe.Pointer(&host[0]), 4*n))
	return nil
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
	gx, err := d.copyOf(unsafe.Pointer(unsafe.SliceData(src)), 4*len(src))
	if err != nil {
		return err
	}
	gy, err := d.copyOf(unsafe.Pointer(unsafe.SliceData(srcLabels)), 4*len(srcLabels))
	if err != nil {
		return err
	}
	if d.fused.recording != nil {
		d.recordGather(x, y, src, srcLabels, width, rows, gx, gy)
		return nil
	}
	if gx == 0 || gy == 0 {
		return d.gatherOnHost(x, y, src, srcLabels, width, rows)
	}
	if err := d.sendRows(rows); err != nil {
		return err
	}
	d.launchGather(x.ptr, y.ptr, gx, gy, width, n)
	return d.err
}

// GatherRows implements device.Device: Gather for a float array alone (a
// regression's targets).
func (d *Device) GatherRows(dst device.Buffer, src []float32, width int, rows []int32) error {
	n := len(rows)
	x := dst.(*Buffer)
	if n*width > x.n {
		return fmt.Errorf("cuda: gather %d rows of %d into %d floats", n, width, x.n)
	}
	if n == 0 {
		return nil
	}
	d.enter()
	defer d.leave()
	gx, err := d.copyOf(unsafe.Pointer(unsafe.SliceData(src)), 4*len(src))
	if err != nil {
		return err
	}
	if d.fused.recording != nil {
		d.recordGather(x, nil, src, nil, width, rows, gx, 0)
		return nil
	}
	if gx == 0 {
		return d.gatherOnHost(x, nil, src, nil, width, rows)
	}
	if err := d.sendRows(rows); err != nil {
		return err
	}
	d.launchGather(x.ptr, 0, gx, 0, width, n)
	return d.err
}

func (d *Device) launchGather(dst, labels, x, y uint64, width, n int) {
	d.elementwise("gather", d.c.k.gather, n*width, dst, labels, x, y, i32(width), d.data.rows, i32(n))
}

// upload copies bytes from host memory to a new allocation that the
// dataset owns (it is freed with the dataset, not with the model).
func (d *Device) upload(src unsafe.Pointer, bytes int) (uint64, error) {
	var p uint64
	if err := d.drv.check("cuMemAlloc", d.drv.call(d.drv.memAlloc, ptr(&p), uintptr(max(bytes, 4)))); err != nil {
		return 0, fmt.Errorf("cuda: training set (%d bytes) on %s: %w", bytes, d.c.gpu.Name, err)
	}
	if bytes > 0 {
		if err := d.drv.check("cuMemcpyHtoDAsync", d.copyIn(p, src, bytes)); err != nil {
			d.drv.call(d.drv.memFree, uintptr(p))
			return 0, fmt.Errorf("cuda: copy training set: %w", err)
		}
	}
	return p, nil
}

// gatherOnHost assembles the batch in host memory and copies it over, for
// data that does not fit on the GPU. y and srcLabels are nil for
// GatherRows.
func (d *Device) gatherOnHost(x *Buffer, y *Labels, src []float32, srcLabels []int32, width int, rows []int32) error {
	s := &d.data
	n := len(rows)
	// The copies below return once the driver has taken the bytes, so the
	// staging can be reused at the next batch.
	if len(s.host) < n*width || len(s.hostY) < n {
		s.host, s.hostY = make([]float32, n*width), make([]int32, n)
	}
	for i, r := range rows {
		copy(s.host[i*width:(i+1)*width], src[int(r)*width:(int(r)+1)*width])
	}
	d.record("copy batch (cuMemcpyHtoDAsync)", d.copyIn(x.ptr, unsafe.Pointer(&s.host[0]), 4*n*width))
	if y != nil {
		for i, r := range rows {
			s.hostY[i] = srcLabels[r]
		}
		d.record("copy batch labels (cuMemcpyHtoDAsync)", d.copyIn(y.ptr, unsafe.Pointer(&s.hostY[0]), 4*n))
	}
	return d.err
}
