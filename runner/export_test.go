package runner

import "time"

// SetSystemEvery sets how often a training run samples its system metrics
// and returns what restores it.
func SetSystemEvery(d time.Duration) (restore func()) {
	old := systemEvery
	systemEvery = d
	return func() { systemEvery = old }
}
