// Package dir is a remote in a directory (file:///shared/xp): a
// filesystem shared by the team (NFS, SMB, a mounted volume) or a local
// disk. Objects are files under it, named as the remote names them; a
// put writes a temporary file in its .tmp directory and renames it into
// place, which is atomic on a POSIX filesystem, so a reader sees a whole
// object or none, and a put killed midway leaves only a temporary file
// that no listing shows.
//
// Files are written 0644 and directories 0777 less the umask: for a team,
// make the root a directory its group can write (and setgid, so new
// directories keep the group).
package dir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xp-ml/xp/remote"
)

// tmpDir holds puts in progress, inside the root.
const tmpDir = ".tmp"

// Dir is a remote's objects in a directory.
type Dir struct {
	root string
	url  string
}

var _ remote.Objects = (*Dir)(nil)

// Open is the remote at rawURL, file:///absolute/path, whose directory
// must exist.
func Open(rawURL string) (*Dir, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") || !path.IsAbs(u.Path) {
		return nil, fmt.Errorf("remote %s: want file:///absolute/path", rawURL)
	}
	root := filepath.FromSlash(path.Clean(u.Path))
	fi, err := os.Stat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("remote %s: directory %s does not exist (create it, or check the path)", rawURL, root)
	case err != nil:
		return nil, fmt.Errorf("remote %s: %w", rawURL, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("remote %s: %s is not a directory", rawURL, root)
	}
	return &Dir{root: root, url: "file://" + filepath.ToSlash(root)}, nil
}

func (d *Dir) String() string { return d.url }

// path is the file of object name, which must be a relative slash path
// without dot segments.
func (d *Dir) path(name string) (string, error) {
	if name == "" || path.IsAbs(name) || path.Clean(name) != name || strings.HasPrefix(name, "../") || strings.HasPrefix(name, tmpDir) {
		return "", fmt.Errorf("remote %s: bad object name %q", d.url, name)
	}
	return filepath.Join(d.root, filepath.FromSlash(name)), nil
}

func (d *Dir) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	dst, err := d.path(name)
	if err != nil {
		return err
	}
	tmpRoot := filepath.Join(d.root, tmpDir)
	if err := os.MkdirAll(tmpRoot, 0o777); err != nil {
		return d.fail("push to", err)
	}
	tmp, err := os.CreateTemp(tmpRoot, "put-*")
	if err != nil {
		return d.fail("push to", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	n, err := io.Copy(tmp, ctxReader{ctx, r})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = fmt.Errorf("%s: %d bytes, expected %d", name, n, size)
	}
	if err != nil {
		return d.fail("push to", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return d.fail("push to", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o777); err != nil {
		return d.fail("push to", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return d.fail("push to", err)
	}
	return nil
}

func (d *Dir) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s/%s: %w", d.url, name, remote.ErrNotExist)
	}
	if err != nil {
		return nil, d.fail("pull from", err)
	}
	return f, nil
}

func (d *Dir) Stat(ctx context.Context, name string) (int64, error) {
	p, err := d.path(name)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("%s/%s: %w", d.url, name, remote.ErrNotExist)
	}
	if err != nil {
		return 0, d.fail("read", err)
	}
	return fi.Size(), nil
}

func (d *Dir) List(ctx context.Context, prefix string) ([]string, error) {
	base := prefix[:strings.LastIndexByte(prefix, '/')+1] // the directory the prefix is in
	start := filepath.Join(d.root, filepath.FromSlash(base))
	var names []string
	err := filepath.WalkDir(start, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == start {
				return fs.SkipAll
			}
			return err
		}
		if e.IsDir() {
			if e.Name() == tmpDir && filepath.Dir(p) == d.root {
				return fs.SkipDir
			}
			return ctx.Err()
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		if name := filepath.ToSlash(rel); strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return nil, d.fail("list", err)
	}
	slices.Sort(names)
	return names, nil
}

func (d *Dir) fail(what string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = fmt.Errorf("%s %s: %w", pe.Op, pe.Path, pe.Err)
	}
	return fmt.Errorf("%s %s: %w", what, d.url, err)
}

// ctxReader stops a long copy when ctx is canceled, between reads.
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
