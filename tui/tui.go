package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/xp-ml/xp/store"
)

var _ tea.Model = (*Model)(nil)

// Options configure the UI.
type Options struct {
	// Scope, when not nil, restricts the UI to the runs in it: `xp run
	// --tui` shows only the runs it started.
	Scope *Scope
	// NoColor draws without colours or attributes. The NO_COLOR
	// environment variable, when set and not empty, does the same.
	NoColor bool
	// Input and Output are the terminal; nil means stdin and stdout.
	Input  io.Reader
	Output io.Writer
	// Rerun, when not nil, is called to rerun a run by its key; while it is
	// nil the UI tells the user which command to type.
	Rerun func(ctx context.Context, key string) error
	// Root is the project's root, where the UI reads an asha sweep's
	// rungs from its experiment; "" shows no rungs.
	Root string
}

// Scope is a set of run ids. It is safe for concurrent use, so a caller
// that creates runs while the UI is open can add them as it goes; the UI
// picks additions up at its next poll.
type Scope struct {
	mu      sync.Mutex
	ids     map[int64]bool
	version uint64
}

// NewScope returns a scope holding ids.
func NewScope(ids ...int64) *Scope {
	s := &Scope{ids: make(map[int64]bool)}
	s.Add(ids...)
	return s
}

// Add puts runs in the scope.
func (s *Scope) Add(ids ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if !s.ids[id] {
			s.ids[id] = true
			s.version++
		}
	}
}

// snapshot returns the ids, sorted, and the scope's version.
func (s *Scope) snapshot() ([]int64, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.ids))
	for id := range s.ids {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, s.version
}

// Run shows the UI on the terminal until the user quits or ctx is done. A
// canceled ctx makes it return an error wrapping ctx.Err().
func Run(ctx context.Context, st *store.Store, opts Options) error {
	in, out := opts.Input, opts.Output
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stdout
	}
	opts.Input, opts.Output = in, out
	m := New(ctx, st, opts)
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out),
		tea.WithAltScreen(), tea.WithMouseCellMotion())
	final, err := p.Run()
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = errors.Join(err, ctx.Err())
		}
		return fmt.Errorf("tui: %w", err)
	}
	if fm, ok := final.(*Model); ok && fm.fatal != nil {
		return fmt.Errorf("tui: %w", fm.fatal)
	}
	return nil
}

// New returns the UI's bubbletea model, for embedding in a program of the
// caller's (Run is the usual way in).
func New(ctx context.Context, st *store.Store, opts Options) *Model {
	out := opts.Output
	if out == nil {
		out = os.Stdout
	}
	r := lipgloss.NewRenderer(out)
	mono := opts.NoColor || os.Getenv("NO_COLOR") != ""
	return newModel(&shared{
		ctx: ctx, st: st, theme: newTheme(r, mono), now: timeNow, out: out,
		scope: opts.Scope, rerun: opts.Rerun, root: opts.Root, poll: pollEvery, tick: tea.Tick,
	})
}
