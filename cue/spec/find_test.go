package spec

import (
	"errors"
	"path/filepath"
	"slices"
	"strconv"
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

// bigSweep is an experiment called name whose grid has n points, all
// values of train.seed: checking it validates n values against the schema.
func bigSweep(name string, n int) string {
	seeds := make([]string, n)
	for i := range seeds {
		seeds[i] = strconv.Itoa(i)
	}
	return name + `: {data: {source: file: "x.csv", target: "y"}, model: logreg: {}
	sweep: {max_points: ` + strconv.Itoa(n) + `, params: "train.seed": [` + strings.Join(seeds, ", ") + `]}}
`
}

// TestFindLeavesOtherSweepsAlone: looking up one experiment by name does
// not evaluate an instance that cannot define it, nor check the sweep of
// another experiment beside it (20,000 values took 12 s and 750 MB before
// `xp run small` could start).
func TestFindLeavesOtherSweepsAlone(t *testing.T) {
	const points = 2000
	body := `{data: {source: file: "x.csv", target: "y"}, model: logreg: {}}`
	t.Run("in another file", func(t *testing.T) {
		root := t.TempDir()
		dir := filepath.Join(root, ExperimentsDir)
		writeFiles(t, root, map[string]string{
			"experiments/small.cue": "small: " + body + "\n",
			"experiments/big.cue":   bigSweep("big", points),
		})
		l, err := load([]string{dir}, "small")
		if err != nil {
			t.Fatal(err)
		}
		if got := experimentNames(l.exps); !slices.Equal(got, []string{"small"}) || !l.skipped {
			t.Errorf("a lookup of small evaluated %v (skipped another: %v), want [small] only", got, l.skipped)
		}
		checked := sweepsChecked.Load()
		if e, err := Find(root, "small"); err != nil || e.Name != "small" {
			t.Fatalf("Find(small) = %v, %v", e, err)
		}
		if n := sweepsChecked.Load() - checked; n != 0 {
			t.Errorf("Find(small) checked %d sweeps, want none", n)
		}
		// A name no file mentions: every instance is evaluated, to say
		// which names there are, and no sweep is checked.
		if _, err := Find(root, "smal"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "known: big, small") {
			t.Errorf("Find(smal) = %v, want not found among big and small", err)
		}
		if n := sweepsChecked.Load() - checked; n != 0 {
			t.Errorf("Find(smal) checked %d sweeps, want none", n)
		}
	})
	t.Run("in the same file", func(t *testing.T) {
		root := t.TempDir()
		writeFiles(t, root, map[string]string{
			"experiments/all.cue": "small: " + body + "\n" + bigSweep("big", points) +
				// A value that does not fit: only checking the sweep finds it.
				`broken: {data: {source: file: "x.csv", target: "y"}, model: logreg: {}, sweep: params: "train.epochs": [-1]}` + "\n",
		})
		checked := sweepsChecked.Load()
		if e, err := Find(root, "small"); err != nil || e.Name != "small" {
			t.Fatalf("Find(small) = %v, %v", e, err)
		}
		if n := sweepsChecked.Load() - checked; n != 0 {
			t.Errorf("Find(small) checked %d sweeps, want none", n)
		}
		// Asked for by name, a sweep is checked: its own only.
		if _, err := Find(root, "broken"); err == nil || !strings.Contains(err.Error(), "train.epochs") {
			t.Errorf("Find(broken) = %v, want its sweep's error", err)
		}
		if n := sweepsChecked.Load() - checked; n != 1 {
			t.Errorf("Find(broken) checked %d sweeps, want its own", n)
		}
	})
	t.Run("Load checks every sweep", func(t *testing.T) {
		root := t.TempDir()
		writeFiles(t, root, map[string]string{
			"experiments/small.cue":  "small: " + body + "\n",
			"experiments/broken.cue": `broken: {data: {source: file: "x.csv", target: "y"}, model: logreg: {}, sweep: params: "train.epochs": [-1]}` + "\n",
		})
		if _, err := Load(filepath.Join(root, ExperimentsDir)); err == nil || !strings.Contains(err.Error(), "train.epochs") {
			t.Errorf("Load = %v, want broken's sweep error", err)
		}
		exps, invalid, err := LoadValid(filepath.Join(root, ExperimentsDir))
		if err != nil || invalid == nil || !slices.Equal(experimentNames(exps), []string{"small"}) {
			t.Errorf("LoadValid = %v, %v, %v; want small valid, broken invalid", experimentNames(exps), invalid, err)
		}
	})
}

// TestPointsReuseTheLookupsChecks: the values Find checked in a sweep are
// not validated again when its points are built (`xp run` and `xp hash` of
// a 20,000-point sweep validated each value twice).
func TestPointsReuseTheLookupsChecks(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"experiments/big.cue": bigSweep("big", 50)})
	e, err := Find(root, "big")
	if err != nil {
		t.Fatal(err)
	}
	checked := len(e.validator.fields)
	if checked != 50 {
		t.Fatalf("Find validated %d values of train, want 50", checked)
	}
	points, err := e.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(points) != 50 || len(e.validator.fields) != checked {
		t.Errorf("Points = %d points, validated %d values in all; want 50 points and no value validated again", len(points), len(e.validator.fields))
	}
}
