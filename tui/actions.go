package tui

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aymanbagabas/go-osc52/v2"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/xp-ml/xp/store"
)

// actionMsg reports an action's outcome in the bottom line.
type actionMsg struct {
	text string
	err  bool
}

// names lists runs' short keys for a prompt, the first few of them.
func names(rs []*row) string {
	var keys []string
	for i, r := range rs {
		if i == 3 {
			keys = append(keys, fmt.Sprintf("and %d more", len(rs)-3))
			break
		}
		keys = append(keys, r.Short())
	}
	return strings.Join(keys, ", ")
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}

// askCancel asks to cancel the live runs among rs. The owning `xp run`
// learns of it at its next heartbeat and stops after the current epoch.
func (m *Model) askCancel(rs []*row) tea.Cmd {
	var ids []int64
	var todo []*row
	for _, r := range rs {
		if live(r.Status) && !r.CancelRequested {
			ids = append(ids, r.ID)
			todo = append(todo, r)
		}
	}
	if len(ids) == 0 {
		m.setFlash("nothing to cancel: only queued, running or lost runs can be canceled", false)
		return nil
	}
	ctx, st := m.sh.ctx, m.sh.st
	m.confirm = &confirmation{
		prompt: fmt.Sprintf("Cancel %s (%s)?", plural(len(ids), "run"), names(todo)),
		action: func() tea.Msg {
			var errs []error
			for _, id := range ids {
				errs = append(errs, st.RequestCancel(ctx, id))
			}
			if err := errors.Join(errs...); err != nil {
				return actionMsg{text: err.Error(), err: true}
			}
			return actionMsg{text: fmt.Sprintf("cancel requested for %s: training stops after the current epoch", plural(len(ids), "run"))}
		},
	}
	return nil
}

// deletedMsg reports runs deleted, so the table drops them at once.
type deletedMsg struct {
	ids  []int64
	text string
	err  bool
}

// askDelete asks to delete rs and their artifacts. Running runs are refused:
// their process still writes to them.
func (m *Model) askDelete(rs []*row) tea.Cmd {
	var ids []int64
	var todo []*row
	running := 0
	for _, r := range rs {
		if r.Status == store.StatusRunning {
			running++
			continue
		}
		ids = append(ids, r.ID)
		todo = append(todo, r)
	}
	if len(ids) == 0 {
		m.setFlash(fmt.Sprintf("refusing to delete %s: cancel first (x)", plural(running, "running run")), true)
		return nil
	}
	their := "their"
	if len(ids) == 1 {
		their = "its"
	}
	prompt := fmt.Sprintf("Delete %s (%s) with %s artifacts? This cannot be undone.", plural(len(ids), "run"), names(todo), their)
	if running > 0 {
		prompt = fmt.Sprintf("Skipping %s. ", plural(running, "running run")) + prompt
	}
	ctx, st := m.sh.ctx, m.sh.st
	m.confirm = &confirmation{
		prompt: prompt,
		action: func() tea.Msg {
			var (
				done []int64
				errs []error
			)
			for _, id := range ids {
				if err := st.DeleteRun(ctx, id); err != nil {
					errs = append(errs, err)
					continue
				}
				done = append(done, id)
			}
			if err := errors.Join(errs...); err != nil {
				return deletedMsg{ids: done, text: err.Error(), err: true}
			}
			return deletedMsg{ids: done, text: "deleted " + plural(len(done), "run")}
		},
	}
	return nil
}

// onDeleted drops deleted runs from the table and the marks.
func (m *Model) onDeleted(msg deletedMsg) {
	var removed []*row
	for _, id := range msg.ids {
		if x := m.ix.remove(id); x != nil {
			removed = append(removed, x)
			m.ix.count--
		}
		for i, mk := range m.marks {
			if mk == id {
				m.marks = append(m.marks[:i], m.marks[i+1:]...)
				break
			}
		}
		if m.page == pageDetail && m.detail.id == id {
			m.page = pageTable
			m.open()
		}
	}
	m.view.patch(m.ix, nil, removed, m.now())
	m.restoreCursor()
	m.setFlash(msg.text, msg.err)
}

// copyKey puts a run's full key on the clipboard with OSC 52, which
// terminals (and tmux, wrapped) pass to the system clipboard, even over
// ssh. The key is also shown, for terminals that ignore OSC 52.
func (m *Model) copyKey(key string) tea.Cmd {
	out := m.sh.out
	return func() tea.Msg {
		seq := osc52.New(key)
		if os.Getenv("TMUX") != "" {
			seq = seq.Tmux()
		}
		if _, err := seq.WriteTo(out); err != nil {
			return actionMsg{text: "copy: " + err.Error(), err: true}
		}
		return actionMsg{text: "copied " + key}
	}
}

// rerunRun reruns a run through Options.Rerun, or says which command does.
func (m *Model) rerunRun(key string) tea.Cmd {
	short := store.ShortKey(key)
	if m.sh.rerun == nil {
		m.setFlash("rerun from a shell: xp rerun "+short, false)
		return nil
	}
	ctx, rerun := m.sh.ctx, m.sh.rerun
	m.setFlash("rerunning "+short+"…", false)
	return func() tea.Msg {
		if err := rerun(ctx, key); err != nil {
			return actionMsg{text: "rerun " + short + ": " + err.Error(), err: true}
		}
		return actionMsg{text: "rerun of " + short + " started"}
	}
}
