// Package remotetest is the suite that every kind of remote (every
// remote.Objects) must pass, run by each kind's tests against a real
// instance: a directory, an S3 server on loopback.
package remotetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/xp-ml/xp/remote"
)

// Run checks that objs, empty when given, keeps the promises of
// remote.Objects.
func Run(t *testing.T, objs remote.Objects) {
	ctx := context.Background()
	put := func(t *testing.T, name string, data []byte) {
		t.Helper()
		if err := objs.Put(ctx, name, bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatalf("put %s: %v", name, err)
		}
	}
	get := func(t *testing.T, name string) []byte {
		t.Helper()
		rc, err := objs.Get(ctx, name)
		if err != nil {
			t.Fatalf("get %s: %v", name, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		return b
	}
	t.Run("put, get, stat", func(t *testing.T) {
		data := bytes.Repeat([]byte("xp\x00\xff"), 3000)
		put(t, "objects/sha256/ab/abcd", data)
		if got := get(t, "objects/sha256/ab/abcd"); !bytes.Equal(got, data) {
			t.Errorf("got %d bytes back, want the %d put", len(got), len(data))
		}
		if n, err := objs.Stat(ctx, "objects/sha256/ab/abcd"); err != nil || n != int64(len(data)) {
			t.Errorf("stat = %d, %v; want %d", n, err, len(data))
		}
		put(t, "empty", nil)
		if got := get(t, "empty"); len(got) != 0 {
			t.Errorf("empty object read back as %q", got)
		}
	})
	t.Run("missing", func(t *testing.T) {
		if _, err := objs.Get(ctx, "runs/nope"); !errors.Is(err, remote.ErrNotExist) {
			t.Errorf("get of a missing object: %v, want ErrNotExist", err)
		}
		if _, err := objs.Stat(ctx, "runs/nope"); !errors.Is(err, remote.ErrNotExist) {
			t.Errorf("stat of a missing object: %v, want ErrNotExist", err)
		}
		names, err := objs.List(ctx, "nothing/here/")
		if err != nil || len(names) != 0 {
			t.Errorf("list of an empty prefix: %v, %v", names, err)
		}
	})
	t.Run("put again replaces", func(t *testing.T) {
		put(t, "runs/a", []byte("one"))
		put(t, "runs/a", []byte("two!"))
		if got := get(t, "runs/a"); string(got) != "two!" {
			t.Errorf("got %q after replacing", got)
		}
	})
	t.Run("list by prefix, sorted", func(t *testing.T) {
		for _, n := range []string{"keys/k2/02", "keys/k1/03", "keys/k1/01", "keys/k10/x", "keysx"} {
			put(t, n, []byte(n))
		}
		names, err := objs.List(ctx, "keys/k1/")
		if err != nil || !slices.Equal(names, []string{"keys/k1/01", "keys/k1/03"}) {
			t.Errorf("list keys/k1/ = %v, %v", names, err)
		}
		names, err = objs.List(ctx, "keys/")
		if err != nil || !slices.Equal(names, []string{"keys/k1/01", "keys/k1/03", "keys/k10/x", "keys/k2/02"}) {
			t.Errorf("list keys/ = %v, %v", names, err)
		}
	})
	t.Run("a put that fails midway leaves nothing", func(t *testing.T) {
		r := io.MultiReader(bytes.NewReader(make([]byte, 1000)), failingReader{})
		if err := objs.Put(ctx, "runs/broken", r, 5000); err == nil {
			t.Fatal("a put whose reader failed succeeded")
		}
		if _, err := objs.Stat(ctx, "runs/broken"); !errors.Is(err, remote.ErrNotExist) {
			t.Errorf("after a failed put: %v, want ErrNotExist", err)
		}
		if names, _ := objs.List(ctx, "runs/"); slices.Contains(names, "runs/broken") {
			t.Errorf("a failed put is listed: %v", names)
		}
	})
	t.Run("concurrent puts of one object", func(t *testing.T) {
		data := bytes.Repeat([]byte("same"), 10000)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = objs.Put(ctx, "objects/sha256/cc/cccc", bytes.NewReader(data), int64(len(data)))
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if got := get(t, "objects/sha256/cc/cccc"); !bytes.Equal(got, data) {
			t.Errorf("after concurrent puts, %d bytes", len(got))
		}
	})
	t.Run("a canceled put leaves nothing", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := objs.Put(cctx, "runs/canceled", bytes.NewReader([]byte("x")), 1); err == nil {
			t.Fatal("a put with a canceled context succeeded")
		}
		if _, err := objs.Stat(ctx, "runs/canceled"); !errors.Is(err, remote.ErrNotExist) {
			t.Errorf("after a canceled put: %v", err)
		}
	})
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, fmt.Errorf("the network went away") }
