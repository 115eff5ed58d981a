package runtest

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	_ "github.com/xp-ml/xp/backends/engine" // registers "cpu"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/internal/gittest"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// Project is a repository holding shipped experiments and the runs
// trained from them.
type Project struct {
	Dir   string // the repository's working tree
	Store *store.Store
	Runs  map[string]*store.Run // by experiment
}

// Artifacts is the artifact directory of the run of experiment name.
func (p *Project) Artifacts(name string) string { return p.Store.ArtifactDir(p.Runs[name]) }

// Shipped copies experiments/ of this module (every .cue file and the
// data) into a new git repository, commits it, and trains each named
// experiment there on the CPU.
func Shipped(t testing.TB, names ...string) *Project {
	t.Helper()
	return Train(t, nil, names...)
}

// Train is Shipped with more files in the repository (paths relative to
// its root, "experiments/x.cue"), which may define the experiments named.
func Train(t testing.TB, extra map[string]string, names ...string) *Project {
	t.Helper()
	ctx := context.Background()
	src := filepath.Join(moduleRoot(t), "experiments")
	files := map[string]string{}
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(filepath.Dir(src), path)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	files[".gitignore"] = ".xp/\n"
	for name, body := range extra {
		files[name] = body
	}
	repo := gittest.New(t, files)
	repo.Commit("experiments")
	st, err := store.Open(ctx, filepath.Join(repo.Dir, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := &Project{Dir: repo.Dir, Store: st, Runs: map[string]*store.Run{}}
	exps, err := spec.Load(filepath.Join(repo.Dir, "experiments"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		var exp *spec.Experiment
		for _, e := range exps {
			if e.Name == name {
				exp = e
			}
		}
		if exp == nil {
			t.Fatalf("no shipped experiment %q", name)
		}
		res, err := runner.Run(ctx, st, exp, runner.Options{Backend: "cpu"})
		if err != nil {
			t.Fatalf("train %s: %v", name, err)
		}
		p.Runs[name] = res.Run
	}
	return p
}

// moduleRoot is the directory of go.mod, found from this file.
func moduleRoot(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("runtest: cannot find its own source")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// TestRows is the header and the test split's rows of the run of
// experiment name, as its source file (relative to experiments/) holds
// them: the lines its test_predictions.csv names. The source must have no
// field that spans lines.
func (p *Project) TestRows(t testing.TB, name, source string) []byte {
	t.Helper()
	preds, err := os.ReadFile(filepath.Join(p.Artifacts(name), "test_predictions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(p.Dir, "experiments", filepath.FromSlash(source)))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	recs, err := csv.NewReader(bytes.NewReader(preds)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	out.WriteString(lines[0] + "\n")
	for _, rec := range recs[1:] {
		n, err := strconv.Atoi(rec[0])
		if err != nil || n < 2 || n > len(lines) {
			t.Fatalf("test_predictions.csv: line %q", rec[0])
		}
		out.WriteString(lines[n-1] + "\n")
	}
	return out.Bytes()
}
