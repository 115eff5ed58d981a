package remote_test

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xp-ml/xp/remote"
	"github.com/xp-ml/xp/store"
)

// benchRuns and benchPoints size the benchmark: 1,000 runs of 100 points
// each, with their artifacts (fakeRuns).
const benchRuns, benchPoints = 1000, 100

// BenchmarkPushPull pushes 1,000 runs of 100 points to each kind of
// remote on loopback and pulls them into an empty store (rows, curves and
// artifacts), and times the floor beside it: copying the pushed objects
// with cp -r (a directory), or a loop of plain PUTs and GETs of the same
// objects (S3), one at a time and 8 at a time as the push does.
//
//	go test -run '^$' -bench PushPull -benchtime 1x ./remote
func BenchmarkPushPull(b *testing.B) {
	// The source store, made once: a benchmark with sub-benchmarks runs
	// its body once.
	st := openStoreB(b)
	runs := fakeRuns(b, st, benchRuns, benchPoints, 42)
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				url, endpoint := k.start(b)
				// The store knows a remote by its URL: a prefix of each
				// kind's own, so that none looks pushed to already.
				url = strings.Replace(url, "s3://xp-runs/team", "s3://xp-runs/bench-"+k.name, 1)
				rm := openRemote(b, url, endpoint)
				// A fresh remote each time, so that everything is pushed.
				mustBeFresh(b, st, rm.URL())
				b.StartTimer()
				start := time.Now()
				res, err := rm.Push(context.Background(), st, runs, remote.PushOptions{})
				if err != nil {
					b.Fatal(err)
				}
				push := time.Since(start)
				dst := openStoreB(b)
				start = time.Now()
				pr, err := rm.Pull(context.Background(), dst, remote.PullOptions{Artifacts: true})
				if err != nil {
					b.Fatal(err)
				}
				pull := time.Since(start)
				b.StopTimer()
				if pr.Pulled != res.Pushed {
					b.Fatalf("pulled %d of %d", pr.Pulled, res.Pushed)
				}
				report(b, "push", push, res.Objects)
				report(b, "pull", pull, pr.Objects)
				floor(b, rm, url, res.Objects)
				b.StartTimer()
			}
		})
	}
}

func report(b *testing.B, what string, d time.Duration, objects int) {
	b.ReportMetric(d.Seconds(), what+"-s")
	b.ReportMetric(float64(objects)/d.Seconds(), what+"-objects/s")
}

// floor times moving the remote's objects without xp: cp -r of its
// directory, or PUTs and GETs of its objects.
func floor(b *testing.B, rm *remote.Remote, url string, objects int) {
	ctx := context.Background()
	if root, ok := strings.CutPrefix(url, "file://"); ok {
		dst := filepath.Join(b.TempDir(), "copy")
		start := time.Now()
		if out, err := exec.Command("cp", "-r", root, dst).CombinedOutput(); err != nil {
			b.Fatalf("cp -r: %v: %s", err, out)
		}
		report(b, "floor-cp", time.Since(start), objects)
		return
	}
	objs := remote.ObjectsOf(rm)
	names, err := objs.List(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	data := make([][]byte, len(names))
	for i, n := range names {
		data[i] = readB(b, objs, n)
	}
	for _, par := range []int{1, 8} {
		start := time.Now()
		parallel(b, par, len(names), func(i int) error {
			return objs.Put(ctx, "floor/"+names[i], bytes.NewReader(data[i]), int64(len(data[i])))
		})
		report(b, map[int]string{1: "floor-put", 8: "floor-put8"}[par], time.Since(start), len(names))
		start = time.Now()
		parallel(b, par, len(names), func(i int) error {
			_ = readB(b, objs, "floor/"+names[i])
			return nil
		})
		report(b, map[int]string{1: "floor-get", 8: "floor-get8"}[par], time.Since(start), len(names))
	}
}

func parallel(b *testing.B, n, count int, fn func(int) error) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := range count {
		next <- i
	}
	close(next)
	wg.Wait()
}

func readB(b *testing.B, objs remote.Objects, name string) []byte {
	rc, err := objs.Get(context.Background(), name)
	if err != nil {
		b.Fatal(err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(rc); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func openStoreB(b *testing.B) *store.Store {
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), ".xp"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// mustBeFresh fails unless st has pushed nothing to url yet: a push
// that skipped runs already there would time nothing.
func mustBeFresh(b *testing.B, st *store.Store, url string) {
	on, err := st.OnRemote(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	if len(on) > 0 {
		b.Fatalf("store already pushed to %s", url)
	}
}
