package remote

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/store"
)

// Formats of a bundle's manifest and of a run's ref; a reader refuses
// others, so that a future layout is never misread.
const (
	manifestFormat = "xp-run-bundle/1"
	refFormat      = "xp-run-ref/1"
)

// manifest is a run's bundle: its row, summary and the blobs that hold the
// rest (its points, the sources of a dirty run, its artifact files). Its
// bytes are fixed when the run is first pushed or pulled, so that every
// push of the run, from any clone, writes the same objects.
type manifest struct {
	Format  string       `json:"format"`
	Run     runRecord    `json:"run"`
	Summary []summaryRow `json:"summary"`
	Points  blobRef      `json:"points"`
	Sources []fileRef    `json:"sources,omitempty"`
	// Files are the run's artifacts (weights.bin, preprocessing.json,
	// log.txt, ...), by name in its artifact directory.
	Files []fileRef `json:"files"`
}

type blobRef struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

type fileRef struct {
	Name string `json:"name"`
	blobRef
}

// runRecord is a store.Run as the bundle carries it. The JSON columns are
// strings holding their exact text; times are unix nanoseconds; the rerun
// link is the original's uid. The process id, heartbeat and cancel
// request are this machine's business and stay out.
type runRecord struct {
	UID           string            `json:"uid"`
	Key           string            `json:"key"`
	Experiment    string            `json:"experiment"`
	SpecHash      string            `json:"spec_hash"`
	Spec          string            `json:"spec,omitempty"`
	DataHashes    map[string]string `json:"data_hashes,omitempty"`
	Backend       string            `json:"backend"`
	Device        string            `json:"device"`
	Status        store.Status      `json:"status"`
	Error         string            `json:"error,omitempty"`
	Epoch         int               `json:"epoch"`
	Epochs        int               `json:"epochs"`
	Provenance    string            `json:"provenance,omitempty"`
	Dirty         bool              `json:"dirty"`
	RerunOf       string            `json:"rerun_of,omitempty"`
	Forced        bool              `json:"forced,omitempty"`
	ResumedFrom   string            `json:"resumed_from,omitempty"`
	ResumedEpoch  int               `json:"resumed_epoch,omitempty"`
	SweepID       string            `json:"sweep_id,omitempty"`
	WeightsSHA256 string            `json:"weights_sha256,omitempty"`
	Timing        string            `json:"timing,omitempty"`
	Host          string            `json:"host,omitempty"`
	Created       int64             `json:"created"`
	Started       int64             `json:"started"`
	Finished      int64             `json:"finished"`
}

type summaryRow struct {
	Split     string     `json:"split"`
	Name      string     `json:"name"`
	Last      exactFloat `json:"last"`
	LastEpoch int        `json:"last_epoch"`
	LastStep  int        `json:"last_step"`
	Best      exactFloat `json:"best"`
	BestEpoch int        `json:"best_epoch"`
	Count     int        `json:"count"`
}

// ref is the small object that makes a run visible (runs/<uid>), and the
// body of its index entries: enough to list the run and answer a remote
// check without reading its bundle.
type ref struct {
	Format     string                `json:"format"`
	UID        string                `json:"uid"`
	Key        string                `json:"key"`
	Experiment string                `json:"experiment"`
	Status     store.Status          `json:"status"`
	Origin     string                `json:"origin,omitempty"`
	Created    int64                 `json:"created"`
	Finished   int64                 `json:"finished"`
	Test       map[string]exactFloat `json:"test,omitempty"`
	Manifest   blobRef               `json:"manifest"`
}

// blob is bytes to store under their sha256.
type blob struct {
	blobRef
	data []byte
}

func newBlob(data []byte) blob {
	sum := sha256.Sum256(data)
	return blob{blobRef: blobRef{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}, data: data}
}

// runBlobs is what the database holds of a run, as blobs: its points and
// its sources, by path.
type runBlobs struct {
	points  blob
	sources map[string]blob
}

// newManifest is the bundle of d, whose artifacts are files (hashed by
// the caller), and the blobs it names besides them.
func newManifest(d *store.RunData, files []fileRef) (*manifest, *runBlobs, error) {
	pts, err := encodePoints(d.Points)
	if err != nil {
		return nil, nil, err
	}
	bl := &runBlobs{points: newBlob(pts), sources: map[string]blob{}}
	r := &d.Run
	m := &manifest{Format: manifestFormat, Points: bl.points.blobRef, Files: files,
		Run: runRecord{UID: r.UID, Key: r.Key, Experiment: r.Experiment, SpecHash: r.SpecHash,
			Spec: string(r.Spec), DataHashes: r.DataHashes, Backend: r.Backend, Device: r.Device,
			Status: r.Status, Error: r.Error, Epoch: r.Epoch, Epochs: r.Epochs,
			Provenance: string(r.Provenance), Dirty: r.Dirty, RerunOf: d.RerunOfUID, SweepID: r.SweepID,
			Forced: r.Forced, ResumedFrom: d.ResumedFromUID, ResumedEpoch: r.ResumedEpoch,
			WeightsSHA256: r.WeightsSHA256, Timing: string(r.Timing), Host: r.Host,
			Created: nanos(r.CreatedAt), Started: nanos(r.StartedAt), Finished: nanos(r.FinishedAt)}}
	for _, s := range d.Summaries {
		m.Summary = append(m.Summary, summaryRow{Split: s.Split, Name: s.Name, Last: exactFloat(s.Last),
			LastEpoch: s.LastEpoch, LastStep: s.LastStep, Best: exactFloat(s.Best), BestEpoch: s.BestEpoch, Count: s.Count})
	}
	for _, s := range d.Sources {
		b := newBlob(s.Content)
		bl.sources[s.Path] = b
		m.Sources = append(m.Sources, fileRef{Name: s.Path, blobRef: b.blobRef})
	}
	return m, bl, nil
}

func (m *manifest) encode() ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode the bundle of run %s: %w", m.Run.UID, err)
	}
	return append(b, '\n'), nil
}

func decodeManifest(raw []byte) (*manifest, error) {
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if m.Format != manifestFormat {
		return nil, fmt.Errorf("bundle format %q, this xp reads %s", m.Format, manifestFormat)
	}
	if m.Run.UID == "" || len(m.Run.Key) != 64 || !validSHA(m.Points.SHA256) {
		return nil, fmt.Errorf("bundle without a uid, key or points")
	}
	for _, f := range slices.Concat(m.Files, m.Sources) {
		if !validSHA(f.SHA256) || f.Name == "" {
			return nil, fmt.Errorf("bundle names a file %q without a sha256", f.Name)
		}
	}
	return &m, nil
}

// runData is the run m describes, with its points and sources read from
// their blobs, as the store takes it in.
func (m *manifest) runData(points []store.Point, sources map[string][]byte) *store.RunData {
	r := m.Run
	d := &store.RunData{RerunOfUID: r.RerunOf, ResumedFromUID: r.ResumedFrom, Points: points,
		Run: store.Run{UID: r.UID, Key: r.Key, Experiment: r.Experiment, SpecHash: r.SpecHash,
			Spec: rawOrNil(r.Spec), DataHashes: r.DataHashes, Backend: r.Backend, Device: r.Device,
			Status: r.Status, Error: r.Error, Epoch: r.Epoch, Epochs: r.Epochs,
			Provenance: rawOrNil(r.Provenance), Dirty: r.Dirty, SweepID: r.SweepID,
			Forced: r.Forced, ResumedEpoch: r.ResumedEpoch, WeightsSHA256: r.WeightsSHA256, Timing: rawOrNil(r.Timing), Host: r.Host,
			CreatedAt: fromNanos(r.Created), StartedAt: fromNanos(r.Started), FinishedAt: fromNanos(r.Finished)}}
	for _, s := range m.Summary {
		d.Summaries = append(d.Summaries, store.SummaryRow{Split: s.Split, Name: s.Name, LastStep: s.LastStep,
			MetricSummary: store.MetricSummary{Last: float64(s.Last), LastEpoch: s.LastEpoch,
				Best: float64(s.Best), BestEpoch: s.BestEpoch, Count: s.Count}})
	}
	for _, s := range m.Sources {
		d.Sources = append(d.Sources, store.Source{Path: s.Name, Content: sources[s.Name]})
	}
	return d
}

func rawOrNil(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// origin is who trained the run: "user@host" from its provenance.
func (m *manifest) origin() string {
	return provenance.OriginOf(json.RawMessage(m.Run.Provenance), m.Run.Host)
}

// ref is the run's visible object, pointing at the manifest mb.
func (m *manifest) ref(mb blobRef) ([]byte, error) {
	r := ref{Format: refFormat, UID: m.Run.UID, Key: m.Run.Key, Experiment: m.Run.Experiment,
		Status: m.Run.Status, Origin: m.origin(), Created: m.Run.Created, Finished: m.Run.Finished, Manifest: mb}
	for _, s := range m.Summary {
		if s.Split == store.SplitTest {
			if r.Test == nil {
				r.Test = map[string]exactFloat{}
			}
			r.Test[s.Name] = s.Last
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode the ref of run %s: %w", m.Run.UID, err)
	}
	return append(b, '\n'), nil
}

func decodeRef(raw []byte) (*ref, error) {
	var r ref
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	if r.Format != refFormat {
		return nil, fmt.Errorf("ref format %q, this xp reads %s", r.Format, refFormat)
	}
	if r.UID == "" || len(r.Key) != 64 || !validSHA(r.Manifest.SHA256) {
		return nil, fmt.Errorf("ref without a uid, key or manifest")
	}
	return &r, nil
}

// testMetrics is the ref's test metrics as floats.
func (r *ref) testMetrics() map[string]float64 {
	out := make(map[string]float64, len(r.Test))
	for k, v := range r.Test {
		out[k] = float64(v)
	}
	return out
}

func validSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && s == hexLower(s)
}

func hexLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'F' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
