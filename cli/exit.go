package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

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

// exitCodesHelp is `xp help exit-codes`.
const exitCodesHelp = `xp exits with:

  0    ok
  1    an error: a spec or its data (xp vet lists them all), a run that
       failed, a run key not found, a remote that cannot be reached
  2    a usage error, in every command: an unknown command or flag, a
       wrong number of arguments, a malformed key prefix (4 to 64 hex
       digits, or KEY#N), a flag value that is not one of those listed
  3    xp rerun trained the run again and it did not reproduce (the fields
       that differ are printed)
  130  canceled: Ctrl-C (or SIGTERM) stops a run at its next batch and
       records it canceled; a second Ctrl-C exits at once`

// newExitCodesTopic is the help topic `xp help exit-codes`.
func newExitCodesTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "exit-codes",
		Short: "What xp's exit codes mean",
		Long:  exitCodesHelp,
	}
}

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
			printError(w, ee.err)
		}
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(w, "xp: canceled\n")
		return ExitCanceled
	}
	printError(w, err)
	var ue usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitError
}

// joined is the errors err joins when it is an errors.Join, whose message
// is theirs a line each (a fmt.Errorf with several %w also unwraps to
// several, but its message has words of its own to keep).
func joined(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return nil
	}
	errs := j.Unwrap()
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	if err.Error() != strings.Join(msgs, "\n") {
		return nil
	}
	return errs
}

// printError prints err in xp's one style: each error about a spec as
// "file:line:col: field: message" (spec.PrintError), any other as "xp: "
// and its message; paths below the working directory relative to it. The
// errors of an errors.Join are printed one by one. Messages quote user
// data (names, values, URLs): secrets are redacted and control bytes made
// visible (termtext) before they reach a terminal.
func printError(w io.Writer, err error) {
	var b strings.Builder
	writeError(&b, err)
	io.WriteString(w, termtext.Lines(redact.Text(b.String())))
}

func writeError(w io.Writer, err error) {
	cwd, _ := os.Getwd()
	if errs := joined(err); errs != nil {
		for _, e := range errs {
			writeError(w, e)
		}
		return
	}
	if spec.IsSpecError(err) {
		spec.PrintError(w, err, cwd)
		return
	}
	fmt.Fprintf(w, "xp: %s\n", spec.RelativePaths(err.Error(), cwd))
}
