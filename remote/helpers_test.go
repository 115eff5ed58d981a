package remote_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/xp-ml/xp/data/fetch"
	"github.com/xp-ml/xp/data/fetch/s3test"
	"github.com/xp-ml/xp/remote"
	"github.com/xp-ml/xp/remote/dir"
	"github.com/xp-ml/xp/remote/s3"
	"github.com/xp-ml/xp/store"
)

const (
	access = "AKIDXPREMOTE"
	secret = "xp-remote-secret-do-not-print"
)

// A kind of remote the tests run against: where it is (url, endpoint),
// started for one test.
type kind struct {
	name  string
	start func(t testing.TB) (url, endpoint string)
}

var kinds = []kind{
	{"dir", func(t testing.TB) (string, string) { return "file://" + filepath.ToSlash(t.TempDir()), "" }},
	{"gofakes3", func(t testing.TB) (string, string) {
		return "s3://xp-runs/team", s3test.WithBuckets(t, access, secret, "xp-runs").URL
	}},
	{"versitygw", func(t testing.TB) (string, string) {
		srv := s3test.Versity(t, access, secret)
		makeBucket(t, srv.URL, "xp-runs")
		return "s3://xp-runs/team", srv.URL
	}},
}

// openObjects opens the remote at url as the CLI would, with the test's
// credentials through the AWS environment variables' provider.
func openObjects(url, endpoint string) (remote.Objects, error) {
	if strings.HasPrefix(url, "file://") {
		return dir.Open(url)
	}
	return s3.Open(url, endpoint, "", fetch.S3Options{Credentials: credentials.NewStaticV4(access, secret, "")})
}

func openRemote(t testing.TB, url, endpoint string) *remote.Remote {
	t.Helper()
	objs, err := openObjects(url, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return remote.New("team", objs)
}

func makeBucket(t testing.TB, endpoint, name string) {
	t.Helper()
	b, err := s3.Open("s3://"+name, endpoint, "", fetch.S3Options{Credentials: credentials.NewStaticV4(access, secret, "")})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.MakeBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// fakeRuns records n finished runs in st as training would leave them:
// points (a NaN among them), test metrics, artifact files, every third
// run dirty with its sources, every fifth failed; and one run still
// running, which is never pushed. Their bytes come from seed.
func fakeRuns(t testing.TB, st *store.Store, n, points int, seed uint64) []store.Run {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range n {
		key := fmt.Sprintf("%016x%048x", rng.Uint64(), i)
		prov, _ := json.Marshal(map[string]any{"host": "node7", "user": "alice", "commit": "abc"})
		r := &store.Run{Key: key, Experiment: []string{"credit", "iris"}[i%2], SpecHash: strings.Repeat("5", 64),
			Spec: json.RawMessage(`{"device":"cpu","train":{"epochs":3}}`), DataHashes: map[string]string{"source": strings.Repeat("d", 64)},
			Backend: "cpu", Device: "cpu", Epochs: points, Provenance: prov, Dirty: i%3 == 0, Host: "node7"}
		if err := st.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := st.StartRun(ctx, r.ID, 1, "node7"); err != nil {
			t.Fatal(err)
		}
		var pts []store.Point
		for e := 1; e <= points; e++ {
			v := rng.Float64()
			if e == 2 {
				v = math.NaN()
			}
			pts = append(pts, store.Point{Split: "train", Name: "loss", Epoch: e, Value: v})
		}
		pts = append(pts, store.Point{Split: "test", Name: "accuracy", Epoch: points, Value: rng.Float64()})
		if err := st.AddPoints(ctx, r.ID, pts); err != nil {
			t.Fatal(err)
		}
		if r.Dirty {
			if err := st.SaveSources(ctx, r.ID, []store.Source{{Path: "experiments/credit.cue", Content: []byte(fmt.Sprintf("credit: {} // %d\n", i))}}); err != nil {
				t.Fatal(err)
			}
		}
		dir := st.ArtifactDir(r)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		weights := make([]byte, 16<<10)
		for j := range weights {
			weights[j] = byte(rng.Uint32())
		}
		for name, body := range map[string][]byte{"weights.bin": weights, "preprocessing.json": []byte(`{"features":[]}`),
			"log.txt": []byte(fmt.Sprintf("run %d\n", i)), "spec.json": r.Spec} {
			if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		status := store.StatusSucceeded
		if i%5 == 4 {
			status = store.StatusFailed
		}
		if err := st.FinishRun(ctx, r.ID, status, "", fmt.Sprintf("%064x", i), json.RawMessage(`{"total_seconds":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	running := &store.Run{Key: strings.Repeat("f", 64), Experiment: "credit"}
	if err := st.CreateRun(ctx, running); err != nil {
		t.Fatal(err)
	}
	if err := st.StartRun(ctx, running.ID, 1, "node7"); err != nil {
		t.Fatal(err)
	}
	runs, err := st.ListRuns(ctx, store.ListOptions{SortBy: "+created"})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}
