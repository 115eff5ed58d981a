package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// RecordFile is the copy of a run's row (RunData: the run, its points,
// summaries and sources) kept in its artifact folder when it finishes, from
// which RebuildFrom makes a lost database whole again. Hidden: it is not
// an artifact (a remote does not push it).
const RecordFile = ".run.json"

// SaveRecord writes run id's RecordFile into its artifact folder,
// atomically.
func (s *Store) SaveRecord(ctx context.Context, id int64) error {
	d, err := s.ExportRun(ctx, id)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("save the record of run %d: %w", id, err)
	}
	dir := s.ArtifactDir(&d.Run)
	tmp, err := os.CreateTemp(dir, ".run-*.tmp")
	if err != nil {
		return fmt.Errorf("save the record of run %d: %w", id, err)
	}
	_, werr := tmp.Write(raw)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save the record of run %d: %w", id, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, RecordFile)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save the record of run %d: %w", id, err)
	}
	return nil
}

// Records reads the RecordFile of every run folder of the store in dir, in
// id order, each under its folder's key and id; missing lists the folders
// without a readable one (a run that never finished, or finished before
// xp kept records).
func Records(dir string) (records []*RunData, missing []string, err error) {
	keys, err := os.ReadDir(filepath.Join(dir, runsDir))
	if err != nil {
		return nil, nil, fmt.Errorf("read run folders: %w", err)
	}
	for _, k := range keys {
		if !k.IsDir() || !validKey(k.Name()) {
			continue
		}
		ids, err := os.ReadDir(filepath.Join(dir, runsDir, k.Name()))
		if err != nil {
			return nil, nil, fmt.Errorf("read run folders: %w", err)
		}
		for _, e := range ids {
			id, perr := strconv.ParseInt(e.Name(), 10, 64)
			if perr != nil || !e.IsDir() {
				continue
			}
			folder := filepath.Join(dir, runsDir, k.Name(), e.Name())
			raw, err := os.ReadFile(filepath.Join(folder, RecordFile))
			if errors.Is(err, fs.ErrNotExist) {
				missing = append(missing, folder)
				continue
			}
			var d RunData
			if err == nil {
				err = json.Unmarshal(raw, &d)
			}
			if err != nil || d.Run.Key != k.Name() {
				missing = append(missing, folder)
				continue
			}
			d.Run.ID = id
			records = append(records, &d)
		}
	}
	sort.Slice(records, func(i, j int) bool { return records[i].Run.ID < records[j].Run.ID })
	return records, missing, nil
}
