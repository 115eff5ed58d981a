package remote

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// tasksDir holds the files that a cluster's tasks and the coordinator
// that submitted them exchange when they share no filesystem
// (sweep/cluster's relay): per submission, its manifest, each task's
// live progress and its result. Unlike the rest of the remote these
// objects are replaced as a task goes on; a run itself is pushed as any
// run is, and the result only names it.
const tasksDir = "tasks/"

// maxTaskFile bounds a task file read into memory (a manifest of many
// points, a result with every metric point of a long run).
const maxTaskFile = 256 << 20

// taskName checks name, a path under tasks/ made of plain segments.
func taskName(name string) (string, error) {
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, `\`) {
			return "", fmt.Errorf("task file %q: want plain names separated by /", name)
		}
	}
	return tasksDir + name, nil
}

// PutTaskFile stores data as the task file name ("<submission>/manifest.json",
// "<submission>/task-3/result.json"), replacing it atomically.
func (r *Remote) PutTaskFile(ctx context.Context, name string, data []byte) error {
	full, err := taskName(name)
	if err != nil {
		return err
	}
	return r.putBytes(ctx, full, data)
}

// GetTaskFile reads the task file name; ErrNotExist when there is none.
func (r *Remote) GetTaskFile(ctx context.Context, name string) ([]byte, error) {
	full, err := taskName(name)
	if err != nil {
		return nil, err
	}
	rc, err := r.objs.Get(ctx, full)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxTaskFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s of %s: %w", full, r, err)
	}
	if len(b) > maxTaskFile {
		return nil, fmt.Errorf("read %s of %s: more than %d bytes", full, r, maxTaskFile)
	}
	return b, nil
}

// TaskFiles lists the task files under the task directory dir, by their
// names relative to it, sorted.
func (r *Remote) TaskFiles(ctx context.Context, dir string) ([]string, error) {
	full, err := taskName(dir)
	if err != nil {
		return nil, err
	}
	names, err := r.objs.List(ctx, full+"/")
	if err != nil {
		return nil, err
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimPrefix(n, full+"/")
	}
	return out, nil
}

// FetchRunFiles downloads the artifact files of run uid, visible on the
// remote, into dir, each checked against its sha256; it returns how many.
// A task that reported through the remote pushed its run there: the
// coordinator takes its artifacts from it.
func (r *Remote) FetchRunFiles(ctx context.Context, uid, dir string) (int, error) {
	rf, err := r.getRef(ctx, refName(uid))
	if err != nil {
		return 0, err
	}
	what := "the bundle of run " + uid
	raw, err := r.getSmall(ctx, blobName(rf.Manifest.SHA256), rf.Manifest, what)
	if err != nil {
		return 0, missing(err, what)
	}
	m, err := decodeManifest(raw)
	if err != nil {
		return 0, r.corrupt(blobName(rf.Manifest.SHA256), what, err.Error())
	}
	for i, f := range m.Files {
		if strings.ContainsAny(f.Name, `/\`) || f.Name == ".." || f.Name == "." {
			return i, r.corrupt(blobName(rf.Manifest.SHA256), what, "it names a file "+f.Name)
		}
		what := fmt.Sprintf("%s of run %s", f.Name, uid)
		if err := r.getFile(ctx, f.blobRef, filepath.Join(dir, f.Name), what); err != nil {
			return i, missing(err, what)
		}
	}
	return len(m.Files), nil
}
