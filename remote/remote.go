package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// Remote is one remote of a project: where its runs are pushed and pulled.
type Remote struct {
	// Name is the remote's name in xp.cue ("team"), for messages.
	Name string
	objs Objects
	// Parallel is how many runs a push or a pull moves at once.
	Parallel int
}

// New is the remote called name whose objects objs holds.
func New(name string, objs Objects) *Remote {
	return &Remote{Name: name, objs: objs, Parallel: 8}
}

// URL is the remote's address: what the store records runs as being on.
func (r *Remote) URL() string { return r.objs.String() }

// String names the remote for people: "team (s3://bucket/prefix)".
func (r *Remote) String() string {
	if r.Name == "" {
		return r.objs.String()
	}
	return r.Name + " (" + r.objs.String() + ")"
}

// maxSmall bounds what is read into memory: refs, manifests, points and
// sources. Artifacts go to files.
const maxSmall = 256 << 20

// getSmall reads the object name, which must hash to want; what names
// what it is for errors ("the bundle of run 01J…").
func (r *Remote) getSmall(ctx context.Context, name string, want blobRef, what string) ([]byte, error) {
	rc, err := r.objs.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if want.Size > maxSmall {
		return nil, r.corrupt(name, what, fmt.Sprintf("it claims %d bytes, more than %d", want.Size, maxSmall))
	}
	data, err := io.ReadAll(io.LimitReader(rc, want.Size+1))
	if err != nil {
		return nil, fmt.Errorf("read %s of %s: %w", name, r, err)
	}
	if err := r.check(name, what, data, want); err != nil {
		return nil, err
	}
	return data, nil
}

// getRef reads a ref, which has no hash to check: it is checked by
// decoding it and against the bundle it names.
func (r *Remote) getRef(ctx context.Context, name string) (*ref, error) {
	rc, err := r.objs.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s of %s: %w", name, r, err)
	}
	rf, err := decodeRef(data)
	if err != nil {
		return nil, r.corrupt(name, "a run's ref", err.Error())
	}
	if lastSegment(name) != rf.UID {
		return nil, r.corrupt(name, "a run's ref", "it names run "+rf.UID)
	}
	return rf, nil
}

// check compares data with the size and sha256 it should have.
func (r *Remote) check(name, what string, data []byte, want blobRef) error {
	if int64(len(data)) != want.Size {
		return r.corrupt(name, what, fmt.Sprintf("%d bytes, not %d (truncated?)", len(data), want.Size))
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != want.SHA256 {
		return r.corrupt(name, what, fmt.Sprintf("its sha256 is %.12s…, not %.12s…", got, want.SHA256))
	}
	return nil
}

func (r *Remote) corrupt(name, what, why string) error {
	return &corruptError{fmt.Sprintf("%s/%s, %s, is corrupt: %s", r.objs.String(), name, what, why)}
}

// corruptError names a corrupt object and why, and matches ErrCorrupt.
type corruptError struct{ msg string }

func (e *corruptError) Error() string        { return e.msg }
func (e *corruptError) Is(target error) bool { return target == ErrCorrupt }

// getFile downloads the blob want into path, atomically, checking its
// size and sha256 before it is put in place: a file under path is always
// the right one.
func (r *Remote) getFile(ctx context.Context, want blobRef, path, what string) error {
	name := blobName(want.SHA256)
	rc, err := r.objs.Get(ctx, name)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("fetch %s: %w", what, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".fetch-*")
	if err != nil {
		return fmt.Errorf("fetch %s: %w", what, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(rc, want.Size+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fetch %s from %s: %w", what, r, err)
	}
	if err := r.checkHash(name, what, n, h, want); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("fetch %s: %w", what, err)
	}
	return nil
}

func (r *Remote) checkHash(name, what string, n int64, h hash.Hash, want blobRef) error {
	if n != want.Size {
		return r.corrupt(name, what, fmt.Sprintf("%d bytes, not %d (truncated?)", n, want.Size))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.SHA256 {
		return r.corrupt(name, what, fmt.Sprintf("its sha256 is %.12s…, not %.12s…", got, want.SHA256))
	}
	return nil
}

// putBytes stores data under name.
func (r *Remote) putBytes(ctx context.Context, name string, data []byte) error {
	return r.objs.Put(ctx, name, bytes.NewReader(data), int64(len(data)))
}

// putFile stores the file at path as the blob want, checking that the
// file still has the bytes it was hashed with: a blob's name must never
// lie about its content.
func (r *Remote) putFile(ctx context.Context, path string, want blobRef) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("push %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	err = r.objs.Put(ctx, blobName(want.SHA256), io.TeeReader(io.LimitReader(f, want.Size), h), want.Size)
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.SHA256 {
		return fmt.Errorf("push %s: the file changed while it was pushed (sha256 %.12s…, was %.12s…); push again", path, got, want.SHA256)
	}
	return nil
}

// exists reports whether the remote holds name.
func (r *Remote) exists(ctx context.Context, name string) (bool, error) {
	_, err := r.objs.Stat(ctx, name)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotExist):
		return false, nil
	}
	return false, err
}

// hashFile is the sha256 and size of the file at path.
func hashFile(path string) (blobRef, error) {
	f, err := os.Open(path)
	if err != nil {
		return blobRef{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return blobRef{}, fmt.Errorf("hash %s: %w", path, err)
	}
	return blobRef{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}
