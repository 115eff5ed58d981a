package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

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
	for _, args := range [][]string{{"run"}, {"ls", "--bogus"}, {"nonsense"}, {"show", "a", "b"}} {
		var out, errOut bytes.Buffer
		code := Execute(context.Background(), args, Streams{Out: &out, Err: &errOut})
		if code != ExitUsage {
			t.Errorf("xp %v: exit %d, want %d (stderr %q)", args, code, ExitUsage, errOut.String())
		}
	}
}
