package cli

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// freePort is a loopback port free a moment ago, for a script's server.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}

// waitHTTP URL waits up to 30 s until GET URL answers 200: a server
// started in the background is ready.
func waitHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waithttp URL")
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(args[0])
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	ts.Fatalf("%s did not answer 200 within 30s", args[0])
}

// httpCmd METHOD URL [FILE CONTENT-TYPE] sends a request (with FILE as its
// body) and writes the answer's body to stdout and its status to stderr
// ("status 200"). It fails on a status of 400 or more, unless negated.
func httpCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 && len(args) != 4 {
		ts.Fatalf("usage: http METHOD URL [FILE CONTENT-TYPE]")
	}
	var body io.Reader
	if len(args) == 4 {
		b, err := os.ReadFile(ts.MkAbs(args[2]))
		ts.Check(err)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(args[0], args[1], body)
	ts.Check(err)
	if len(args) == 4 {
		req.Header.Set("Content-Type", args[3])
	}
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	ts.Check(err)
	ts.Stdout().Write(b)
	fmt.Fprintf(ts.Stderr(), "status %d\n", resp.StatusCode)
	if failed := resp.StatusCode >= 400; failed != neg {
		ts.Fatalf("status %d", resp.StatusCode)
	}
}
