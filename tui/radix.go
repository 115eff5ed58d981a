package tui

import "math"

// sortItem is a row with its sort key beside it, encoded so that unsigned
// order is the table's order: the key (negated for a descending sort),
// then the run id, newest first.
type sortItem struct {
	key, tie uint64
	r        *row
}

// orderedBits encodes f so that unsigned comparison of the result orders
// like f: the sign bit flipped for positives, every bit for negatives.
// -0 and +0 encode alike, as they compare alike.
func orderedBits(f float64) uint64 {
	if f == 0 {
		f = 0
	}
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// radixSort sorts items by (key, tie) with a least-significant-byte-first
// radix sort: sixteen counting passes at most, and none for a byte that is
// the same in every item (the high bytes of ids, of small ranks). With
// 100,000 rows it is several times faster than a comparison sort, which is
// what keeps a change of sort column under a frame's budget.
// buf is scratch space of at least len(items), reused across sorts so that a
// sort allocates nothing.
func radixSort(items, buf []sortItem) {
	if len(items) < 2 {
		return
	}
	src, dst := items, buf[:len(items)]
	for pass := 0; pass < 16; pass++ {
		shift := uint(pass%8) * 8
		word := func(it *sortItem) uint64 {
			if pass < 8 {
				return it.tie
			}
			return it.key
		}
		var count [256]int
		for i := range src {
			count[byte(word(&src[i])>>shift)]++
		}
		if count[byte(word(&src[0])>>shift)] == len(src) {
			continue // every item has this byte: the pass would change nothing
		}
		pos := 0
		for b := range count {
			c := count[b]
			count[b] = pos
			pos += c
		}
		for i := range src {
			b := byte(word(&src[i]) >> shift)
			dst[count[b]] = src[i]
			count[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &items[0] {
		copy(items, src)
	}
}
