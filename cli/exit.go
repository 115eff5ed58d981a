package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/internal/redact"
	"github.com/xp-ml/xp/internal/termtext"
)

// Exit codes (README, "Exit codes").
const (
	ExitOK            = 0
	ExitError         = 1
	ExitUsage         = 2
	ExitNotReproduced = 3
	ExitCanceled      = 130
)

// usageError marks an error in how xp was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitError carries an exit code for an outcome that is not an error message
// (e.g. a rerun that did not reproduce, already reported on stdout).
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// report prints err once and returns its exit code.
func report(w io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(w, "xp: %s\n", termtext.Lines(redact.Text(ee.err.Error())))
		}
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(w, "xp: canceled\n")
		return ExitCanceled
	}
	if spec.IsSpecError(err) {
		cwd, _ := os.Getwd()
		var b strings.Builder
		spec.PrintError(&b, err, cwd)
		io.WriteString(w, termtext.Lines(redact.Text(b.String())))
		return ExitError
	}
	fmt.Fprintf(w, "xp: %s\n", termtext.Lines(redact.Text(err.Error())))
	var ue usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitError
}
