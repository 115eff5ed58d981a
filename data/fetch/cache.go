package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Cache is a directory of files named by the sha256 of their bytes.
type Cache struct {
	Dir string
}

// Blob is a file in the cache.
type Blob struct {
	Path   string // the cached file
	SHA256 string // hex
	Hit    bool   // served from the cache, not downloaded now
	Size   int64
}

// Path is where the file with this hex sha256 lives in the cache.
func (c *Cache) Path(sha string) string {
	if len(sha) < 2 {
		return filepath.Join(c.Dir, "sha256", sha)
	}
	return filepath.Join(c.Dir, "sha256", sha[:2], sha)
}

// Lookup returns the cached file with this sha256, if there is one.
func (c *Cache) Lookup(sha string) (Blob, bool) {
	if sha == "" {
		return Blob{}, false
	}
	p := c.Path(sha)
	st, err := os.Stat(p)
	if err != nil || !st.Mode().IsRegular() {
		return Blob{}, false
	}
	return Blob{Path: p, SHA256: sha, Hit: true, Size: st.Size()}, true
}

// Put copies r into the cache and returns where it went. With pin set, the
// bytes must hash to it, else nothing is kept and the error (matching
// ErrPinMismatch) names both hashes; source names what r is, for errors.
func (c *Cache) Put(ctx context.Context, r io.Reader, pin, source string) (Blob, error) {
	tmpDir := filepath.Join(c.Dir, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return Blob{}, fmt.Errorf("cache %s: %w", source, err)
	}
	tmp, err := os.CreateTemp(tmpDir, "fetch-*")
	if err != nil {
		return Blob{}, fmt.Errorf("cache %s: %w", source, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed into place
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Blob{}, fmt.Errorf("download %s: %w", source, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if pin != "" && sum != pin {
		return Blob{}, errorf(ErrPinMismatch, nil, "%s: sha256 is %s, but the spec pins %s (%d bytes downloaded; if the new file is right, pin it)", source, sum, pin, n)
	}
	dst := c.Path(sum)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return Blob{}, fmt.Errorf("cache %s: %w", source, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return Blob{}, fmt.Errorf("cache %s: %w", source, err)
	}
	// Cached files are never changed in place.
	_ = os.Chmod(dst, 0o444)
	return Blob{Path: dst, SHA256: sum, Size: n}, nil
}

// ctxReader stops a long download when ctx is canceled, between reads.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Verify rehashes a cached file: a cache directory can be damaged by hand.
func Verify(path, sha string) error {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("verify %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("verify %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return errorf(ErrPinMismatch, nil, "cached file %s has sha256 %s, not %s: the cache is damaged; delete the file to fetch it again", path, got, sha)
	}
	return nil
}
