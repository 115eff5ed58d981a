package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/metric"
	"github.com/xp-ml/xp/predict"
	"github.com/xp-ml/xp/store"
)

type predictOptions struct {
	output  string
	backend string
}

func newPredictCmd(s Streams) *cobra.Command {
	o := &predictOptions{}
	cmd := &cobra.Command{
		Use:   "predict <key-prefix> <input>",
		Short: "Score new rows with a trained run: its input columns, then the predicted class and class probabilities",
		Long: `Score new rows with a trained run. The input (csv, tsv, jsonl or parquet,
optionally .gz) goes through the run's fitted preprocessing exactly as its
training rows did; it needs the columns the model was trained on (others are
ignored, the target is optional). The output is CSV: the input's columns,
then "predicted" and one "p_<class>" probability column per class.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPredict(cmd.Context(), s, o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "", "write the CSV here instead of stdout")
	f.StringVar(&o.backend, "backend", "", "backend to score on (default: the run's)")
	return cmd
}

func runPredict(ctx context.Context, s Streams, o *predictOptions, prefix, input string) error {
	st, root, err := openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := resolveRun(ctx, st, prefix)
	if err != nil {
		return err
	}
	if err := needArtifacts(ctx, s, st, root, r); err != nil {
		return err
	}
	p, err := predict.Load(st.ArtifactDir(r), r, o.backend)
	if err != nil {
		return err
	}
	if p.Note != "" {
		fmt.Fprintf(s.Err, "xp: note: %s\n", p.Note)
	}
	f, err := data.ReadFile(ctx, input)
	if err != nil {
		return err
	}
	probs, err := p.Predict(ctx, f)
	if err != nil {
		return err
	}
	w := s.Out
	var file *os.File
	if o.output != "" {
		if file, err = os.Create(o.output); err != nil {
			return fmt.Errorf("predict: %w", err)
		}
		w = file
	}
	if p.Pipeline.Task == data.TaskRegression {
		err = writeRegression(w, f, p.Pipeline.Scale, probs)
	} else {
		err = writePredictions(w, f, p.Pipeline.Classes, probs)
	}
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("predict: write: %w", err)
	}
	if o.output != "" {
		fmt.Fprintf(s.Err, "scored %d rows of %s with run %s into %s\n", f.Len(), input, store.ShortKey(r.Key), o.output)
	}
	return nil
}

// writePredictions writes f's rows as CSV (numbers in their shortest form,
// missing values empty) with the predicted class and the probability of
// each class appended; an output column whose name the input already
// uses is prefixed with "xp_".
func writePredictions(out io.Writer, f *data.Frame, classes []string, probs []float32) error {
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
		for _, c := range f.Cols {
			rec = append(rec, c.Text(i))
		}
		pr := probs[i*k : (i+1)*k]
		rec = append(rec, classes[metric.Argmax(pr)])
		for _, v := range pr {
			rec = append(rec, formatProb(v))
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
func writeRegression(out io.Writer, f *data.Frame, scale *data.TargetScale, preds []float32) error {
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
		for _, c := range f.Cols {
			rec = append(rec, c.Text(i))
		}
		rec = append(rec, formatPrediction(scale.Unscale(preds[i])))
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

// formatProb writes a probability as the shortest text that reads back to
// the same float32: the text a run wrote for its test rows
// (test_predictions.csv), so the two compare as text.
func formatProb(p float32) string { return strconv.FormatFloat(float64(p), 'g', -1, 32) }

// formatPrediction writes a regression's prediction in the target's units,
// as the shortest text that reads back to the same float64.
func formatPrediction(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
