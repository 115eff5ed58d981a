// Package cli is xp's command line: one file per command, each with an
// options struct and a run function separate from flag parsing. Errors are
// printed once, here, at the boundary (CUE errors with every position), and
// mapped to exit codes in one place (exit.go).
package cli
