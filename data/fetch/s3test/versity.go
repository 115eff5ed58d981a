package s3test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// VersityEnv names the versitygw binary that Versity starts (`go install
// github.com/versity/versitygw/cmd/versitygw@v1.8.0`, which takes several
// minutes to build, so CI builds it once into a cache); without it,
// versitygw is looked for on PATH.
const VersityEnv = "XP_VERSITYGW"

// VersityRequiredEnv, set to 1, makes a missing versitygw a failure
// instead of a skip (`make test-remote`).
const VersityRequiredEnv = "XP_TEST_VERSITYGW"

// Versity starts versitygw, a real S3 server that checks every request's
// SigV4 signature, on loopback, serving buckets as directories of a
// temporary directory, with one access key and secret; it stops (killed
// by its pid) when the test ends. Without a versitygw binary the test is
// skipped, saying how to build one, unless VersityRequiredEnv is set.
func Versity(t testing.TB, access, secret string) *Server {
	t.Helper()
	bin := os.Getenv(VersityEnv)
	if bin == "" {
		bin, _ = exec.LookPath("versitygw")
	}
	if bin == "" {
		msg := "versitygw not found: set " + VersityEnv + " to its binary (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)"
		if os.Getenv(VersityRequiredEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "--access", access, "--secret", secret, "--port", addr, "posix", t.TempDir())
	// It logs every request: into a file, shown when the test fails.
	logPath := filepath.Join(t.TempDir(), "versitygw.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("versitygw's log:\n%s", tail(b, 4000))
			}
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s within 20s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &Server{URL: "http://" + addr, Access: access, Secret: secret, counts: map[string]int{}}
}

// tail is the last n bytes of b.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
