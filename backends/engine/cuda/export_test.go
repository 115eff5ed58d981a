package cuda

// SetFusing makes every device fuse the steps it can (on), none (off), or
// those worthFusing picks (auto), and returns the function that restores
// the rule: tests compare fused and unfused runs of one model.
func SetFusing(mode string) (restore func()) {
	old := fusing
	switch mode {
	case "on":
		fusing = func(r *recording) bool { return r.unfusable == "" && len(r.ops)/opWords <= maxOps }
	case "off":
		fusing = func(*recording) bool { return false }
	}
	return func() { fusing = old }
}
