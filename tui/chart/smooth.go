package chart

import "math"

// EMA smooths a curve with an exponential moving average of the given
// weight in [0, 1): each point becomes weight times the average so far
// plus (1 - weight) times its value, debiased as TensorBoard does so that
// the first points are not pulled toward zero. A weight of 0 returns the
// points unchanged; a NaN or infinite value stays where it is and does
// not enter the average.
func EMA(pts []Point, weight float64) []Point {
	if weight <= 0 || len(pts) == 0 {
		return pts
	}
	weight = math.Min(weight, 0.999)
	out := make([]Point, len(pts))
	last, n := 0.0, 0
	for i, p := range pts {
		out[i] = p
		if !finite(p.Y) {
			continue
		}
		last = last*weight + (1-weight)*p.Y
		n++
		out[i].Y = last / (1 - math.Pow(weight, float64(n)))
	}
	return out
}
