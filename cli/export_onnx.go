package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/onnx"
	"github.com/xp-ml/xp/predict"
	"github.com/xp-ml/xp/provenance"
)

type exportONNXOptions struct {
	output string
}

func newExportONNXCmd(s Streams) *cobra.Command {
	o := &exportONNXOptions{}
	cmd := &cobra.Command{
		Use:     "onnx <key-prefix> -o model.onnx",
		Example: `  xp export onnx 3f9a -o model.onnx`,
		Short:   "Write a trained run, its preprocessing and its network, as one ONNX model",
		Long: `Write a trained run as one ONNX model: its fitted preprocessing and its
network in a single graph, with one input per column (float64 for numbers, NaN
missing; string for categories, "" missing) and the outputs "probabilities" and
"label", or "value" for a regression. Standard ai.onnx and ai.onnx.ml operators
only (opset 17, ai.onnx.ml 3). A run whose preprocessing has no exact ONNX
equivalent (text hashing, normalize_text, cast to number) is refused, with the
column and the reason.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.output == "" {
				return usageError{fmt.Errorf("export onnx: -o FILE is required")}
			}
			return runExportONNX(cmd.Context(), s, o, args[0])
		},
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "the .onnx file to write")
	return cmd
}

func runExportONNX(ctx context.Context, s Streams, o *exportONNXOptions, prefix string) error {
	st, root, err := openStore(ctx)
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
	p, err := predict.Load(st.ArtifactDir(r), r, "")
	if err != nil {
		return err
	}
	b, err := onnx.Export(p.Pipeline, p.Model, p.Params, onnx.Meta{Key: r.Key, Experiment: r.Experiment, Version: provenance.Version})
	if err != nil {
		return fmt.Errorf("export run %s: %w", r.Short(), err)
	}
	if err := os.WriteFile(o.output, b, 0o644); err != nil {
		return fmt.Errorf("export onnx: %w", err)
	}
	fmt.Fprintf(s.Err, "wrote run %s (%s) to %s: %d bytes\n", r.Short(), r.Experiment, o.output, len(b))
	return nil
}
