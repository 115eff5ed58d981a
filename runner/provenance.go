package runner

import (
	"encoding/json"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/xp-ml/xp/cue/spec"
)

// Version is xp's version, set at link time (-ldflags "-X ...runner.Version=v1.2.3").
var Version = "dev"

// Provenance is recorded with every run and never hashed.
type Provenance struct {
	SpecFile       string `json:"spec_file"`
	Host           string `json:"host"`
	OS             string `json:"os"`
	Arch           string `json:"arch"`
	GoVersion      string `json:"go_version"`
	XPVersion      string `json:"xp_version"`
	Backend        string `json:"backend"`
	BackendVersion string `json:"backend_version"`
	Device         string `json:"device"`
}

func provenance(exp *spec.Experiment, j *Job) json.RawMessage {
	host, _ := os.Hostname()
	p := Provenance{
		SpecFile: exp.File, Host: host, OS: runtime.GOOS, Arch: runtime.GOARCH,
		GoVersion: runtime.Version(), XPVersion: xpVersion(),
		Backend: j.Backend.Name(), BackendVersion: j.Backend.Version(), Device: j.Device,
	}
	raw, _ := json.Marshal(p)
	return raw
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
