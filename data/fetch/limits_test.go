package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tmpFiles lists what the cache's tmp directory holds.
func tmpFiles(t *testing.T, c *Cache) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(c.Dir, "tmp"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestHTTPLimits: a body larger than MaxBytes (declared or not), one that
// goes silent for Idle, and one that trickles past Total each end in a
// clear error, and leave nothing in the cache's tmp directory.
func TestHTTPLimits(t *testing.T) {
	big := strings.Repeat("a,b\n", 1<<12) // 16 KiB
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/declared.csv":
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			w.Write([]byte(big))
		case "/chunked.csv":
			for i := 0; i < 4; i++ {
				w.Write([]byte(big[:len(big)/4]))
				w.(http.Flusher).Flush()
			}
		case "/silent.csv":
			w.Write([]byte("a,b\n"))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case "/trickle.csv":
			for i := 0; i < 200; i++ {
				if _, err := w.Write([]byte("1")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}
	}))
	defer srv.Close()
	pin := strings.Repeat("0", 64)
	for _, tc := range []struct {
		name, path string
		lim        Limits
		want       error
		words      string
	}{
		{"declared too large", "/declared.csv", Limits{MaxBytes: 1000}, ErrTooLarge, "larger than 1000 bytes (data.limits.download_bytes"},
		{"chunked too large", "/chunked.csv", Limits{MaxBytes: 1000}, ErrTooLarge, "larger than 1000 bytes"},
		{"idle", "/silent.csv", Limits{Idle: 200 * time.Millisecond}, ErrTimeout, "sent nothing for 200ms (data.limits.download_idle_seconds)"},
		{"total", "/trickle.csv", Limits{Idle: time.Second, Total: 300 * time.Millisecond}, ErrTimeout, "longer than 300ms (data.limits.download_timeout_seconds)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Cache{Dir: t.TempDir(), Limits: tc.lim}
			start := time.Now()
			_, err := c.HTTP(context.Background(), nil, srv.URL+tc.path, pin)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("got %v, want %v saying %q", err, tc.want, tc.words)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			if left := tmpFiles(t, c); len(left) > 0 {
				t.Errorf("left in cache/tmp: %v", left)
			}
		})
	}
}

// TestStaleTmpRemoved: what a download killed with -9 left in cache/tmp is
// removed by the next download; a file being written now is kept.
func TestStaleTmpRemoved(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	tmp := filepath.Join(c.Dir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	old, fresh := filepath.Join(tmp, "fetch-old"), filepath.Join(tmp, "fetch-fresh")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	then := time.Now().Add(-2 * staleAfter)
	if err := os.Chtimes(old, then, then); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(context.Background(), strings.NewReader("a,b\n"), "", "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale %s: %v, want removed", old, err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a file written now was removed: %v", err)
	}
}
