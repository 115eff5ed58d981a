package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xp-ml/xp/internal/termtext"
)

func newBackupCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the run database to FILE, while runs train",
		Long: `Backup writes a consistent copy of .xp/xp.db to FILE (which must not
exist), from one snapshot, while other xp processes keep training and
recording. It copies the database only: the artifacts are files under
.xp/runs, to copy alongside. To restore, put FILE back as .xp/xp.db.`,
		Example: `  xp backup xp-copy.db                  # while runs train
  cp xp-copy.db .xp/xp.db               # restore, with no xp process running`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBackup(cmd.Context(), s, args[0])
		},
	}
}

func runBackup(ctx context.Context, s Streams, path string) error {
	st, _, err := openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, path); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "backed up the run database to %s\n", termtext.Clean(path))
	return nil
}
