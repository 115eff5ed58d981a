package provenance

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"

	"github.com/xp-ml/xp/cue/spec"
)

// Version is xp's version, set at link time (-ldflags "-X ...provenance.Version=v1.2.3").
var Version = "dev"

// Record is recorded with every run and never hashed: where the
// experiment came from (the git commit and the blob of every file of its
// CUE instance) and what ran it.
type Record struct {
	// SpecFile is the experiment's file as it was loaded.
	SpecFile string `json:"spec_file"`

	// InRepo: the experiment was in a git repository. Root is that
	// repository's working tree, or the experiment's directory outside a
	// repository; SpecPath, Files and Data are relative to it.
	InRepo bool   `json:"in_repo"`
	Root   string `json:"root,omitempty"`
	// Commit is HEAD's commit id when the run started; Branch its branch,
	// "" when detached.
	Commit string `json:"commit,omitempty"`
	Branch string `json:"branch,omitempty"`
	// Dirty: some file of the experiment, .cue or data, was not committed
	// unchanged (or there was no repository); the exact sources of its
	// .cue files are in the store, its data by sha256.
	Dirty      bool     `json:"dirty"`
	DirtyFiles []string `json:"dirty_files,omitempty"`
	// SpecPath is the file that defines the experiment; Files are all the
	// files of its CUE instance with the blob id of the content used.
	SpecPath string       `json:"spec_path,omitempty"`
	Files    []SourceFile `json:"files,omitempty"`
	// Data and TestData are the data source and test source when they
	// lie in the repository's working tree: the blob id and sha256 of the
	// bytes that trained, and whether they differ from the commit (then
	// the run is dirty). Data elsewhere is recorded by its sha256 alone, in
	// the run's data hashes.
	Data     *SourceFile `json:"data,omitempty"`
	TestData *SourceFile `json:"test_data,omitempty"`

	Host      string `json:"host"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	GoVersion string `json:"go_version"`
	XPVersion string `json:"xp_version"`
	// Backend, its numerics version and the device are the runner's to
	// fill in: NewRecord leaves them empty.
	Backend        string `json:"backend"`
	BackendVersion string `json:"backend_version"`
	Device         string `json:"device"`
}

// NewRecord is the record of a run of exp, whose files come from src,
// started on this machine by this xp.
func NewRecord(exp *spec.Experiment, src *Source) *Record {
	host, _ := os.Hostname()
	r := &Record{
		SpecFile: exp.File, Host: host, OS: runtime.GOOS, Arch: runtime.GOARCH,
		GoVersion: runtime.Version(), XPVersion: xpVersion(),
	}
	if src != nil {
		r.InRepo, r.Root, r.Commit, r.Branch = src.InRepo, src.Root, src.Commit, src.Branch
		r.Dirty, r.DirtyFiles = src.Dirty(), src.DirtyFiles()
		r.Files, r.Data, r.TestData = src.Files, src.Data, src.TestData
		if rel, err := relativeTo(src.Root, exp.File); err == nil {
			r.SpecPath = rel
		}
	}
	return r
}

// Parse reads a run's recorded provenance.
func Parse(raw json.RawMessage) (*Record, error) {
	var r Record
	if len(raw) == 0 {
		return &r, nil
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("read provenance: %w", err)
	}
	return &r, nil
}

// Restore gives back the files of the experiment r records, keyed by their
// path relative to the returned Source's Root, and that Source: r's own,
// rooted in the repository that holds dir when r was in one (another
// clone, somewhere else, will do). A clean run's files are read at its
// commit through git, without touching the working tree, so this works
// after they were edited or deleted; a dirty run's come from stored, the
// sources stored with it. Every file must be the blob r recorded. run
// names the run in errors ("run 1a2b3c4d5e6f").
func (r *Record) Restore(run, dir string, stored func() (map[string][]byte, error)) (*Source, map[string][]byte, error) {
	if len(r.Files) == 0 {
		return nil, nil, fmt.Errorf("%s records no source files (it predates xp's git provenance): it cannot be rebuilt", run)
	}
	src := &Source{Root: r.Root, InRepo: r.InRepo, Commit: r.Commit, Branch: r.Branch, Files: slices.Clone(r.Files),
		Data: r.Data, TestData: r.TestData}
	var files map[string][]byte
	if r.Dirty {
		var err error
		if files, err = stored(); err != nil {
			return nil, nil, err
		}
		if r.InRepo {
			switch _, root, err := openRepo(dir); {
			case err == nil:
				src.Root = root
			case !errors.Is(err, ErrNotInRepo):
				return nil, nil, err
			}
		}
	} else {
		if r.Commit == "" {
			return nil, nil, fmt.Errorf("%s records no commit: it cannot be rebuilt", run)
		}
		paths := make([]string, len(r.Files))
		for i, f := range r.Files {
			paths[i] = f.Path
		}
		root, fromGit, err := readAtCommit(dir, r.Commit, paths)
		if err != nil {
			return nil, nil, fmt.Errorf("rebuild %s: %w", run, err)
		}
		src.Root, files = root, fromGit
	}
	for i, f := range src.Files {
		body, ok := files[f.Path]
		if !ok {
			return nil, nil, fmt.Errorf("%s: the source of %s was not stored", run, f.Path)
		}
		if id := blobID(body); id != f.Blob {
			return nil, nil, fmt.Errorf("%s: %s is blob %.12s, but %.12s was recorded", run, f.Path, id, f.Blob)
		}
		src.Files[i].Content = body
	}
	return src, files, nil
}

func xpVersion() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return Version
}
