package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/tui/chart"
)

// splitSystem is the split of a run's system metrics: what its process
// used while it trained, sampled every few seconds.
const splitSystem = "system"

// systemMetrics are the system series the System tab charts, in its grid's
// order.
var systemMetrics = []struct{ name, title string }{
	{"cpu_percent", "CPU %"},
	{"rss_mb", "RSS MB"},
	{"gpu_util_percent", "GPU util %"},
	{"gpu_mem_mb", "GPU memory MB"},
}

func isSystemMetric(name string) bool {
	for _, s := range systemMetrics {
		if s.name == name {
			return true
		}
	}
	return false
}

// systemView is the System tab: a chart per system metric, against the
// time since the run started, two by two when the page is wide enough.
func (m *Model) systemView(d *runData, w, h int) string {
	t := m.sh.theme
	recorded := false
	for k := range d.curves {
		if k.Split == splitSystem {
			recorded = true
			break
		}
	}
	if !recorded {
		return t.dim.Render("  no system metrics recorded")
	}
	key := fmt.Sprint(d.version, w, h, t.mono, m.plot)
	return m.detail.sysCache.get(key, func() string { return m.systemCharts(d, w, h) })
}

// systemCharts draws a chart per system metric the run recorded, two
// columns of them at 60 cells and more, and names the ones it did not
// record (no GPU, say) on a line below.
func (m *Model) systemCharts(d *runData, w, h int) string {
	p := m.plotter(d)
	p.x = xTime
	lo, hi := zoomWindow(d, m.plot)
	var shown []int
	var missing []string
	for i, s := range systemMetrics {
		if len(d.curves[store.SplitMetric{Split: splitSystem, Name: s.name}]) > 0 {
			shown = append(shown, i)
		} else {
			missing = append(missing, s.title)
		}
	}
	if len(missing) > 0 {
		h--
	}
	draw := func(i, cw, ch int) string {
		s := systemMetrics[i]
		pts := d.curves[store.SplitMetric{Split: splitSystem, Name: s.name}]
		c := p.chart(s.title, metricLimit(s.name))
		c.Series = p.series(s.name, p.timePoints(pts, lo, hi), i, 0)
		c.Width, c.Height, c.Empty = cw, ch, "no samples in this zoom"
		return c.Render()
	}
	cols := 1
	if w >= 60 && len(shown) > 1 {
		cols = 2
	}
	rows := (len(shown) + cols - 1) / cols
	ch := min(16, h/max(1, rows))
	var out []string
	for r := 0; r < rows && ch >= chart.MinHeight; r++ {
		i := shown[r*cols]
		if cols == 1 || r*cols+1 >= len(shown) {
			out = append(out, draw(i, w, ch))
			continue
		}
		lw := (w - 1) / 2
		out = append(out, sideBySide(draw(i, lw, ch), draw(shown[r*cols+1], w-1-lw, ch), " "))
	}
	if len(missing) > 0 {
		out = append(out, m.sh.theme.dim.Render("not recorded: "+strings.Join(missing, ", ")))
	}
	return strings.Join(out, "\n")
}

// timePoints places points at their seconds since the run started,
// keeping those in [lo, hi]; a zero hi is no end.
func (p plotter) timePoints(pts []store.Point, lo, hi time.Time) []chart.Point {
	start := p.run.StartedAt
	if start.IsZero() && len(pts) > 0 {
		start = pts[0].Time
	}
	out := make([]chart.Point, 0, len(pts))
	for _, pt := range pts {
		if pt.Time.Before(lo) || (!hi.IsZero() && pt.Time.After(hi)) {
			continue
		}
		out = append(out, chart.Point{X: pt.Time.Sub(start).Seconds(), Y: pt.Value})
	}
	return out
}

// zoomWindow is the time the zoomed epochs took, from the train loss
// points that close each epoch: system samples carry times, not epochs.
// Zero times are open ends; without a zoom both are.
func zoomWindow(d *runData, o plotOpts) (lo, hi time.Time) {
	if !o.zoomed() {
		return lo, hi
	}
	for _, pt := range d.curves[store.SplitMetric{Split: store.SplitTrain, Name: "loss"}] {
		if o.zoomLo > 1 && pt.Epoch == o.zoomLo-1 {
			lo = pt.Time
		}
		if o.zoomHi > 0 && pt.Epoch == o.zoomHi {
			hi = pt.Time
		}
	}
	return lo, hi
}
