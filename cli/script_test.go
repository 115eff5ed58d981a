package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/xp-ml/xp/data/fetch/s3test"
	"github.com/xp-ml/xp/store"
)

// The CLI is tested end to end by the scripts in testdata/script: each holds
// its input files, the xp commands and the expected output. Set
// XP_UPDATE_SCRIPTS=1 to rewrite the expectations from the actual output.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"xp": func() { os.Exit(Main()) },
	})
}

// The S3 server the scripts' remotes use (remote_s3.txtar): gofakes3
// behind a SigV4 check, with one bucket, xp-runs.
const (
	s3Access = "AKIDXPSCRIPT"
	s3Secret = "xp-script-secret-do-not-print"
)

func TestScripts(t *testing.T) {
	s3 := s3test.WithBuckets(t, s3Access, s3Secret, "xp-runs")
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: os.Getenv("XP_UPDATE_SCRIPTS") != "",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitepoch": waitEpoch,
			"waithttp":  waitHTTP,
			"http":      httpCmd,
			"corrupt":   corrupt,
		},
		Setup: func(env *testscript.Env) error {
			// Scripts copy shipped datasets from here rather than embedding them.
			env.Setenv("DATA", dataDir())
			env.Setenv("S3_ENDPOINT", s3.URL)
			env.Setenv("S3_ACCESS", s3Access)
			env.Setenv("S3_SECRET", s3Secret)
			// No credentials file of this machine's user.
			env.Setenv("AWS_SHARED_CREDENTIALS_FILE", env.WorkDir+"/no-aws-credentials")
			port, err := freePort()
			env.Setenv("PORT", port)
			return err
		},
	})
}

func dataDir() string {
	wd, _ := os.Getwd()
	return wd + "/../experiments/data"
}

// corrupt FILE OFFSET N overwrites N bytes of FILE from OFFSET with 0xff,
// in place: damage to a database page, as a bad disk does it.
func corrupt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: corrupt file offset n")
	}
	off, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	f, err := os.OpenFile(ts.MkAbs(args[0]), os.O_WRONLY, 0)
	ts.Check(err)
	_, err = f.WriteAt(bytes.Repeat([]byte{0xff}, n), off)
	ts.Check(errors.Join(err, f.Close()))
}

// waitepoch N waits up to 30 s until a run in training in the script's
// store has finished epoch N: so a script can act on a run while it trains
// (cancel it, say) without sleeping blindly. Finished runs do not count:
// a key trained again while its first run is in the store is waited for.
func waitEpoch(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitepoch n")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(ts.MkAbs(".xp")); err != nil {
			// Not made yet: opening the store would make it.
		} else if st, err := store.Open(ctx, ts.MkAbs(".xp")); err == nil {
			runs, err := st.ListRuns(ctx, store.ListOptions{Limit: 10})
			st.Close()
			if err == nil {
				for _, r := range runs {
					if r.Status == store.StatusRunning && r.Epoch >= n {
						return
					}
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("no run reached epoch %d within 30s", n)
}
