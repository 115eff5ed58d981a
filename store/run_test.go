package store

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestRunLifecycle(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	in := &Run{
		Key:        testKey("3f9a", 1),
		Experiment: "credit",
		SpecHash:   "spec-hash",
		Spec:       json.RawMessage(`{"train":{"epochs":3}}`),
		DataHashes: map[string]string{"data/credit.csv": "ab12"},
		Backend:    "engine",
		Device:     "cpu",
		Epochs:     3,
		Provenance: json.RawMessage(`{"commit":"deadbeef"}`),
		Dirty:      true,
		SweepID:    "sweep-1",
	}
	if err := s.CreateRun(ctx, in); err != nil {
		t.Fatal(err)
	}
	if in.ID == 0 || in.CreatedAt.IsZero() || in.Status != StatusQueued {
		t.Fatalf("CreateRun left ID %d, CreatedAt %v, Status %q", in.ID, in.CreatedAt, in.Status)
	}
	if err := s.StartRun(ctx, in.ID, 4242, "box"); err != nil {
		t.Fatal(err)
	}
	// Loss is minimised, accuracy maximised; both are best at epoch 1 and
	// last at epoch 2, so a wrong direction shows.
	pts := []Point{
		{Split: SplitTrain, Name: "loss", Epoch: 0, Value: 0.9},
		{Split: SplitValidation, Name: "loss", Epoch: 0, Value: 0.8},
		{Split: SplitValidation, Name: "accuracy", Epoch: 0, Value: 0.60},
		{Split: SplitValidation, Name: "loss", Epoch: 1, Value: 0.5},
		{Split: SplitValidation, Name: "accuracy", Epoch: 1, Value: 0.80},
	}
	if err := s.AddPoints(ctx, in.ID, pts); err != nil {
		t.Fatal(err)
	}
	if cancel, err := s.Heartbeat(ctx, in.ID, 2); err != nil || cancel {
		t.Fatalf("Heartbeat = %v, %v; want false, nil", cancel, err)
	}
	// A second batch must fold into the stored summary, not replace it.
	if err := s.AddPoints(ctx, in.ID, []Point{
		{Split: SplitValidation, Name: "loss", Epoch: 2, Value: 0.6},
		{Split: SplitValidation, Name: "accuracy", Epoch: 2, Value: 0.75},
		{Split: SplitTest, Name: "accuracy", Epoch: 2, Value: 0.77},
	}); err != nil {
		t.Fatal(err)
	}
	timing := json.RawMessage(`{"train_s":1.5}`)
	if err := s.FinishRun(ctx, in.ID, StatusSucceeded, "", "w-sha", timing); err != nil {
		t.Fatal(err)
	}

	got, err := s.Run(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"key", got.Key, in.Key},
		{"experiment", got.Experiment, "credit"},
		{"spec hash", got.SpecHash, "spec-hash"},
		{"spec", string(got.Spec), string(in.Spec)},
		{"data hashes", got.DataHashes, in.DataHashes},
		{"backend", got.Backend, "engine"},
		{"device", got.Device, "cpu"},
		{"status", got.Status, StatusSucceeded},
		{"epoch", got.Epoch, 2},
		{"epochs", got.Epochs, 3},
		{"provenance", string(got.Provenance), string(in.Provenance)},
		{"dirty", got.Dirty, true},
		{"sweep", got.SweepID, "sweep-1"},
		{"weights", got.WeightsSHA256, "w-sha"},
		{"timing", string(got.Timing), string(timing)},
		{"pid", got.PID, 4242},
		{"host", got.Host, "box"},
		{"created", got.CreatedAt, in.CreatedAt},
		{"started after created", got.StartedAt.After(got.CreatedAt), true},
		{"finished after started", got.FinishedAt.After(got.StartedAt), true},
		{"times in UTC", got.FinishedAt.Location(), time.UTC},
		{"val loss", got.Summary[SplitValidation]["loss"], MetricSummary{Last: 0.6, Best: 0.5, BestEpoch: 1, LastEpoch: 2, Count: 3}},
		{"val accuracy", got.Summary[SplitValidation]["accuracy"], MetricSummary{Last: 0.75, Best: 0.80, BestEpoch: 1, LastEpoch: 2, Count: 3}},
		{"train loss", got.Summary[SplitTrain]["loss"], MetricSummary{Last: 0.9, Best: 0.9, BestEpoch: 0, LastEpoch: 0, Count: 1}},
		{"test accuracy", got.Summary[SplitTest]["accuracy"], MetricSummary{Last: 0.77, Best: 0.77, BestEpoch: 2, LastEpoch: 2, Count: 1}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}

	t.Run("latest succeeded", func(t *testing.T) {
		r, err := s.LatestSucceeded(ctx, in.Key)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != in.ID || r.Summary[SplitTest]["accuracy"].Last != 0.77 {
			t.Errorf("LatestSucceeded = run %d with summary %v", r.ID, r.Summary)
		}
		if _, err := s.LatestSucceeded(ctx, testKey("0000", 9)); !errors.Is(err, ErrNotFound) {
			t.Errorf("LatestSucceeded of an unknown key = %v, want ErrNotFound", err)
		}
	})
	t.Run("finish twice", func(t *testing.T) {
		err := s.FinishRun(ctx, in.ID, StatusFailed, "again", "", nil)
		if !errors.Is(err, ErrStatus) {
			t.Errorf("second FinishRun = %v, want ErrStatus", err)
		}
	})
}

func TestLatestSucceededNewest(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	key := testKey("5555", 1)
	var ids []int64
	for _, st := range []Status{StatusSucceeded, StatusSucceeded, StatusFailed} {
		r := createTest(t, s, key, "credit")
		if err := s.FinishRun(ctx, r.ID, st, "", "", nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	r, err := s.LatestSucceeded(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != ids[1] {
		t.Errorf("LatestSucceeded = run %d, want %d (the newer success, not the failure)", r.ID, ids[1])
	}
}

func TestCreateRunInvalid(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	tests := []struct {
		name string
		run  Run
	}{
		{"short key", Run{Key: "abcd", Experiment: "x"}},
		{"uppercase key", Run{Key: testKey("ABCD", 1), Experiment: "x"}},
		{"no experiment", Run{Key: testKey("abcd", 1)}},
		{"bad status", Run{Key: testKey("abcd", 1), Experiment: "x", Status: "done"}},
		{"bad spec JSON", Run{Key: testKey("abcd", 1), Experiment: "x", Spec: json.RawMessage(`{`)}},
		{"bad uid", Run{Key: testKey("abcd", 1), Experiment: "x", UID: "run-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.CreateRun(ctx, &tt.run); !errors.Is(err, ErrInvalid) {
				t.Errorf("CreateRun = %v, want ErrInvalid", err)
			}
		})
	}
}

// A run recorded first in another store (a cluster task's) keeps its uid
// here; another run gets a new one, and a uid is never recorded twice.
func TestCreateRunKeepsUID(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	task := createTest(t, s, testKey("abcd", 1), "x")
	other, _ := openTest(t)
	r := Run{Key: testKey("abcd", 2), Experiment: "x", UID: task.UID}
	if err := other.CreateRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	if got, err := other.RunByUID(ctx, task.UID); err != nil || got.ID != r.ID {
		t.Errorf("RunByUID(%s) = %+v, %v; want run %d", task.UID, got, err, r.ID)
	}
	fresh := Run{Key: testKey("abcd", 3), Experiment: "x"}
	if err := other.CreateRun(ctx, &fresh); err != nil || fresh.UID == "" || fresh.UID == task.UID {
		t.Errorf("a new run: uid %q, %v; want a new uid", fresh.UID, err)
	}
	again := Run{Key: testKey("abcd", 4), Experiment: "x", UID: task.UID}
	if err := other.CreateRun(ctx, &again); err == nil {
		t.Errorf("a second run with uid %s was recorded", task.UID)
	}
}

func TestStatusTransitions(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	newRun := func(t *testing.T, start bool) int64 {
		r := createTest(t, s, testKey("7777", 1), "credit")
		if start {
			if err := s.StartRun(ctx, r.ID, 1, "h"); err != nil {
				t.Fatal(err)
			}
		}
		return r.ID
	}
	t.Run("cancel a running run reaches its heartbeat", func(t *testing.T) {
		id := newRun(t, true)
		if err := s.RequestCancel(ctx, id); err != nil {
			t.Fatal(err)
		}
		cancel, err := s.Heartbeat(ctx, id, 1)
		if err != nil || !cancel {
			t.Fatalf("Heartbeat = %v, %v; want true, nil", cancel, err)
		}
		if err := s.FinishRun(ctx, id, StatusCanceled, "canceled", "", nil); err != nil {
			t.Fatal(err)
		}
		r, _ := s.Run(ctx, id)
		if r.Status != StatusCanceled || !r.CancelRequested {
			t.Errorf("status %q, cancel requested %v", r.Status, r.CancelRequested)
		}
	})
	t.Run("cancel a queued run cancels it", func(t *testing.T) {
		id := newRun(t, false)
		if err := s.RequestCancel(ctx, id); err != nil {
			t.Fatal(err)
		}
		r, _ := s.Run(ctx, id)
		if r.Status != StatusCanceled || r.FinishedAt.IsZero() {
			t.Errorf("status %q, finished %v; want canceled with a finish time", r.Status, r.FinishedAt)
		}
		if err := s.StartRun(ctx, id, 1, "h"); !errors.Is(err, ErrStatus) {
			t.Errorf("StartRun of a canceled run = %v, want ErrStatus", err)
		}
	})
	t.Run("cancel a finished run", func(t *testing.T) {
		id := newRun(t, true)
		if err := s.FinishRun(ctx, id, StatusSucceeded, "", "", nil); err != nil {
			t.Fatal(err)
		}
		if err := s.RequestCancel(ctx, id); !errors.Is(err, ErrStatus) {
			t.Errorf("RequestCancel = %v, want ErrStatus", err)
		}
		if _, err := s.Heartbeat(ctx, id, 3); !errors.Is(err, ErrStatus) {
			t.Errorf("Heartbeat = %v, want ErrStatus", err)
		}
	})
	t.Run("start twice", func(t *testing.T) {
		id := newRun(t, true)
		if err := s.StartRun(ctx, id, 1, "h"); !errors.Is(err, ErrStatus) {
			t.Errorf("StartRun = %v, want ErrStatus", err)
		}
	})
	t.Run("finish with a non-final status", func(t *testing.T) {
		id := newRun(t, true)
		if err := s.FinishRun(ctx, id, StatusRunning, "", "", nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("FinishRun = %v, want ErrInvalid", err)
		}
	})
	t.Run("unknown run", func(t *testing.T) {
		for name, err := range map[string]error{
			"start":     s.StartRun(ctx, 999, 1, "h"),
			"cancel":    s.RequestCancel(ctx, 999),
			"finish":    s.FinishRun(ctx, 999, StatusFailed, "", "", nil),
			"delete":    s.DeleteRun(ctx, 999),
			"addpoints": s.AddPoints(ctx, 999, []Point{{Split: "train", Name: "loss"}}),
		} {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s = %v, want ErrNotFound", name, err)
			}
		}
		if _, err := s.Heartbeat(ctx, 999, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("heartbeat = %v, want ErrNotFound", err)
		}
		if _, err := s.Run(ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Errorf("run = %v, want ErrNotFound", err)
		}
	})
}

func TestMarkLost(t *testing.T) {
	ctx := context.Background()
	s, clk := openTest(t)
	stale := createTest(t, s, testKey("1111", 1), "credit")
	fresh := createTest(t, s, testKey("1111", 2), "credit")
	queued := createTest(t, s, testKey("1111", 3), "credit")
	for _, r := range []*Run{stale, fresh} {
		if err := s.StartRun(ctx, r.ID, 1, "h"); err != nil {
			t.Fatal(err)
		}
	}
	clk.advance(time.Minute)
	if _, err := s.Heartbeat(ctx, fresh.ID, 1); err != nil {
		t.Fatal(err)
	}
	clk.advance(30 * time.Second)

	n, err := s.MarkLost(ctx, 45*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("MarkLost = %d, want 1", n)
	}
	want := map[int64]Status{stale.ID: StatusLost, fresh.ID: StatusRunning, queued.ID: StatusQueued}
	for id, st := range want {
		r, err := s.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != st {
			t.Errorf("run %d: status %q, want %q", id, r.Status, st)
		}
	}
	lost, _ := s.Run(ctx, stale.ID)
	if !lost.FinishedAt.Equal(lost.HeartbeatAt) {
		t.Errorf("lost run finished %v, want its last heartbeat %v", lost.FinishedAt, lost.HeartbeatAt)
	}
	if n, _ := s.MarkLost(ctx, 45*time.Second); n != 0 {
		t.Errorf("second MarkLost = %d, want 0", n)
	}

	t.Run("a lost run that heartbeats is running again", func(t *testing.T) {
		if _, err := s.Heartbeat(ctx, stale.ID, 5); err != nil {
			t.Fatal(err)
		}
		r, _ := s.Run(ctx, stale.ID)
		if r.Status != StatusRunning || !r.FinishedAt.IsZero() || r.Epoch != 5 {
			t.Errorf("status %q, finished %v, epoch %d", r.Status, r.FinishedAt, r.Epoch)
		}
	})
}

func TestDeleteRun(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	key := testKey("9999", 1)
	running := createTest(t, s, key, "credit")
	done := createTest(t, s, key, "credit")
	for _, r := range []*Run{running, done} {
		if err := s.StartRun(ctx, r.ID, 1, "h"); err != nil {
			t.Fatal(err)
		}
		if err := s.AddPoints(ctx, r.ID, []Point{{Split: SplitTrain, Name: "loss", Value: 1}}); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(s.ArtifactDir(r), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(s.ArtifactDir(r), "weights.bin"), []byte("w"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.FinishRun(ctx, done.ID, StatusSucceeded, "", "", nil); err != nil {
		t.Fatal(err)
	}
	rerun := &Run{Key: key, Experiment: "credit", RerunOf: done.ID}
	if err := s.CreateRun(ctx, rerun); err != nil {
		t.Fatal(err)
	}

	t.Run("refuses a running run", func(t *testing.T) {
		if err := s.DeleteRun(ctx, running.ID); !errors.Is(err, ErrStatus) {
			t.Fatalf("DeleteRun = %v, want ErrStatus", err)
		}
		if _, err := s.Run(ctx, running.ID); err != nil {
			t.Errorf("refused run is gone: %v", err)
		}
		if _, err := os.Stat(s.ArtifactDir(running)); err != nil {
			t.Errorf("refused run's artifacts are gone: %v", err)
		}
	})
	t.Run("deletes a finished run and all it owns", func(t *testing.T) {
		if err := s.DeleteRun(ctx, done.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Run(ctx, done.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Run after delete = %v, want ErrNotFound", err)
		}
		for _, table := range []string{"points", "summaries"} {
			var n int
			if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE run_id = ?`, done.ID).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s rows left: %d, %v", table, n, err)
			}
		}
		if _, err := os.Stat(s.ArtifactDir(done)); !os.IsNotExist(err) {
			t.Errorf("artifact dir: %v, want it gone", err)
		}
		if _, err := os.Stat(filepath.Dir(s.ArtifactDir(done))); err != nil {
			t.Errorf("key dir removed while another run of the key still has artifacts: %v", err)
		}
		r, err := s.Run(ctx, rerun.ID)
		if err != nil || r.RerunOf != 0 {
			t.Errorf("rerun: %v, RerunOf %d; want it kept with RerunOf cleared", err, r.RerunOf)
		}
	})
	t.Run("ids are never reused", func(t *testing.T) {
		if err := s.FinishRun(ctx, rerun.ID, StatusFailed, "", "", nil); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteRun(ctx, rerun.ID); err != nil {
			t.Fatal(err)
		}
		r := createTest(t, s, key, "credit")
		if r.ID <= rerun.ID {
			t.Errorf("new run got id %d, not above deleted %d", r.ID, rerun.ID)
		}
	})
}

func TestStatus(t *testing.T) {
	tests := []struct {
		in       string
		valid    bool
		finished bool
	}{
		{"queued", true, false},
		{"running", true, false},
		{"lost", true, false},
		{"succeeded", true, true},
		{"failed", true, true},
		{"canceled", true, true},
		{"diverged", true, true},
		{"pruned", true, true},
		{"done", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			st, err := ParseStatus(tt.in)
			if (err == nil) != tt.valid {
				t.Fatalf("ParseStatus(%q) error %v, want valid=%v", tt.in, err, tt.valid)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if st.Finished() != tt.finished {
				t.Errorf("Finished() = %v, want %v", st.Finished(), tt.finished)
			}
		})
	}
}

func TestShortKey(t *testing.T) {
	for _, tt := range []struct{ key, want string }{
		{"", ""},
		{"3fb53a08", "3fb53a08"},
		{"3fb53a086e1c", "3fb53a086e1c"},
		{"3fb53a086e1cb2c915641acb4d56ad7f", "3fb53a086e1c"},
	} {
		if got := ShortKey(tt.key); got != tt.want {
			t.Errorf("ShortKey(%q) = %q, want %q", tt.key, got, tt.want)
		}
		if got := (&Run{Key: tt.key}).Short(); got != tt.want {
			t.Errorf("Run.Short() of %q = %q, want %q", tt.key, got, tt.want)
		}
	}
}
