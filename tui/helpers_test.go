package tui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/xp-ml/xp/store"
)

// clock is the tests' now: every time in a fixture is relative to it.
var clock = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// fixture describes one run to record.
type fixture struct {
	name       string // seeds the key
	experiment string
	device     string
	status     store.Status
	epochs     int
	done       int           // epochs with points
	startedAgo time.Duration // 0: not started (queued)
	took       time.Duration // for finished runs
	lr         float64       // varies the spec
	quality    float64       // shifts the curves: higher is better
	sweep      string
	errMsg     string
	log        []string
	regression bool // a regression head: loss, rmse, mae, r2
	system     bool // system metrics sampled every 5 seconds
}

// key is a fixture's run key: a hash, like real keys.
func (f fixture) key() string {
	h := sha256.Sum256([]byte("fixture " + f.name))
	return hex.EncodeToString(h[:])
}

func testStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// specJSON is a resolved spec like the runner records.
func specJSON(f fixture) json.RawMessage {
	spec := map[string]any{
		"data": map[string]any{"source": map[string]any{"file": "data/credit_data.csv"}, "target": "Status",
			"split": map[string]any{"test": 0.2, "validation": 0.1, "seed": 1}},
		"model": map[string]any{"layers": []any{map[string]any{"dense": 64, "activation": "relu"}}},
		"train": map[string]any{"epochs": f.epochs, "batch_size": 32, "seed": 1,
			"optimizer": map[string]any{"adam": map[string]any{"lr": f.lr}}},
		"metrics": []string{"accuracy", "auc"},
		"device":  f.device,
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		panic(err)
	}
	return raw
}

// addRun records a run as the runner would have: created, started, its
// points per epoch, and finished unless live; its log in its directory.
func addRun(t testing.TB, st *store.Store, f fixture) *store.Run {
	t.Helper()
	ctx := context.Background()
	if f.device == "" {
		f.device = "cpu"
	}
	if f.lr == 0 {
		f.lr = 0.001
	}
	r := &store.Run{
		Key: f.key(), Experiment: f.experiment, SpecHash: strings.Repeat("ab", 32), Spec: specJSON(f),
		DataHashes: map[string]string{"source": strings.Repeat("cd", 32)}, Backend: "engine", Device: f.device,
		Status: f.status, Epochs: f.epochs, Epoch: f.done, SweepID: f.sweep, Error: f.errMsg, Host: "box",
		Provenance: json.RawMessage(`{"commit":"3f9a2c41d0e7aa55bb66cc77dd88ee99ff001122","branch":"main","dirty":false,` +
			`"host":"box","spec_file":"experiments/credit.cue","xp_version":"v0.1.0",` +
			`"files":[{"path":"experiments/credit.cue","blob":"4b825dc642cb6eb9a060e54bf8d69288fbee4904"},` +
			`{"path":"experiments/schema.cue","blob":"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"}]}`),
	}
	if f.status == store.StatusSucceeded {
		// As the runner records it: full float64 precision.
		r.Timing = json.RawMessage(fmt.Sprintf(`{"prepare_seconds":0.412345,"train_seconds":%v,"total_seconds":%v,`+
			`"samples_per_sec":2245424.766602129,"epochs":%d,"train_rows":3111}`,
			f.took.Seconds()-0.61234, f.took.Seconds(), f.done))
	}
	var start time.Time
	if f.startedAgo > 0 {
		start = clock.Add(-f.startedAgo)
		r.StartedAt, r.HeartbeatAt = start, start
		if f.status.Finished() {
			r.FinishedAt = start.Add(f.took)
			r.HeartbeatAt = r.FinishedAt
		}
	}
	if err := st.CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	pts := fixturePoints(f, start)
	if err := st.AddPoints(ctx, r.ID, pts); err != nil {
		t.Fatal(err)
	}
	if len(f.log) > 0 {
		dir := st.ArtifactDir(r)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, logName), []byte(strings.Join(f.log, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// fixturePoints are a fixture's curves: per epoch, and the test split's
// values for a run that succeeded.
func fixturePoints(f fixture, start time.Time) []store.Point {
	if f.regression {
		return regressionPoints(f, start)
	}
	var pts []store.Point
	for e := 1; e <= f.done; e++ {
		x := float64(e)
		at := start.Add(time.Duration(e) * time.Second)
		q := f.quality
		pts = append(pts,
			store.Point{Split: store.SplitTrain, Name: "loss", Epoch: e, Value: 0.35 - q/10 + 0.4/x, Time: at},
			store.Point{Split: store.SplitValidation, Name: "loss", Epoch: e, Value: 0.42 - q/10 + 0.3/x, Time: at},
			store.Point{Split: store.SplitValidation, Name: "accuracy", Epoch: e, Value: 0.6 + q/10 + 0.2*x/(x+2), Time: at},
			store.Point{Split: store.SplitValidation, Name: "auc", Epoch: e, Value: 0.65 + q/10 + 0.2*x/(x+1), Time: at},
		)
	}
	if f.system {
		pts = append(pts, systemPoints(start, time.Duration(f.done)*time.Second*8)...)
	}
	if f.status == store.StatusSucceeded {
		at := start.Add(f.took)
		pts = append(pts,
			store.Point{Split: store.SplitTest, Name: "accuracy", Epoch: f.epochs, Value: 0.75 + f.quality/10, Time: at},
			store.Point{Split: store.SplitTest, Name: "auc", Epoch: f.epochs, Value: 0.8 + f.quality/10, Time: at},
			store.Point{Split: store.SplitTest, Name: "loss", Epoch: f.epochs, Value: 0.45 - f.quality/10, Time: at},
		)
	}
	return pts
}

// regressionPoints are a regression's curves, in the target's units
// (hundreds), as amount's are.
func regressionPoints(f fixture, start time.Time) []store.Point {
	var pts []store.Point
	for e := 1; e <= f.done; e++ {
		x := float64(e)
		at := start.Add(time.Duration(e) * time.Second)
		pts = append(pts,
			store.Point{Split: store.SplitTrain, Name: "loss", Epoch: e, Value: 0.22 + 0.5/x, Time: at},
			store.Point{Split: store.SplitValidation, Name: "loss", Epoch: e, Value: 0.32 + 0.4/x, Time: at},
			store.Point{Split: store.SplitValidation, Name: "rmse", Epoch: e, Value: 269 + 200/x, Time: at},
			store.Point{Split: store.SplitValidation, Name: "mae", Epoch: e, Value: 193 + 150/x, Time: at},
			store.Point{Split: store.SplitValidation, Name: "r2", Epoch: e, Value: 0.67 - 0.4/x, Time: at},
		)
	}
	if f.status == store.StatusSucceeded {
		at := start.Add(f.took)
		pts = append(pts,
			store.Point{Split: store.SplitTest, Name: "loss", Epoch: f.epochs, Value: 0.3873, Time: at},
			store.Point{Split: store.SplitTest, Name: "rmse", Epoch: f.epochs, Value: 293.4357, Time: at},
			store.Point{Split: store.SplitTest, Name: "mae", Epoch: f.epochs, Value: 208.656, Time: at},
			store.Point{Split: store.SplitTest, Name: "r2", Epoch: f.epochs, Value: 0.6355, Time: at},
		)
	}
	return pts
}

// systemPoints are system metrics sampled every 5 seconds over d, as the
// runner records them: split "system", x in the points' times.
func systemPoints(start time.Time, d time.Duration) []store.Point {
	var pts []store.Point
	for i := 0; time.Duration(i)*5*time.Second <= d; i++ {
		x := float64(i)
		at := start.Add(time.Duration(i) * 5 * time.Second)
		pts = append(pts,
			store.Point{Split: splitSystem, Name: "cpu_percent", Epoch: 1 + i/2, Step: i, Value: 180 + 20*math.Sin(x/2), Time: at},
			store.Point{Split: splitSystem, Name: "rss_mb", Epoch: 1 + i/2, Step: i, Value: 310 + 4*x, Time: at},
		)
	}
	return pts
}

// standardRuns is the store most tests look at: two experiments, a sweep,
// every kind of status, and one name with escape sequences in it.
func standardRuns() []fixture {
	return []fixture{
		{name: "a", experiment: "credit", status: store.StatusSucceeded, epochs: 20, done: 20, startedAgo: 3 * time.Hour, took: 84 * time.Second, quality: 0.2},
		{name: "b", experiment: "credit", status: store.StatusSucceeded, epochs: 20, done: 20, startedAgo: 2 * time.Hour, took: 90 * time.Second, lr: 0.003, quality: 0.4, sweep: "sweep-lr"},
		{name: "c", experiment: "credit", status: store.StatusSucceeded, epochs: 20, done: 20, startedAgo: 119 * time.Minute, took: 88 * time.Second, lr: 0.01, quality: 0.1, sweep: "sweep-lr"},
		{name: "d", experiment: "churn", device: "cuda", status: store.StatusFailed, epochs: 30, done: 3, startedAgo: 50 * time.Minute, took: 7 * time.Second,
			errMsg: "read data/churn.csv: line 12: \x1b[31mbad\x1b[0m float \"x\"\x07"},
		{name: "e", experiment: "iris", status: store.StatusCanceled, epochs: 100, done: 41, startedAgo: 20 * time.Minute, took: 30 * time.Second,
			log: []string{
				"2026-03-14T09:07:22Z epoch 41/100 loss 0.120417 validation map[accuracy:0.9333333333333333]",
				"2026-03-14T09:07:23Z status canceled canceled",
			}},
		{name: "f", experiment: "credit", status: store.StatusRunning, epochs: 20, done: 12, startedAgo: 95 * time.Second, quality: 0.3, system: true,
			log: []string{
				"2026-03-14T09:25:18Z data: 3111 train, 445 validation, 890 test rows; 23 features",
				"2026-03-14T09:25:26Z epoch 11/20 loss 0.3713 validation map[accuracy:0.8021]",
				"2026-03-14T09:25:34Z epoch 12/20 loss 0.3690 validation map[accuracy:0.8066]",
				"2026-03-14T09:25:35Z \x1b]0;owned\x07warning: \x1b[2Jclean me\r",
			}},
		{name: "g", experiment: "re\x1b[2Jviews\x07", status: store.StatusQueued, epochs: 10},
		{name: "h", experiment: "amount", status: store.StatusSucceeded, epochs: 40, done: 40, startedAgo: 4 * time.Hour, took: 61 * time.Second, regression: true},
		{name: "i", experiment: "credit", status: store.StatusSucceeded, epochs: 30, done: 15, startedAgo: 5 * time.Hour, took: 41 * time.Second, quality: 0.25,
			log: []string{
				"2026-03-14T04:27:33Z epoch 15/30 loss 0.391237 validation map[accuracy:0.8120805369127517 auc:0.8794213]",
				"2026-03-14T04:27:33Z early stopping at epoch 15: validation.loss best 0.38412345678 at epoch 10, no improvement for 5 epochs",
				"2026-03-14T04:27:34Z test map[accuracy:0.775 auc:0.825 loss:0.425]",
				"2026-03-14T04:27:34Z status succeeded ",
			}},
		{name: "j", experiment: "iris", status: store.StatusLost, epochs: 50, done: 4, startedAgo: 6 * time.Hour},
	}
}

// newTestModel is a model on st at a fixed size and clock whose timers
// never fire: the test steps it with drive and poll.
func newTestModel(t testing.TB, st *store.Store, w, h int) *Model {
	t.Helper()
	return newTestModelIn(t, st, "", w, h)
}

// newTestModelIn is newTestModel for the project at root (Options.Root).
func newTestModelIn(t testing.TB, st *store.Store, root string, w, h int) *Model {
	t.Helper()
	m := New(context.Background(), st, Options{NoColor: true, Output: io.Discard, Root: root})
	m.sh.now = func() time.Time { return clock }
	m.sh.tick = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	drive(m, m.Init())
	return m
}

// drive runs cmd and feeds what it returns to m, until nothing is left.
func drive(m *Model, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			drive(m, c)
		}
	case tea.QuitMsg:
	default:
		_, next := m.Update(msg)
		drive(m, next)
	}
}

// poll makes m read what changed in the store, as its timer would.
func poll(m *Model) {
	drive(m, func() tea.Msg { return m.plan().run(m.sh.ctx, m.sh.st) })
}

// keyMsg turns "enter", "esc", " " or "j" into a key message.
func keyMsg(k string) tea.KeyMsg { return keyFor(k) }

// press sends keys to m, running what they start.
func press(m *Model, keys ...string) {
	for _, k := range keys {
		_, cmd := m.Update(keyMsg(k))
		drive(m, cmd)
	}
}

// typeText sends each rune of s as a key.
func typeText(m *Model, s string) {
	for _, r := range s {
		press(m, string(r))
	}
}

// screen is m's view without escape sequences.
func screen(m *Model) string {
	return ansi.Strip(m.View())
}

// sweepRuns are the six points of a learning-rate sweep, one of them still
// running, and a run outside it.
func sweepRuns() []fixture {
	var fs []fixture
	for i, lr := range []float64{0.0003, 0.001, 0.003, 0.01, 0.03, 0.1} {
		f := fixture{name: fmt.Sprintf("sweep-%d", i), experiment: "credit", status: store.StatusSucceeded, epochs: 20, done: 20,
			startedAgo: time.Duration(60-i*5) * time.Minute, took: 80 * time.Second, lr: lr,
			quality: []float64{0.05, 0.2, 0.35, 0.3, 0.1, -0.2}[i], sweep: "credit-9e3dab18b8cf"}
		if i == 5 {
			f.status, f.done, f.took = store.StatusRunning, 9, 0
		}
		fs = append(fs, f)
	}
	return append(fs, fixture{name: "lone", experiment: "iris", status: store.StatusSucceeded, epochs: 10, done: 10,
		startedAgo: 2 * time.Hour, took: 12 * time.Second})
}

// enqueueSweep records sweep id's queue as `xp run` does for a sweep:
// each point's params (the learning rate its run's spec holds), claimed,
// and done by its run unless the run is still live (cached when the run
// belongs to no sweep or another). That gives the sweep
// its objective and its points.
func enqueueSweep(t testing.TB, st *store.Store, id, metric, mode string, runs []*store.Run) {
	t.Helper()
	enqueueSweepOf(t, st, "grid", id, metric, mode, runs)
}

// enqueueSweepOf is enqueueSweep for a sweep of method.
func enqueueSweepOf(t testing.TB, st *store.Store, method, id, metric, mode string, runs []*store.Run) {
	t.Helper()
	ctx := context.Background()
	points := make([]store.QueuedPoint, len(runs))
	for i, r := range runs {
		var sp struct {
			Train struct {
				Optimizer struct {
					Adam struct {
						LR json.RawMessage `json:"lr"`
					} `json:"adam"`
				} `json:"optimizer"`
			} `json:"train"`
		}
		if err := json.Unmarshal(r.Spec, &sp); err != nil {
			t.Fatal(err)
		}
		params := fmt.Sprintf(`[{"path":"train.optimizer.adam.lr","value":%s}]`, sp.Train.Optimizer.Adam.LR)
		points[i] = store.QueuedPoint{SweepID: id, Index: i, Key: r.Key, Params: json.RawMessage(params)}
	}
	sw := &store.Sweep{ID: id, Experiment: runs[0].Experiment, Method: method, Metric: metric, Mode: mode, Points: len(runs)}
	if _, err := st.Enqueue(ctx, sw, points, false); err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		p, err := st.ClaimPoint(ctx, id, "test", time.Hour, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Status.Finished() {
			continue
		}
		if err := st.FinishPoint(ctx, id, p.Index, "test", store.PointOutcome{Status: r.Status, RunID: r.ID, Cached: r.SweepID != id}); err != nil {
			t.Fatal(err)
		}
	}
}
