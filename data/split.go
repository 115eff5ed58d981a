package data

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"

	"github.com/xp-ml/xp/cue/spec"
)

// The three splits, in the order rows are handed out to them.
const (
	splitTest = iota
	splitVal
	splitTrain
	numSplits
)

var splitNames = [numSplits]string{"test", "validation", "train"}

// splitStream is the second PCG seed word: it names what the generator is
// for, so the split never draws the same numbers as another use of the
// same user seed.
const splitStream = 0x78702e73706c6974 // "xp.split"

// checkSplit rejects fractions that cannot be honoured.
func checkSplit(s spec.Split) error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"data.split.test", s.Test}, {"data.split.validation", s.Validation}} {
		if !(f.v >= 0 && f.v < 1) {
			return fieldErrorf(f.name, ErrInvalidSplit, "%v is not a fraction in [0, 1)", f.v)
		}
	}
	if s.Test+s.Validation >= 1 {
		return fieldErrorf("data.split", ErrInvalidSplit, "test %v + validation %v leave no rows to train on", s.Test, s.Validation)
	}
	return nil
}

// splitRows deals rows into test, validation and train. With stratify, each
// class (in sorted label order) is shuffled and dealt on its own, so every
// split keeps the class proportions; otherwise all rows are shuffled once.
// From each shuffled group, round(n*test) rows go to test, then
// round(n*validation) to validation, the rest to train. Each split is then
// sorted back into file order: the order within a split carries no
// information, and file order makes "the earlier duplicate" mean what it
// says.
//
// The shuffle is ours (Fisher-Yates over PCG with an unbiased bounded draw)
// rather than rand.Shuffle, so a recorded run splits the same way whatever
// Go version rebuilds it.
func splitRows(rows []int, labels []string, s spec.Split) [numSplits][]int {
	src := rand.NewPCG(uint64(s.Seed), splitStream)
	var out [numSplits][]int
	deal := func(group []int) {
		shuffle(src, group)
		n := float64(len(group))
		nTest := min(len(group), int(math.Round(n*s.Test)))
		nVal := min(len(group)-nTest, int(math.Round(n*s.Validation)))
		out[splitTest] = append(out[splitTest], group[:nTest]...)
		out[splitVal] = append(out[splitVal], group[nTest:nTest+nVal]...)
		out[splitTrain] = append(out[splitTrain], group[nTest+nVal:]...)
	}
	if s.Stratify {
		byClass := map[string][]int{}
		for _, r := range rows {
			byClass[labels[r]] = append(byClass[labels[r]], r)
		}
		classes := make([]string, 0, len(byClass))
		for c := range byClass {
			classes = append(classes, c)
		}
		slices.Sort(classes)
		for _, c := range classes {
			deal(byClass[c])
		}
	} else {
		deal(slices.Clone(rows))
	}
	for i := range out {
		slices.Sort(out[i])
	}
	return out
}

func shuffle(src *rand.PCG, xs []int) {
	for i := len(xs) - 1; i > 0; i-- {
		j := int(boundedDraw(src, uint64(i+1)))
		xs[i], xs[j] = xs[j], xs[i]
	}
}

// boundedDraw is uniform in [0, n), by Lemire's multiply-and-reject method.
func boundedDraw(src *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return hi
}
