//go:build !unix

package store

import "time"

// cpuTime is unknown here; reportRates then reports wall time only.
func cpuTime() time.Duration { return 0 }
