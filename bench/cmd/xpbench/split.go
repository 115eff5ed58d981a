package main

import (
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/xp-ml/xp/backends"
)

// split is a preprocessed train/test split.
type split struct {
	train, test *backends.Batches
	classes     int
}

// readSplit reads the "XPB1" format reference.py --prepare writes.
func readSplit(path string) (*split, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var head struct {
		Magic                [4]byte
		Train, Test, D, Clss int32
	}
	if err := binary.Read(r, binary.LittleEndian, &head); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if string(head.Magic[:]) != "XPB1" {
		return nil, fmt.Errorf("read %s: not an XPB1 split", path)
	}
	part := func(n int) (*backends.Batches, error) {
		b := &backends.Batches{N: n, D: int(head.D), X: make([]float32, n*int(head.D)), Y: make([]int32, n)}
		if err := readLE(r, b.X); err != nil {
			return nil, err
		}
		if err := readLE(r, b.Y); err != nil {
			return nil, err
		}
		return b, nil
	}
	sp := &split{classes: int(head.Clss)}
	if sp.train, err = part(int(head.Train)); err != nil {
		return nil, fmt.Errorf("read %s: train: %w", path, err)
	}
	if sp.test, err = part(int(head.Test)); err != nil {
		return nil, fmt.Errorf("read %s: test: %w", path, err)
	}
	return sp, nil
}

// readLE fills dst from little-endian bytes. On a little-endian machine it
// reads straight into dst's memory: binary.Read would first allocate a byte
// copy of the whole matrix, doubling the peak memory the bench reports.
func readLE[T float32 | int32](r io.Reader, dst []T) error {
	if len(dst) == 0 {
		return nil
	}
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		return binary.Read(r, binary.LittleEndian, dst)
	}
	_, err := io.ReadFull(r, unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), len(dst)*4))
	return err
}

// syntheticSplit generates the shape of reference.py's synthetic job with
// Go's generator (not numpy's bits): used only when numpy is missing.
func syntheticSplit(spec string, seed uint64, test float64) (*split, error) {
	var dims []int
	for _, f := range strings.Split(spec, "x") {
		v, err := strconv.Atoi(f)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("-synthetic %q: want NxD or NxDxK", spec)
		}
		dims = append(dims, v)
	}
	if len(dims) < 2 || len(dims) > 3 {
		return nil, fmt.Errorf("-synthetic %q: want NxD or NxDxK", spec)
	}
	n, d, k := dims[0], dims[1], 2
	if len(dims) == 3 {
		k = dims[2]
	}
	rng := rand.New(rand.NewPCG(seed, 0x73796e7468)) // "synth"
	x := make([]float32, n*d)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	cols := k
	if k == 2 {
		cols = 1
	}
	w := make([]float64, d*cols)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	y := make([]int32, n)
	for i := range n {
		best, bestV := 0, math.Inf(-1)
		for c := range cols {
			v := 0.5 * rng.NormFloat64()
			for j := range d {
				v += float64(x[i*d+j]) * w[j*cols+c]
			}
			if v > bestV {
				best, bestV = c, v
			}
		}
		if k == 2 {
			best = 0
			if bestV > 0 {
				best = 1
			}
		}
		y[i] = int32(best)
	}
	return splitRows(x, y, n, d, k, seed, test), nil
}

// csvSplit loads a CSV as reference.py does: rows with a missing value and
// duplicate rows dropped, numeric columns as they are, others one-hot,
// classes in sorted order.
func csvSplit(path, target string, seed uint64, test float64) (*split, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("read %s: no rows", path)
	}
	head := recs[0]
	ti := slices.Index(head, target)
	if ti < 0 {
		return nil, fmt.Errorf("read %s: no column %q", path, target)
	}
	seen := map[string]bool{}
	var rows [][]string
	for _, r := range recs[1:] {
		if slices.ContainsFunc(r, func(v string) bool { return v == "" || v == "NA" || v == "?" }) {
			continue
		}
		key := strings.Join(r, "\x00")
		if !seen[key] {
			seen[key] = true
			rows = append(rows, r)
		}
	}
	var cols [][]float32
	for j := range head {
		if j == ti {
			continue
		}
		num := make([]float32, len(rows))
		numeric := true
		for i, r := range rows {
			v, err := strconv.ParseFloat(r[j], 64)
			if err != nil {
				numeric = false
				break
			}
			num[i] = float32(v)
		}
		if numeric {
			cols = append(cols, num)
			continue
		}
		cats := distinct(rows, j)
		for _, c := range cats {
			oh := make([]float32, len(rows))
			for i, r := range rows {
				if r[j] == c {
					oh[i] = 1
				}
			}
			cols = append(cols, oh)
		}
	}
	classes := distinct(rows, ti)
	n, d := len(rows), len(cols)
	x, y := make([]float32, n*d), make([]int32, n)
	for i, r := range rows {
		for j, c := range cols {
			x[i*d+j] = c[i]
		}
		y[i] = int32(slices.Index(classes, r[ti]))
	}
	return splitRows(x, y, n, d, len(classes), seed, test), nil
}

func distinct(rows [][]string, col int) []string {
	var out []string
	for _, r := range rows {
		if !slices.Contains(out, r[col]) {
			out = append(out, r[col])
		}
	}
	slices.Sort(out)
	return out
}

// splitRows shuffles with a seeded PCG, takes the first round(n·test) rows
// as the test set and standardises every column with the train rows'
// statistics.
func splitRows(x []float32, y []int32, n, d, k int, seed uint64, test float64) *split {
	perm := rand.New(rand.NewPCG(seed, 0x73706c6974)).Perm(n) // "split"
	nt := int(math.Round(float64(n) * test))
	te, tr := perm[:nt], perm[nt:]
	mean, sd := make([]float64, d), make([]float64, d)
	for _, i := range tr {
		for j := range d {
			mean[j] += float64(x[i*d+j])
		}
	}
	for j := range mean {
		mean[j] /= float64(len(tr))
	}
	for _, i := range tr {
		for j := range d {
			v := float64(x[i*d+j]) - mean[j]
			sd[j] += v * v
		}
	}
	for j := range sd {
		if sd[j] = math.Sqrt(sd[j] / float64(len(tr))); sd[j] == 0 {
			sd[j] = 1
		}
	}
	take := func(idx []int) *backends.Batches {
		b := &backends.Batches{N: len(idx), D: d, X: make([]float32, len(idx)*d), Y: make([]int32, len(idx))}
		for r, i := range idx {
			for j := range d {
				b.X[r*d+j] = float32((float64(x[i*d+j]) - mean[j]) / sd[j])
			}
			b.Y[r] = y[i]
		}
		return b
	}
	return &split{train: take(tr), test: take(te), classes: k}
}
