package cluster

import (
	"strconv"
	"strings"
)

// maxIndexRange bounds one range of ParseIndexes: a scheduler's array
// has at most a sweep's points (max_points), far fewer than this.
const maxIndexRange = 1 << 20

// ParseIndexes reads the array indexes schedulers write as "1,3-5,7"
// (Slurm's ArrayTaskId, a Kubernetes Job's completed and failed indexes)
// in the order written. A part that is not a number or a range of them,
// or a range wider than any array, is skipped.
func ParseIndexes(s string) []int {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b-a > maxIndexRange {
				continue
			}
		}
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
	}
	return out
}
