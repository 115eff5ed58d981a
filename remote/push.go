package remote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/xp-ml/xp/store"
)

// bundleFile is the run's manifest, kept in its artifact directory once
// fixed: a later push, to any remote, sends these bytes again.
const bundleFile = "bundle.json"

// PushOptions tune Push.
type PushOptions struct {
	// Data also pushes the data files the runs read, by their sha256:
	// those that DataFile finds on this machine.
	Data     bool
	DataFile func(r *store.Run, name, sha string) (path string, ok bool)
	// Checkpoint finds the checkpoint an interrupted run left ("" for
	// none), pushed with the run so that `xp resume` can continue it on
	// another machine.
	Checkpoint func(r *store.Run) string
}

// PushResult counts what a push did.
type PushResult struct {
	// Pushed runs are visible on the remote now; Already were known to be
	// there (nothing was sent for them); Unfinished were left out (still
	// training, queued or lost: a run is pushed once it has ended).
	Pushed, Already, Unfinished int
	// Data is how many data files were sent.
	Data    int
	Objects int
	Bytes   int64
}

// tally counts objects and bytes from several goroutines.
type tally struct {
	runs, data, objects atomic.Int64
	bytes               atomic.Int64
}

func (t *tally) put(size int64) {
	t.objects.Add(1)
	t.bytes.Add(size)
}

// Push makes runs visible on the remote, with everything they are
// (their bundle: row, spec, provenance, summary, points, sources and
// artifacts). It needs no lock and may be repeated or run by several
// processes at once: every object but a run's ref is named by its
// content, and a run's ref, which makes it visible, is written after
// everything it leads to. A push killed at any point leaves no run half
// visible; the next push completes it. Runs the store records as being on
// the remote are skipped.
func (r *Remote) Push(ctx context.Context, st *store.Store, runs []store.Run, opts PushOptions) (*PushResult, error) {
	on, err := st.OnRemote(ctx, r.URL())
	if err != nil {
		return nil, err
	}
	res := &PushResult{}
	var todo []*store.Run
	for i := range runs {
		switch run := &runs[i]; {
		case !run.Status.Finished():
			res.Unfinished++
		case on[run.ID]:
			res.Already++
		default:
			todo = append(todo, run)
		}
	}
	if len(todo) == 0 {
		return res, nil
	}
	if err := r.mark(ctx); err != nil {
		return res, err
	}
	var t tally
	err = forEach(ctx, r.Parallel, todo, func(ctx context.Context, run *store.Run) error {
		if err := r.pushRun(ctx, st, run, opts, &t); err != nil {
			return fmt.Errorf("push run %s (%s, #%d): %w", store.ShortKey(run.Key), run.Experiment, run.ID, err)
		}
		t.runs.Add(1)
		return nil
	})
	res.Pushed, res.Data = int(t.runs.Load()), int(t.data.Load())
	res.Objects, res.Bytes = int(t.objects.Load()), t.bytes.Load()
	return res, err
}

// mark writes the remote's marker unless it is there: its format, for a
// future xp to know what it reads.
func (r *Remote) mark(ctx context.Context) error {
	ok, err := r.exists(ctx, markerName)
	if err != nil || ok {
		return err
	}
	return r.putBytes(ctx, markerName, []byte(`{"format":"`+remoteFormat+`"}`+"\n"))
}

// pushRun sends one run: its blobs, then its bundle, its checkpoint and
// index entries, then its ref, the object that makes it visible.
func (r *Remote) pushRun(ctx context.Context, st *store.Store, run *store.Run, opts PushOptions, t *tally) error {
	b, err := r.localBundle(ctx, st, run)
	if err != nil {
		return err
	}
	if err := r.pushBlobs(ctx, b, t); err != nil {
		return err
	}
	if opts.Data {
		if err := r.pushData(ctx, run, opts.DataFile, t); err != nil {
			return err
		}
	}
	mb := newBlob(b.raw)
	if err := r.putBytes(ctx, blobName(mb.SHA256), mb.data); err != nil {
		return err
	}
	t.put(mb.Size)
	if opts.Checkpoint != nil {
		if err := r.pushCheckpoint(ctx, run, opts.Checkpoint(run), t); err != nil {
			return err
		}
	}
	refBytes, err := b.m.ref(mb.blobRef)
	if err != nil {
		return err
	}
	uid := b.m.Run.UID
	for _, name := range []string{expEntry(b.m.Run.Experiment, uid), keyEntry(b.m.Run.Key, uid), refName(uid)} {
		if err := r.putBytes(ctx, name, refBytes); err != nil {
			return err
		}
		t.put(int64(len(refBytes)))
	}
	return st.MarkOnRemote(context.WithoutCancel(ctx), run.ID, r.URL())
}

// bundle is a run's manifest with where its blobs' bytes are here.
type bundle struct {
	raw   []byte
	m     *manifest
	blobs *runBlobs
	dir   string // the run's artifact directory
}

// localBundle is run's bundle: the one fixed by its first push or its
// pull (bundle.json), else made now from the store and the artifact
// directory and fixed.
func (r *Remote) localBundle(ctx context.Context, st *store.Store, run *store.Run) (*bundle, error) {
	d, err := st.ExportRun(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	dir := st.ArtifactDir(run)
	if d.Run.Bundle != "" {
		return fixedBundle(d, dir)
	}
	files, err := artifactFiles(dir)
	if err != nil {
		return nil, err
	}
	m, bl, err := newManifest(d, files)
	if err != nil {
		return nil, err
	}
	raw, err := m.encode()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	sha := hex.EncodeToString(sum[:])
	if err := writeFileAtomic(filepath.Join(dir, bundleFile), raw); err != nil {
		return nil, err
	}
	have, err := st.SetBundle(ctx, run.ID, sha)
	if err != nil {
		return nil, err
	}
	if have != sha {
		return nil, fmt.Errorf("its bundle was fixed as %.12s… by another process while this one made %.12s…: push again", have, sha)
	}
	return &bundle{raw: raw, m: m, blobs: bl, dir: dir}, nil
}

// fixedBundle reads the bundle fixed for d's run, and checks that what
// the store holds still makes its points and sources.
func fixedBundle(d *store.RunData, dir string) (*bundle, error) {
	raw, err := os.ReadFile(filepath.Join(dir, bundleFile))
	if err != nil {
		return nil, fmt.Errorf("its bundle: %w", err)
	}
	sum := sha256.Sum256(raw)
	if got := hex.EncodeToString(sum[:]); got != d.Run.Bundle {
		return nil, fmt.Errorf("%s has sha256 %.12s…, but the run's bundle is %.12s…", filepath.Join(dir, bundleFile), got, d.Run.Bundle)
	}
	m, err := decodeManifest(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, bundleFile), err)
	}
	_, bl, err := newManifest(d, nil)
	if err != nil {
		return nil, err
	}
	if bl.points.blobRef != m.Points {
		return nil, fmt.Errorf("its points changed since its bundle was made")
	}
	for _, s := range m.Sources {
		if bl.sources[s.Name].blobRef != s.blobRef {
			return nil, fmt.Errorf("its source %s changed since its bundle was made", s.Name)
		}
	}
	return &bundle{raw: raw, m: m, blobs: bl, dir: dir}, nil
}

// artifactFiles hashes the files of a run's artifact directory, by name;
// hidden files (a download in progress) and the bundle are not artifacts.
func artifactFiles(dir string) ([]fileRef, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read its artifacts: %w", err)
	}
	var files []fileRef
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") || e.Name() == bundleFile {
			continue
		}
		br, err := hashFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read its artifacts: %w", err)
		}
		files = append(files, fileRef{Name: e.Name(), blobRef: br})
	}
	slices.SortFunc(files, func(a, b fileRef) int { return strings.Compare(a.Name, b.Name) })
	return files, nil
}

// bigBlob is the size from which a blob is looked for before it is sent:
// asking costs a request, sending a large blob again costs more.
const bigBlob = 4 << 20

// pushBlobs sends the blobs of b: points, sources, artifact files.
func (r *Remote) pushBlobs(ctx context.Context, b *bundle, t *tally) error {
	small := []blob{b.blobs.points}
	for _, s := range b.m.Sources {
		small = append(small, b.blobs.sources[s.Name])
	}
	for _, bl := range small {
		if err := r.putBytes(ctx, blobName(bl.SHA256), bl.data); err != nil {
			return err
		}
		t.put(bl.Size)
	}
	for _, f := range b.m.Files {
		if f.Size >= bigBlob {
			if ok, err := r.exists(ctx, blobName(f.SHA256)); err != nil || ok {
				if err != nil {
					return err
				}
				continue
			}
		}
		path := filepath.Join(b.dir, f.Name)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("its %s is not here (a pulled run whose artifacts were not fetched: `xp pull --artifacts` first)", f.Name)
		}
		if err := r.putFile(ctx, path, f.blobRef); err != nil {
			return err
		}
		t.put(f.Size)
	}
	return nil
}

// pushData sends the data files run read that are not on the remote yet
// and that find locates here; each is checked against its data hash.
func (r *Remote) pushData(ctx context.Context, run *store.Run, find func(*store.Run, string, string) (string, bool), t *tally) error {
	if find == nil {
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(run.DataHashes)) {
		sha := run.DataHashes[name]
		if !validSHA(sha) {
			continue
		}
		path, ok := find(run, name, sha)
		if !ok {
			continue
		}
		if ok, err := r.exists(ctx, blobName(sha)); err != nil || ok {
			if err != nil {
				return err
			}
			continue
		}
		br, err := hashFile(path)
		if err != nil {
			return fmt.Errorf("data %s: %w", name, err)
		}
		if br.SHA256 != sha {
			return fmt.Errorf("data %s: %s has sha256 %.12s… now, not the run's %.12s…", name, path, br.SHA256, sha)
		}
		if err := r.putFile(ctx, path, br); err != nil {
			return err
		}
		t.put(br.Size)
		t.data.Add(1)
	}
	return nil
}

// checkpointRecord is the body of a checkpoint's ref.
type checkpointRecord struct {
	Format string `json:"format"`
	UID    string `json:"uid"`
	blobRef
}

const checkpointFormat = "xp-checkpoint/1"

// pushCheckpoint sends the checkpoint at path ("" for none) as run's.
func (r *Remote) pushCheckpoint(ctx context.Context, run *store.Run, path string, t *tally) error {
	if path == "" {
		return nil
	}
	br, err := hashFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("its checkpoint: %w", err)
	}
	if err := r.putFile(ctx, path, br); err != nil {
		return err
	}
	rec, err := json.Marshal(checkpointRecord{Format: checkpointFormat, UID: run.UID, blobRef: br})
	if err != nil {
		return err
	}
	if err := r.putBytes(ctx, checkpointRef(run.UID), rec); err != nil {
		return err
	}
	t.put(br.Size)
	t.put(int64(len(rec)))
	return nil
}

// writeFileAtomic writes data to path through a temporary file renamed
// into place.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
