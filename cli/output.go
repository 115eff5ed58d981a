package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xp-ml/xp/internal/termtext"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// runJSON is the machine-readable form of a run, shared by run, ls and show.
type runJSON struct {
	Key        string                        `json:"key"`
	Experiment string                        `json:"experiment"`
	Status     string                        `json:"status"`
	Metrics    map[string]map[string]float64 `json:"metrics"`
	Backend    string                        `json:"backend"`
	Device     string                        `json:"device"`
	SpecHash   string                        `json:"spec_hash"`
	DataHashes map[string]string             `json:"data_hashes,omitempty"`
	Epoch      int                           `json:"epoch"`
	Epochs     int                           `json:"epochs"`
	Error      string                        `json:"error,omitempty"`
	Created    time.Time                     `json:"created"`
	Started    *time.Time                    `json:"started,omitempty"`
	Finished   *time.Time                    `json:"finished,omitempty"`
	Timing     json.RawMessage               `json:"timing,omitempty"`
	Provenance json.RawMessage               `json:"provenance,omitempty"`
	Spec       json.RawMessage               `json:"spec,omitempty"`
	Weights    string                        `json:"weights_sha256,omitempty"`
	ID         int64                         `json:"id"`
	Dirty      bool                          `json:"dirty"`
	RerunOf    int64                         `json:"rerun_of,omitempty"`
	Forced     bool                          `json:"forced,omitempty"`
	// ResumedFrom is the run whose checkpoint this one continued, after
	// its epoch ResumedEpoch.
	ResumedFrom  int64  `json:"resumed_from,omitempty"`
	ResumedEpoch int    `json:"resumed_epoch,omitempty"`
	SweepID      string `json:"sweep_id,omitempty"`
	// Params are the values of the sweep point the run trained, path ->
	// value.
	Params map[string]json.RawMessage `json:"params,omitempty"`
	// Rung is where the run stands on its asha sweep's rungs (xp ls
	// --sweep --json).
	Rung *sweep.Rung `json:"rung,omitempty"`
	// UID is the run's global id; Remote the remote a pulled run came
	// from and Origin who trained it ("user@host", from its provenance).
	UID    string `json:"uid"`
	Remote string `json:"remote,omitempty"`
	Origin string `json:"origin,omitempty"`
	// RemoteHit: xp run answered with a run pulled from the remote now.
	RemoteHit bool `json:"remote_hit,omitempty"`
	// System is what the run cost the machine (package sysmetric): per
	// figure, its last and peak sample and how many there were.
	System map[string]systemJSON `json:"system,omitempty"`
}

type systemJSON struct {
	Last    float64 `json:"last"`
	Peak    float64 `json:"peak"`
	Samples int     `json:"samples"`
}

func toJSON(r *store.Run, status string, detail bool) runJSON {
	if status == "" {
		status = string(r.Status)
	}
	j := runJSON{
		Key: r.Key, Experiment: r.Experiment, Status: status, Metrics: runner.FinalMetrics(r),
		Backend: r.Backend, Device: r.Device, SpecHash: r.SpecHash, DataHashes: r.DataHashes,
		Epoch: r.Epoch, Epochs: r.Epochs, Error: r.Error, Created: r.CreatedAt,
		Started: timePtr(r.StartedAt), Finished: timePtr(r.FinishedAt), Timing: nullable(r.Timing),
		Weights: r.WeightsSHA256, ID: r.ID, Dirty: r.Dirty, RerunOf: r.RerunOf, SweepID: r.SweepID,
		Forced: r.Forced, ResumedFrom: r.ResumedFrom, ResumedEpoch: r.ResumedEpoch,
		UID: r.UID, Remote: r.Remote, Origin: trainedByOf(r),
	}
	if detail {
		j.Provenance = nullable(r.Provenance)
		j.Spec = nullable(r.Spec)
		for name, m := range r.Summary[store.SplitSystem] {
			if j.System == nil {
				j.System = map[string]systemJSON{}
			}
			j.System[name] = systemJSON{Last: m.Last, Peak: m.Best, Samples: m.Count}
		}
	}
	return j
}

func nullable(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	return raw
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// writeJSON writes v indented, with <, > and & as they are: the output is
// read by programs and people, not embedded in HTML.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// relPath shows a path relative to the working directory when it is below it.
func relPath(p string) string {
	cwd, err := os.Getwd()
	if err != nil {
		return p
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(cwd, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return rel
	}
	return p
}

// cleanText makes s's text streams clean every line (termtext.Writer), for
// a command whose output quotes user data (experiment and column names,
// labels, error messages) and prints no escape sequence of its own; flush
// writes what is held when the command is done.
func cleanText(s Streams) (clean Streams, flush func()) {
	out, errs := termtext.NewWriter(s.Out), termtext.NewWriter(s.Err)
	s.Out, s.Err = out, errs
	return s, func() { out.Flush(); errs.Flush() }
}

// plural is "1 problem", "2 problems": a count with its noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
