//go:build !unix

package sysmetric

import "time"

// cpuTime is not read on this system: CPU shares sample as 0.
func cpuTime() time.Duration { return 0 }

// rss is not read on this system.
func rss() uint64 { return 0 }
