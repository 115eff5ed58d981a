//go:build !linux

package main

// peakRSSMiB is unknown here.
func peakRSSMiB() float64 { return 0 }
