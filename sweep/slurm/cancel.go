package slurm

import (
	"context"
	"errors"
	"os/exec"
	"strings"
)

// ErrNoScancel: scancel is not on this machine, so Slurm tasks cannot be
// cancelled from here.
var ErrNoScancel = errors.New("scancel not found: run xp cancel where the Slurm client tools are")

// Cancel scancels Slurm jobs or array tasks, each "<job>_<index>" as the store
// records them (store.QueuedPoint.SlurmTask). The coordinator following
// them records each cancelled, its curves kept, and puts its point back in
// the queue for the next xp run.
func Cancel(ctx context.Context, tasks ...string) error {
	if len(tasks) == 0 {
		return nil
	}
	if _, err := exec.LookPath("scancel"); err != nil {
		return ErrNoScancel
	}
	_, err := command(ctx, "scancel", tasks...)
	if err != nil && strings.Contains(err.Error(), "already completing or completed") {
		// It ended meanwhile: what was asked is done.
		return nil
	}
	return err
}
