package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xp-ml/xp/store"
)

// Remote is a team's remote as a run asks it (package remote implements
// it): before training a key that has not succeeded here, the newest run
// of the key that succeeded there is brought into the store and answers
// for it, as a cached run does. A run key covers the spec, the data and
// the backend's numerics, so that run is the one this machine would
// train.
type Remote interface {
	// Hit returns the newest succeeded run of key on the remote, recorded
	// in st, or nil when the remote has none.
	Hit(ctx context.Context, st *store.Store, key string) (*store.Run, error)
}

// RemoteTimeout bounds a remote check: a remote that does not answer
// costs a warning, not the run. (A variable for tests.)
var RemoteTimeout = 15 * time.Second

// AskRemote asks opts.Remote for key, unless there is none or Force. A
// remote that fails (unreachable, refused) is told as an EventRemoteFailed
// and answers nothing: training goes on. Only ctx's cancellation is an
// error.
func AskRemote(ctx context.Context, st *store.Store, exp, key string, opts Options) (*store.Run, error) {
	if opts.Remote == nil || opts.Force {
		return nil, nil
	}
	cctx, cancel := context.WithTimeout(ctx, RemoteTimeout)
	defer cancel()
	hit, err := opts.Remote.Hit(cctx, st, key)
	if err == nil {
		return hit, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %v: %w", RemoteTimeout, err)
	}
	if opts.Events != nil {
		opts.Events(Event{Kind: EventRemoteFailed, Experiment: exp, Key: key, Err: err})
	}
	return nil, nil
}
