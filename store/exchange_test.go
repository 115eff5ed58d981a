package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// A run exported from one store and imported into another reads back the
// same, row, points (NaN and their order included), summaries and sources;
// importing it again adds nothing.
func TestExportImport(t *testing.T) {
	ctx := context.Background()
	a, _ := openTest(t)
	orig := createTest(t, a, testKey("e1", 1), "credit")
	if err := a.StartRun(ctx, orig.ID, 42, "node7"); err != nil {
		t.Fatal(err)
	}
	pts := []Point{
		{Split: "train", Name: "loss", Epoch: 1, Value: 0.5},
		{Split: "validation", Name: "accuracy", Epoch: 1, Value: math.NaN()},
		{Split: "train", Name: "loss", Epoch: 2, Value: 0.25},
		{Split: "train", Name: "loss", Epoch: 2, Value: 0.125}, // same epoch and step: the later is last
	}
	if err := a.AddPoints(ctx, orig.ID, pts); err != nil {
		t.Fatal(err)
	}
	if err := a.SaveSources(ctx, orig.ID, []Source{{Path: "experiments/credit.cue", Content: []byte("credit: {}\n")}}); err != nil {
		t.Fatal(err)
	}
	if err := a.FinishRun(ctx, orig.ID, StatusSucceeded, "", "abc", []byte(`{"total_seconds":1.5}`)); err != nil {
		t.Fatal(err)
	}
	rerun := &Run{Key: orig.Key, Experiment: "credit", RerunOf: orig.ID}
	if err := a.CreateRun(ctx, rerun); err != nil {
		t.Fatal(err)
	}
	resumed := &Run{Key: orig.Key, Experiment: "credit", Forced: true, ResumedFrom: orig.ID, ResumedEpoch: 2}
	if err := a.CreateRun(ctx, resumed); err != nil {
		t.Fatal(err)
	}

	d, err := a.ExportRun(ctx, orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !validUID(d.Run.UID) || len(d.Points) != 4 || len(d.Summaries) != 2 || len(d.Sources) != 1 {
		t.Fatalf("exported %+v", d)
	}
	b, _ := openTest(t)
	id, added, err := b.ImportRun(ctx, d, "file:///shared/xp", "f00d")
	if err != nil || !added {
		t.Fatalf("import: %d, %v, %v", id, added, err)
	}
	back, err := b.ExportRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if back.Run.Remote != "file:///shared/xp" || back.Run.Bundle != "f00d" || back.Run.PID != 0 || back.Run.Host != "node7" {
		t.Errorf("imported run's remote %q, bundle %q, pid %d, host %q", back.Run.Remote, back.Run.Bundle, back.Run.PID, back.Run.Host)
	}
	want := d.Run
	want.ID, want.PID, want.Remote, want.Bundle = id, 0, back.Run.Remote, back.Run.Bundle
	if !reflect.DeepEqual(back.Run.Summary, want.Summary) {
		t.Errorf("summary %v, want %v", back.Run.Summary, want.Summary)
	}
	back.Run.Summary, want.Summary = nil, nil
	if !sameRun(back.Run, want) {
		t.Errorf("imported run\n%+v\nwant\n%+v", back.Run, want)
	}
	if !samePoints(back.Points, d.Points) {
		t.Errorf("points %v, want %v", back.Points, d.Points)
	}
	if !reflect.DeepEqual(back.Sources, d.Sources) || len(back.Summaries) != len(d.Summaries) {
		t.Errorf("sources %v, summaries %v", back.Sources, back.Summaries)
	}
	for i := range d.Summaries {
		if !sameSummary(back.Summaries[i], d.Summaries[i]) {
			t.Errorf("summary %d: %+v, want %+v", i, back.Summaries[i], d.Summaries[i])
		}
	}

	t.Run("again: nothing added", func(t *testing.T) {
		id2, added, err := b.ImportRun(ctx, d, "s3://other/xp", "")
		if err != nil || added || id2 != id {
			t.Errorf("second import: %d, %v, %v; want %d, not added", id2, added, err, id)
		}
		n, _ := b.CountRuns(ctx, ListOptions{})
		if n != 1 {
			t.Errorf("%d runs after importing one twice", n)
		}
	})
	t.Run("a rerun links to its original by uid", func(t *testing.T) {
		rd, err := a.ExportRun(ctx, rerun.ID)
		if err != nil || rd.RerunOfUID != orig.UID {
			t.Fatalf("rerun exported with rerun_of uid %q, %v; want %s", rd.RerunOfUID, err, orig.UID)
		}
		rid, _, err := b.ImportRun(ctx, rd, "r", "")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := b.Run(ctx, rid)
		if got.RerunOf != id {
			t.Errorf("imported rerun's rerun_of %d, want %d", got.RerunOf, id)
		}
	})
	t.Run("a resumed run links to the run it continued by uid", func(t *testing.T) {
		rd, err := a.ExportRun(ctx, resumed.ID)
		if err != nil || rd.ResumedFromUID != orig.UID {
			t.Fatalf("resumed run exported with resumed_from uid %q, %v; want %s", rd.ResumedFromUID, err, orig.UID)
		}
		rid, _, err := b.ImportRun(ctx, rd, "r", "")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := b.Run(ctx, rid)
		if got.ResumedFrom != id || got.ResumedEpoch != 2 || !got.Forced {
			t.Errorf("imported run resumed from %d after epoch %d, forced %v; want %d, 2, true", got.ResumedFrom, got.ResumedEpoch, got.Forced, id)
		}
	})
	t.Run("by uid, and the remotes holding runs", func(t *testing.T) {
		got, err := b.RunByUID(ctx, orig.UID)
		if err != nil || got.ID != id {
			t.Fatalf("RunByUID: %+v, %v", got, err)
		}
		if _, err := b.RunByUID(ctx, "01ARZ3NDEKTSV4RRFFQ69G5FAV"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown uid: %v", err)
		}
		on, err := b.OnRemote(ctx, "file:///shared/xp")
		if err != nil || !on[id] || len(on) != 1 {
			t.Errorf("OnRemote = %v, %v; want the imported run", on, err)
		}
		if err := a.MarkOnRemote(ctx, orig.ID, "s3://b/p"); err != nil {
			t.Fatal(err)
		}
		if on, _ := a.OnRemote(ctx, "s3://b/p"); !on[orig.ID] {
			t.Error("MarkOnRemote not recorded")
		}
	})
	t.Run("a bundle is set once", func(t *testing.T) {
		have, err := a.SetBundle(ctx, orig.ID, "first")
		if err != nil || have != "first" {
			t.Fatalf("SetBundle = %q, %v", have, err)
		}
		if have, _ := a.SetBundle(ctx, orig.ID, "second"); have != "first" {
			t.Errorf("second SetBundle kept %q, want first", have)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		bad := *d
		bad.Run.UID = "not-a-ulid"
		if _, _, err := b.ImportRun(ctx, &bad, "r", ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("import of a bad uid: %v", err)
		}
	})
}

func sameRun(a, b Run) bool {
	a.Summary, b.Summary = nil, nil
	return reflect.DeepEqual(a, b)
}

func samePoints(a, b []Point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Split != y.Split || x.Name != y.Name || x.Epoch != y.Epoch || x.Step != y.Step ||
			math.Float64bits(x.Value) != math.Float64bits(y.Value) && !(math.IsNaN(x.Value) && math.IsNaN(y.Value)) ||
			!x.Time.Equal(y.Time) {
			return false
		}
	}
	return true
}

func sameSummary(a, b SummaryRow) bool {
	eq := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
	return a.Split == b.Split && a.Name == b.Name && eq(a.Last, b.Last) && eq(a.Best, b.Best) &&
		a.LastEpoch == b.LastEpoch && a.BestEpoch == b.BestEpoch && a.Count == b.Count && a.LastStep == b.LastStep
}

// A store made before runs had uids gets one for each of its runs, from
// its creation time, when it is opened.
func TestMigrateGivesUIDs(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), ".xp")
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	before := 0
	for i, m := range ms {
		if m.topic() == "run_uid" {
			before = i
		}
	}
	created := []time.Time{time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	oldStore(t, dir, ms[:before], created)
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.ListRuns(ctx, ListOptions{SortBy: "+created"})
	if err != nil || len(runs) != 2 {
		t.Fatalf("%d runs, %v", len(runs), err)
	}
	for i, r := range runs {
		if !validUID(r.UID) {
			t.Fatalf("run %d has uid %q", r.ID, r.UID)
		}
		if !strings.HasPrefix(r.UID, mustUID(t, created[i])[:10]) {
			t.Errorf("run %d: uid %s does not start with the time of its creation %v", r.ID, r.UID, created[i])
		}
	}
	if runs[0].UID >= runs[1].UID {
		t.Errorf("uids %s, %s do not sort by creation", runs[0].UID, runs[1].UID)
	}
	fresh := createTest(t, s, testKey("f", 1), "new")
	if !validUID(fresh.UID) || fresh.UID == runs[0].UID {
		t.Errorf("new run's uid %q", fresh.UID)
	}
}

func mustUID(t *testing.T, at time.Time) string {
	t.Helper()
	u, err := NewUID(at)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// oldStore writes a database at dir with only migrations ms applied and a
// run created at each of created.
func oldStore(t *testing.T, dir string, ms []migration, created []time.Time) {
	t.Helper()
	if err := mkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL) STRICT`}
	for _, m := range ms {
		stmts = append(stmts, m.sql)
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range ms {
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, m.version, m.name); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range created {
		if _, err := db.Exec(`INSERT INTO runs (key, experiment, status, created) VALUES (?, 'old', 'succeeded', ?)`,
			testKey("0", i), c.UnixNano()); err != nil {
			t.Fatal(err)
		}
	}
}

func mkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }
