package data

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xp-ml/xp/cue/spec"
)

// gzipOf compresses body.
func gzipOf(t *testing.T, body []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if _, err := zw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readSource resolves the file name in dir as a source under lim and
// reads it.
func readSource(dir, name string, lim *spec.Limits) error {
	ctx := context.Background()
	src, err := ResolveSource(ctx, "data.source", spec.Source{File: name}, SourceOptions{Dir: dir, Limits: lim})
	if err != nil {
		return err
	}
	_, err = src.Read(ctx)
	return err
}

// TestReadLimits: a gzip bomb (a small file that expands to one huge
// line), a file past decompressed_bytes, a line past line_bytes each end
// in an error naming the file, the line and the setting, before the
// memory is spent; within the limits the same files read.
func TestReadLimits(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, body []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// 80 MiB of one line, about 300 KiB compressed: with the defaults it
	// stops at 64 MiB, line 1.
	bomb := make([]byte, 80<<20)
	for i := range bomb {
		bomb[i] = 'a'
	}
	write("bomb.csv.gz", gzipOf(t, bomb))
	bomb = nil
	table := []byte("a,b\n" + strings.Repeat("1,2\n", 1000))
	write("table.csv.gz", gzipOf(t, table))
	write("table.csv", table)
	write("long.csv", []byte("a,b\n1,2\n"+strings.Repeat("x", 100)+",3\n"))
	for _, tc := range []struct {
		name, file string
		lim        *spec.Limits
		words      string // "" reads
	}{
		{"gzip bomb, defaults", "bomb.csv.gz", nil, "bomb.csv.gz:1: line 1 is longer than 67108864 bytes (data.limits.line_bytes"},
		{"decompressed", "table.csv.gz", &spec.Limits{DecompressedBytes: 1000}, "table.csv.gz: it decompresses to more than 1000 bytes (data.limits.decompressed_bytes"},
		{"plain past decompressed", "table.csv", &spec.Limits{DecompressedBytes: 1000}, "more than 1000 (data.limits.decompressed_bytes"},
		{"long line", "long.csv", &spec.Limits{LineBytes: 50}, "long.csv:3: line 3 is longer than 50 bytes"},
		{"gzip within", "table.csv.gz", &spec.Limits{DecompressedBytes: 1 << 20, LineBytes: 10}, ""},
		{"long line within", "long.csv", &spec.Limits{LineBytes: 200}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := readSource(dir, tc.file, tc.lim)
			if tc.words == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("got %v, want ErrLimit saying %q", err, tc.words)
			}
		})
	}
}

// TestOnlyRegularFiles: a FIFO or a device behind a .csv name is refused
// at once, saying what it is, where reading it would block or never end.
func TestOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.csv"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "dir.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, kind string }{
		{"fifo.csv", "a FIFO"}, {"zero.csv", "a character device"}, {"dir.csv", "a directory"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- readSource(dir, tc.file, nil) }()
			select {
			case err := <-done:
				var fe *spec.FieldError
				if !errors.Is(err, ErrNotRegular) || !errors.As(err, &fe) || fe.Field != "data.source.file" || !strings.Contains(err.Error(), tc.kind) {
					t.Fatalf("got %v, want ErrNotRegular at data.source.file saying %q", err, tc.kind)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("reading it hangs")
			}
			sc, note, err := peekSource(context.Background(), "data.source", spec.Source{File: tc.file}, SourceOptions{Dir: dir})
			if !errors.Is(err, ErrNotRegular) {
				t.Errorf("vet: %v %v %q, want ErrNotRegular", sc, err, note)
			}
		})
	}
}

// TestNULByte: a NUL byte in a header or a value is an error at its
// file:line:col, not a silent new category.
func TestNULByte(t *testing.T) {
	for _, tc := range []struct{ name, body, at string }{
		{"header", "a,b\x00c\n1,2\n3,4\n", "t.csv:1:4: a NUL byte"},
		{"value", "a,b\n1,x\n3,y\x00z\n", "t.csv:3:4: a NUL byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "t.csv"), []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			err := readSource(dir, "t.csv", nil)
			if !errors.Is(err, ErrNUL) || !strings.Contains(err.Error(), tc.at) {
				t.Fatalf("got %v, want ErrNUL at %s", err, tc.at)
			}
		})
	}
}
