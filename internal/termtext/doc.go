// Package termtext makes text that came from user data (a CSV label, a
// column or experiment name, an error quoting a file) safe to print on a
// terminal: the one function every line the CLI and the TUI print goes
// through.
package termtext
