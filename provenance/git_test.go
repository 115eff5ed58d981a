package provenance_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/internal/gittest"
	"github.com/xp-ml/xp/provenance"
)

const irisMLP = `
iris: #Experiment & {
	data: {source: file: "iris.csv", target: "Species"}
	model: layers: [{dense: 16}]
	train: {epochs: 2, batch_size: 16}
	device: "cpu"
}
`

const (
	expPath = "experiments/iris.cue"
	// iris is a few rows of the iris data: Inspect hashes the data file
	// but never parses it.
	iris = "Sepal.Length,Sepal.Width,Petal.Length,Petal.Width,Species\n5.1,3.5,1.4,0.2,setosa\n7,3.2,4.7,1.4,versicolor\n"
)

func load(t *testing.T, path string) *spec.Experiment {
	t.Helper()
	exps, err := spec.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return exps[0]
}

// outsideRepo writes the experiment and its data into a directory that is
// in no git repository.
func outsideRepo(t *testing.T) *spec.Experiment {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"exp.cue": irisMLP, "iris.csv": iris} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return load(t, filepath.Join(dir, "exp.cue"))
}

func TestInspectGit(t *testing.T) {
	committed := map[string]string{expPath: irisMLP, "experiments/iris.csv": iris}
	tests := []struct {
		name string
		// prepare makes the repository and returns it; commit is the commit
		// HEAD should be at ("" for none).
		prepare   func(t *testing.T) (r *gittest.Repo, commit string)
		state     provenance.FileState
		dataState provenance.FileState
		branch    string
		wantErr   []string
	}{
		{name: "committed", prepare: func(t *testing.T) (*gittest.Repo, string) {
			r := gittest.New(t, committed)
			return r, r.Commit("iris")
		}, branch: "master"},
		{name: "reformatted", prepare: func(t *testing.T) (*gittest.Repo, string) {
			r := gittest.New(t, committed)
			c := r.Commit("iris")
			r.Write(map[string]string{expPath: "// a comment\n" + irisMLP})
			return r, c
		}, state: provenance.FileModified, branch: "master",
			wantErr: []string{"uncommitted changes", expPath + " (modified)", "commit them, or pass --allow-dirty"}},
		{name: "never committed", prepare: func(t *testing.T) (*gittest.Repo, string) {
			r := gittest.New(t, map[string]string{"README": "x"})
			c := r.Commit("readme")
			r.Write(committed)
			return r, c
		}, state: provenance.FileUntracked, dataState: provenance.FileUntracked, branch: "master",
			wantErr: []string{expPath + " (untracked)", "--allow-dirty"}},
		{name: "no commits yet", prepare: func(t *testing.T) (*gittest.Repo, string) {
			return gittest.New(t, committed), ""
		}, state: provenance.FileUntracked, dataState: provenance.FileUntracked, branch: "master",
			wantErr: []string{expPath + " (untracked)"}},
		{name: "data modified", prepare: func(t *testing.T) (*gittest.Repo, string) {
			r := gittest.New(t, committed)
			c := r.Commit("iris")
			r.Write(map[string]string{"experiments/iris.csv": iris + "5.0,3.0,1.5,0.2,setosa\n"})
			return r, c
		}, dataState: provenance.FileModified, branch: "master",
			wantErr: []string{"experiments/iris.csv (modified data)", "commit them, or pass --allow-dirty"}},
		{name: "data untracked", prepare: func(t *testing.T) (*gittest.Repo, string) {
			r := gittest.New(t, map[string]string{expPath: irisMLP})
			c := r.Commit("iris")
			r.Write(map[string]string{"experiments/iris.csv": iris})
			return r, c
		}, dataState: provenance.FileUntracked, branch: "master",
			wantErr: []string{"experiments/iris.csv (untracked data)"}},
		{name: "detached HEAD", prepare: func(t *testing.T) (*gittest.Repo, string) {
			r := gittest.New(t, committed)
			c := r.Commit("iris")
			wt, _ := r.Repo.Worktree()
			if err := wt.Checkout(&git.CheckoutOptions{Hash: plumbing.NewHash(c)}); err != nil {
				t.Fatal(err)
			}
			return r, c
		}, branch: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, commit := tt.prepare(t)
			exp := load(t, r.Path(expPath))
			src, err := provenance.Inspect(exp, provenance.DataFile{Path: exp.DataPath(exp.Spec.Data.Source.File)})
			if err != nil {
				t.Fatal(err)
			}
			if !src.InRepo || src.Commit != commit || src.Branch != tt.branch {
				t.Errorf("in repo %v, commit %q, branch %q; want true, %q, %q", src.InRepo, src.Commit, src.Branch, commit, tt.branch)
			}
			if len(src.Files) != 1 || src.Files[0].Path != expPath || src.Files[0].State != tt.state {
				t.Fatalf("files %+v, want %s %q", src.Files, expPath, tt.state)
			}
			body, _ := os.ReadFile(r.Path(expPath))
			if want := plumbing.ComputeHash(plumbing.BlobObject, body).String(); src.Files[0].Blob != want {
				t.Errorf("blob %s, want %s", src.Files[0].Blob, want)
			}
			if src.Data == nil || src.Data.Path != "experiments/iris.csv" || src.Data.State != tt.dataState {
				t.Fatalf("data %+v, want experiments/iris.csv %q", src.Data, tt.dataState)
			}
			// The data's blob is the id of the bytes used, never HEAD's.
			data, _ := os.ReadFile(r.Path("experiments/iris.csv"))
			if want := plumbing.ComputeHash(plumbing.BlobObject, data).String(); src.Data.Blob != want {
				t.Errorf("data blob %s, want %s, the bytes used", src.Data.Blob, want)
			}
			if sum := sha256.Sum256(data); src.Data.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("data sha256 %s", src.Data.SHA256)
			}
			if dirty := tt.state != provenance.FileClean || tt.dataState != provenance.FileClean; src.Dirty() != dirty {
				t.Errorf("Dirty() = %v with the file %q, the data %q", src.Dirty(), tt.state, tt.dataState)
			}
			err = src.Check(exp)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Errorf("Check: %v", err)
				}
				return
			}
			if !errors.Is(err, provenance.ErrDirty) {
				t.Fatalf("Check = %v, want ErrDirty", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	t.Run("data changed since it was hashed", func(t *testing.T) {
		r := gittest.New(t, committed)
		r.Commit("iris")
		exp := load(t, r.Path(expPath))
		_, err := provenance.Inspect(exp, provenance.DataFile{Path: r.Path("experiments/iris.csv"), SHA256: strings.Repeat("0", 64)})
		if !errors.Is(err, provenance.ErrDataChanged) || !strings.Contains(err.Error(), "experiments/iris.csv changed while xp read it") {
			t.Errorf("Inspect = %v, want ErrDataChanged naming the file", err)
		}
	})
	t.Run("data outside the working tree", func(t *testing.T) {
		r := gittest.New(t, committed)
		r.Commit("iris")
		exp := load(t, r.Path(expPath))
		outside := filepath.Join(t.TempDir(), "iris.csv")
		if err := os.WriteFile(outside, []byte(iris), 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := provenance.Inspect(exp, provenance.DataFile{Path: outside}, provenance.DataFile{Path: r.Path("experiments/iris.csv"), Test: true})
		if err != nil {
			t.Fatal(err)
		}
		if src.Data != nil || src.TestData == nil || src.TestData.State != provenance.FileClean || src.Dirty() {
			t.Errorf("data %+v, test data %+v, dirty %v: want no data (its sha256 identifies it), a clean test source", src.Data, src.TestData, src.Dirty())
		}
	})
	t.Run("not in a repository", func(t *testing.T) {
		exp := outsideRepo(t)
		src, err := provenance.Inspect(exp, provenance.DataFile{Path: exp.DataPath(exp.Spec.Data.Source.File)})
		if err != nil {
			t.Fatal(err)
		}
		if src.InRepo || !src.Dirty() || src.Commit != "" || len(src.Files) != 1 || src.Files[0].Path != "exp.cue" {
			t.Errorf("source %+v: want no repository, dirty, exp.cue", src)
		}
		err = src.Check(exp)
		if !errors.Is(err, provenance.ErrNotInRepo) || !strings.Contains(err.Error(), "git init") || !strings.Contains(err.Error(), "--allow-dirty") {
			t.Errorf("Check = %v, want ErrNotInRepo suggesting git init and --allow-dirty", err)
		}
	})
}
