package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/data"
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
		Use: "predict <key-prefix> <input>",
		Example: `  xp predict 3f9a new.csv -o scored.csv
  xp predict 3f9a new.jsonl      # to stdout`,
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
	// The input columns are written back as they were read.
	cells, err := data.ReadCells(ctx, input)
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
	err = p.WriteCSVCells(w, f, cells, probs)
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
