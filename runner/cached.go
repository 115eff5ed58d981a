package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xp-ml/xp/store"
)

// ErrWeightsMissing is a succeeded run whose weights are gone from its
// artifact folder: it cannot answer for its key (xp predict would fail).
var ErrWeightsMissing = errors.New("its weights are missing")

// CheckCached verifies that r, a succeeded run about to answer for its key
// from the cache, still has its weights. A pulled run's artifacts come
// from its remote when first used, so only a run trained here is checked.
func CheckCached(st *store.Store, r *store.Run) error {
	if r.Remote != "" {
		return nil
	}
	path := filepath.Join(st.ArtifactDir(r), "weights.bin")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("run %s of %s succeeded, but %w (%s): the store is damaged; `xp doctor` checks every run, `xp run --force %s` trains it again",
			r.Short(), r.Experiment, ErrWeightsMissing, path, r.Experiment)
	}
	return nil
}
