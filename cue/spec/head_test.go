package spec

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestHeadDefaults: the loss and metrics an experiment gets follow its
// head, and an experiment without a head resolves exactly as before heads
// existed (cross_entropy, accuracy and log_loss), so its hash is kept.
func TestHeadDefaults(t *testing.T) {
	const data = "data: {source: file: \"d.csv\", target: \"y\"}\n"
	tests := []struct {
		name     string
		body     string
		head     string // Spec.Head()
		loss     string
		metrics  []string
		resolved string // in the resolved JSON
	}{
		{"no head", `model: logreg: {}`, "", "cross_entropy", DefaultMetrics, `"loss":{"cross_entropy":{}}`},
		{"regression", `model: {logreg: {}, head: "regression"}`, "regression", "mse", DefaultRegressionMetrics, `"loss":{"mse":{}}`},
		{"binary", `model: {layers: [{dense: 4}], head: "binary"}`, "binary", "binary_cross_entropy", DefaultMetrics, `"head":"binary"`},
		{"huber implies regression", "model: logreg: {}\ntrain: loss: huber: {}", "regression", "huber", DefaultRegressionMetrics, `"huber":{"delta":1}`},
		{"bce implies binary", "model: logreg: {}\ntrain: loss: binary_cross_entropy: class_weights: \"balanced\"", "binary", "binary_cross_entropy", DefaultMetrics, `"class_weights":"balanced"`},
		{"plain cross_entropy decides nothing", "model: logreg: {}\ntrain: loss: cross_entropy: {}", "", "cross_entropy", DefaultMetrics, `"loss":{"cross_entropy":{}}`},
		{"metrics kept", "model: {logreg: {}, head: \"regression\"}\nmetrics: [\"r2\"]", "regression", "mse", []string{"r2"}, `"metrics":["r2"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"exp.cue": "e: {\n" + data + tt.body + "\n}\n"})
			exps, err := Load(dir)
			if err != nil {
				var b bytes.Buffer
				PrintError(&b, err, dir)
				t.Fatal(b.String())
			}
			s := exps[0].Spec
			if s.Head() != tt.head || s.Train.Loss.Kind() != tt.loss || !slices.Equal(s.Metrics, tt.metrics) {
				t.Errorf("head %q loss %q metrics %q; want %q %q %q", s.Head(), s.Train.Loss.Kind(), s.Metrics, tt.head, tt.loss, tt.metrics)
			}
			if !strings.Contains(string(exps[0].Canonical), tt.resolved) {
				t.Errorf("canonical %s lacks %s", exps[0].Canonical, tt.resolved)
			}
		})
	}
}

func TestHeadErrors(t *testing.T) {
	// Line 3 of every case is the broken one.
	const prefix = "e: {\n\tdata: {source: file: \"d.csv\", target: \"y\"}\n"
	tests := []struct {
		name, line, want string
	}{
		{"loss of another head", "\tmodel: {logreg: {}, head: \"regression\"}, train: loss: cross_entropy: {}\n",
			`exp.cue:3:50: train.loss: loss cross_entropy goes with the multiclass head, not model.head "regression" (the regression head trains with mse, mae or huber)
`},
		{"classification metric on regression", "\tmodel: {logreg: {}, head: \"regression\"}, metrics: [\"rmse\", \"auc\"]\n",
			`exp.cue:3:61: metrics[1]: auc is a classification metric; a regression head measures rmse, mae, r2, mse
`},
		{"regression metric on binary", "\tmodel: logreg: {}, train: loss: binary_cross_entropy: {}, metrics: [\"accuracy\", \"r2\"]\n",
			`exp.cue:3:82: metrics[1]: r2 is a regression metric; a binary head measures accuracy, log_loss, f1, precision, recall, auc, f1_macro, f1_weighted, precision_macro, precision_weighted, recall_macro, recall_weighted, pr_auc
`},
		{"mixed metrics without a head", "\tmodel: logreg: {}, metrics: [\"accuracy\", \"rmse\"]\n",
			`exp.cue:3:43: metrics[1]: rmse is a regression metric, but accuracy is a classification metric: a model measures one kind (set model.head to say which)
`},
		{"head and two models", "\tmodel: {logreg: {}, layers: [{dense: 2}], head: \"binary\"}\n", "only one of logreg, layers"},
		{"no model but a head", "\tmodel: {head: \"binary\"}\n", "needs one of logreg, layers"},
		{"unknown head", "\tmodel: {logreg: {}, head: \"ranking\"}\n", `"ranking" is not one of "multiclass", "binary", "regression"`},
	}
	pos := regexp.MustCompile(`xp:schema\.cue:\d+:\d+`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"exp.cue": prefix + tt.line + "}\n"})
			_, err := Load(dir)
			if err == nil {
				t.Fatal("loaded")
			}
			var b bytes.Buffer
			PrintError(&b, err, dir)
			got := pos.ReplaceAllString(b.String(), "xp:schema.cue:*")
			if strings.Contains(tt.want, "\n") && got != tt.want || !strings.Contains(got, strings.TrimSpace(tt.want)) {
				t.Errorf("PrintError printed\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
