package provenance_test

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"

	"github.com/xp-ml/xp/internal/gittest"
	"github.com/xp-ml/xp/provenance"
)

// recorded is the record a run of the experiment in r would store, read
// back as a rerun reads it.
func recorded(t *testing.T, r *gittest.Repo) *provenance.Record {
	t.Helper()
	exp := load(t, r.Path(expPath))
	src, err := provenance.Inspect(exp, provenance.DataFile{Path: exp.DataPath(exp.Spec.Data.Source.File)})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(provenance.NewRecord(exp, src))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := provenance.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// noStored is the stored sources of a clean run: never read.
func noStored(t *testing.T) func() (map[string][]byte, error) {
	return func() (map[string][]byte, error) {
		t.Error("the stored sources of a clean run were read")
		return nil, errors.New("no stored sources")
	}
}

func TestRecord(t *testing.T) {
	r := gittest.New(t, map[string]string{expPath: irisMLP, "experiments/iris.csv": iris})
	commit := r.Commit("iris")
	rec := recorded(t, r)
	if !rec.InRepo || rec.Commit != commit || rec.Branch != "master" || rec.Dirty || rec.SpecPath != expPath {
		t.Errorf("record %+v, want commit %s on master, clean, spec %s", rec, commit, expPath)
	}
	if len(rec.Files) != 1 || rec.Files[0].Content != nil || rec.Host == "" || rec.XPVersion == "" {
		t.Errorf("files %+v (no content is recorded), host %q, xp %q", rec.Files, rec.Host, rec.XPVersion)
	}
	if rec.Data == nil || rec.Data.Path != "experiments/iris.csv" {
		t.Errorf("data %+v", rec.Data)
	}
	if empty, err := provenance.Parse(nil); err != nil || empty.InRepo || len(empty.Files) != 0 {
		t.Errorf("no provenance: %+v, %v", empty, err)
	}
	if _, err := provenance.Parse([]byte("{")); err == nil || !strings.Contains(err.Error(), "read provenance") {
		t.Errorf("broken provenance: %v", err)
	}
}

// TestRestore gives back a recorded run's files: a clean run's at its
// commit (after the working tree moved on, and from another clone), a
// dirty run's from its stored sources, each checked against its blob.
func TestRestore(t *testing.T) {
	r := gittest.New(t, map[string]string{expPath: irisMLP, "experiments/iris.csv": iris})
	r.Commit("iris")
	clean := recorded(t, r)
	edited := strings.Replace(irisMLP, "epochs: 2", "epochs: 3", 1)
	r.Write(map[string]string{expPath: edited})
	dirty := recorded(t, r)
	if !dirty.Dirty {
		t.Fatal("the edited experiment is not recorded dirty")
	}
	stored := func(files map[string][]byte) func() (map[string][]byte, error) {
		return func() (map[string][]byte, error) { return maps.Clone(files), nil }
	}

	t.Run("clean, after the file was deleted", func(t *testing.T) {
		if err := os.Remove(r.Path(expPath)); err != nil {
			t.Fatal(err)
		}
		defer r.Write(map[string]string{expPath: edited})
		src, files, err := clean.Restore("run x", r.Path("experiments"), noStored(t))
		if err != nil {
			t.Fatal(err)
		}
		if string(files[expPath]) != irisMLP || string(src.Files[0].Content) != irisMLP || src.Root != r.Dir || src.Dirty() {
			t.Errorf("restored %q (content %q) in %s, dirty %v; want the committed file in %s", files[expPath], src.Files[0].Content, src.Root, src.Dirty(), r.Dir)
		}
	})
	t.Run("clean, in another clone", func(t *testing.T) {
		clone := t.TempDir()
		if _, err := git.PlainClone(clone, false, &git.CloneOptions{URL: r.Dir}); err != nil {
			t.Fatal(err)
		}
		src, files, err := clean.Restore("run x", clone, noStored(t))
		if err != nil || src.Root != clone || string(files[expPath]) != irisMLP {
			t.Errorf("restored in %v (%v), want the clone %s", src, err, clone)
		}
	})
	t.Run("dirty, from the stored sources", func(t *testing.T) {
		src, files, err := dirty.Restore("run x", t.TempDir(), stored(map[string][]byte{expPath: []byte(edited)}))
		if err != nil {
			t.Fatal(err)
		}
		if string(files[expPath]) != edited || string(src.Files[0].Content) != edited || !src.Dirty() || src.Root != dirty.Root {
			t.Errorf("restored %q in %s, dirty %v; want the edited file in the recorded root %s", files[expPath], src.Root, src.Dirty(), dirty.Root)
		}
	})

	other := gittest.New(t, map[string]string{"README": "x"})
	other.Commit("unrelated")
	noCommit := *clean
	noCommit.Commit = ""
	noFiles := *clean
	noFiles.Files = nil
	tests := []struct {
		name   string
		rec    *provenance.Record
		dir    string
		stored func() (map[string][]byte, error)
		want   string
		is     error
	}{
		{"predates provenance", &noFiles, r.Dir, noStored(t), "run x records no source files", nil},
		{"no commit", &noCommit, r.Dir, noStored(t), "run x records no commit", nil},
		{"commit not in the repository", clean, other.Dir, noStored(t), "rebuild run x: commit " + clean.Commit[:12], provenance.ErrCommitNotFound},
		{"source not stored", dirty, r.Dir, stored(nil), "run x: the source of " + expPath + " was not stored", nil},
		{"stored source differs", dirty, r.Dir, stored(map[string][]byte{expPath: []byte(irisMLP)}), "run x: " + expPath + " is blob ", nil},
		{"stored sources unreadable", dirty, r.Dir, func() (map[string][]byte, error) { return nil, errors.New("disk") }, "disk", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.rec.Restore("run x", tt.dir, tt.stored)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %q (%v)", err, tt.want, tt.is)
			}
		})
	}
}
