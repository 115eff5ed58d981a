package runner

import (
	"fmt"

	"github.com/xp-ml/xp/backends"
)

// diverged is the error for an epoch whose mean training loss is not
// finite. It names the first optimizer step whose batch loss was not
// finite, as the trainer saw it, counting steps from 1 over the run and
// batches from 1 within the epoch: where to look in a curve, and which
// learning rate or batch to suspect.
func diverged(tr backends.Trainer, loss float64, epoch, rows, batchSize int) error {
	step, ok := tr.FirstNonFinite()
	if !ok {
		return fmt.Errorf("%w: training loss %v at epoch %d", ErrDiverged, loss, epoch)
	}
	perEpoch := (rows + batchSize - 1) / batchSize
	batch := step - (epoch-1)*perEpoch
	return fmt.Errorf("%w: training loss %v at epoch %d, step %d (batch %d of %d in the epoch)",
		ErrDiverged, loss, epoch, step+1, batch+1, perEpoch)
}
