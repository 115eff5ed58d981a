package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/tui"
)

// runWithTUI is `xp run --tui`: it trains as `xp run` does, in the
// background, and shows the runs this process starts in the same view as
// `xp tui`. Quitting the view stops training that is still going: those
// runs are recorded as canceled (and resume from their checkpoint on the
// next `xp run`). The outcome is printed once the view has closed.
func runWithTUI(ctx context.Context, s Streams, o *runOptions, names []string) error {
	if !s.OutTerminal {
		return usageError{errNotTerminal}
	}
	st, root, err := openRunStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	scope := tui.NewScope()
	started := time.Now().Add(-time.Second)
	go watchOwnRuns(ctx, st, scope, started)

	// Training prints nothing while the view owns the terminal: its
	// progress lines are dropped (the view shows progress) and its summary
	// is printed after.
	var summary lockedBuffer
	quiet := Streams{In: s.In, Out: &summary, Err: io.Discard}
	done := make(chan error, 1)
	go func() { done <- runRun(ctx, quiet, o, names) }()

	uiErr := tui.Run(ctx, st, tui.Options{Scope: scope, Input: s.In, Output: s.Out, Root: root,
		Rerun: func(ctx context.Context, key string) error { return rerunFromTUI(ctx, st, root, key) }})
	cancel()
	trainErr := <-done
	io.Copy(s.Out, &summary)
	if uiErr != nil && !errors.Is(uiErr, context.Canceled) {
		return errors.Join(uiErr, trainErr)
	}
	if errors.Is(trainErr, context.Canceled) {
		fmt.Fprintln(s.Err, "xp: the view was closed: unfinished runs were canceled")
	}
	return trainErr
}

// watchOwnRuns adds to scope every run this process starts: the runs of a
// single experiment and each point of a sweep alike, whoever starts them.
func watchOwnRuns(ctx context.Context, st *store.Store, scope *tui.Scope, since time.Time) {
	pid := os.Getpid()
	seen := map[int64]bool{}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		runs, err := st.ListRuns(ctx, store.ListOptions{Limit: 500})
		if err == nil {
			for _, r := range runs {
				if r.PID == pid && !r.CreatedAt.Before(since) && !seen[r.ID] {
					seen[r.ID] = true
					scope.Add(r.ID)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// lockedBuffer collects output written from the training goroutine while
// the view runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Read(p)
}
