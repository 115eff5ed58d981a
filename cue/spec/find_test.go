package spec

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	tests := []struct {
		name       string
		root       string
		nameOrPath string
		wantName   string
		wantFile   string
	}{
		{"by name", "testdata", "credit", "credit", "testdata/experiments/credit.cue"},
		{"by name in a subdirectory", "testdata", "churn_logreg", "churn_logreg", "testdata/experiments/churn/churn.cue"},
		{"by file path", ".", "testdata/experiments/iris.cue", "iris", "testdata/experiments/iris.cue"},
		{"by path under root", "testdata", "experiments/iris.cue", "iris", "testdata/experiments/iris.cue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Find(tt.root, tt.nameOrPath)
			if err != nil {
				t.Fatal(err)
			}
			if e.Name != tt.wantName || e.File != tt.wantFile {
				t.Errorf("Find = %s in %s, want %s in %s", e.Name, e.File, tt.wantName, tt.wantFile)
			}
		})
	}
}

func TestFindByDirectoryName(t *testing.T) {
	root := t.TempDir()
	body := `{data: {source: file: "x.csv", target: "y"}, model: logreg: {}}`
	writeFiles(t, root, map[string]string{
		"experiments/churn/a.cue":  "churn: " + body + "\nchurn_small: " + body + "\n",
		"experiments/solo/one.cue": "only: " + body + "\n",
	})
	tests := []struct{ path, want string }{
		{filepath.Join(root, "experiments/churn"), "churn"}, // two experiments: the one named for the directory
		{filepath.Join(root, "experiments/solo"), "only"},   // one experiment: that one
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			e, err := Find(root, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if e.Name != tt.want {
				t.Errorf("Find(%s) = %s, want %s", tt.path, e.Name, tt.want)
			}
		})
	}
}

func TestFindErrors(t *testing.T) {
	root := t.TempDir()
	body := `{data: {source: file: "x.csv", target: "y"}, model: logreg: {}}`
	writeFiles(t, root, map[string]string{
		"experiments/credit.cue":      "credit: " + body + "\n",
		"experiments/churn.cue":       "churn: " + body + "\nchurn_big: " + body + "\n",
		"experiments/broken.cue":      "broken: {data: {source: file: \"x.csv\", target: \"y\"}, model: logreg: {}, train: epoch: 3}\n",
		"experiments/dup/a/iris.cue":  "iris: " + body + "\n",
		"experiments/dup/b/iris.cue":  "iris: " + body + "\n",
		"elsewhere/two.cue":           "one: " + body + "\ntwo_b: " + body + "\n",
		"empty/experiments/notes.cue": "version: 2\n",
	})
	tests := []struct {
		name         string
		root         string
		nameOrPath   string
		is           error
		wantInError  []string
		wantNotInErr []string
	}{
		{
			name:        "unknown name suggests the closest",
			root:        root,
			nameOrPath:  "credt",
			is:          ErrNotFound,
			wantInError: []string{`experiment "credt" not found`, `did you mean "credit"?`, "known: broken, churn, churn_big, credit, iris"},
		},
		{
			name:         "unknown name far from all",
			root:         root,
			nameOrPath:   "mnist",
			is:           ErrNotFound,
			wantInError:  []string{`experiment "mnist" not found`},
			wantNotInErr: []string{"did you mean"},
		},
		{
			name:        "a name defined twice names both files",
			root:        root,
			nameOrPath:  "iris",
			is:          ErrDuplicate,
			wantInError: []string{filepath.Join(root, "experiments/dup/a/iris.cue"), filepath.Join(root, "experiments/dup/b/iris.cue")},
		},
		{
			name:        "a broken experiment reports its own error",
			root:        root,
			nameOrPath:  "broken",
			wantInError: []string{"broken.train.epoch: field not allowed"},
		},
		{
			name:        "a file of two experiments, neither named for it",
			root:        root,
			nameOrPath:  filepath.Join(root, "elsewhere/two.cue"),
			wantInError: []string{"defines 2 experiments (one, two_b)"},
		},
		{
			name:        "no experiments directory",
			root:        filepath.Join(root, "elsewhere"),
			nameOrPath:  "credit",
			is:          ErrNotFound,
			wantInError: []string{"no " + filepath.Join(root, "elsewhere", "experiments") + " directory"},
		},
		{
			name:        "an experiments directory without experiments",
			root:        filepath.Join(root, "empty"),
			nameOrPath:  "credit",
			is:          ErrNotFound,
			wantInError: []string{"has no experiments"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Find(tt.root, tt.nameOrPath)
			if err == nil {
				t.Fatalf("Find = %s, want an error", e.Name)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q does not wrap %v", err, tt.is)
			}
			for _, want := range tt.wantInError {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			for _, unwanted := range tt.wantNotInErr {
				if strings.Contains(err.Error(), unwanted) {
					t.Errorf("error %q has %q", err, unwanted)
				}
			}
		})
	}
}

// TestFindIgnoresOtherBrokenExperiments: a typo in one experiment must not
// stop another from running.
func TestFindIgnoresOtherBrokenExperiments(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"experiments/a.cue": "good: {data: {source: file: \"x.csv\", target: \"y\"}, model: logreg: {}}\n" +
			"bad: {data: {source: file: \"x.csv\", target: \"y\"}, model: logreg: {}, device: \"tpu\"}\n",
	})
	e, err := Find(root, "good")
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "good" {
		t.Errorf("Find = %s, want good", e.Name)
	}
}
