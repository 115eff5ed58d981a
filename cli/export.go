package cli

import "github.com/spf13/cobra"

// newExportCmd is `xp export`: each kind of export is a subcommand in a
// file of its own (export_onnx.go, ...), registered here.
func newExportCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "export",
		Example: `  xp export onnx 3f9a -o model.onnx`,
		Short:   "Write what a run holds in formats other tools read",
	}
	cmd.AddCommand(
		newExportONNXCmd(s),
		newExportRunsCmd(s),
		newExportPointsCmd(s),
	)
	return cmd
}
