package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/xp-ml/xp/metric"
)

// ConfusionFile is the test split's confusion matrix in a run's artifacts.
const ConfusionFile = "confusion.json"

// Confusion is a confusion matrix with its class labels: Counts[t][p] rows
// of true class Classes[t] were predicted Classes[p].
type Confusion struct {
	Classes []string `json:"classes"`
	Counts  [][]int  `json:"counts"`
}

func saveConfusion(dir string, classes []string, probs []float32, y []int32) error {
	m, err := metric.ConfusionMatrix(probs, y, len(classes))
	if err != nil {
		return fmt.Errorf("confusion matrix: %w", err)
	}
	b, err := json.MarshalIndent(Confusion{Classes: classes, Counts: m}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode confusion matrix: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ConfusionFile), b, 0o644); err != nil {
		return fmt.Errorf("save confusion matrix: %w", err)
	}
	return nil
}

// ReadConfusion reads the confusion matrix a run saved in its artifact
// directory dir.
func ReadConfusion(dir string) (*Confusion, error) {
	b, err := os.ReadFile(filepath.Join(dir, ConfusionFile))
	if err != nil {
		return nil, fmt.Errorf("read confusion matrix: %w", err)
	}
	var c Confusion
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("read confusion matrix: %w", err)
	}
	return &c, nil
}

// Print writes the matrix as a table: a row per true class, a column per
// predicted class.
func (c *Confusion) Print(w io.Writer) {
	width := 4
	for _, name := range c.Classes {
		width = max(width, len(name))
	}
	for _, row := range c.Counts {
		for _, v := range row {
			width = max(width, len(fmt.Sprint(v)))
		}
	}
	fmt.Fprintf(w, "  %-*s  %s\n", width, "true\\pred", strings.Join(pad(c.Classes, width), " "))
	for t, row := range c.Counts {
		cells := make([]string, len(row))
		for p, v := range row {
			cells[p] = fmt.Sprintf("%*d", width, v)
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.Classes[t], strings.Join(cells, " "))
	}
}

func pad(names []string, width int) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%*s", width, n)
	}
	return out
}
