package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	// Backends register themselves; importing them is what compiles them in.
	_ "github.com/xp-ml/xp/backends/engine"
	_ "github.com/xp-ml/xp/backends/engine/cuda"
	_ "github.com/xp-ml/xp/backends/gorgonia"
)

// Streams are the IO of one invocation, injected so commands are testable.
type Streams struct {
	In          io.Reader
	Out, Err    io.Writer
	InTerminal  bool // stdin is a terminal: a person can answer a question
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
	streams := Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, InTerminal: isTerminal(os.Stdin),
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
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{withChoices(c, err)} })
	root.PersistentFlags().IntVar(&digits, "precision", defaultDigits, "significant digits of the numbers printed")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if digits < 1 || digits > 17 {
			return usageError{fmt.Errorf("--precision %d: want 1 to 17 significant digits", digits)}
		}
		return nil
	}
	// xp --version is xp version; any other use of the root shows help.
	showVersion := root.Flags().Bool("version", false, "print xp's version (as xp version)")
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if *showVersion {
			return printVersion(s.Out, false)
		}
		return cmd.Help()
	}
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
		newReportCmd(s),
		newHashCmd(s),
		newRerunCmd(s),
		newResumeCmd(s),
		newDiffCmd(s),
		newTuiCmd(s),
		newCancelCmd(s),
		newDoctorCmd(s),
		newBackupCmd(s),
		newSlurmTaskCmd(s),
		newKubeTaskCmd(s),
		newRemoteCmd(s),
		newPushCmd(s),
		newPullCmd(s),
		newVersionCmd(s),
		newRmCmd(s),
		newGCCmd(s),
		newExitCodesTopic(),
	)
	// cobra adds these when it runs; added now, their arguments are
	// checked as the others' are.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	registerCompletions(root)
	completionExamples(root)
	usageArgs(root)
	return root
}

// completionExamples gives cobra's completion commands examples of
// loading xp's completion, as every other command has.
func completionExamples(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = `  source <(xp completion bash)
  xp completion zsh > "${fpath[1]}/_xp"
  xp completion fish > ~/.config/fish/completions/xp.fish`
		for _, sh := range c.Commands() {
			switch sh.Name() {
			case "bash":
				sh.Example = "  source <(xp completion bash)"
			case "zsh":
				sh.Example = `  xp completion zsh > "${fpath[1]}/_xp"`
			case "fish":
				sh.Example = "  xp completion fish > ~/.config/fish/completions/xp.fish"
			case "powershell":
				sh.Example = "  xp completion powershell | Out-String | Invoke-Expression"
			}
		}
	}
}

// usageArgs makes the errors of every command's argument check (cobra's
// ExactArgs and the like, which it returns as plain errors) usage errors.
func usageArgs(c *cobra.Command) {
	for _, sub := range c.Commands() {
		if check := sub.Args; check != nil {
			sub.Args = func(cmd *cobra.Command, args []string) error {
				if err := check(cmd, args); err != nil {
					return usageError{fmt.Errorf("%s: %s (usage: %s)", cmd.CommandPath(), argCounts(err.Error()), cmd.UseLine())}
				}
				return nil
			}
		}
		usageArgs(sub)
	}
}

// argCountRe finds cobra's "1 arg(s)" in its argument-count errors.
var argCountRe = regexp.MustCompile(`(\d+) arg\(s\)`)

// argCounts is cobra's "accepts 1 arg(s), received 0" in English:
// "accepts 1 argument, received 0".
func argCounts(msg string) string {
	return argCountRe.ReplaceAllStringFunc(msg, func(m string) string {
		n := argCountRe.FindStringSubmatch(m)[1]
		if n == "1" {
			return "1 argument"
		}
		return n + " arguments"
	})
}

func isReported(err error) bool {
	var ee exitError
	return errors.As(err, &ee)
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// withChoices adds to a flag given without its value the values it could
// take, as its completion offers them (`xp ls --sweep`: the sweeps here).
func withChoices(c *cobra.Command, err error) error {
	var need *pflag.ValueRequiredError
	if !errors.As(err, &need) || need.GetFlag() == nil {
		return err
	}
	complete, ok := c.GetFlagCompletionFunc(need.GetFlag().Name)
	if !ok {
		return err
	}
	values, _ := complete(c, nil, "")
	for i, v := range values {
		values[i], _, _ = strings.Cut(v, "\t")
	}
	values = slices.Compact(values)
	switch {
	case len(values) == 0:
		return err
	case len(values) > 12:
		return fmt.Errorf("%w (one of %s, and %d more)", err, strings.Join(values[:12], ", "), len(values)-12)
	}
	return fmt.Errorf("%w (one of %s)", err, strings.Join(values, ", "))
}
