package remote_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/remote"
	"github.com/xp-ml/xp/store"
)

func forKinds(t *testing.T, fn func(t *testing.T, url, endpoint string)) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			url, endpoint := k.start(t)
			fn(t, url, endpoint)
		})
	}
}

// Runs pushed from one store and pulled into another are the same runs:
// rows, points, summaries and sources equal, artifacts (fetched when
// asked) equal byte for byte, the bundle the same object; the pulled runs
// pushed on to a second remote write the same bytes under the same names.
func TestRoundTrip(t *testing.T) {
	forKinds(t, func(t *testing.T, url, endpoint string) {
		ctx := context.Background()
		a := openStore(t)
		runs := fakeRuns(t, a, 12, 20, 1)
		rm := openRemote(t, url, endpoint)
		res, err := rm.Push(ctx, a, runs, remote.PushOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Pushed != 12 || res.Unfinished != 1 || res.Already != 0 {
			t.Fatalf("push: %+v; want 12 pushed, 1 unfinished", res)
		}
		again, err := rm.Push(ctx, a, runs, remote.PushOptions{})
		if err != nil || again.Pushed != 0 || again.Already != 12 || again.Objects != 0 {
			t.Fatalf("second push: %+v, %v; want 12 already there and nothing sent", again, err)
		}

		b := openStore(t)
		pr, err := rm.Pull(ctx, b, remote.PullOptions{})
		if err != nil || pr.Pulled != 12 || pr.Already != 0 {
			t.Fatalf("pull: %+v, %v", pr, err)
		}
		for _, r := range runs[:12] {
			got, err := b.RunByUID(ctx, r.UID)
			if err != nil {
				t.Fatal(err)
			}
			sameExport(t, a, b, r.ID, got.ID)
			if who := provenance.OriginOf(got.Provenance, got.Host); who != "alice@node7" || got.Remote != rm.URL() {
				t.Errorf("pulled run trained by %q, remote %q", who, got.Remote)
			}
			mine, _ := a.Run(ctx, r.ID)
			if got.Bundle == "" || got.Bundle != mine.Bundle {
				t.Errorf("bundle %q here, %q there", got.Bundle, mine.Bundle)
			}
			if missing := remote.MissingArtifacts(b, got); len(missing) != 4 {
				t.Errorf("missing artifacts before a fetch: %v", missing)
			}
			n, _, err := rm.FetchArtifacts(ctx, b, got)
			if err != nil || n != 4 {
				t.Fatalf("fetch artifacts: %d, %v", n, err)
			}
			sameFiles(t, a.ArtifactDir(&r), b.ArtifactDir(got))
			if missing := remote.MissingArtifacts(b, got); len(missing) != 0 {
				t.Errorf("missing artifacts after a fetch: %v", missing)
			}
		}
		pr, err = rm.Pull(ctx, b, remote.PullOptions{})
		if err != nil || pr.Pulled != 0 || pr.Already != 12 {
			t.Errorf("second pull: %+v, %v; want every run already here", pr, err)
		}

		// The pulled runs pushed on to another remote: the same objects.
		other := openRemote(t, "file://"+filepath.ToSlash(t.TempDir()), "")
		pulled, _ := b.ListRuns(ctx, store.ListOptions{})
		if _, err := other.Push(ctx, b, pulled, remote.PushOptions{}); err != nil {
			t.Fatal(err)
		}
		sameObjects(t, other, rm)
	})
}

// sameExport compares run id of a with run id2 of b, all but their local
// ids and the marks of a pull.
func sameExport(t *testing.T, a, b *store.Store, id, id2 int64) {
	t.Helper()
	ctx := context.Background()
	x, err := a.ExportRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	y, err := b.ExportRun(ctx, id2)
	if err != nil {
		t.Fatal(err)
	}
	xr, yr := x.Run, y.Run
	xr.ID, xr.PID, xr.HeartbeatAt, xr.Summary = 0, 0, yr.HeartbeatAt, nil
	yr.ID, yr.Remote, yr.Summary = 0, "", nil
	if !reflect.DeepEqual(xr, yr) {
		t.Errorf("run differs after the round trip:\n%+v\n%+v", xr, yr)
	}
	if len(x.Points) != len(y.Points) {
		t.Fatalf("%d points, want %d", len(y.Points), len(x.Points))
	}
	for i := range x.Points {
		p, q := x.Points[i], y.Points[i]
		if p.Split != q.Split || p.Name != q.Name || p.Epoch != q.Epoch || p.Step != q.Step ||
			math.Float64bits(p.Value) != math.Float64bits(q.Value) || !p.Time.Equal(q.Time) {
			t.Errorf("point %d: %+v, want %+v", i, q, p)
		}
	}
	if !reflect.DeepEqual(x.Sources, y.Sources) {
		t.Errorf("sources %v, want %v", y.Sources, x.Sources)
	}
	if len(x.Summaries) != len(y.Summaries) {
		t.Fatalf("summaries %v, want %v", y.Summaries, x.Summaries)
	}
	for i := range x.Summaries {
		p, q := x.Summaries[i], y.Summaries[i]
		if math.Float64bits(p.Last) != math.Float64bits(q.Last) || math.Float64bits(p.Best) != math.Float64bits(q.Best) ||
			p.Split != q.Split || p.Name != q.Name || p.LastEpoch != q.LastEpoch || p.BestEpoch != q.BestEpoch ||
			p.Count != q.Count || p.LastStep != q.LastStep {
			t.Errorf("summary %+v, want %+v", q, p)
		}
	}
}

// sameFiles compares two artifact directories byte for byte (the bundle
// cache included).
func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	names := func(dir string) []string {
		es, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			out = append(out, e.Name())
		}
		return out
	}
	na, nb := names(a), names(b)
	if !slices.Equal(na, nb) {
		t.Fatalf("files %v, want %v", nb, na)
	}
	for _, n := range na {
		x, _ := os.ReadFile(filepath.Join(a, n))
		y, _ := os.ReadFile(filepath.Join(b, n))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs after the round trip", n)
		}
	}
}

// sameObjects checks that every object of sub is in all, with the same
// bytes.
func sameObjects(t *testing.T, sub, all *remote.Remote) {
	t.Helper()
	ctx := context.Background()
	names, err := remote.ObjectsOf(sub).List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 12*5 {
		t.Fatalf("only %d objects", len(names))
	}
	for _, n := range names {
		x := read(t, remote.ObjectsOf(sub), n)
		y := read(t, remote.ObjectsOf(all), n)
		if !bytes.Equal(x, y) {
			t.Errorf("object %s differs", n)
		}
	}
}

func read(t *testing.T, objs remote.Objects, name string) []byte {
	t.Helper()
	rc, err := objs.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A remote check finds the newest succeeded run of a key, and nothing for
// a key the remote has not, or has only failed.
func TestHit(t *testing.T) {
	forKinds(t, func(t *testing.T, url, endpoint string) {
		ctx := context.Background()
		a := openStore(t)
		runs := fakeRuns(t, a, 5, 3, 2)
		rm := openRemote(t, url, endpoint)
		if _, err := rm.Push(ctx, a, runs, remote.PushOptions{}); err != nil {
			t.Fatal(err)
		}
		b := openStore(t)
		hit, err := rm.Hit(ctx, b, runs[0].Key)
		if err != nil || hit == nil {
			t.Fatalf("hit = %v, %v", hit, err)
		}
		if hit.UID != runs[0].UID || provenance.OriginOf(hit.Provenance, hit.Host) != "alice@node7" || hit.Status != store.StatusSucceeded {
			t.Errorf("hit %+v", hit)
		}
		if got, _ := b.LatestSucceeded(ctx, runs[0].Key); got == nil || got.ID != hit.ID {
			t.Errorf("the hit is not the key's cached run here: %+v", got)
		}
		for _, key := range []string{runs[4].Key /* failed */, "0123456789abcdef" + runs[0].Key[16:]} {
			miss, err := rm.Hit(ctx, b, key)
			if err != nil || miss != nil {
				t.Errorf("hit for %s: %v, %v; want none", key[:12], miss, err)
			}
		}
	})
}

// A corrupt or truncated object is an error naming it, and nothing of the
// run it belongs to is recorded or put in place.
func TestCorruptObject(t *testing.T) {
	forKinds(t, func(t *testing.T, url, endpoint string) {
		ctx := context.Background()
		a := openStore(t)
		runs := fakeRuns(t, a, 1, 5, 3)
		rm := openRemote(t, url, endpoint)
		if _, err := rm.Push(ctx, a, runs, remote.PushOptions{}); err != nil {
			t.Fatal(err)
		}
		run, _ := a.Run(ctx, runs[0].ID)
		objs := remote.ObjectsOf(rm)
		b := openStore(t)
		// The bundle names the points; damage them, then restore them.
		m := read(t, objs, remote.BlobName(run.Bundle))
		points := remote.PointsOf(t, m)
		good := read(t, objs, remote.BlobName(points))
		for _, bad := range [][]byte{append(bytes.Clone(good[:len(good)-1]), 'X'), good[:len(good)/2]} {
			put(t, objs, remote.BlobName(points), bad)
			_, err := rm.Pull(ctx, b, remote.PullOptions{})
			if !errors.Is(err, remote.ErrCorrupt) || !bytes.Contains([]byte(err.Error()), []byte(remote.BlobName(points))) {
				t.Errorf("pull of damaged points: %v; want ErrCorrupt naming the object", err)
			}
			if n, _ := b.CountRuns(ctx, store.ListOptions{}); n != 0 {
				t.Errorf("%d runs recorded from a corrupt bundle", n)
			}
		}
		put(t, objs, remote.BlobName(points), good)
		if pr, err := rm.Pull(ctx, b, remote.PullOptions{}); err != nil || pr.Pulled != 1 {
			t.Fatalf("pull after repair: %+v, %v", pr, err)
		}
		got, _ := b.RunByUID(ctx, run.UID)
		weights := remote.FileOf(t, m, "weights.bin")
		put(t, objs, remote.BlobName(weights), []byte("not the weights"))
		_, _, err := rm.FetchArtifacts(ctx, b, got)
		if !errors.Is(err, remote.ErrCorrupt) || !bytes.Contains([]byte(err.Error()), []byte("weights.bin")) {
			t.Errorf("fetch of damaged weights: %v", err)
		}
		if _, err := os.Stat(filepath.Join(b.ArtifactDir(got), "weights.bin")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("damaged weights were put in place: %v", err)
		}
	})
}

func put(t *testing.T, objs remote.Objects, name string, data []byte) {
	t.Helper()
	if err := objs.Put(context.Background(), name, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
}
