package remote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/xp-ml/xp/data/fetch"
	"github.com/xp-ml/xp/store"
)

// PullOptions tune Pull.
type PullOptions struct {
	// Experiment pulls the runs of one experiment; "" pulls every run.
	Experiment string
	// Artifacts also fetches the runs' artifacts (weights, preprocessing,
	// predictions, log) now; without it they are fetched when first
	// needed (FetchArtifacts).
	Artifacts bool
	// Data also fetches the data files the runs read, where the remote
	// has them (pushed with PushOptions.Data), into DataCache, which
	// checks each against its sha256; each is then told to OnData with
	// where it lies.
	Data      bool
	DataCache *fetch.Cache
	OnData    func(run *store.Run, name, path string)
}

// PullResult counts what a pull did.
type PullResult struct {
	// Pulled runs were added to the store; Already were in it.
	Pulled, Already int
	// Files counts the artifacts fetched, Data the data files.
	Files, Data int
	Objects     int
	Bytes       int64
}

// Pull brings the remote's visible runs (of opts.Experiment, or all)
// into st: each run's row, spec, provenance, summary, points and the
// sources of a dirty run, checked against their sha256 before anything is
// recorded. Runs whose uid st has are left alone. Pulled runs record the
// remote and who trained them (store.Run's Remote and Origin).
func (r *Remote) Pull(ctx context.Context, st *store.Store, opts PullOptions) (*PullResult, error) {
	prefix := refsDir
	if opts.Experiment != "" {
		prefix = expDir(opts.Experiment)
	}
	names, err := r.objs.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	local, err := st.UIDs(ctx)
	if err != nil {
		return nil, err
	}
	res := &PullResult{}
	var todo, all []string
	for _, n := range names {
		uid := lastSegment(n)
		all = append(all, uid)
		if local[uid] {
			res.Already++
		} else {
			todo = append(todo, uid)
		}
	}
	var t tally
	var pulled atomic.Int64
	err = forEach(ctx, r.Parallel, todo, func(ctx context.Context, uid string) error {
		run, err := r.pullRun(ctx, st, uid, &t)
		if errors.Is(err, ErrNotExist) {
			return nil // an index entry whose run is not visible (yet)
		}
		if err != nil {
			return err
		}
		if run != nil {
			pulled.Add(1)
		}
		return nil
	})
	res.Pulled = int(pulled.Load())
	if err == nil && (opts.Artifacts || opts.Data) {
		err = r.pullExtras(ctx, st, all, opts, res, &t)
	}
	res.Objects, res.Bytes = int(t.objects.Load()), t.bytes.Load()
	return res, err
}

// pullRun brings run uid into st from its ref; nil when st has it. A
// missing ref (the run is not visible) is ErrNotExist.
func (r *Remote) pullRun(ctx context.Context, st *store.Store, uid string, t *tally) (*store.Run, error) {
	rf, err := r.getRef(ctx, refName(uid))
	if err != nil {
		return nil, err
	}
	t.put(0)
	return r.pullRef(ctx, st, rf, t)
}

// pullRef brings the run rf points at into st, checking every object
// against its sha256, and returns it as recorded.
func (r *Remote) pullRef(ctx context.Context, st *store.Store, rf *ref, t *tally) (*store.Run, error) {
	what := "the bundle of run " + rf.UID
	raw, err := r.getSmall(ctx, blobName(rf.Manifest.SHA256), rf.Manifest, what)
	if err != nil {
		return nil, missing(err, what)
	}
	t.put(rf.Manifest.Size)
	m, err := decodeManifest(raw)
	if err != nil {
		return nil, r.corrupt(blobName(rf.Manifest.SHA256), what, err.Error())
	}
	if m.Run.UID != rf.UID || m.Run.Key != rf.Key {
		return nil, r.corrupt(blobName(rf.Manifest.SHA256), what, "it is the bundle of run "+m.Run.UID)
	}
	what = "the points of run " + rf.UID
	praw, err := r.getSmall(ctx, blobName(m.Points.SHA256), m.Points, what)
	if err != nil {
		return nil, missing(err, what)
	}
	t.put(m.Points.Size)
	pts, err := decodePoints(praw)
	if err != nil {
		return nil, r.corrupt(blobName(m.Points.SHA256), what, err.Error())
	}
	sources := map[string][]byte{}
	for _, s := range m.Sources {
		what := fmt.Sprintf("source %s of run %s", s.Name, rf.UID)
		b, err := r.getSmall(ctx, blobName(s.SHA256), s.blobRef, what)
		if err != nil {
			return nil, missing(err, what)
		}
		t.put(s.Size)
		sources[s.Name] = b
	}
	id, _, err := st.ImportRun(context.WithoutCancel(ctx), m.runData(pts, sources), r.URL(), rf.Manifest.SHA256)
	if err != nil {
		return nil, err
	}
	run, err := st.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	// A cache of the bundle, for a later push and for FetchArtifacts;
	// the run's Bundle is what counts, and the remote has it.
	_ = writeFileAtomic(filepath.Join(st.ArtifactDir(run), bundleFile), raw)
	return run, nil
}

// missing makes a blob that a visible run's ref leads to, and that the
// remote lacks, a corrupt remote rather than a run not visible yet.
func missing(err error, what string) error {
	if errors.Is(err, ErrNotExist) {
		return fmt.Errorf("%s: %w (the remote lost an object that a visible run needs)", what, errors.Join(err, ErrCorrupt))
	}
	return err
}

// pullExtras fetches the artifacts and data files of the runs uids that
// st holds, as opts asks.
func (r *Remote) pullExtras(ctx context.Context, st *store.Store, uids []string, opts PullOptions, res *PullResult, t *tally) error {
	var files, data atomic.Int64
	err := forEach(ctx, r.Parallel, uids, func(ctx context.Context, uid string) error {
		run, err := st.RunByUID(ctx, uid)
		if errors.Is(err, store.ErrNotFound) {
			return nil // not visible on the remote
		}
		if err != nil {
			return err
		}
		if opts.Artifacts && run.Bundle != "" {
			n, size, err := r.FetchArtifacts(ctx, st, run)
			if err != nil {
				return err
			}
			files.Add(int64(n))
			t.objects.Add(int64(n))
			t.bytes.Add(size)
		}
		if opts.Data && opts.DataCache != nil {
			n, err := r.pullData(ctx, run, opts, t)
			if err != nil {
				return err
			}
			data.Add(int64(n))
		}
		return nil
	})
	res.Files, res.Data = int(files.Load()), int(data.Load())
	return err
}

// pullData fetches the data files of run that the remote has and the
// cache lacks.
func (r *Remote) pullData(ctx context.Context, run *store.Run, opts PullOptions, t *tally) (int, error) {
	n := 0
	for _, name := range slices.Sorted(maps.Keys(run.DataHashes)) {
		sha := run.DataHashes[name]
		if !validSHA(sha) {
			continue
		}
		b, ok := opts.DataCache.Lookup(sha)
		if !ok {
			size, err := r.objs.Stat(ctx, blobName(sha))
			if errors.Is(err, ErrNotExist) {
				continue // not pushed with --data
			}
			if err != nil {
				return n, err
			}
			path := opts.DataCache.Path(sha)
			what := fmt.Sprintf("data %s of run %s", name, run.UID)
			if err := r.getFile(ctx, blobRef{SHA256: sha, Size: size}, path, what); err != nil {
				return n, err
			}
			_ = os.Chmod(path, 0o444) // as the cache keeps its files
			b = fetch.Blob{Path: path, SHA256: sha, Size: size}
			t.put(size)
			n++
		}
		if opts.OnData != nil {
			opts.OnData(run, name, b.Path)
		}
	}
	return n, nil
}

// manifestOf is the bundle of run, a pulled or pushed one: its
// bundle.json when that still hashes to the run's Bundle, else read from
// the remote through the run's ref.
func (r *Remote) manifestOf(ctx context.Context, st *store.Store, run *store.Run) (*manifest, error) {
	if run.Bundle == "" {
		return nil, fmt.Errorf("run %s was never pushed or pulled: it has no bundle", store.ShortKey(run.Key))
	}
	path := filepath.Join(st.ArtifactDir(run), bundleFile)
	if raw, err := os.ReadFile(path); err == nil {
		sum := sha256.Sum256(raw)
		if hex.EncodeToString(sum[:]) == run.Bundle {
			return decodeManifest(raw)
		}
	}
	rf, err := r.getRef(ctx, refName(run.UID))
	if errors.Is(err, ErrNotExist) {
		return nil, fmt.Errorf("run %s (%s) is not on %s: %w", store.ShortKey(run.Key), run.UID, r, err)
	}
	if err != nil {
		return nil, err
	}
	if rf.Manifest.SHA256 != run.Bundle {
		return nil, fmt.Errorf("run %s on %s has bundle %.12s…, not this store's %.12s…", run.UID, r, rf.Manifest.SHA256, run.Bundle)
	}
	what := "the bundle of run " + run.UID
	raw, err := r.getSmall(ctx, blobName(run.Bundle), rf.Manifest, what)
	if err != nil {
		return nil, missing(err, what)
	}
	m, err := decodeManifest(raw)
	if err != nil {
		return nil, r.corrupt(blobName(run.Bundle), what, err.Error())
	}
	_ = writeFileAtomic(path, raw)
	return m, nil
}

// MissingArtifacts lists the artifact files of run, a pulled run, that
// are not in its artifact directory yet (by name); none for a run trained
// here, and for one whose bundle.json is not here either (FetchArtifacts
// asks the remote then).
func MissingArtifacts(st *store.Store, run *store.Run) []string {
	if run.Remote == "" || run.Bundle == "" {
		return nil
	}
	dir := st.ArtifactDir(run)
	raw, err := os.ReadFile(filepath.Join(dir, bundleFile))
	if err != nil {
		return []string{bundleFile}
	}
	m, err := decodeManifest(raw)
	if err != nil {
		return []string{bundleFile}
	}
	var out []string
	for _, f := range m.Files {
		if fi, err := os.Stat(filepath.Join(dir, f.Name)); err != nil || fi.Size() != f.Size {
			out = append(out, f.Name)
		}
	}
	return out
}

// FetchArtifacts brings run's artifact files (weights, preprocessing,
// predictions, log, ...) from the remote into its artifact directory,
// each checked against its sha256 before it is put in place; files
// already there are kept. It returns how many files it fetched and their
// bytes.
func (r *Remote) FetchArtifacts(ctx context.Context, st *store.Store, run *store.Run) (int, int64, error) {
	m, err := r.manifestOf(ctx, st, run)
	if err != nil {
		return 0, 0, err
	}
	dir := st.ArtifactDir(run)
	n, size := 0, int64(0)
	for _, f := range m.Files {
		path := filepath.Join(dir, f.Name)
		if fi, err := os.Stat(path); err == nil && fi.Size() == f.Size {
			continue
		}
		if strings.ContainsAny(f.Name, `/\`) || f.Name == ".." || f.Name == "." {
			return n, size, r.corrupt(blobName(run.Bundle), "the bundle of run "+run.UID, "it names a file "+f.Name)
		}
		what := fmt.Sprintf("%s of run %s", f.Name, run.UID)
		if err := r.getFile(ctx, f.blobRef, path, what); err != nil {
			return n, size, missing(err, what)
		}
		n++
		size += f.Size
	}
	return n, size, nil
}

// FetchCheckpoint brings the checkpoint run left when it was interrupted,
// if it was pushed with it, to path (checked against its sha256); false
// when the remote has none for it.
func (r *Remote) FetchCheckpoint(ctx context.Context, run *store.Run, path string) (bool, error) {
	rc, err := r.objs.Get(ctx, checkpointRef(run.UID))
	if errors.Is(err, ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var rec checkpointRecord
	err = decodeJSON(rc, &rec)
	rc.Close()
	if err != nil || rec.Format != checkpointFormat || rec.UID != run.UID || !validSHA(rec.SHA256) {
		return false, r.corrupt(checkpointRef(run.UID), "the checkpoint of run "+run.UID, fmt.Sprint("malformed ", err))
	}
	what := "the checkpoint of run " + run.UID
	if err := r.getFile(ctx, rec.blobRef, path, what); err != nil {
		return false, missing(err, what)
	}
	return true, nil
}
