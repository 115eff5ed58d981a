package report

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xp-ml/xp/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden writes the Markdown report, with its SVG figures, of the
// fixture's runs and of its sweep, and compares every file with
// testdata/golden (go test -update rewrites them).
func TestGolden(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name string
		in   Input
		// figures every report of this case must have.
		figures []string
	}{
		{"runs", Input{Runs: []*store.Run{f.credit, f.credit2, f.iris, f.amount, f.pulled}}, []string{
			"compare-curve-loss", "compare-curve-accuracy",
			"run-1-curve-loss", "run-1-curve-accuracy", "run-1-confusion", "run-1-roc", "run-1-pr", "run-1-calibration",
			"run-3-confusion", "run-3-roc", "run-3-pr",
			"run-4-predicted", "run-4-residuals", "run-4-curve-rmse",
			"run-5-curve-loss",
		}},
		{"sweep", Input{Sweep: f.sweep}, []string{
			"sweep-parallel", "sweep-param-train_optimizer_adam_lr", "sweep-param-model_width", "sweep-param-train_batch_size",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Build(context.Background(), f.st, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, fig := range doc.Figures() {
				names = append(names, fig.Name)
			}
			for _, want := range tc.figures {
				if !slices.Contains(names, want) {
					t.Errorf("no figure %s; figures: %v", want, names)
				}
			}
			dir := t.TempDir()
			if err := WriteMarkdown(dir, doc); err != nil {
				t.Fatal(err)
			}
			checkPNGs(t, filepath.Join(dir, FigureDir), names)
			compareDir(t, dir, filepath.Join("testdata", "golden", tc.name), stableUIDs(f))
		})
	}
}

// stableUIDs replaces the runs' ULIDs, new in every fixture, with a word.
func stableUIDs(f *fixture) func([]byte) []byte {
	uid := regexp.MustCompile(`uid [0-9A-Z]{26}`)
	return func(b []byte) []byte { return uid.ReplaceAll(b, []byte("uid ULID")) }
}

// checkPNGs decodes each figure's PNG.
func checkPNGs(t *testing.T, dir string, names []string) {
	t.Helper()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s.png: %v", n, err)
		}
		if img.Bounds().Dx() < 300 || img.Bounds().Dy() < 200 {
			t.Errorf("%s.png is %v", n, img.Bounds())
		}
	}
}

// compareDir compares the .md and .svg files of got with want's.
func compareDir(t *testing.T, got, want string, normalize func([]byte) []byte) {
	t.Helper()
	var files []string
	filepath.WalkDir(got, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".md") || strings.HasSuffix(p, ".svg")) {
			rel, _ := filepath.Rel(got, p)
			files = append(files, rel)
		}
		return nil
	})
	if *update {
		os.RemoveAll(want)
	}
	for _, rel := range files {
		b, err := os.ReadFile(filepath.Join(got, rel))
		if err != nil {
			t.Fatal(err)
		}
		b = normalize(b)
		golden := filepath.Join(want, rel)
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, err := os.ReadFile(golden)
		if err != nil {
			t.Errorf("%s: %v (go test ./report -update writes it)", rel, err)
			continue
		}
		if !bytes.Equal(b, w) {
			t.Errorf("%s differs from %s (go test ./report -update rewrites it):\n%s", rel, golden, firstDiff(b, w))
		}
	}
	var goldens []string
	filepath.WalkDir(want, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(want, p)
			goldens = append(goldens, rel)
		}
		return nil
	})
	for _, g := range goldens {
		if !slices.Contains(files, g) {
			t.Errorf("golden %s was not written", g)
		}
	}
}

func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + la[i] + "\nwant: " + lb[i]
		}
	}
	return "lengths differ"
}
