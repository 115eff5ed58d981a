package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/xp-ml/xp/store"
)

// Rebuilt is what Rebuild did.
type Rebuilt struct {
	Restored int      // runs restored from their folders' records
	Missing  []string // run folders without a record: not restored, moved to MovedTo
	MovedTo  string   // where the folders without a record went (UnrestoredDir), "" when none did
	Failed   []string // records that could not be restored, and why
	Aside    string   // where the old database went, "" when there was none
}

// Rebuild makes a new database for the store in dir (the .xp directory)
// from the records its run folders keep (store.RecordFile), in a new file,
// then moves the old database (and its -wal, -shm) aside to
// xp.db.damaged-<time> and puts the new one in its place. Runs that never
// finished, or finished before xp kept records, are not restored (Missing)
// and their folders are moved, files and all, to UnrestoredDir: left in
// runs/, a new run could be given one's id and write into it, and a store
// whose only folders have no record would be refused as a lost one. Nor
// are sweep queues restored: a sweep's next `xp run` finds its points
// cached by key. No xp process may use the store meanwhile.
func Rebuild(ctx context.Context, dir string) (*Rebuilt, error) {
	records, missing, err := store.Records(dir)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(dir, "rebuild-")
	if err != nil {
		return nil, fmt.Errorf("rebuild: %w", err)
	}
	defer os.RemoveAll(tmp)
	st, err := store.Open(ctx, tmp)
	if err != nil {
		return nil, fmt.Errorf("rebuild: %w", err)
	}
	out := &Rebuilt{Missing: missing}
	for _, d := range records {
		if err := ctx.Err(); err != nil {
			st.Close()
			return nil, err
		}
		if err := st.RestoreRun(ctx, d); err != nil {
			out.Failed = append(out.Failed, err.Error())
			continue
		}
		out.Restored++
	}
	if err := st.Close(); err != nil {
		return nil, fmt.Errorf("rebuild: %w", err)
	}
	db := filepath.Join(dir, store.DBName)
	if _, err := os.Stat(db); err == nil {
		out.Aside = db + ".damaged-" + time.Now().UTC().Format("20060102T150405Z")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(db+suffix, out.Aside+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("rebuild: keep the old database aside: %w", err)
			}
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Rename(filepath.Join(tmp, store.DBName)+suffix, db+suffix); err != nil && (suffix == "" || !errors.Is(err, fs.ErrNotExist)) {
			return nil, fmt.Errorf("rebuild: %w", err)
		}
	}
	for _, folder := range missing {
		to := filepath.Join(dir, UnrestoredDir, filepath.Base(filepath.Dir(folder)), filepath.Base(folder))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return nil, fmt.Errorf("rebuild: %w", err)
		}
		if err := os.Rename(folder, to); err != nil {
			return nil, fmt.Errorf("rebuild: move %s aside: %w", folder, err)
		}
		out.MovedTo = filepath.Join(dir, UnrestoredDir)
	}
	return out, nil
}

// UnrestoredDir, in the store's directory, holds the run folders Rebuild
// found without a record, as runs/ did: <key>/<id>/.
const UnrestoredDir = "unrestored"
