package cuda

// SetFusing makes every device replay the steps it can (on), none (off),
// or those smallGemms picks (auto), and returns the function that
// restores the rule: tests compare replayed and called runs of one model.
func SetFusing(mode string) (restore func()) {
	old := replaying
	switch mode {
	case "on":
		replaying = func(r *recording) bool { return r.unfusable == "" }
	case "off":
		replaying = func(*recording) bool { return false }
	}
	return func() { replaying = old }
}

// SetReplayMode makes every replay run in the named mode ("fused",
// "fused-staged", "fused512", "fused512-staged", "calls"), where the
// step can, instead of the fastest, and returns the function that
// restores the choice.
func SetReplayMode(name string) (restore func()) {
	old := forced
	forced = modeTune
	for m, n := range modeNames {
		if n == name {
			forced = mode(m)
		}
	}
	return func() { forced = old }
}

// ReplayModes lists the modes' names.
func ReplayModes() []string { return modeNames[:] }
