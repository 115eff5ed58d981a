package predict

import (
	"bufio"
	"encoding/csv"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/metric"
)

// WriteCSV writes f's rows as CSV, numbers in their shortest form and
// missing values empty, with out's predictions appended (FormatProb,
// FormatValue): as `xp predict` prints them. out is what Predict returned for f.
func (p *Predictor) WriteCSV(w io.Writer, f *data.Frame, out []float32) error {
	return p.WriteCSVCells(w, f, nil, out)
}

// WriteCSVCells is WriteCSV with f's input columns written as cells holds
// them (data.ReadCells: the header, then a row of text per row of f), as
// they were read: "5.0" stays "5.0", "NA" stays "NA". Without cells, or
// with cells that are not f's rows, it is WriteCSV.
func (p *Predictor) WriteCSVCells(w io.Writer, f *data.Frame, cells [][]string, out []float32) error {
	text := func(i, j int) string { return f.Cols[j].Text(i) }
	if len(cells) == f.Len()+1 && len(cells[0]) == len(f.Names) {
		text = func(i, j int) string {
			if row := cells[i+1]; j < len(row) {
				return row[j]
			}
			return ""
		}
	}
	if p.Pipeline.Task == data.TaskRegression {
		return writeRegression(w, f, text, p.Pipeline.Scale, out)
	}
	return writePredictions(w, f, text, p.Pipeline.Classes, out)
}

// writePredictions writes f's rows as CSV (numbers in their shortest form,
// missing values empty) with the predicted class and the probability of
// each class appended; an output column whose name the input already
// uses is prefixed with "xp_".
func writePredictions(out io.Writer, f *data.Frame, text func(i, j int) string, classes []string, probs []float32) error {
	bw := bufio.NewWriter(out)
	w := csv.NewWriter(bw)
	name := func(n string) string {
		for slices.Contains(f.Names, n) {
			n = "xp_" + n
		}
		return n
	}
	header := slices.Clone(f.Names)
	header = append(header, name("predicted"))
	for _, c := range classes {
		header = append(header, name("p_"+c))
	}
	if err := w.Write(header); err != nil {
		return err
	}
	k := len(classes)
	rec := make([]string, 0, len(header))
	for i := range f.Len() {
		rec = rec[:0]
		for j := range f.Cols {
			rec = append(rec, text(i, j))
		}
		pr := probs[i*k : (i+1)*k]
		rec = append(rec, classes[metric.Argmax(pr)])
		for _, v := range pr {
			rec = append(rec, FormatProb(v))
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// writeRegression writes f's rows as CSV with a regression's prediction,
// in the target's units, appended as "predicted" (or "xp_predicted" when
// the input has that column).
func writeRegression(out io.Writer, f *data.Frame, text func(i, j int) string, scale *data.TargetScale, preds []float32) error {
	bw := bufio.NewWriter(out)
	w := csv.NewWriter(bw)
	col := "predicted"
	for slices.Contains(f.Names, col) {
		col = "xp_" + col
	}
	if err := w.Write(append(slices.Clone(f.Names), col)); err != nil {
		return err
	}
	rec := make([]string, 0, len(f.Names)+1)
	for i := range f.Len() {
		rec = rec[:0]
		for j := range f.Cols {
			rec = append(rec, text(i, j))
		}
		rec = append(rec, FormatValue(scale.Unscale(preds[i])))
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// ProbDecimals is how many decimals `xp predict` and `xp serve` write a
// probability with: fixed, so every row's columns line up and read the
// same, and finer than any decision a probability drives. The run's own
// test_predictions.csv keeps every bit.
const ProbDecimals = 6

// ValueDigits is how many significant digits a regression's prediction is
// written with.
const ValueDigits = 6

// FormatProb writes a probability with ProbDecimals decimals: 0.250000,
// 1.000000, 0.000012.
func FormatProb(p float32) string { return string(AppendProb(nil, p)) }

// AppendProb appends p as FormatProb writes it.
func AppendProb(dst []byte, p float32) []byte {
	return strconv.AppendFloat(dst, float64(p), 'f', ProbDecimals, 64)
}

// FormatValue writes a regression's prediction in the target's units with
// ValueDigits significant digits and never an exponent: 1234570, 25.5,
// 0.0000123457. A value that is not finite is written as Go spells it.
func FormatValue(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', ValueDigits, 64), 64)
	if err != nil {
		r = v
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}
