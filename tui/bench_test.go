package tui

import (
	"bufio"
	"context"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/xp-ml/xp/store"
)

// The benchmarks run against the store of benchstore_test.go: 100,000 runs
// and 5,000,000 points, built on first use (set XP_TUI_BENCH_STORE to keep
// it between runs). They are benchmarks, not tests: go test -run '^$'
// -bench . ./tui/ -benchtime 20x. The targets are a first paint under
// 300 ms and a frame under 50 ms after any key.

// benchModel opens the store and returns a model that has painted its
// first frame, and how long that took from opening the store.
func benchModel(b *testing.B, w, h int) (*Model, time.Duration) {
	b.Helper()
	dir := benchStore(b)
	start := time.Now()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	m := New(context.Background(), st, Options{NoColor: true, Output: io.Discard})
	m.sh.tick = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(m.Init()())
	_ = m.View()
	return m, time.Since(start)
}

// loadAll reads the pages and the metric column the first frame started.
func loadAll(m *Model) {
	for !m.ix.complete {
		m.Update(m.sh.loadPage(m.ix.oldest)())
	}
	for _, p := range parts(m.view.metric) {
		if !m.ix.hasComplete(p) {
			m.Update(m.sh.loadSeries(p)())
		}
	}
}

// BenchmarkFirstPaint: open the store, read the newest runs, draw.
func BenchmarkFirstPaint(b *testing.B) {
	benchStore(b)
	var total time.Duration
	for b.Loop() {
		m, d := benchModel(b, 120, 40)
		total += d
		if len(m.view.rows) == 0 {
			b.Fatal("first frame shows no runs")
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/paint")
}

// BenchmarkLoadIndex: every run's row and the metric column, read in pages
// behind the first frame.
func BenchmarkLoadIndex(b *testing.B) {
	benchStore(b)
	var total time.Duration
	for b.Loop() {
		m, _ := benchModel(b, 120, 40)
		start := time.Now()
		loadAll(m)
		total += time.Since(start)
		if len(m.ix.rows) != benchRuns {
			b.Fatalf("%d rows, want %d", len(m.ix.rows), benchRuns)
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/load")
}

// BenchmarkKeys measures keypress to frame (Update and View) with every
// run loaded.
func BenchmarkKeys(b *testing.B) {
	m, _ := benchModel(b, 120, 40)
	loadAll(m)
	if !m.ix.hasComplete(store.SplitMetric{Split: store.SplitTest, Name: "accuracy"}) {
		b.Fatal("test.accuracy not loaded")
	}
	frame := func(keys ...string) {
		for _, k := range keys {
			m.Update(keyMsg(k))
			_ = m.View()
		}
	}
	for _, bc := range []struct {
		name  string
		setup []string
		keys  []string // one op; reported per key
		reset []string
	}{
		{"scroll-down", nil, []string{"j"}, nil},
		{"page-down", nil, []string{"pgdown"}, nil},
		{"jump-end-and-top", nil, []string{"G", "g"}, nil},
		{"filter-text-typed", []string{"/"}, strings.Split("churn", ""), []string{"esc", "/"}},
		{"filter-status-typed", []string{"/"}, strings.Split("status:failed", ""), []string{"esc", "/"}},
		{"filter-metric-typed", []string{"/"}, strings.Split("test.accuracy>0.8", ""), []string{"esc", "/"}},
		{"sort-next-column", []string{"esc"}, []string{"s"}, nil},
		{"open-detail-and-back", nil, []string{"enter", "esc"}, nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			frame(bc.setup...)
			var worst time.Duration
			for b.Loop() {
				for _, k := range bc.keys {
					start := time.Now()
					frame(k)
					if d := time.Since(start); d > worst {
						worst = d
					}
				}
				b.StopTimer()
				frame(bc.reset...)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*len(bc.keys)), "ms/key")
			b.ReportMetric(float64(worst.Microseconds())/1000, "ms-worst")
			frame("esc", "esc")
		})
	}
}

// BenchmarkPoll measures one poll: nothing changed, and five live runs
// changed (a heartbeat each).
func BenchmarkPoll(b *testing.B) {
	m, _ := benchModel(b, 120, 40)
	loadAll(m)
	ctx := context.Background()
	b.Run("unchanged", func(b *testing.B) {
		for b.Loop() {
			m.Update(m.plan().run(ctx, m.sh.st))
		}
	})
	b.Run("five-live-runs-changed", func(b *testing.B) {
		live := m.ix.liveIDs()
		epoch := 4
		for b.Loop() {
			b.StopTimer()
			epoch++
			for _, id := range live {
				if _, err := m.sh.st.Heartbeat(ctx, id, epoch%9+1); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			msg := m.plan().run(ctx, m.sh.st)
			if !msg.changed {
				b.Fatal("the poll saw no change")
			}
			m.Update(msg)
			_ = m.View()
		}
	})
}

// BenchmarkMemory reports the memory of a model holding every run.
func BenchmarkMemory(b *testing.B) {
	for b.Loop() {
		runtime.GC()
		before := heapInuse()
		m, _ := benchModel(b, 120, 40)
		loadAll(m)
		runtime.GC()
		b.ReportMetric(float64(heapInuse()-before)/(1<<20), "heap-MB")
		b.ReportMetric(float64(rss())/(1<<20), "rss-MB")
		runtime.KeepAlive(m)
	}
}

func heapInuse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// rss is the process's resident set size from /proc, 0 where there is none.
func rss() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
