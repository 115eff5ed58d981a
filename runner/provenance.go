package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/xp-ml/xp/cue/spec"
)

// Version is xp's version, set at link time (-ldflags "-X ...runner.Version=v1.2.3").
var Version = "dev"

// Provenance is recorded with every run and never hashed: where the
// experiment came from (the git commit and the blob of every file of its
// CUE instance) and what ran it.
type Provenance struct {
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
	// Dirty: some file of the experiment was not committed unchanged (or
	// there was no repository); its exact sources are in the store.
	Dirty      bool     `json:"dirty"`
	DirtyFiles []string `json:"dirty_files,omitempty"`
	// SpecPath is the file that defines the experiment; Files are all the
	// files of its CUE instance with the blob id of the content used.
	SpecPath string       `json:"spec_path,omitempty"`
	Files    []SourceFile `json:"files,omitempty"`
	// Data is the data source when it lies in the repository.
	Data *SourceFile `json:"data,omitempty"`

	Host           string `json:"host"`
	OS             string `json:"os"`
	Arch           string `json:"arch"`
	GoVersion      string `json:"go_version"`
	XPVersion      string `json:"xp_version"`
	Backend        string `json:"backend"`
	BackendVersion string `json:"backend_version"`
	Device         string `json:"device"`
}

func provenance(exp *spec.Experiment, j *Job, src *Source) json.RawMessage {
	host, _ := os.Hostname()
	p := Provenance{
		SpecFile: exp.File, Host: host, OS: runtime.GOOS, Arch: runtime.GOARCH,
		GoVersion: runtime.Version(), XPVersion: xpVersion(),
		Backend: j.Backend.Name(), BackendVersion: j.BackendVersion, Device: j.Device,
	}
	if src != nil {
		p.InRepo, p.Root, p.Commit, p.Branch = src.InRepo, src.Root, src.Commit, src.Branch
		p.Dirty, p.DirtyFiles = src.Dirty(), src.DirtyFiles()
		p.Files, p.Data = src.Files, src.Data
		if rel, err := relativeTo(src.Root, exp.File); err == nil {
			p.SpecPath = rel
		}
	}
	raw, _ := json.Marshal(p)
	return raw
}

// ParseProvenance reads a run's recorded provenance.
func ParseProvenance(raw json.RawMessage) (*Provenance, error) {
	var p Provenance
	if len(raw) == 0 {
		return &p, nil
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("read provenance: %w", err)
	}
	return &p, nil
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
