package tui

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/xp-ml/xp/metric"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/tui/chart"
)

// xAxis is what a chart's x axis measures.
type xAxis int

const (
	xEpoch xAxis = iota
	xStep
	xTime
	numXAxes
)

var xAxisNames = [numXAxes]string{"epoch", "step", "time"}

// smoothSteps are the weights of the exponential moving average that <
// and > step through; TensorBoard's default is 0.6.
var smoothSteps = []float64{0, 0.3, 0.6, 0.8, 0.9, 0.95, 0.99}

// plotOpts are the chart controls. They are one setting for every page,
// so that a comparison is drawn as the run detail was.
type plotOpts struct {
	smooth int // index into smoothSteps
	x      xAxis
	logY   bool
	// zoomLo and zoomHi are the epochs shown, both included; zero is the
	// start or the end.
	zoomLo, zoomHi int
	// faint draws a sweep's runs as faint curves rather than a band.
	faint bool
}

func (o plotOpts) zoomed() bool { return o.zoomLo > 0 || o.zoomHi > 0 }

// inZoom reports whether an epoch is shown.
func (o plotOpts) inZoom(epoch int) bool {
	return (o.zoomLo == 0 || epoch >= o.zoomLo) && (o.zoomHi == 0 || epoch <= o.zoomHi)
}

// String sums the settings up for a page's title line: "ema 0.6 · x step
// · log y · epochs 5–20"; empty when everything is at its default.
func (o plotOpts) String() string {
	var parts []string
	if w := smoothSteps[o.smooth]; w > 0 {
		parts = append(parts, "ema "+strconv.FormatFloat(w, 'g', -1, 64))
	}
	if o.x != xEpoch {
		parts = append(parts, "x "+xAxisNames[o.x])
	}
	if o.logY {
		parts = append(parts, "log y")
	}
	if o.zoomed() {
		lo, hi := "1", "end"
		if o.zoomLo > 0 {
			lo = strconv.Itoa(o.zoomLo)
		}
		if o.zoomHi > 0 {
			hi = strconv.Itoa(o.zoomHi)
		}
		parts = append(parts, "epochs "+lo+"–"+hi)
	}
	return strings.Join(parts, " · ")
}

// parseZoom reads an epoch range: "5-20", "5:20", "5 20", "5-" or "-20";
// empty is every epoch.
func parseZoom(s string) (lo, hi int, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(strings.NewReplacer("..", "-", ":", "-", "–", "-", " ", "-").Replace(s), "-")
	num := func(t string) (int, error) {
		t = strings.Trim(t, "-")
		if t == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("%q is not an epoch", t)
		}
		return n, nil
	}
	if lo, err = num(a); err != nil {
		return 0, 0, err
	}
	if !ok {
		return lo, lo, nil
	}
	if hi, err = num(b); err != nil {
		return 0, 0, err
	}
	if hi > 0 && lo > hi {
		return 0, 0, fmt.Errorf("epochs %d to %d: the first is after the last", lo, hi)
	}
	return lo, hi, nil
}

// metricLimit is the range a metric can take, when the metric says: the
// classification scores are fractions, r2 is at most 1, losses and
// errors are never negative, and so are the system metrics.
func metricLimit(name string) *chart.Range {
	switch {
	case name == "gpu_util_percent":
		return &chart.Range{Lo: 0, Hi: 100}
	case name == "r2":
		return &chart.Range{Lo: math.Inf(-1), Hi: 1}
	case metric.Lower(name), metric.Lower(name), isSystemMetric(name):
		return &chart.Range{Lo: 0, Hi: math.Inf(1)}
	case slices.Contains(metric.Names, name):
		return &chart.Range{Lo: 0, Hi: 1}
	}
	return nil
}

// plotter turns one run's points into chart series under the chart
// controls.
type plotter struct {
	opts  plotOpts
	theme *theme
	run   *store.Run
	// steps is the run's optimizer steps per epoch; 0 when unknown.
	steps int
	// x overrides the axis: the system pane is always in wall time.
	x xAxis
}

func (m *Model) plotter(d *runData) plotter {
	return plotter{opts: m.plot, theme: m.sh.theme, run: d.run, steps: stepsPerEpoch(d), x: m.plot.x}
}

// axis is the x axis the plotter draws: step falls back to epoch when the
// run's steps per epoch are not known.
func (p plotter) axis() xAxis {
	if p.x == xStep && p.steps == 0 {
		return xEpoch
	}
	return p.x
}

// points places a curve's points on the x axis, keeping the zoomed
// epochs. Epochs with several points spread them within the epoch.
func (p plotter) points(pts []store.Point) []chart.Point {
	maxStep := 0
	for _, pt := range pts {
		maxStep = max(maxStep, pt.Step)
	}
	start := p.run.StartedAt
	if start.IsZero() && len(pts) > 0 {
		start = pts[0].Time
	}
	out := make([]chart.Point, 0, len(pts))
	for _, pt := range pts {
		if !p.opts.inZoom(pt.Epoch) {
			continue
		}
		x := float64(pt.Epoch)
		if maxStep > 0 {
			x = float64(pt.Epoch-1) + float64(pt.Step+1)/float64(maxStep+1)
		}
		switch p.axis() {
		case xStep:
			x *= float64(p.steps)
		case xTime:
			x = pt.Time.Sub(start).Seconds()
		}
		out = append(out, chart.Point{X: x, Y: pt.Value})
	}
	return out
}

// series is one curve: its line, smoothed when smoothing is on, over its
// raw points drawn faint. colour picks its colour, and nth, its place in
// its chart, its line pattern (what tells it apart without colour).
func (p plotter) series(name string, pts []chart.Point, colour, nth int) []chart.Series {
	i := colour
	style := p.theme.series(i)
	line := chart.Series{Name: name, Points: pts, Style: style, Pattern: chart.PatternFor(nth)}
	w := smoothSteps[p.opts.smooth]
	if w == 0 || len(pts) < 2 {
		return []chart.Series{line}
	}
	line.Points = chart.EMA(pts, w)
	if v, ok := lastFinite(pts); ok {
		// The legend keeps the measured value, not the average.
		line.Value = chart.FormatValue(v)
	}
	raw := chart.Series{Name: name, Points: pts, Style: p.theme.faint(i), Faint: true, Dots: true}
	return []chart.Series{raw, line}
}

// lastFinite is the value of the last point that has one.
func lastFinite(pts []chart.Point) (float64, bool) {
	for j := len(pts) - 1; j >= 0; j-- {
		if !math.IsNaN(pts[j].Y) && !math.IsInf(pts[j].Y, 0) {
			return pts[j].Y, true
		}
	}
	return 0, false
}

// chart is a chart with the controls' axis settings; the caller adds the
// series, size and texts.
func (p plotter) chart(title string, limit *chart.Range) chart.Chart {
	t := p.theme
	c := chart.Chart{Title: title, XLabel: xAxisNames[p.axis()], Axis: t.dim, TitleStyle: t.title,
		YLimit: limit, LogY: p.opts.logY, LineKeys: t.mono}
	if p.axis() == xTime {
		c.XFormat = formatSeconds
	}
	if p.opts.zoomed() && p.axis() != xTime {
		lo, hi := math.Inf(-1), math.Inf(1)
		if p.opts.zoomLo > 0 {
			lo = float64(p.opts.zoomLo)
		}
		if p.opts.zoomHi > 0 {
			hi = float64(p.opts.zoomHi)
		}
		if p.axis() == xStep {
			lo, hi = (lo-1)*float64(p.steps), hi*float64(p.steps)
		}
		if !math.IsInf(lo, 0) && !math.IsInf(hi, 0) {
			c.XRange = &chart.Range{Lo: lo, Hi: hi}
		}
	}
	return c
}

// formatSeconds writes an x position in seconds as a duration: 0s, 45s,
// 1m20s.
func formatSeconds(s float64) string {
	if s <= 0 {
		return "0s"
	}
	if s < 10 {
		return strconv.FormatFloat(math.Round(s*10)/10, 'f', -1, 64) + "s"
	}
	return formatDuration(time.Duration(s) * time.Second)
}

// dataRows finds the training rows in the log's data line, for runs that
// have not recorded their timing yet.
var dataRows = regexp.MustCompile(`data: (\d+) train`)

// stepsPerEpoch is the run's optimizer steps per epoch, from its training
// rows (its timing, else its log) and its spec's batch size; 0 when
// either is unknown.
func stepsPerEpoch(d *runData) int {
	var spec struct {
		Train struct {
			BatchSize int `json:"batch_size"`
		} `json:"train"`
	}
	if json.Unmarshal(d.run.Spec, &spec) != nil || spec.Train.BatchSize <= 0 {
		return 0
	}
	var timing struct {
		TrainRows int `json:"train_rows"`
	}
	rows := 0
	if json.Unmarshal(d.run.Timing, &timing) == nil {
		rows = timing.TrainRows
	}
	for i := 0; rows == 0 && i < len(d.log.lines); i++ {
		if m := dataRows.FindStringSubmatch(d.log.lines[i]); m != nil {
			rows, _ = strconv.Atoi(m[1])
		}
	}
	if rows <= 0 {
		return 0
	}
	return (rows + spec.Train.BatchSize - 1) / spec.Train.BatchSize
}

// faint is the style of the i-th curve drawn faint: the same hue,
// dimmed; plain without colour.
func (t *theme) faint(i int) lipgloss.Style {
	return t.series(i).Faint(true)
}
