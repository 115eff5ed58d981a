package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/xp-ml/xp/internal/termtext"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// progress prints training progress on stderr: on a terminal, a line that
// redraws in place within an epoch and a kept line per epoch; piped, plain
// lines per epoch only, so logs stay readable.
type progress struct {
	w        io.Writer
	terminal bool
	mu       sync.Mutex
	lastDraw time.Time
	drawn    bool
}

func newProgress(w io.Writer, terminal bool) *progress {
	return &progress{w: w, terminal: terminal}
}

func (p *progress) event(e runner.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// Names, hosts and errors come from users: every line is cleaned but
	// the redrawn progress bar, whose escape sequences are xp's own.
	w := termtext.NewWriter(p.w)
	defer w.Flush()
	switch e.Kind {
	case runner.EventRemoteFailed:
		fmt.Fprintf(w, "xp: warning: remote not asked: %v; training here\n", e.Err)
	case runner.EventWaiting:
		fmt.Fprintf(w, "waiting: run key %s of %s is in training (%s); this run starts when it ends (--no-wait exits instead)\n",
			store.ShortKey(e.Key), e.Experiment, runner.TrainedBy(e.Holder))
	case runner.EventTookOver:
		for _, r := range e.Lost {
			fmt.Fprintf(w, "taking over run key %s: run #%d (pid %d on host %s, epoch %d/%d) is gone\n",
				store.ShortKey(e.Key), r.ID, r.PID, r.Host, r.Epoch, r.Epochs)
		}
	case runner.EventStarted:
		if e.Fallback != "" {
			fmt.Fprintf(w, "device auto: %s; training on cpu\n", e.Fallback)
		}
		if e.FromEpoch > 0 {
			fmt.Fprintf(w, "training %s %s: resuming from epoch %d of %d (run #%d's checkpoint), %d rows an epoch\n",
				e.Experiment, store.ShortKey(e.Key), e.FromEpoch, e.Epochs, e.ResumedRun, e.TotalRows)
			return
		}
		fmt.Fprintf(w, "training %s %s: %d epochs of %d rows\n", e.Experiment, store.ShortKey(e.Key), e.Epochs, e.TotalRows)
	case runner.EventBatch:
		if !p.terminal || time.Since(p.lastDraw) < 100*time.Millisecond {
			return
		}
		p.lastDraw = time.Now()
		frac := float64(e.Rows) / float64(max(e.TotalRows, 1))
		fmt.Fprintf(p.w, "\r\033[Kepoch %d/%d %s %3.0f%%  ETA %s", e.Epoch, e.Epochs, bar(frac, 20), frac*100,
			eta(e.Elapsed, float64(e.Epoch-1-e.FromEpoch)+frac, float64(e.Epochs-e.Epoch)+1-frac))
		p.drawn = true
	case runner.EventEpoch:
		p.clear()
		fmt.Fprintf(w, "epoch %d/%d  loss %s", e.Epoch, e.Epochs, formatNum(e.TrainLoss))
		if len(e.Metrics) > 0 {
			fmt.Fprintf(w, "  val %s", formatMetrics(e.Metrics))
		}
		if e.Epoch < e.Epochs {
			fmt.Fprintf(w, "  ETA %s", eta(e.Elapsed, float64(e.Epoch-e.FromEpoch), float64(e.Epochs-e.Epoch)))
		}
		fmt.Fprintln(w)
	case runner.EventEarlyStop:
		p.clear()
		k := e.Kept
		fmt.Fprintf(w, "early stopping at epoch %d: best %s at epoch %d (%s), keeping its weights\n",
			e.Epoch, k.Metric, k.Epoch, formatNum(k.Value))
	}
}

// clear erases the line drawn in place, if any.
func (p *progress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

func bar(frac float64, width int) string {
	n := int(frac * float64(width))
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

// eta is the time the epochs left take at the rate of those done:
// elapsed is the time this process took for done epochs (fractions
// count), the epochs it trained, not those a resumed run had done before.
func eta(elapsed time.Duration, done, left float64) string {
	if done <= 0 {
		return "?"
	}
	d := time.Duration(float64(elapsed) * left / done)
	return formatDuration(d)
}

// formatMetrics prints metrics sorted by name, loss first.
func formatMetrics(m map[string]float64) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == "loss") != (names[j] == "loss") {
			return names[i] == "loss"
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + " " + formatNum(m[n])
	}
	return strings.Join(parts, "  ")
}

func humanRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}
