package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
)

func TestReportExitCodes(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
		out  string
	}{
		{"ok", nil, ExitOK, ""},
		{"error", errors.New("boom"), ExitError, "xp: boom\n"},
		{"usage", usageError{errors.New("bad flag")}, ExitUsage, "xp: bad flag\n"},
		{"canceled", fmt.Errorf("run 3f9a: %w", context.Canceled), ExitCanceled, "xp: canceled\n"},
		{"not reproduced", exitError{code: ExitNotReproduced, err: errors.New("not reproduced")}, ExitNotReproduced, "xp: not reproduced\n"},
		{"not found", fmt.Errorf("resolve: %w", store.ErrNotFound), ExitError, "xp: resolve: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if got := report(&buf, tc.err); got != tc.code {
				t.Errorf("exit %d, want %d", got, tc.code)
			}
			if !bytes.HasPrefix(buf.Bytes(), []byte(tc.out)) || (tc.out == "" && buf.Len() > 0) {
				t.Errorf("printed %q, want %q", buf.String(), tc.out)
			}
		})
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{{"rerun"}, {"ls", "--bogus"}, {"run", "--threads", "x"}, {"nonsense"}, {"show", "a", "b"}} {
		var out, errOut bytes.Buffer
		code := Execute(context.Background(), args, Streams{Out: &out, Err: &errOut})
		if code != ExitUsage {
			t.Errorf("xp %v: exit %d, want %d (stderr %q)", args, code, ExitUsage, errOut.String())
		}
	}
}

// A usage error is one by its type, not its words: an error of a command
// that reads like cobra's is the command's own (exit 1), and argument
// errors of the commands cobra adds are usage errors too.
func TestUsageErrorsByType(t *testing.T) {
	var out, errOut bytes.Buffer
	s := Streams{Out: &out, Err: &errOut}
	root := newRoot(s)
	root.AddCommand(&cobra.Command{Use: "words", RunE: func(*cobra.Command, []string) error {
		return errors.New(`the model accepts 3 inputs; unknown command "x" requires at least one`)
	}})
	if code := report(&errOut, execute(context.Background(), root, []string{"words"}, s)); code != ExitError {
		t.Errorf("a command's error that reads like cobra's: exit %d, want %d", code, ExitError)
	}
	for _, args := range [][]string{{"completion", "bash", "extra"}, {"completion", "fish", "x"}, {"diff", "a"}, {"tui", "x"}, {"rnu"}} {
		errOut.Reset()
		if code := Execute(context.Background(), args, s); code != ExitUsage {
			t.Errorf("xp %v: exit %d, want %d (stderr %q)", args, code, ExitUsage, errOut.String())
		}
	}
}

// Every spec error, CUE's or a field's, exits 1 through the one printer.
func TestSpecErrorsExit1(t *testing.T) {
	var buf bytes.Buffer
	err := fmt.Errorf("plan: %w", &spec.FieldError{Pos: "e.cue:3:4", Field: "device", Err: errors.New("no GPU")})
	if code := report(&buf, err); code != ExitError || buf.String() != "e.cue:3:4: device: no GPU\n" {
		t.Errorf("exit %d, printed %q", code, buf.String())
	}
}

// Every command a user can run shows examples in its --help.
func TestEveryCommandHasExamples(t *testing.T) {
	root := newRoot(Streams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard})
	var check func(c *cobra.Command)
	check = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || !sub.IsAvailableCommand() && !sub.IsAdditionalHelpTopicCommand() {
				continue
			}
			if sub.Runnable() && sub.Example == "" {
				t.Errorf("%s has no Example", sub.CommandPath())
			}
			check(sub)
		}
	}
	check(root)
}
