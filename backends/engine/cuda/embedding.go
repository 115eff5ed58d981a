package cuda

import "github.com/xp-ml/xp/backends/engine/device"

// CopyColumns implements device.Device.
func (d *Device) CopyColumns(dst, src device.Buffer, rows, srcWidth, dstWidth, n int) {
	d.enter()
	d.elementwise("copy_columns", d.c.k.copyColumns, rows*n,
		buf(dst), buf(src), i32(rows), i32(srcWidth), i32(dstWidth), i32(n))
	d.leave()
}

// EmbeddingGather implements device.Device.
func (d *Device) EmbeddingGather(dst, src, table device.Buffer, rows, srcWidth, col, vocab, dim, dstWidth, dstOff int) {
	d.enter()
	d.elementwise("embedding_gather", d.c.k.embeddingGather, rows*dim,
		buf(dst), buf(src), buf(table), i32(rows), i32(srcWidth), i32(col), i32(vocab), i32(dim), i32(dstWidth), i32(dstOff))
	d.leave()
}

// EmbeddingScatterAdd implements device.Device: one thread per table entry,
// each adding its rows in order, so the sums are the CPU device's.
func (d *Device) EmbeddingScatterAdd(dtable, dout, src device.Buffer, rows, srcWidth, col, vocab, dim, dstWidth, dstOff int) {
	d.enter()
	d.elementwise("embedding_scatter_add", d.c.k.embeddingScatterAdd, vocab*dim,
		buf(dtable), buf(dout), buf(src), i32(rows), i32(srcWidth), i32(col), i32(vocab), i32(dim), i32(dstWidth), i32(dstOff))
	d.leave()
}
