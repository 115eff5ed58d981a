// Package sweeptest holds what the tests of sweep and of its executors
// share: experiments written next to the shipped iris data, a fresh store.
// It registers the CPU and gorgonia backends, as the xp binary does.
package sweeptest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	_ "github.com/xp-ml/xp/backends/engine"
	_ "github.com/xp-ml/xp/backends/gorgonia"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
)

// root is the repository's directory, found from this file's.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Iris is the shipped iris data (experiments/data/iris.csv).
func Iris(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(), "experiments", "data", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Setup writes an experiment (exp.cue) next to a copy of the iris data
// (iris.csv) in a temporary directory, loads it and opens a fresh store
// in it.
func Setup(t testing.TB, src string) (*spec.Experiment, *store.Store) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "iris.csv"), Iris(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "exp.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	exps, err := spec.Load(filepath.Join(dir, "exp.cue"))
	if err != nil {
		t.Fatal(err)
	}
	return exps[0], Open(t, filepath.Join(dir, ".xp"))
}

// Open opens the store in dir, closed at the end of the test.
func Open(t testing.TB, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Project writes a project whose experiment iris (experiments/iris.cue)
// has a sweep of 6 points, one per data file; the last file has no
// Species column, so its point fails when it trains (planning only hashes
// the file). It returns the project's directory.
func Project(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	iris, err := os.ReadFile(filepath.Join(root(), "cli", "skeleton", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "experiments", "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	var files []string
	for i := range 6 {
		content := iris
		if i == 5 {
			content = []byte(strings.Replace(string(iris), `"Species"`, `"Kind"`, 1))
		}
		name := fmt.Sprintf("data/iris%d.csv", i)
		files = append(files, strconv.Quote(name))
		if err := os.WriteFile(filepath.Join(dir, "experiments", name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cue := `iris: #Experiment & {
	data: {
		source: file: "data/iris0.csv"
		target: "Species"
	}
	model: logreg: {}
	train: epochs: 2
	device: "cpu"
	sweep: params: "data.source.file": [` + strings.Join(files, ", ") + `]
}
`
	if err := os.WriteFile(filepath.Join(dir, "experiments", "iris.cue"), []byte(cue), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// CountPoints is how many metric points run id has in st.
func CountPoints(t testing.TB, st *store.Store, id int64) int {
	t.Helper()
	pts, _, err := st.PointsSince(context.Background(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(pts)
}
