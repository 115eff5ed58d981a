package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/xp-ml/xp/store"
)

// resolveRun finds the run a reference names (store.Resolve): a key
// prefix names the key's newest succeeded run (else its newest run), KEY#N
// run N. A malformed reference is a usage error; an unknown one says where
// to look. An ambiguous one lists the candidates (store.AmbiguousError).
func resolveRun(ctx context.Context, st *store.Store, ref string) (*store.Run, error) {
	return resolved(st.Resolve(ctx, ref))
}

// resolveAttempt is resolveRun for the commands that act on a key's latest
// attempt, xp resume and xp cancel: a key prefix names its newest run,
// whatever its status.
func resolveAttempt(ctx context.Context, st *store.Store, ref string) (*store.Run, error) {
	return resolved(st.ResolveNewest(ctx, ref))
}

func resolved(r *store.Run, err error) (*store.Run, error) {
	switch {
	case errors.Is(err, store.ErrInvalid):
		return nil, usageError{err}
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("%w; `xp ls` lists the runs", err)
	}
	return r, err
}
