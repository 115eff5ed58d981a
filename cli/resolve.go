package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/xp-ml/xp/store"
)

// resolveRun finds the run a key prefix names: the newest run of that key.
// A malformed prefix is a usage error; an unknown one says where to look.
// An ambiguous one lists the candidates (store.AmbiguousError).
func resolveRun(ctx context.Context, st *store.Store, prefix string) (*store.Run, error) {
	r, err := st.Resolve(ctx, prefix)
	switch {
	case errors.Is(err, store.ErrInvalid):
		return nil, usageError{err}
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("%w; `xp ls` lists the runs", err)
	}
	return r, err
}
