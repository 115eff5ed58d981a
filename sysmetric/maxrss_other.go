//go:build unix && !darwin

package sysmetric

// maxrssUnit: getrusage's ru_maxrss is in KiB on Linux and the BSDs.
const maxrssUnit = 1024
