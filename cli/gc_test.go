package cli

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xp-ml/xp/store"
)

// xp gc removes a lost run lost longer ago than --older-than, with its
// folder; a run lost more recently, and a lost run that holds a sweep
// point's result however old, are kept with theirs. Real runs in a real
// store; only their status and last heartbeat are set by hand, as a
// process that died days ago would have left them.
func TestGCLostRuns(t *testing.T) {
	dir := sweepProject(t)
	for _, args := range [][]string{
		{"run", "--allow-dirty", "iris"},
		{"run", "--allow-dirty", "--force", "iris"},
		{"run", "--allow-dirty", "seeds"},
	} {
		if code, _, stderr := xp(t, args...); code != ExitOK {
			t.Fatalf("xp %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
		}
	}
	st := openTestStore(t, dir)
	ctx := context.Background()
	runs, err := st.ListRuns(ctx, store.ListOptions{})
	if err != nil || len(runs) != 4 {
		t.Fatalf("%d runs, %v; want 4", len(runs), err)
	}
	byID := map[int64]*store.Run{}
	var point *store.Run
	for i := range runs {
		r := &runs[i]
		byID[r.ID] = r
		if r.Experiment == "seeds" && point == nil {
			point = r
		}
	}
	old, young := byID[1], byID[2]
	if old == nil || young == nil || point == nil || old.Experiment != "iris" || young.Experiment != "iris" {
		t.Fatalf("want iris #1, #2 and a seeds point, got %d runs", len(runs))
	}
	if held, err := st.PointsHeld(ctx, point.ID); err != nil || len(held) == 0 {
		t.Fatalf("run %d holds no sweep point (%v, %v)", point.ID, held, err)
	}
	lose := func(r *store.Run, ago time.Duration) {
		at := time.Now().Add(-ago).UnixNano()
		err := st.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'lost', heartbeat = ?, finished = ? WHERE id = ?`, at, at, r.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	lose(old, 10*24*time.Hour)
	lose(young, time.Hour)
	lose(point, 10*24*time.Hour)
	for _, r := range []*store.Run{old, young, point} {
		if _, err := os.Stat(st.ArtifactDir(r)); err != nil {
			t.Fatalf("run %d has no folder before gc: %v", r.ID, err)
		}
	}

	lostLine := func(verb string, r *store.Run) *regexp.Regexp {
		return regexp.MustCompile(fmt.Sprintf(`(?m)^%s lost run %s #%d \(%s, lost \S+ ago\)  [0-9.]+ [kMG]?B$`,
			verb, store.ShortKey(r.Key), r.ID, r.Experiment))
	}
	code, stdout, stderr := xp(t, "gc", "--dry-run")
	if code != ExitOK || !lostLine("would remove", old).MatchString(stdout) {
		t.Fatalf("xp gc --dry-run: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Count(stdout, "lost run") != 1 {
		t.Errorf("xp gc --dry-run names other lost runs:\n%s", stdout)
	}
	if _, err := st.Run(ctx, old.ID); err != nil {
		t.Errorf("--dry-run removed run %d: %v", old.ID, err)
	}

	code, stdout, stderr = xp(t, "gc")
	if code != ExitOK || !lostLine("removed", old).MatchString(stdout) || strings.Count(stdout, "lost run") != 1 {
		t.Fatalf("xp gc: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if _, err := st.Run(ctx, old.ID); err == nil {
		t.Errorf("run %d, lost 10 days ago, is still in the store", old.ID)
	}
	if _, err := os.Stat(st.ArtifactDir(old)); !os.IsNotExist(err) {
		t.Errorf("run %d's folder is still there (%v)", old.ID, err)
	}
	for _, r := range []*store.Run{young, point} {
		if got, err := st.Run(ctx, r.ID); err != nil || got.Status != store.StatusLost {
			t.Errorf("run %d: %+v, %v; want it kept, lost", r.ID, got, err)
		}
		if _, err := os.Stat(st.ArtifactDir(r)); err != nil {
			t.Errorf("run %d's folder: %v; want it kept", r.ID, err)
		}
	}

	// A shorter limit takes the younger one too; the point's run stays.
	code, stdout, stderr = xp(t, "gc", "--older-than", "30m")
	if code != ExitOK || !lostLine("removed", young).MatchString(stdout) || strings.Count(stdout, "lost run") != 1 {
		t.Fatalf("xp gc --older-than 30m: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if _, err := st.Run(ctx, point.ID); err != nil {
		t.Errorf("run %d, which holds a sweep point, was removed: %v", point.ID, err)
	}
	if _, err := os.Stat(st.ArtifactDir(point)); err != nil {
		t.Errorf("run %d's folder: %v; want it kept", point.ID, err)
	}
}

// sweepProject makes, outside git, a project of two experiments on the
// iris data: iris, and seeds, a sweep of two points; it is the working
// directory. Nothing is trained.
func sweepProject(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dataDir(), "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	for rel, body := range map[string]string{
		"experiments/data/iris.csv": string(data),
		"experiments/iris.cue": `iris: #Experiment & {
	data: {source: file: "data/iris.csv", target: "Species"}
	model: logreg: {}
	train: epochs: 2
}
`,
		"experiments/seeds.cue": `seeds: #Experiment & {
	data: {source: file: "data/iris.csv", target: "Species"}
	model: logreg: {}
	train: epochs: 1
	sweep: params: "train.seed": [1, 2]
}
`,
	} {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
