package spec

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cueerrors "cuelang.org/go/cue/errors"
)

// TestLoadSourcesMatchesLoad: an experiment loaded from its files' bytes in
// memory, under another directory, is the one Load gives from disk: same
// name, hash, resolved spec, and data paths under the new directory.
func TestLoadSourcesMatchesLoad(t *testing.T) {
	exps, err := Load("testdata/experiments")
	if err != nil {
		t.Fatal(err)
	}
	if len(exps) < 3 {
		t.Fatalf("%d experiments in testdata, want several", len(exps))
	}
	for _, want := range exps {
		t.Run(want.Name, func(t *testing.T) {
			files := map[string][]byte{}
			for _, f := range want.Files {
				src, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				files[filepath.Base(f)] = src
			}
			dir := filepath.Join(t.TempDir(), "clone", "experiments")
			got, err := LoadSources(dir, files, want.Name)
			if err != nil {
				t.Fatal(err)
			}
			if got.Hash != want.Hash || !bytes.Equal(got.Resolved, want.Resolved) || got.Name != want.Name {
				t.Errorf("from sources: %s %s\n%s\nfrom disk: %s %s\n%s", got.Name, got.Hash, got.Resolved, want.Name, want.Hash, want.Resolved)
			}
			if wantFile := filepath.Join(dir, filepath.Base(want.File)); got.File != wantFile || got.Dir != dir {
				t.Errorf("File %s, Dir %s; want %s in %s", got.File, got.Dir, wantFile, dir)
			}
			if len(got.Files) != len(want.Files) {
				t.Errorf("Files %v, want %d files", got.Files, len(want.Files))
			}
			if p := got.DataPath(got.Spec.Data.Source.File); !strings.HasPrefix(p, dir) {
				t.Errorf("data path %s is not under %s", p, dir)
			}
			if pos := got.Position("data.target"); !strings.HasPrefix(pos, dir) {
				t.Errorf("position %q is not in the sources", pos)
			}
		})
	}
}

func TestLoadSourcesErrors(t *testing.T) {
	good := []byte(`credit: #Experiment & {data: {source: file: "c.csv", target: "y"}, model: logreg: {}}` + "\n")
	tests := []struct {
		name   string
		files  map[string][]byte
		exp    string
		want   []string
		is     error
		cueErr bool
	}{
		{"unknown name", map[string][]byte{"credit.cue": good}, "credt",
			[]string{`"credt"`, "credit"}, ErrNotFound, false},
		{"invalid value", map[string][]byte{"credit.cue": bytes.Replace(good, []byte(`logreg: {}`), []byte(`logreg: {}, train: epochs: "x"`), 1)}, "credit",
			[]string{"credit.cue:1:102: train.epochs: "}, nil, true},
		{"does not parse", map[string][]byte{"credit.cue": []byte("credit: {")}, "credit",
			[]string{"credit.cue"}, nil, true},
		{"path outside the directory", map[string][]byte{"../credit.cue": good}, "credit",
			[]string{"not a path inside"}, nil, false},
		{"no files", nil, "credit", []string{"no files"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := LoadSources(dir, tt.files, tt.exp)
			if err == nil {
				t.Fatal("no error")
			}
			var b bytes.Buffer
			PrintError(&b, err, dir)
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("error %q does not mention %q", b.String(), w)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			var ce cueerrors.Error
			if tt.cueErr && !errors.As(err, &ce) {
				t.Errorf("error %v carries no CUE error (positions lost)", err)
			}
		})
	}
}
