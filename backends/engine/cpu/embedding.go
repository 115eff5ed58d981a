package cpu

import "github.com/xp-ml/xp/backends/engine/device"

// CopyColumns implements device.Device.
func (d *Device) CopyColumns(dstb, srcb device.Buffer, rows, srcWidth, dstWidth, n int) {
	dst, src := buf(dstb), buf(srcb)
	for r := range rows {
		copy(dst[r*dstWidth:r*dstWidth+n], src[r*srcWidth:r*srcWidth+n])
	}
}

// EmbeddingGather implements device.Device.
func (d *Device) EmbeddingGather(dstb, srcb, tableb device.Buffer, rows, srcWidth, col, vocab, dim, dstWidth, dstOff int) {
	dst, src, table := buf(dstb), buf(srcb), buf(tableb)
	for r := range rows {
		v := index(src[r*srcWidth+col], vocab)
		copy(dst[r*dstWidth+dstOff:r*dstWidth+dstOff+dim], table[v*dim:(v+1)*dim])
	}
}

// EmbeddingScatterAdd implements device.Device.
func (d *Device) EmbeddingScatterAdd(dtableb, doutb, srcb device.Buffer, rows, srcWidth, col, vocab, dim, dstWidth, dstOff int) {
	dtable, dout, src := buf(dtableb)[:vocab*dim], buf(doutb), buf(srcb)
	clear(dtable)
	for r := range rows {
		v := index(src[r*srcWidth+col], vocab)
		g := dout[r*dstWidth+dstOff : r*dstWidth+dstOff+dim]
		row := dtable[v*dim : (v+1)*dim]
		row = row[:len(g)]
		for j, x := range g {
			row[j] += x
		}
	}
}

// index reads an embedding index. The data never holds one outside
// [0, vocab) (backends.Batches.CheckFor refuses it before training or
// predicting); clamping anyway keeps a bad value from reading or writing
// outside the table, and NaN goes to 0.
func index(x float32, vocab int) int {
	switch {
	case !(x >= 0):
		return 0
	case x >= float32(vocab):
		return vocab - 1
	}
	return int(x)
}
