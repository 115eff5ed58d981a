package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	kindClassification = "classification"
	kindRegression     = "regression"
)

// predictions is a run's test_predictions.csv: a classifier's labels and
// class probabilities, or a regression's targets and predictions.
type predictions struct {
	// Classes and, per row, Label (an index into Classes) and Probs (one
	// per class): a classifier's.
	Classes []string
	Label   []int
	Probs   [][]float64
	// Target and Predicted, per row: a regression's, in the target's units.
	Target, Predicted []float64
}

func (p *predictions) kind() string {
	if p.Classes != nil {
		return kindClassification
	}
	return kindRegression
}

// readPredictions reads the test predictions a run saved: "line, label,
// predicted, p_<class>..." for a classifier, "line, target, predicted" for
// a regression.
func readPredictions(path string) (*predictions, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	name := filepath.Base(path)
	r := csv.NewReader(f)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	p := &predictions{}
	classify := len(header) >= 3 && header[1] == "label"
	switch {
	case classify:
		for _, h := range header[3:] {
			p.Classes = append(p.Classes, strings.TrimPrefix(h, "p_"))
		}
	case len(header) == 3 && header[1] == "target":
	default:
		return nil, fmt.Errorf("%s:1: unexpected header %q", name, strings.Join(header, ","))
	}
	index := map[string]int{}
	for i, c := range p.Classes {
		index[c] = i
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return p, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if err := p.add(rec, classify, index); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
}

func (p *predictions) add(rec []string, classify bool, index map[string]int) error {
	if !classify {
		t, err1 := strconv.ParseFloat(rec[1], 64)
		y, err2 := strconv.ParseFloat(rec[2], 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("target %q or prediction %q is not a number", rec[1], rec[2])
		}
		p.Target, p.Predicted = append(p.Target, t), append(p.Predicted, y)
		return nil
	}
	label, ok := index[rec[1]]
	if !ok {
		return fmt.Errorf("label %q is not one of the classes", rec[1])
	}
	probs := make([]float64, len(p.Classes))
	for i := range probs {
		v, err := strconv.ParseFloat(rec[3+i], 64)
		if err != nil {
			return fmt.Errorf("column %d: %q is not a probability", 4+i, rec[3+i])
		}
		probs[i] = v
	}
	p.Label, p.Probs = append(p.Label, label), append(p.Probs, probs)
	return nil
}
