package tui

import (
	"fmt"
	"strconv"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// chartKey handles the chart controls on a page with charts; ok is false
// for any other key.
func (m *Model) chartKey(k tea.KeyMsg) (cmd tea.Cmd, ok bool) {
	keys := m.keys
	o := &m.plot
	switch {
	case key.Matches(k, keys.Smoother):
		m.setSmoothing(min(len(smoothSteps)-1, o.smooth+1))
	case key.Matches(k, keys.Rougher):
		m.setSmoothing(max(0, o.smooth-1))
	case key.Matches(k, keys.XAxis):
		o.x = (o.x + 1) % numXAxes
		msg := "x axis: " + xAxisNames[o.x]
		if o.x == xStep && !m.stepsKnown() {
			msg += " (steps per epoch unknown until the run records its rows: epochs shown)"
		}
		m.setFlash(msg, false)
	case key.Matches(k, keys.LogY):
		o.logY = !o.logY
		m.setFlash(map[bool]string{true: "y axis: log scale", false: "y axis: linear"}[o.logY], false)
	case key.Matches(k, keys.Zoom):
		m.askZoom()
	case key.Matches(k, keys.Unzoom):
		o.zoomLo, o.zoomHi = 0, 0
		m.setFlash("every epoch shown", false)
	case m.page == pageSweep && key.Matches(k, keys.Band):
		o.faint = !o.faint
		m.setFlash(map[bool]string{true: "every run faint, the best on top", false: "min–max band, the best on top"}[o.faint], false)
	default:
		return nil, false
	}
	return nil, true
}

// setSmoothing sets the smoothing to step i of smoothSteps.
func (m *Model) setSmoothing(i int) {
	m.plot.smooth = i
	if w := smoothSteps[i]; w > 0 {
		m.setFlash("smoothing: exponential moving average, weight "+strconv.FormatFloat(w, 'g', -1, 64), false)
	} else {
		m.setFlash("smoothing off", false)
	}
}

// nearestSmoothing is the step of smoothSteps closest to weight w.
func nearestSmoothing(w float64) int {
	best := 0
	for i, s := range smoothSteps {
		if abs(s-w) < abs(smoothSteps[best]-w) {
			best = i
		}
	}
	return best
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// stepsKnown reports whether every open run's steps per epoch are known.
func (m *Model) stepsKnown() bool {
	for _, id := range m.watched() {
		if d := m.runs[id]; d != nil && d.run != nil && stepsPerEpoch(d) == 0 {
			return false
		}
	}
	return true
}

// askZoom asks for the epochs to show.
func (m *Model) askZoom() {
	m.prompt = &prompt{
		input: lineInput{prompt: "zoom to epochs: ", placeholder: " 5-20, 10- or -30; empty shows every epoch"},
		apply: m.zoom,
	}
}

// zoom shows the epochs a range names.
func (m *Model) zoom(s string) error {
	lo, hi, err := parseZoom(s)
	if err != nil {
		return err
	}
	m.plot.zoomLo, m.plot.zoomHi = lo, hi
	if m.plot.zoomed() {
		m.setFlash("zoomed: "+m.plot.String()+" (Z shows every epoch)", false)
	} else {
		m.setFlash("every epoch shown", false)
	}
	return nil
}

// prompt is a question answered with a line of text in the bottom line.
type prompt struct {
	input lineInput
	apply func(string) error
	err   string
}

// promptKey handles a key while a prompt is open: enter answers, esc
// drops it; an answer apply refuses keeps it open with the reason.
func (m *Model) promptKey(k tea.KeyMsg) tea.Cmd {
	p := m.prompt
	switch k.String() {
	case "enter":
		if err := p.apply(p.input.Value()); err != nil {
			p.err = err.Error()
			return nil
		}
		m.prompt = nil
	case "esc":
		m.prompt = nil
	default:
		if p.input.Update(k) {
			p.err = ""
		}
	}
	return nil
}

// promptLine is the prompt as the bottom line shows it.
func (m *Model) promptLine() string {
	t := m.sh.theme
	line := m.prompt.input.View(t)
	if m.prompt.err != "" {
		line += "  " + t.err.Render(fmt.Sprint(m.prompt.err))
	}
	return line
}
