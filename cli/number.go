package cli

import (
	"time"

	"github.com/xp-ml/xp/internal/numfmt"
)

// digits is how many significant digits numbers print with in tables and
// logs (--precision, on every command; numfmt.Digits by default). Every
// metric, loss and value xp prints goes through formatNum, and every
// duration through formatDuration, so they read one way, in the CLI and
// the TUI alike.
var digits = defaultDigits

const defaultDigits = numfmt.Digits

// formatNum writes v with at most digits significant digits (numfmt.Num).
func formatNum(v float64) string { return numfmt.Num(v, digits) }

// formatDuration writes d as Go does, rounded to what a person reads
// (numfmt.Duration).
func formatDuration(d time.Duration) string { return numfmt.Duration(d) }

// seconds is formatDuration of a number of seconds.
func seconds(s float64) string { return formatDuration(time.Duration(s * float64(time.Second))) }
