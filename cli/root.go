package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"runtime/trace"
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
	defer profile(os.Stderr)()
	return Execute(ctx, os.Args[1:], streams)
}

// profile starts what XP_CPUPROFILE and XP_TRACE ask for (a CPU profile,
// an execution trace, written to the files they name) and returns what
// stops them: for measuring xp as a user runs it (see README,
// "Development").
func profile(errs io.Writer) (stop func()) {
	var stops []func()
	if path := os.Getenv("XP_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err != nil {
			fmt.Fprintf(errs, "xp: XP_CPUPROFILE: %v\n", err)
		} else if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(errs, "xp: XP_CPUPROFILE: %v\n", err)
		} else {
			stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	if path := os.Getenv("XP_TRACE"); path != "" {
		if f, err := os.Create(path); err != nil {
			fmt.Fprintf(errs, "xp: XP_TRACE: %v\n", err)
		} else if err := trace.Start(f); err != nil {
			fmt.Fprintf(errs, "xp: XP_TRACE: %v\n", err)
		} else {
			stops = append(stops, func() { trace.Stop(); f.Close() })
		}
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}

// Execute runs one xp command line.
func Execute(ctx context.Context, args []string, s Streams) int {
	return report(s.Err, execute(ctx, newRoot(s), args, s))
}

// execute runs args with root. Errors in how xp was called are usage
// errors by their type: flag errors (root's FlagErrorFunc), argument
// counts (usageArgs), and any error of the root command itself, which runs
// nothing and so fails only on a word that is not a command.
func execute(ctx context.Context, root *cobra.Command, args []string, s Streams) error {
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && cmd == root && !isReported(err) {
		err = usageError{err}
	}
	return err
}

func newRoot(s Streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "xp",
		Short:         "Declarative experiment-as-code runner for machine learning",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Flag errors, inherited by every command.
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
		newServeCmd(s),
		newExportCmd(s),
		newHashCmd(s),
		newRerunCmd(s),
		newResumeCmd(s),
		newDiffCmd(s),
		newTuiCmd(s),
		newCancelCmd(s),
		newSlurmTaskCmd(s),
		newKubeTaskCmd(s),
		newRemoteCmd(s),
		newPushCmd(s),
		newPullCmd(s),
	)
	// cobra adds these when it runs; added now, their arguments are
	// checked as the others' are.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	usageArgs(root)
	return root
}

// usageArgs makes the errors of every command's argument check (cobra's
// ExactArgs and the like, which it returns as plain errors) usage errors.
func usageArgs(c *cobra.Command) {
	for _, sub := range c.Commands() {
		if check := sub.Args; check != nil {
			sub.Args = func(cmd *cobra.Command, args []string) error {
				if err := check(cmd, args); err != nil {
					return usageError{err}
				}
				return nil
			}
		}
		usageArgs(sub)
	}
}

func isReported(err error) bool {
	var ee exitError
	return errors.As(err, &ee)
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
