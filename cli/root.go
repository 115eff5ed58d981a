package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	// Backends register themselves; importing them is what compiles them in.
	_ "github.com/xp-ml/xp/backends/engine"
	_ "github.com/xp-ml/xp/backends/engine/cuda"
	_ "github.com/xp-ml/xp/backends/gorgonia"
)

// Streams are the IO of one invocation, injected so commands are testable.
type Streams struct {
	In          io.Reader
	Out, Err    io.Writer
	OutTerminal bool // stdout is a terminal
	ErrTerminal bool // stderr is a terminal
}

// Main runs xp with os.Args and returns the exit code. SIGINT and SIGTERM
// cancel the root context: training stops at the next batch and the run is
// recorded as canceled. A second signal exits at once.
func Main() int {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		stop()
		<-sig
		fmt.Fprintln(os.Stderr, "xp: interrupted again, exiting now")
		os.Exit(ExitCanceled)
	}()
	streams := Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		OutTerminal: isTerminal(os.Stdout), ErrTerminal: isTerminal(os.Stderr)}
	return Execute(ctx, os.Args[1:], streams)
}

// Execute runs one xp command line.
func Execute(ctx context.Context, args []string, s Streams) int {
	root := newRoot(s)
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	err := root.ExecuteContext(ctx)
	if err != nil && !isReported(err) && isFlagError(err) {
		err = usageError{err}
	}
	return report(s.Err, err)
}

func newRoot(s Streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "xp",
		Short:         "Declarative experiment-as-code runner for machine learning",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newInitCmd(s),
		newVetCmd(s),
		newRunCmd(s),
		newLsCmd(s),
		newQueueCmd(s),
		newBestCmd(s),
		newShowCmd(s),
		newPredictCmd(s),
		newHashCmd(s),
		newRerunCmd(s),
		newResumeCmd(s),
		newDiffCmd(s),
		newTuiCmd(s),
		newCancelCmd(s),
		newSlurmTaskCmd(s),
	)
	return root
}

// isFlagError recognises cobra's argument-count and unknown-command errors,
// which it returns as plain errors.
func isFlagError(err error) bool {
	var ue usageError
	if errors.As(err, &ue) {
		return true
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "unknown flag", "unknown shorthand"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func isReported(err error) bool {
	var ee exitError
	return errors.As(err, &ee)
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
