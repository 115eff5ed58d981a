package export

import (
	"context"
	"io"

	"github.com/xp-ml/xp/store"
)

var pointColumns = []column{
	{"run", kindInt}, {"key", kindString}, {"split", kindString}, {"metric", kindString},
	{"epoch", kindInt}, {"step", kindInt}, {"value", kindFloat}, {"time", kindTime},
}

// Points writes one row per point of the runs o selects to w in format f,
// run by run, and returns how many rows it wrote.
func Points(ctx context.Context, st *store.Store, o store.ExportOptions, f Format, w io.Writer) (int, error) {
	tw, err := newTableWriter(w, f, pointColumns)
	if err != nil {
		return 0, err
	}
	cells := make([]any, len(pointColumns))
	n := 0
	err = st.EachPoint(ctx, o, func(p *store.ExportedPoint) error {
		// Checked every so often: a cancelled export stops within a few
		// thousand rows.
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		cells[0], cells[1], cells[2], cells[3] = p.Run, p.Key, p.Split, p.Name
		cells[4], cells[5], cells[6], cells[7] = p.Epoch, p.Step, p.Value, p.Time
		n++
		return tw.row(cells)
	})
	if err != nil {
		return n, err
	}
	return n, tw.close()
}
