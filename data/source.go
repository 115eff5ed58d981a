package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data/fetch"
	"github.com/xp-ml/xp/internal/redact"
)

// ErrChanged is a data file whose bytes changed after they were hashed.
var ErrChanged = errors.New("data changed since it was hashed")

// SourceOptions say where a spec's sources live on this machine.
type SourceOptions struct {
	// Dir is the directory relative file paths are taken from: that of the
	// .cue file that defines the experiment.
	Dir string
	// CacheDir holds fetched files (.xp/cache); needed by http and s3.
	CacheDir string
	// HTTPClient fetches http sources (nil: fetch.DefaultHTTPClient).
	HTTPClient *http.Client
	// S3 tunes s3 sources (zero: credentials from the environment).
	S3 fetch.S3Options
	// Limits bound reading and fetching (nil: the defaults): the spec's
	// data.limits.
	Limits *spec.Limits
}

// Source is a spec's data source resolved to bytes on this machine: a local
// file (remote ones fetched into the cache) or a generator, with the hash
// that identifies its data in the run key.
type Source struct {
	Field  string // the spec field: "data.source" or "data.test_source"
	Kind   string // "file", "http", "s3" or "synthetic"
	Name   string // what messages call it: the path, URL, s3://bucket/key
	Path   string // the local file; "" for synthetic
	Format string // FormatCSV, ...; "" for synthetic
	// SHA256 is the hex sha256 of the file's bytes; for a generator, of
	// its canonical parameters (with a generator version tag).
	SHA256 string
	// Cached says a remote file came from the cache, not the network.
	Cached bool

	synth  *spec.Synthetic
	limits limits
}

// ResolveSource makes s available locally and hashes it: a file is hashed
// in place, an http or s3 file is fetched into the cache (once: a pinned
// file already there is not fetched again), a synthetic source is hashed
// by its parameters. field is the source's spec path; errors about the
// spec are *spec.FieldError under it.
func ResolveSource(ctx context.Context, field string, s spec.Source, o SourceOptions) (*Source, error) {
	src := &Source{Field: field, Kind: s.Kind(), limits: limitsOf(o.Limits)}
	var err error
	switch src.Kind {
	case "file":
		src.Path, src.Name = localPath(o.Dir, s.File), localPath(o.Dir, s.File)
		if src.Format, err = FormatOf(s.File); err != nil {
			return nil, &spec.FieldError{Field: field + ".file", Err: err}
		}
		if src.SHA256, err = hashFile(ctx, src.Path); err != nil {
			return nil, &spec.FieldError{Field: field + ".file", Err: err}
		}
	case "http":
		h := s.HTTP
		src.Name = redact.URL(h.URL) // recorded and printed: never its secrets
		if src.Format, err = formatOr(h.Format, urlPath(h.URL)); err != nil {
			return nil, &spec.FieldError{Field: field + ".http.url", Err: err}
		}
		if o.CacheDir == "" {
			return nil, fmt.Errorf("%s: no cache directory to fetch %s into", field, h.URL)
		}
		c := &fetch.Cache{Dir: o.CacheDir, Limits: src.limits.fetch}
		b, err := c.HTTP(ctx, o.HTTPClient, h.URL, h.SHA256)
		if err != nil {
			return nil, &spec.FieldError{Field: field + ".http." + remoteField(err, "sha256", "url"), Err: err}
		}
		src.Path, src.SHA256, src.Cached = b.Path, b.SHA256, b.Hit
	case "s3":
		s3 := s.S3
		obj := fetch.S3Object{Endpoint: s3.Endpoint, Region: s3.Region, Bucket: s3.Bucket, Key: s3.Key, SHA256: s3.SHA256}
		src.Name = "s3://" + s3.Bucket + "/" + s3.Key
		if src.Format, err = formatOr(s3.Format, s3.Key); err != nil {
			return nil, &spec.FieldError{Field: field + ".s3.key", Err: err}
		}
		if o.CacheDir == "" {
			return nil, fmt.Errorf("%s: no cache directory to fetch %s into", field, src.Name)
		}
		c := &fetch.Cache{Dir: o.CacheDir}
		b, err := c.S3(ctx, obj, o.S3)
		if err != nil {
			return nil, &spec.FieldError{Field: field + ".s3." + remoteField(err, "sha256", "key"), Err: err}
		}
		src.Path, src.SHA256, src.Cached = b.Path, b.SHA256, b.Hit
	case "synthetic":
		src.synth = s.Synthetic
		src.Name = "synthetic " + s.Synthetic.Kind()
		if src.SHA256, err = synthHash(s.Synthetic); err != nil {
			return nil, &spec.FieldError{Field: field + ".synthetic", Err: err}
		}
	default:
		return nil, fieldErrorf(field, ErrInvalidRule, "sets none of file, http, s3, synthetic")
	}
	return src, nil
}

// AddressField is the spec field that says where the source's rows are
// ("data.source.file", "data.source.http.url"): where an error reading
// them points.
func (s *Source) AddressField() string {
	switch s.Kind {
	case "file":
		return s.Field + ".file"
	case "http":
		return s.Field + ".http.url"
	case "s3":
		return s.Field + ".s3.key"
	case "synthetic":
		return s.Field + ".synthetic"
	}
	return s.Field
}

// remoteField is the spec field a fetch error belongs to: the pin for a
// pin mismatch, else the address.
func remoteField(err error, pin, addr string) string {
	if errors.Is(err, fetch.ErrPinMismatch) {
		return pin
	}
	return addr
}

func formatOr(format, name string) (string, error) {
	if format != "" {
		return format, nil
	}
	return FormatOf(name)
}

// urlPath is the path of a URL, which names the file and its format.
func urlPath(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Path
	}
	return raw
}

// localPath resolves a spec's file path against dir.
func localPath(dir, p string) string {
	if filepath.IsAbs(p) || dir == "" {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// Read reads the source's rows. A file whose bytes no longer hash to
// SHA256 is an error matching ErrChanged: the run key would not describe
// the data it trained on. The hash is taken from the bytes parsed, so the
// check costs no second read.
func (s *Source) Read(ctx context.Context) (*Frame, error) {
	if s.synth != nil {
		return Generate(ctx, s.synth)
	}
	f, sum, err := readFormat(ctx, s.Path, s.Name, s.Format, s.SHA256 != "", s.limits)
	if err != nil {
		return nil, err
	}
	if sum != s.SHA256 {
		if s.Kind == "file" {
			return nil, errorf(ErrChanged, "%s changed since it was hashed (sha256 %s, was %s); run again", s.Name, sum, s.SHA256)
		}
		return nil, fetch.Verify(s.Path, s.SHA256)
	}
	return f, nil
}

// HashFile is the hex sha256 of a regular file's bytes.
func HashFile(path string) (string, error) { return hashFile(context.Background(), path) }

// hashFile is HashFile that stops when ctx is canceled.
func hashFile(ctx context.Context, path string) (string, error) {
	if err := regularFile(path); err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// synthVersion tags a generator's hash: bump it when a generator's output
// for the same parameters changes.
const synthVersion = "xp-synthetic-v1\n"

func synthHash(s *spec.Synthetic) (string, error) {
	raw, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	canon, err := spec.Canonical(raw)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append([]byte(synthVersion), canon...))
	return hex.EncodeToString(sum[:]), nil
}
