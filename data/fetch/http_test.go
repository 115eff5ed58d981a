package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestHTTP(t *testing.T) {
	body := []byte("a,b\n1,2\n")
	var gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		switch r.URL.Path {
		case "/data.csv":
			w.Write(body)
		case "/secret.csv":
			http.Error(w, "no", http.StatusForbidden)
		case "/broken.csv":
			http.Error(w, "oops", http.StatusInternalServerError)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	c := &Cache{Dir: t.TempDir()}

	t.Run("download then cache hit", func(t *testing.T) {
		b, err := c.HTTP(ctx, nil, srv.URL+"/data.csv", sha(body))
		if err != nil {
			t.Fatal(err)
		}
		if b.Hit || b.SHA256 != sha(body) || b.Path != c.Path(sha(body)) {
			t.Errorf("first fetch %+v", b)
		}
		got, err := os.ReadFile(b.Path)
		if err != nil || string(got) != string(body) {
			t.Fatalf("cached %q, %v", got, err)
		}
		before := gets.Load()
		b2, err := c.HTTP(ctx, nil, srv.URL+"/data.csv", sha(body))
		if err != nil || !b2.Hit || b2.Path != b.Path {
			t.Errorf("second fetch %+v, %v; want a hit", b2, err)
		}
		if gets.Load() != before {
			t.Errorf("a pinned, cached file was requested again")
		}
	})

	wrongPin := strings.Repeat("0", 64)
	tests := []struct {
		name, url, pin string
		kind           error
		msg            []string
	}{
		{"wrong pin", "/data.csv", wrongPin, ErrPinMismatch, []string{"sha256 is " + sha(body), "pins " + wrongPin}},
		{"not found", "/nope.csv", wrongPin, ErrNotFound, []string{"404 Not Found"}},
		{"forbidden", "/secret.csv", wrongPin, ErrAccessDenied, []string{"403 Forbidden"}},
		{"server error", "/broken.csv", wrongPin, ErrStatus, []string{"500 Internal Server Error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.HTTP(ctx, nil, srv.URL+tt.url, tt.pin)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want %v", err, tt.kind)
			}
			for _, m := range append(tt.msg, srv.URL+tt.url) {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not say %q", err, m)
				}
			}
		})
	}
	t.Run("wrong pin keeps nothing", func(t *testing.T) {
		if _, ok := c.Lookup(wrongPin); ok {
			t.Error("a file was cached under the wrong pin")
		}
		entries, _ := os.ReadDir(c.Dir + "/tmp")
		if len(entries) != 0 {
			t.Errorf("temporary files left: %v", entries)
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close() // nothing listens there now
		_, err = c.HTTP(ctx, nil, "http://"+addr+"/x.csv", wrongPin)
		if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "cannot reach the server") || !strings.Contains(err.Error(), addr) {
			t.Errorf("error %v, want ErrUnreachable naming %s", err, addr)
		}
	})

	t.Run("damaged cache is detected by Verify", func(t *testing.T) {
		p := c.Path(sha(body))
		os.Chmod(p, 0o644)
		if err := os.WriteFile(p, []byte("tampered"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := Verify(p, sha(body)); !errors.Is(err, ErrPinMismatch) || !strings.Contains(err.Error(), "delete the file") {
			t.Errorf("Verify = %v, want ErrPinMismatch", err)
		}
	})
}
