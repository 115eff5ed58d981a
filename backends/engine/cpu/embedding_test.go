package cpu

import (
	"math"
	"slices"
	"testing"
)

// TestEmbeddingKernels runs the three kernels on a batch of 4 rows of
// [plain, plain, index] into rows of 2 plain + a 3-wide table row + 1
// spare column, which no kernel may touch.
func TestEmbeddingKernels(t *testing.T) {
	d := newDevice(t)
	const rows, srcW, dstW, vocab, dim, off = 4, 3, 6, 4, 3, 2
	src := &Buffer{Data: []float32{
		1, 2, 3,
		4, 5, 0,
		6, 7, 3,
		8, 9, 1,
		// a fifth row beyond rows: never read
		-1, -1, 2,
	}}
	table := &Buffer{Data: []float32{
		0, 0.5, 1,
		10, 11, 12,
		20, 21, 22,
		30, 31, 32,
	}}
	dst := &Buffer{Data: make([]float32, 5*dstW)}
	for i := range dst.Data {
		dst.Data[i] = -7
	}
	d.CopyColumns(dst, src, rows, srcW, dstW, 2)
	d.EmbeddingGather(dst, src, table, rows, srcW, 2, vocab, dim, dstW, off)
	want := []float32{
		1, 2, 30, 31, 32, -7,
		4, 5, 0, 0.5, 1, -7,
		6, 7, 30, 31, 32, -7,
		8, 9, 10, 11, 12, -7,
		-7, -7, -7, -7, -7, -7,
	}
	if !slices.Equal(dst.Data, want) {
		t.Fatalf("embedded input\n%v\nwant\n%v", dst.Data, want)
	}

	// Index 3 repeats (rows 0 and 2, summed in row order), 2 is unused
	// (zero, over whatever dtable held).
	dout := &Buffer{Data: []float32{
		9, 9, 1, 2, 3, 9,
		9, 9, 0.25, 0.5, 0.75, 9,
		9, 9, 1e8, 1, -1, 9,
		9, 9, 4, 5, 6, 9,
		9, 9, 100, 100, 100, 9,
	}}
	dtable := &Buffer{Data: make([]float32, vocab*dim)}
	for i := range dtable.Data {
		dtable.Data[i] = float32(math.NaN())
	}
	d.EmbeddingScatterAdd(dtable, dout, src, rows, srcW, 2, vocab, dim, dstW, off)
	wantGrad := []float32{
		0.25, 0.5, 0.75,
		4, 5, 6,
		0, 0, 0,
		float32(1) + float32(1e8), 2 + 1, 3 - 1,
	}
	if !slices.Equal(dtable.Data, wantGrad) {
		t.Fatalf("table gradient %v, want %v", dtable.Data, wantGrad)
	}
}

func TestEmbeddingIndexClamps(t *testing.T) {
	for _, tt := range []struct {
		x    float32
		want int
	}{
		{0, 0}, {2, 2}, {2.7, 2}, {-1, 0}, {4, 3}, {1e9, 3}, {float32(math.NaN()), 0}, {float32(math.Inf(1)), 3},
	} {
		if got := index(tt.x, 4); got != tt.want {
			t.Errorf("index(%v, 4) = %d, want %d", tt.x, got, tt.want)
		}
	}
}
