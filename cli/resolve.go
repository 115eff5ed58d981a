package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/xp-ml/xp/store"
)

// resolveRun finds the run a reference names (store.Resolve): a key
// prefix names the key's newest succeeded run (else its newest run), KEY#N
// run N. A malformed reference is a usage error; an unknown one says where
// to look. An ambiguous one lists the candidates (store.AmbiguousError).
func resolveRun(ctx context.Context, st *store.Store, ref string) (*store.Run, error) {
	return resolved(ctx, st, ref)(st.Resolve(ctx, ref))
}

// resolveAttempt is resolveRun for the commands that act on a key's latest
// attempt, xp resume and xp cancel: a key prefix names its newest run,
// whatever its status.
func resolveAttempt(ctx context.Context, st *store.Store, ref string) (*store.Run, error) {
	return resolved(ctx, st, ref)(st.ResolveNewest(ctx, ref))
}

// resolved turns what resolving ref gave into the command's answer. A
// reference that is no key prefix but an experiment's name says which run
// of it the person may mean: a run is named by its key, so that what it
// names does not change when the experiment runs again.
func resolved(ctx context.Context, st *store.Store, ref string) func(*store.Run, error) (*store.Run, error) {
	return func(r *store.Run, err error) (*store.Run, error) {
		switch {
		case errors.Is(err, store.ErrInvalid):
			if hint := experimentHint(ctx, st, ref); hint != "" {
				return nil, usageError{errors.New(hint)} // the key prefix's rules are beside the point
			}
			return nil, usageError{err}
		case errors.Is(err, store.ErrNotFound):
			return nil, fmt.Errorf("%w; `xp ls` lists the runs", err)
		}
		return r, err
	}
}

// experimentHint names the newest succeeded run (else the newest run) of
// the experiment called ref, or is "" when there is none.
func experimentHint(ctx context.Context, st *store.Store, ref string) string {
	name := strings.TrimSpace(ref)
	if name == "" || strings.Contains(name, "#") {
		return ""
	}
	for _, status := range []store.Status{store.StatusSucceeded, ""} {
		runs, err := st.ListRuns(ctx, store.ListOptions{Experiment: name, Status: status, Limit: 1})
		if err != nil || len(runs) == 0 {
			continue
		}
		r := runs[0]
		which := "newest succeeded run"
		if status == "" {
			which = fmt.Sprintf("newest run (%s)", r.Status)
		}
		return fmt.Sprintf("%q is an experiment, not a run: its %s is %s (#%d); name a run by its key, as `xp ls --experiment %s` shows them",
			name, which, r.Short(), r.ID, name)
	}
	return ""
}
