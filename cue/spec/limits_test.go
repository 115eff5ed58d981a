package spec

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
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
