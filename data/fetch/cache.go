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
	"time"
)

// Cache is a directory of files named by the sha256 of their bytes.
type Cache struct {
	Dir string
	// Limits bound what a fetch may cost (zero fields: the defaults).
	Limits Limits
}

// The defaults of Limits.
const (
	DefaultMaxBytes    = 4 << 30
	DefaultIdleTimeout = 60 * time.Second
	DefaultTimeout     = 2 * time.Hour
)

// staleAfter is how long a file in the cache's tmp directory may go
// unwritten before it is taken for the leftover of a killed download and
// removed: far longer than any live download stays silent (Limits.Idle).
const staleAfter = time.Hour

// Limits bound a download: its size, how long it may send nothing, how
// long it may take in all.
type Limits struct {
	MaxBytes int64
	Idle     time.Duration
	Total    time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.Idle <= 0 {
		l.Idle = DefaultIdleTimeout
	}
	if l.Total <= 0 {
		l.Total = DefaultTimeout
	}
	return l
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
// More than Limits.MaxBytes is ErrTooLarge, and nothing is kept. The
// leftovers of downloads killed before they could clean up are removed.
func (c *Cache) Put(ctx context.Context, r io.Reader, pin, source string) (Blob, error) {
	tmpDir := filepath.Join(c.Dir, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return Blob{}, fmt.Errorf("cache %s: %w", source, err)
	}
	removeStale(tmpDir, time.Now().Add(-staleAfter))
	limit := c.Limits.withDefaults().MaxBytes
	tmp, err := os.CreateTemp(tmpDir, "fetch-*")
	if err != nil {
		return Blob{}, fmt.Errorf("cache %s: %w", source, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed into place
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(ctxReader{ctx, r}, limit+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Blob{}, fmt.Errorf("download %s: %w", source, err)
	}
	if n > limit {
		return Blob{}, tooLarge(source, limit)
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

func tooLarge(source string, limit int64) error {
	return errorf(ErrTooLarge, nil, "download %s: it is larger than %d bytes (data.limits.download_bytes; raise it if the file is right)", source, limit)
}

// removeStale removes the files of dir last written before cutoff: what a
// download killed with -9 (or a machine that went down) left.
func removeStale(dir string, cutoff time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && fi.ModTime().Before(cutoff) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
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
