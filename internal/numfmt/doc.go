// Package numfmt is how xp writes numbers and durations for people to
// read, in the CLI's tables and logs and in the TUI alike: at most a few
// significant digits, the shortest way (0.7942, 293.4, 1e-08, 12345, never
// 1E-8, 1000.0 or loss 0.0000), and durations as Go writes them (1m0s,
// 41.2s, 120ms).
package numfmt
