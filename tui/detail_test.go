package tui

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xp-ml/xp/store"
)

// yLabels are the numbers labelling the y axes on a screen.
var yLabel = regexp.MustCompile(`(-?[\d.]+)┤`)

// An accuracy that nears 1 is charted on an axis that stops at 1, with
// round labels: not 1.02, not 0.8014.
func TestDetailAxisClamped(t *testing.T) {
	st := testStore(t)
	r := addRun(t, st, fixture{name: "good", experiment: "iris", status: store.StatusSucceeded, epochs: 20, done: 20,
		startedAgo: time.Hour, took: time.Minute})
	// Accuracy climbing to 0.9975, as the iris run did.
	var pts []store.Point
	for e := 1; e <= 20; e++ {
		pts = append(pts, store.Point{Split: store.SplitValidation, Name: "accuracy", Epoch: e, Value: 1 - 0.05/float64(e*e)})
	}
	if err := st.AddPoints(context.Background(), r.ID, pts); err != nil {
		t.Fatal(err)
	}
	for _, sz := range sizes {
		m := newTestModel(t, st, sz.w, sz.h)
		openRun(m, r.ID)
		labels := 0
		for _, l := range yLabel.FindAllStringSubmatch(screen(m), -1) {
			v, err := strconv.ParseFloat(l[1], 64)
			if err != nil {
				t.Fatal(err)
			}
			labels++
			if v > 1 {
				t.Errorf("%s: axis label %s above accuracy's 1", sz.name, l[1])
			}
			if len(strings.TrimRight(strings.TrimRight(l[1], "0"), ".")) > 5 {
				t.Errorf("%s: axis label %s is not round", sz.name, l[1])
			}
		}
		if labels < 4 {
			t.Errorf("%s: %d axis labels", sz.name, labels)
		}
	}
}

func TestFormatLogLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2026-03-14T09:25:26Z epoch 11/20 loss 0.371312 validation map[accuracy:0.8021 auc:0.912345678]",
			"09:25:26 epoch 11/20  loss 0.3713  val accuracy 0.8021  auc 0.9123"},
		{"2026-03-14T09:25:26Z epoch 3/20 loss 0.5 validation map[]", "09:25:26 epoch 3/20  loss 0.5"},
		{"2026-03-14T09:25:26Z status canceled canceled", "09:25:26 status canceled"},
		{"2026-03-14T09:25:26Z status succeeded ", "09:25:26 status succeeded"},
		{"2026-03-14T09:25:26Z status failed read data: no such file", "09:25:26 status failed: read data: no such file"},
		{"2026-03-14T09:25:26Z test map[accuracy:0.775 loss:0.4251234]", "09:25:26 test loss 0.4251  accuracy 0.775"},
		{"2026-03-14T09:25:26Z restored the weights of epoch 7 (validation.loss 0.38412345678)",
			"09:25:26 restored the weights of epoch 7 (validation.loss 0.3841)"},
		{"2026-03-14T09:25:26Z model: regression head, loss mse, metrics [rmse mae r2]",
			"09:25:26 model: regression head, loss mse, metrics [rmse mae r2]"},
		{"tiny lr 0.0000123456 stays", "tiny lr 1.235e-05 stays"},
		{"no stamp, version v0.1.0", "no stamp, version v0.1.0"},
	} {
		if got := formatLogLine(tc.in, time.UTC); got != tc.want {
			t.Errorf("formatLogLine(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// The log tab shows lines as `xp run` prints them: no map dumps, no
// repeated status.
func TestLogTabFormatted(t *testing.T) {
	st, runs := standardStore(t)
	for _, id := range []string{"e", "f", "i"} {
		m := newTestModel(t, st, 120, 40)
		openRun(m, runs[id].ID)
		press(m, "tab", "tab")
		s := screen(m)
		for _, bad := range []string{"map[", "canceled canceled", "0.8120805369127517", "0.38412345678"} {
			if strings.Contains(s, bad) {
				t.Errorf("run %s: the log tab shows %q:\n%s", id, bad, s)
			}
		}
	}
}

// The spec tab writes timing and provenance for reading (durations, rates,
// separators) and structures as indented fields, not JSON.
func TestSpecTabReadable(t *testing.T) {
	st, runs := standardStore(t)
	m := newTestModel(t, st, 120, 40)
	openRun(m, runs["a"].ID)
	press(m, "tab")
	all := strings.Join(m.specLines(m.runs[runs["a"].ID], 120), "\n")
	for _, want := range []string{"samples/s   2245425/s", "total       1m24s", "train rows  3111",
		"  files\n    - blob  4b825dc642cb6eb9a060e54bf8d69288fbee4904\n      path  experiments/credit.cue",
		"  metrics  accuracy, auc", "      - activation  relu\n        dense       64", "        lr  0.001"} {
		if !strings.Contains(all, want) {
			t.Errorf("spec tab lacks %q:\n%s", want, all)
		}
	}
	for _, bad := range []string{"2245424.766602129", "{", "\"", "_seconds"} {
		if strings.Contains(all, bad) {
			t.Errorf("spec tab shows %q:\n%s", bad, all)
		}
	}
}

// Two runs of one key are told apart in the compare page by their run
// numbers, in the legend and the charts' legends.
func TestCompareLegendRunNumbers(t *testing.T) {
	st, runs := standardStore(t)
	again := standardRuns()[0]
	again.startedAgo = time.Hour
	rerun := addRun(t, st, again)
	m := newTestModel(t, st, 120, 40)
	markRun(m, runs["a"].ID)
	markRun(m, rerun.ID)
	press(m, "c")
	s := screen(m)
	short := runs["a"].Short()
	for _, want := range []string{short + " #1 ", short + " #11 ", short[:6] + " #1 ", short[:6] + " #11 "} {
		if !strings.Contains(s, want) {
			t.Errorf("compare page lacks %q:\n%s", want, s)
		}
	}
}

// The System tab charts the run's points of split "system", read from the
// store as they arrive; a run without them says so.
func TestSystemTab(t *testing.T) {
	ctx := context.Background()
	st, runs := standardStore(t)
	m := newTestModel(t, st, 120, 40)
	openRun(m, runs["a"].ID)
	press(m, "shift+tab")
	if s := screen(m); !strings.Contains(s, "[System]") || !strings.Contains(s, "no system metrics recorded") {
		t.Fatalf("System tab of a run without system metrics:\n%s", s)
	}
	start := runs["a"].StartedAt
	var pts []store.Point
	for i := 0; i < 20; i++ {
		at := start.Add(time.Duration(i) * 5 * time.Second)
		pts = append(pts,
			store.Point{Split: splitSystem, Name: "cpu_percent", Epoch: 1, Value: 95 + float64(i%3), Time: at},
			store.Point{Split: splitSystem, Name: "gpu_util_percent", Epoch: 1, Value: 80 + float64(i), Time: at},
			store.Point{Split: splitSystem, Name: "gpu_mem_mb", Epoch: 1, Value: 2048, Time: at})
	}
	if err := st.AddPoints(ctx, runs["a"].ID, pts); err != nil {
		t.Fatal(err)
	}
	m.dv = -1 // the run finished long ago: read it again as a poll would after a change
	poll(m)
	s := screen(m)
	for _, want := range []string{"CPU %", "cpu_percent 96", "GPU util %", "gpu_util_percent 99", "GPU memory MB",
		"gpu_mem_mb 2048", "not recorded: RSS MB", "1m35s"} {
		if !strings.Contains(s, want) {
			t.Errorf("System tab lacks %q:\n%s", want, s)
		}
	}
	// GPU utilisation is a percentage: its axis, right of the CPU's,
	// stops at 100.
	for _, line := range strings.Split(s, "\n") {
		if r := []rune(line); len(r) > 60 {
			for _, l := range yLabel.FindAllStringSubmatch(string(r[60:]), -1) {
				if v, _ := strconv.ParseFloat(l[1], 64); v > 100 {
					t.Errorf("axis label %s above 100%%", l[1])
				}
			}
		}
	}
}

// A run pulled from a remote says who trained it.
func TestDetailPulledRun(t *testing.T) {
	ctx := context.Background()
	st := testStore(t)
	r := addRun(t, st, fixture{name: "local", experiment: "iris", status: store.StatusSucceeded, epochs: 5, done: 5,
		startedAgo: time.Hour, took: time.Minute})
	d, err := st.ExportRun(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Run.UID, err = store.NewUID(time.Now()); err != nil {
		t.Fatal(err)
	}
	d.Run.Provenance = []byte(`{"host":"node7","user":"alice"}`)
	id, _, err := st.ImportRun(ctx, d, "s3://team/xp", "")
	if err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, st, 120, 30)
	openRun(m, id)
	if !strings.Contains(screen(m), "trained by alice@node7 (pulled)") {
		t.Errorf("the pulled run's detail does not say who trained it:\n%s", screen(m))
	}
	m = newTestModel(t, st, 120, 30)
	openRun(m, r.ID)
	if strings.Contains(screen(m), "(pulled)") {
		t.Error("a local run is shown as pulled")
	}
}
