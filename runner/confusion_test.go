package runner_test

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/xp-ml/xp/runner"
)

// A run saves its test confusion matrix; its diagonal agrees with the
// recorded test accuracy and it prints with the class names.
func TestRunSavesConfusionMatrix(t *testing.T) {
	exp, st := setup(t, irisMLP)
	res, err := runner.Run(context.Background(), st, exp, runner.Options{Backend: "cpu", AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := runner.ReadConfusion(st.ArtifactDir(res.Run))
	if err != nil {
		t.Fatal(err)
	}
	if len(cm.Classes) != 3 || len(cm.Counts) != 3 {
		t.Fatalf("confusion %+v, want 3 classes", cm)
	}
	total, right := 0, 0
	for i, row := range cm.Counts {
		for j, v := range row {
			total += v
			if i == j {
				right += v
			}
		}
	}
	if acc := res.Metrics["test"]["accuracy"]; total == 0 || math.Abs(float64(right)/float64(total)-acc) > 1e-12 {
		t.Errorf("diagonal %d of %d, test accuracy %v", right, total, acc)
	}
	var b bytes.Buffer
	cm.Print(&b)
	if !strings.Contains(b.String(), cm.Classes[2]) || strings.Count(b.String(), "\n") != 4 {
		t.Errorf("printed\n%s", b.String())
	}
}
