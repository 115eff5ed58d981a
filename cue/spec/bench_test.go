package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoad100 loads a directory of 100 experiment files, each like
// testdata's credit experiment with its own learning rate: the schema
// compile, unify, validate, decode and hash. The design's target was about
// 0.23 s for 100.
func BenchmarkLoad100(b *testing.B) {
	dir := b.TempDir()
	for i := range 100 {
		src := fmt.Sprintf(creditLike, i, i, 1e-4*float64(i+1))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("exp%03d.cue", i)), []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		exps, err := Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		if len(exps) != 100 {
			b.Fatalf("loaded %d experiments, want 100", len(exps))
		}
	}
}

// creditLike is a full experiment; %d, %d and %g are a name suffix, a
// split seed and a learning rate.
const creditLike = `exp%03d: #Experiment & {
	description: "credit scoring"
	data: {
		source: file: "data/credit_data.csv"
		target: "Status"
		clean: [
			{drop_na: columns: ["Income", "Assets"]},
			{fill_na: {column: "Debt", with: "median"}},
			{filter: {column: "Age", op: ">=", value: 18}},
			{drop_duplicates: {}},
		]
		split: seed: %d
	}
	model: layers: [{dense: 64}, {dropout: 0.2}, {dense: 32}]
	train: {
		epochs: 30
		optimizer: adam: lr: %g
	}
	metrics: ["accuracy", "auc"]
}
`
