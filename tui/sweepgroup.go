package tui

import (
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/xp-ml/xp/internal/termtext"
	"github.com/xp-ml/xp/sweep"
)

// maxGroupSweeps bounds how many sweeps' points the grouped table reads at
// once: the groups on screen are a few.
const maxGroupSweeps = 50

// groupEvery is how often, at most, polls re-read the group heads while
// runs train: each read is two queries a sweep.
const groupEvery = 2 * time.Second

// groupSweepsMsg holds, by sweep id, what a sweep group's head adds: its
// best point as `xp ls --sweep` marks it, by the sweep's metric, with the
// point's parameters.
type groupSweepsMsg struct {
	heads map[string]string
}

// loadGroupSweeps reads the best point of each sweep of ids the store has
// a record of.
func (sh *shared) loadGroupSweeps(ids []string) tea.Cmd {
	ctx, st := sh.ctx, sh.st
	return func() tea.Msg {
		heads := make(map[string]string, len(ids))
		for _, id := range ids {
			sw, err := st.FindSweep(ctx, id)
			if err != nil || sw == nil || sw.ID != id {
				continue
			}
			points, err := sweep.ReadPoints(ctx, st, id, sw.Metric)
			if err != nil {
				continue
			}
			heads[id] = bestHead(points, sweep.Best(points, sw.Mode), sw.Metric)
		}
		return groupSweepsMsg{heads: heads}
	}
}

// bestHead is "best ★ #15 (point 4) validation.loss 0.1459 at lr=0.03",
// or "no point done yet".
func bestHead(points []sweep.PointResult, best *sweep.PointResult, metric string) string {
	if best == nil {
		return "no best point yet"
	}
	paths := sweep.ParamPaths(points)
	heads := paramHeads(paths)
	var at []string
	for i, path := range paths {
		at = append(at, strings.ToLower(heads[i])+"="+paramText(best.Params, path))
	}
	run := ""
	if best.Run != nil {
		run = fmt.Sprintf("#%d ", best.Run.ID)
	}
	s := fmt.Sprintf("best ★ %s(point %d) %s %s", run, best.Index, termtext.Clean(metric), formatValue(best.Value, true))
	if len(at) > 0 {
		s += " at " + strings.Join(at, " ")
	}
	return s
}

// groupSweepIDs are the sweeps the grouped table shows, at most
// maxGroupSweeps.
func (m *Model) groupSweepIDs() []string {
	var ids []string
	for _, g := range m.view.groupStart {
		if g.sweep != "" && len(ids) < maxGroupSweeps {
			ids = append(ids, g.sweep)
		}
	}
	return ids
}

func (m *Model) onGroupSweeps(msg groupSweepsMsg) {
	m.groupHeads = msg.heads
}
