package tui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
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
			`"host":"box","spec_file":"experiments/credit.cue","xp_version":"v0.1.0"}`),
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
	if f.status == store.StatusSucceeded {
		at := start.Add(f.took)
		pts = append(pts,
			store.Point{Split: store.SplitTest, Name: "accuracy", Epoch: f.epochs, Value: 0.75 + f.quality/10, Time: at},
			store.Point{Split: store.SplitTest, Name: "auc", Epoch: f.epochs, Value: 0.8 + f.quality/10, Time: at},
			store.Point{Split: store.SplitTest, Name: "loss", Epoch: f.epochs, Value: 0.45 - f.quality/10, Time: at},
		)
	}
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

// standardRuns is the store most tests look at: two experiments, a sweep,
// every kind of status, and one name with escape sequences in it.
func standardRuns() []fixture {
	return []fixture{
		{name: "a", experiment: "credit", status: store.StatusSucceeded, epochs: 20, done: 20, startedAgo: 3 * time.Hour, took: 84 * time.Second, quality: 0.2},
		{name: "b", experiment: "credit", status: store.StatusSucceeded, epochs: 20, done: 20, startedAgo: 2 * time.Hour, took: 90 * time.Second, lr: 0.003, quality: 0.4, sweep: "sweep-lr"},
		{name: "c", experiment: "credit", status: store.StatusSucceeded, epochs: 20, done: 20, startedAgo: 119 * time.Minute, took: 88 * time.Second, lr: 0.01, quality: 0.1, sweep: "sweep-lr"},
		{name: "d", experiment: "churn", device: "cuda", status: store.StatusFailed, epochs: 30, done: 3, startedAgo: 50 * time.Minute, took: 7 * time.Second,
			errMsg: "read data/churn.csv: line 12: \x1b[31mbad\x1b[0m float \"x\"\x07"},
		{name: "e", experiment: "iris", status: store.StatusCanceled, epochs: 100, done: 41, startedAgo: 20 * time.Minute, took: 30 * time.Second},
		{name: "f", experiment: "credit", status: store.StatusRunning, epochs: 20, done: 12, startedAgo: 95 * time.Second, quality: 0.3,
			log: []string{
				"2026-03-14T09:25:18Z data: 3111 train, 445 validation, 890 test rows; 23 features",
				"2026-03-14T09:25:26Z epoch 11/20 loss 0.3713 validation map[accuracy:0.8021]",
				"2026-03-14T09:25:34Z epoch 12/20 loss 0.3690 validation map[accuracy:0.8066]",
				"2026-03-14T09:25:35Z \x1b]0;owned\x07warning: \x1b[2Jclean me\r",
			}},
		{name: "g", experiment: "re\x1b[2Jviews\x07", status: store.StatusQueued, epochs: 10},
	}
}

// newTestModel is a model on st at a fixed size and clock whose timers
// never fire: the test steps it with drive and poll.
func newTestModel(t testing.TB, st *store.Store, w, h int) *Model {
	t.Helper()
	m := New(context.Background(), st, Options{NoColor: true, Output: io.Discard})
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

// keyMsg turns "enter", "esc", " " or "j" into a key message.
func keyMsg(k string) tea.KeyMsg {
	special := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab,
		" ": tea.KeySpace, "down": tea.KeyDown, "up": tea.KeyUp, "backspace": tea.KeyBackspace,
		"ctrl+a": tea.KeyCtrlA, "ctrl+c": tea.KeyCtrlC, "pgdown": tea.KeyPgDown,
	}
	if t, ok := special[k]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

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
