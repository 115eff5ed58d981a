package cli

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/xp-ml/xp/store"
)

// xp runs one command line in the working directory and returns its exit
// code, stdout and stderr.
func xp(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Execute(context.Background(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

// committedProject makes a git repository (with go-git) holding an iris
// experiment and its data, committed, and makes it the working directory.
func committedProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(dataDir(), "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		".gitignore":                ".xp/\n",
		"experiments/data/iris.csv": string(data),
		"experiments/iris.cue": `iris: #Experiment & {
	data: {source: file: "data/iris.csv", target: "Species"}
	model: logreg: {}
	train: {epochs: 3, batch_size: 16, optimizer: adam: lr: 0.05}
}
`,
	}
	for rel, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "Test", Email: "test@example.com", When: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := wt.Commit("iris", &git.CommitOptions{Author: sig, Committer: sig}); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	return dir
}

func openTestStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestRerunNotReproduced: a rerun that differs from the original prints
// the differences field by field and exits 3.
func TestRerunNotReproduced(t *testing.T) {
	dir := committedProject(t)
	if code, _, stderr := xp(t, "run", "iris"); code != ExitOK {
		t.Fatalf("xp run: exit %d\n%s", code, stderr)
	}
	st := openTestStore(t, dir)
	ctx := context.Background()
	runs, err := st.ListRuns(ctx, store.ListOptions{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %v, %v", runs, err)
	}
	orig := runs[0]
	// Pretend the original trained to other bits.
	err = st.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET weights_sha256 = ? WHERE id = ?`, strings.Repeat("0", 64), orig.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE summaries SET last = 0.5 WHERE run_id = ? AND split = 'test' AND name = 'accuracy'`, orig.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := xp(t, "rerun", orig.Key[:6])
	if code != ExitNotReproduced {
		t.Errorf("exit %d, want %d\n%s", code, ExitNotReproduced, stderr)
	}
	for _, want := range []string{
		"rerun of " + orig.Short() + " (iris, run #1) from commit ",
		"not reproduced: 2 differences",
		"FIELD           ORIGINAL",
		"test.accuracy   0.5 ",
		"weights_sha256  " + strings.Repeat("0", 64) + "  " + orig.WeightsSHA256,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout does not contain %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "xp: run #2 did not reproduce run "+orig.Short()+" (#1): 2 differences") {
		t.Errorf("stderr: %s", stderr)
	}
	rerun, err := st.Run(ctx, 2)
	if err != nil || rerun.RerunOf != orig.ID || rerun.Key != orig.Key {
		t.Errorf("rerun %+v, %v: want run 2 of the same key, rerun_of %d", rerun, err, orig.ID)
	}
}

// TestKeyPrefixErrors: the commands that take key prefixes say what is
// wrong with one, listing the candidates of an ambiguous prefix.
func TestKeyPrefixErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	st := openTestStore(t, dir)
	ctx := context.Background()
	for _, r := range []store.Run{
		{Key: "abcd1" + strings.Repeat("0", 59), Experiment: "iris"},
		{Key: "abcd2" + strings.Repeat("0", 59), Experiment: "credit"},
	} {
		if err := st.CreateRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"rerun ambiguous", []string{"rerun", "abcd"}, ExitError,
			`xp: run key prefix "abcd" is ambiguous: abcd10000000 (iris), abcd20000000 (credit)`},
		{"diff ambiguous", []string{"diff", "abcd1", "abcd"}, ExitError, `"abcd" is ambiguous: abcd10000000 (iris), abcd20000000 (credit)`},
		{"rerun unknown", []string{"rerun", "ffff"}, ExitError, `no run key starts with "ffff": run not found; ` + "`xp ls` lists the runs"},
		{"diff unknown", []string{"diff", "ffff", "abcd1"}, ExitError, `no run key starts with "ffff"`},
		{"rerun malformed", []string{"rerun", "xyz"}, ExitUsage, "a run key prefix is 4 to 64 hex digits"},
		{"rerun a run that did not succeed", []string{"rerun", "abcd1"}, ExitError, "run abcd10000000 is queued: only a succeeded run can be reproduced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := xp(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}
