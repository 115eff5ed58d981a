package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xp-ml/xp/data/fetch/s3test"
	"github.com/xp-ml/xp/internal/project"
	"github.com/xp-ml/xp/store"
)

// BenchmarkRemoteCheck measures what asking the remote adds to `xp run`
// (run in this process, so a process's start is not counted), on
// loopback, for a directory remote and an S3 one (gofakes3 behind a SigV4
// check): a run cached here, without and with a remote configured (which
// asks the remote nothing); a remote hit, which pulls the run's row and
// curves; and the check of a key the remote does not have (a miss, after
// which training starts).
//
//	go test -run '^$' -bench RemoteCheck -benchtime 20x ./cli
func BenchmarkRemoteCheck(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(dataDir(), "iris.csv"))
	if err != nil {
		b.Fatal(err)
	}
	srv := s3test.WithBuckets(b, s3Access, s3Secret, "xp-runs")
	b.Setenv("AWS_ACCESS_KEY_ID", s3Access)
	b.Setenv("AWS_SECRET_ACCESS_KEY", s3Secret)
	b.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(b.TempDir(), "none"))
	for _, kind := range []struct{ name, url, endpoint string }{
		{"dir", "file://" + filepath.ToSlash(b.TempDir()), ""},
		{"s3", "s3://xp-runs/bench", srv.URL},
	} {
		root := benchProject(b, data, kind.url, kind.endpoint)
		b.Run(kind.name+"/cached-no-remote", func(b *testing.B) {
			b.Chdir(root)
			for range b.N {
				mustRun(b, "run", "--no-remote", "iris")
			}
		})
		b.Run(kind.name+"/cached-remote-configured", func(b *testing.B) {
			b.Chdir(root)
			for range b.N {
				mustRun(b, "run", "iris")
			}
		})
		b.Run(kind.name+"/remote-hit", func(b *testing.B) {
			b.Chdir(root)
			for range b.N {
				b.StopTimer()
				forgetRuns(b, root)
				b.StartTimer()
				mustRun(b, "run", "iris")
			}
		})
		b.Run(kind.name+"/remote-miss", func(b *testing.B) {
			b.Chdir(root)
			st, err := store.Open(context.Background(), project.Dir(root))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			set, err := loadSettings(root)
			if err != nil {
				b.Fatal(err)
			}
			rm, err := openRemote(set, "")
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				key := fmt.Sprintf("%064x", i)
				if hit, err := rm.Hit(context.Background(), st, key); err != nil || hit != nil {
					b.Fatalf("miss: %v, %v", hit, err)
				}
			}
		})
	}
}

// benchProject is a project with the iris experiment trained once and
// pushed to the remote at url, whose runs this store then forgets.
func benchProject(b *testing.B, data []byte, url, endpoint string) string {
	root := b.TempDir()
	files := map[string]string{
		"experiments/data/iris.csv": string(data),
		"experiments/iris.cue": `iris: #Experiment & {
	data: {source: file: "data/iris.csv", target: "Species"}
	model: layers: [{dense: 8}]
	train: epochs: 5
	device: "cpu"
}
`,
	}
	remoteDef := fmt.Sprintf("remotes: team: url: %q\n", url)
	if endpoint != "" {
		remoteDef = fmt.Sprintf("remotes: team: {url: %q, endpoint: %q}\n", url, endpoint)
	}
	files["xp.cue"] = remoteDef
	for p, body := range files {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	git := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=xp", "GIT_AUTHOR_EMAIL=xp@example.com",
			"GIT_COMMITTER_NAME=xp", "GIT_COMMITTER_EMAIL=xp@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-qm", "iris")
	b.Chdir(root)
	mustRun(b, "run", "iris")
	mustRun(b, "push", "--all")
	mustRun(b, "run", "--no-remote", "iris") // warm
	return root
}

// forgetRuns deletes every run of the project's store, so that the next
// xp run must ask the remote.
func forgetRuns(b *testing.B, root string) {
	ctx := context.Background()
	st, err := store.Open(ctx, project.Dir(root))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	runs, err := st.ListRuns(ctx, store.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range runs {
		if err := st.DeleteRun(ctx, r.ID); err != nil {
			b.Fatal(err)
		}
	}
}

func mustRun(b *testing.B, args ...string) {
	var errs strings.Builder
	start := time.Now()
	if code := Execute(context.Background(), args, Streams{In: strings.NewReader(""), Out: io.Discard, Err: &errs}); code != 0 {
		b.Fatalf("xp %v: exit %d after %v: %s", args, code, time.Since(start), errs.String())
	}
}
