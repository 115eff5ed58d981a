package spec

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const limitsBase = `iris: #Experiment & {
	data: {
		source: file: "iris.csv"
		target: "Species"
		%s
	}
	model: layers: [{dense: 16}]
	train: {epochs: 4, optimizer: adam: lr: 0.01}
}
`

// TestDataLimits: data.limits is read into Spec.Data.Limits, is checked
// by the schema, and is not part of the spec hash (raising a limit does
// not make a new run key).
func TestDataLimits(t *testing.T) {
	load := func(limits string) (*Experiment, string) {
		t.Helper()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"exp.cue": strings.Replace(limitsBase, "%s", limits, 1)})
		exps, err := Load(filepath.Join(dir, "exp.cue"))
		if err != nil {
			var b bytes.Buffer
			PrintError(&b, err, dir)
			return nil, b.String()
		}
		return exps[0], ""
	}
	plain, msg := load("")
	if msg != "" {
		t.Fatal(msg)
	}
	limited, msg := load(`limits: {line_bytes: 1000, decompressed_bytes: 1000000, download_idle_seconds: 1.5}`)
	if msg != "" {
		t.Fatal(msg)
	}
	if l := limited.Spec.Data.Limits; l == nil || l.LineBytes != 1000 || l.DecompressedBytes != 1e6 || l.DownloadIdleSeconds != 1.5 {
		t.Errorf("limits read as %+v", l)
	}
	if plain.Hash != limited.Hash {
		t.Errorf("data.limits changed the spec hash: %s vs %s", plain.Hash, limited.Hash)
	}
	if _, msg := load(`limits: line_bytes: -1`); !strings.Contains(msg, "line_bytes") {
		t.Errorf("a negative limit: %q, want an error naming line_bytes", msg)
	}
	if _, msg := load(`limits: lines: 10`); !strings.Contains(msg, "lines") {
		t.Errorf("an unknown limit: %q, want an error naming it", msg)
	}
}

// TestSweepMaxPoints: a grid of more points than max_points (default
// DefaultMaxPoints) is refused at load, before it is expanded, naming its
// size; raising max_points lets it through, and max_points does not change
// the sweep's id.
func TestSweepMaxPoints(t *testing.T) {
	values := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%d", i+1)
		}
		return "[" + b.String() + "]"
	}
	load := func(sweep string) (*Experiment, string) {
		t.Helper()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"exp.cue": strings.Replace(sweepBase, "%s", sweep, 1)})
		exps, err := Load(filepath.Join(dir, "exp.cue"))
		if err != nil {
			var b bytes.Buffer
			PrintError(&b, err, dir)
			return nil, b.String()
		}
		return exps[0], ""
	}
	// 1000 × 1000 × 1000 points: a billion, refused at once.
	huge := fmt.Sprintf(`params: {"model.layers[0].dense": %s, "train.batch_size": %s, "train.epochs": %s}`, values(1000), values(1000), values(1000))
	start := time.Now()
	_, msg := load(huge)
	if !strings.Contains(msg, "sweep.params: the grid has 1000000000 points (1000 × 1000 × 1000 values), more than max_points 10000") {
		t.Errorf("a billion-point grid: %q", msg)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("refusing it took %v", d)
	}
	small := `params: {"model.layers[0].dense": [1, 2, 3], "train.epochs": [1, 2]}`
	_, msg = load(small + "\nmax_points: 5")
	if !strings.Contains(msg, "sweep.max_points: the grid has 6 points (3 × 2 values), more than max_points 5") {
		t.Errorf("6 points, max_points 5: %q", msg)
	}
	a, msg := load(small)
	if msg != "" {
		t.Fatal(msg)
	}
	b, msg := load(small + "\nmax_points: 6")
	if msg != "" {
		t.Fatal(msg)
	}
	if a.SweepID() != b.SweepID() {
		t.Errorf("max_points changed the sweep id: %s, %s", a.SweepID(), b.SweepID())
	}
	_, msg = load(`method: "random", trials: 20000, params: {"train.optimizer.adam.lr": {log_uniform: [1e-4, 1e-1]}}`)
	if !strings.Contains(msg, "sweep.trials: 20000 trials, more than max_points 10000") {
		t.Errorf("20000 trials: %q", msg)
	}
}

// TestSpecBounds: what a spec file may hold is bounded on its syntax,
// before CUE evaluates it (CUE builds a list in time that grows with the
// square of its length: a million tags took most of an hour): tags beyond
// MaxTags or longer than MaxTagRunes, a written-out list beyond
// MaxListElements, a file beyond MaxSpecFileBytes; computed tags are held
// to the same bounds by the schema. Each error names its position.
func TestSpecBounds(t *testing.T) {
	list := func(n int, elem func(i int) string) string {
		var b strings.Builder
		b.WriteString("[")
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(elem(i))
		}
		return b.String() + "]"
	}
	tag := func(i int) string { return fmt.Sprintf("%q", fmt.Sprint("t", i)) }
	load := func(src string) string {
		t.Helper()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"exp.cue": src})
		start := time.Now()
		_, err := Load(filepath.Join(dir, "exp.cue"))
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("loading took %v", d)
		}
		if err == nil {
			return ""
		}
		var b bytes.Buffer
		PrintError(&b, err, dir)
		return b.String()
	}
	base := strings.Replace(limitsBase, "%s", "", 1)
	withTags := func(tags string) string {
		return "iris: #Experiment & {\n\ttags: " + tags + "\n" + strings.TrimPrefix(base, "iris: #Experiment & {\n")
	}
	for _, tc := range []struct {
		name, src, want string
	}{
		{"1000 tags", withTags(list(MaxTags, tag)), ""},
		{"a million tags", withTags(list(1_000_000, tag)), "exp.cue:2:"},
		{"a million tags, the message", withTags(list(1_000_000, tag)), "tags: 1000000 entries, more than the 1000 an experiment may have"},
		{"a long tag", withTags(`["ok", "` + strings.Repeat("é", MaxTagRunes+1) + `"]`), "exp.cue:2:15: tags[1]: 257 characters, more than the 256 a tag may have"},
		{"computed tags", "import \"list\"\n" + withTags(`[for i, _ in list.Repeat([1], 1001) {"t\(i)"}]`), "exp.cue:3:8: tags: more entries than the 1000 allowed"},
		{"a long list", base + "_values: " + list(MaxListElements+1, func(i int) string { return fmt.Sprint(i) }) + "\n",
			fmt.Sprintf("a list of %d values, more than the %d a spec file may write out", MaxListElements+1, MaxListElements)},
		{"a huge file", base + "// " + strings.Repeat("x", MaxSpecFileBytes) + "\n", "larger than the 16 MiB a spec file may be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := load(tc.src)
			if tc.want == "" && msg != "" || !strings.Contains(msg, tc.want) {
				t.Errorf("got %q, want %q", msg, tc.want)
			}
		})
	}
}
