package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/sweep"
)

// sweepProgress is the line that says where a sweep stands while its
// points train: "sweep iris-3f9a2c41d0e7: 3/12 done, 2 running, 1 failed,
// ETA 41s". On a terminal it redraws in place under the point lines; piped,
// it is printed when the first point starts and then at most every
// pipedEvery while points train, so a log shows the sweep is alive without
// a line per epoch.
type sweepProgress struct {
	w        io.Writer
	terminal bool
	now      func() time.Time

	mu       sync.Mutex
	id       string
	total    int
	done     int // points done, before this process included
	atStart  int // points done when this process started
	cached   int // points this process found cached
	trained  int // points this process trained to an end
	failed   int
	running  map[int]float64 // point index -> fraction of its epochs done
	start    time.Time
	last     time.Time
	drawn    bool
	lastLine string
}

// pipedEvery is how often a piped sweep prints its progress line while
// points train.
const pipedEvery = 10 * time.Second

func newSweepProgress(w io.Writer, terminal bool) *sweepProgress {
	return &sweepProgress{w: w, terminal: terminal, now: time.Now, running: map[int]float64{}}
}

// event updates the progress from a sweep event; around prints what the
// caller prints for it (a point's line), with the progress line cleared
// first on a terminal and drawn again after.
func (p *sweepProgress) event(e sweep.Event, around func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	if around != nil {
		around()
	}
	show := p.terminal
	switch e.Kind {
	case sweep.Started:
		p.id, p.total, p.done, p.atStart = e.Plan.ID, e.Total, e.Done, e.Done
		p.start = p.now()
		show = false
	case sweep.PointStarted:
		p.running[e.Point.Index] = 0
		show = show || p.last.IsZero() || p.now().Sub(p.last) >= pipedEvery
	case sweep.Progress:
		if e.Run.Kind == runner.EventEpoch && e.Run.Epochs > 0 {
			p.running[e.Point.Index] = float64(e.Run.Epoch) / float64(e.Run.Epochs)
		}
		show = show || p.now().Sub(p.last) >= pipedEvery
	case sweep.PointDone:
		delete(p.running, e.Point.Index)
		p.done = e.Done
		switch {
		case e.Point.Cached:
			p.cached++
		case e.Point.Failed():
			p.failed++
			p.trained++
		default:
			p.trained++
		}
		show = show && p.done < p.total
	default:
		show = false
	}
	if show && p.id != "" {
		p.draw()
	}
}

// line is the progress line.
func (p *sweepProgress) line() string {
	s := fmt.Sprintf("sweep %s: %d/%d done, %d running", p.id, p.done, p.total, len(p.running))
	if p.failed > 0 {
		s += fmt.Sprintf(", %d failed", p.failed)
	}
	if eta, ok := p.eta(); ok {
		s += ", ETA " + eta.Round(time.Second).String()
	}
	return s
}

// eta is the time left at the rate this process has trained so far: the
// points trained to an end and the fractions of those in training are
// the work done; cached points cost nothing.
func (p *sweepProgress) eta() (time.Duration, bool) {
	work := float64(p.trained)
	for _, f := range p.running {
		work += f
	}
	elapsed := p.now().Sub(p.start)
	if work <= 0 || elapsed <= 0 {
		return 0, false
	}
	left := float64(p.total-p.atStart-p.cached) - work
	if left < 0 {
		left = 0
	}
	return time.Duration(left / work * float64(elapsed)), true
}

func (p *sweepProgress) draw() {
	p.last = p.now()
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[K%s", p.line())
		p.drawn = true
		return
	}
	if l := p.line(); l != p.lastLine {
		fmt.Fprintln(p.w, l)
		p.lastLine = l
	}
}

// clear removes a drawn line on a terminal.
func (p *sweepProgress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// close clears the line at the end of the sweep.
func (p *sweepProgress) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}
