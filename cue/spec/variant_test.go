package spec

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

const variantBase = `base: #Experiment & {
	data: {
		source: file: "d.csv"
		target: "y"
		split: {test: 0.2, validation: 0.1, seed: 42}
	}
	model: logreg: {}
	train: {epochs: 5, optimizer: adam: lr: 0.05}
}
`

// A variant's spec, and so its run key, is that of the same spec written
// out in full.
func TestVariantIsTheSpecWrittenOut(t *testing.T) {
	tests := []struct {
		name, variant, full string
	}{
		{"a value changed",
			`v: {from: "base", data: split: validation: 0.2}`,
			`full: #Experiment & {data: {source: file: "d.csv", target: "y", split: {test: 0.2, validation: 0.2, seed: 42}}, model: logreg: {}, train: {epochs: 5, optimizer: adam: lr: 0.05}}`},
		{"one-of choices switched",
			`v: {from: "base", model: layers: [{dense: 16}], train: optimizer: sgd: lr: 0.1}`,
			`full: #Experiment & {data: {source: file: "d.csv", target: "y", split: {test: 0.2, validation: 0.1, seed: 42}}, model: layers: [{dense: 16}], train: {epochs: 5, optimizer: sgd: lr: 0.1}}`},
		{"a variant of a variant",
			"w: {from: \"base\", train: epochs: 9}\nv: {from: \"w\", train: optimizer: adam: lr: 0.01}",
			`full: #Experiment & {data: {source: file: "d.csv", target: "y", split: {test: 0.2, validation: 0.1, seed: 42}}, model: logreg: {}, train: {epochs: 9, optimizer: adam: lr: 0.01}}`},
		{"a field the base does not set",
			`v: {from: "base", train: batch_size: 8, description: "small batches"}`,
			`full: #Experiment & {description: "small batches", data: {source: file: "d.csv", target: "y", split: {test: 0.2, validation: 0.1, seed: 42}}, model: logreg: {}, train: {epochs: 5, batch_size: 8, optimizer: adam: lr: 0.05}}`},
		{"deduplicated before the split",
			`v: {from: "base", data: prepare: [{drop_duplicates: {}}]}`,
			`full: #Experiment & {data: {source: file: "d.csv", target: "y", prepare: [{drop_duplicates: {}}], split: {test: 0.2, validation: 0.1, seed: 42}}, model: logreg: {}, train: {epochs: 5, optimizer: adam: lr: 0.05}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"e.cue": variantBase + tt.variant + "\n" + tt.full + "\n"})
			exps, err := Load(dir)
			if err != nil {
				var b bytes.Buffer
				PrintError(&b, err, dir)
				t.Fatalf("Load: %s", b.String())
			}
			byName := map[string]*Experiment{}
			for _, e := range exps {
				byName[e.Name] = e
			}
			v, full := byName["v"], byName["full"]
			if v == nil || full == nil {
				t.Fatalf("experiments %q", experimentNames(exps))
			}
			if v.Hash != full.Hash {
				t.Errorf("variant's spec hash %s, the spec written out %s:\n%s\n%s", v.Hash, full.Hash, v.Canonical, full.Canonical)
			}
			src := variantBase + tt.variant
			line := strings.Count(src[:strings.Index(src, "v: {")], "\n") + 1
			if v.File != filepath.Join(dir, "e.cue") || !strings.HasSuffix(v.Position(""), fmt.Sprintf("e.cue:%d:1", line)) {
				t.Errorf("variant at %s (file %s), want its label's line", v.Position(""), v.File)
			}
			if byName["base"].Spec.Train.Epochs != 5 {
				t.Errorf("the base changed: epochs %d", byName["base"].Spec.Train.Epochs)
			}
		})
	}
}

func TestVariantErrors(t *testing.T) {
	tests := []struct{ name, variant, want string }{
		{"a bad value points at the variant", `v: {from: "base", train: epochs: "x"}`,
			`e.cue:10:34: train.epochs: conflicting values "x" and int`},
		{"no such base", `v: {from: "nope", train: epochs: 1}`,
			`e.cue:10:11: v: from: no experiment "nope" in this file or package to start from`},
		{"a cycle", "v: {from: \"w\", train: epochs: 1}\nw: {from: \"v\"}",
			`v: from: w: a cycle of variants (v -> w -> v)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"e.cue": variantBase + tt.variant + "\n"})
			exps, err := Load(dir)
			if err == nil {
				t.Fatalf("loaded %q", experimentNames(exps))
			}
			var b bytes.Buffer
			PrintError(&b, err, dir)
			if !strings.Contains(b.String(), tt.want) {
				t.Errorf("printed\n%s\nwant it to contain %q", b.String(), tt.want)
			}
		})
	}
}

// In a package, a variant may start from an experiment of another file.
func TestVariantAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.cue": "package exps\n\n" + variantBase,
		"b.cue": "package exps\n\nv: {from: \"base\", train: epochs: 6}\n",
	})
	exps, err := Load(filepath.Join(dir, "b.cue"))
	if err != nil {
		t.Fatal(err)
	}
	if got := experimentNames(exps); len(got) != 1 || got[0] != "v" || exps[0].Spec.Train.Epochs != 6 || exps[0].Spec.Train.Optimizer.Adam == nil {
		t.Errorf("experiments %q", got)
	}
}
