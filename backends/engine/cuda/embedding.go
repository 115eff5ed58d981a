package cuda

import "github.com/xp-ml/xp/backends/engine/device"

// CopyColumns implements device.Device.
func (d *Device) CopyColumns(dst, src device.Buffer, rows, srcWidth, dstWidth, n int) {
	d.enter()
	d.setBuf(0, dst)
	d.setBuf(1, src)
	d.setInt(2, rows)
	d.setInt(3, srcWidth)
	d.setInt(4, dstWidth)
	d.setInt(5, n)
	d.elementwise("copy_columns", d.c.k.copyColumns, rows*n)
	d.leave()
}

// setEmbedding writes the arguments the two embedding kernels share, after
// their three buffers.
func (d *Device) setEmbedding(rows, srcWidth, col, vocab, dim, dstWidth, dstOff int) {
	d.setInt(3, rows)
	d.setInt(4, srcWidth)
	d.setInt(5, col)
	d.setInt(6, vocab)
	d.setInt(7, dim)
	d.setInt(8, dstWidth)
	d.setInt(9, dstOff)
}

// EmbeddingGather implements device.Device.
func (d *Device) EmbeddingGather(dst, src, table device.Buffer, rows, srcWidth, col, vocab, dim, dstWidth, dstOff int) {
	d.enter()
	d.setBuf(0, dst)
	d.setBuf(1, src)
	d.setBuf(2, table)
	d.setEmbedding(rows, srcWidth, col, vocab, dim, dstWidth, dstOff)
	d.elementwise("embedding_gather", d.c.k.embeddingGather, rows*dim)
	d.leave()
}

// EmbeddingScatterAdd implements device.Device: one thread per table entry,
// each adding its rows in order, so the sums are the CPU device's.
func (d *Device) EmbeddingScatterAdd(dtable, dout, src device.Buffer, rows, srcWidth, col, vocab, dim, dstWidth, dstOff int) {
	d.enter()
	d.setBuf(0, dtable)
	d.setBuf(1, dout)
	d.setBuf(2, src)
	d.setEmbedding(rows, srcWidth, col, vocab, dim, dstWidth, dstOff)
	d.elementwise("embedding_scatter_add", d.c.k.embeddingScatterAdd, vocab*dim)
	d.leave()
}
