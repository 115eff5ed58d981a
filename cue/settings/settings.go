package settings

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/internal/suggest"
)

// FileName is the settings file at a project's root.
const FileName = "xp.cue"

//go:embed schema.cue
var schemaSource []byte

// schemaFile names the embedded schema in positions, which are dropped.
const schemaFile = "xp:settings.cue"

// Settings are a project's settings.
type Settings struct {
	// File is the file they were read from, as Load was given it; ""
	// when the project has none (every setting at its default).
	File string
	// Remotes sorted by name.
	Remotes []Remote
	// DefaultRemote names the remote to use when none is named.
	DefaultRemote string
	// AutoPush pushes every run xp trains to the default remote.
	AutoPush bool
	// RemoteCheck asks the default remote for a key before training it
	// (default true).
	RemoteCheck bool
}

// Remote is one remote of the project.
type Remote struct {
	Name     string
	URL      string // s3://bucket/prefix or file:///path
	Endpoint string // an S3-compatible server; "" for Amazon S3
	Region   string
}

// Kind is the remote's scheme: "s3" or "file".
func (r *Remote) Kind() string {
	k, _, _ := strings.Cut(r.URL, "://")
	return k
}

// ErrNoRemote: the project has no remote, or several and none named.
var ErrNoRemote = errors.New("no remote")

// Load reads the settings in path (xp.cue at the project's root); a
// missing file is the defaults. Errors are *spec.FieldError, at the
// field's position in path.
func Load(path string) (*Settings, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Settings{RemoteCheck: true}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return Parse(path, src)
}

// file is the decoded form of the file.
type file struct {
	Remotes map[string]struct {
		URL      string `json:"url"`
		Endpoint string `json:"endpoint"`
		Region   string `json:"region"`
	} `json:"remotes"`
	DefaultRemote string `json:"default_remote"`
	AutoPush      bool   `json:"auto_push"`
	RemoteCheck   *bool  `json:"remote_check"`
}

// Parse reads settings from src, the content of the file at path.
func Parse(path string, src []byte) (*Settings, error) {
	ctx := cuecontext.New()
	schema := ctx.CompileBytes(schemaSource, cue.Filename(schemaFile)).LookupPath(cue.ParsePath("#Settings"))
	if err := schema.Err(); err != nil {
		return nil, fmt.Errorf("settings schema: %w", err)
	}
	v := ctx.CompileBytes(src, cue.Filename(path))
	if err := v.Err(); err != nil {
		return nil, err // a syntax error: CUE's own, with its position
	}
	u := schema.Unify(v)
	if err := u.Validate(cue.Concrete(true)); err != nil {
		return nil, fieldErrors(u, err)
	}
	var f file
	if err := u.Decode(&f); err != nil {
		return nil, fieldErrors(u, err)
	}
	s := &Settings{File: path, DefaultRemote: f.DefaultRemote, AutoPush: f.AutoPush, RemoteCheck: f.RemoteCheck == nil || *f.RemoteCheck}
	var problems []error
	for name, r := range f.Remotes {
		rm := Remote{Name: name, URL: r.URL, Endpoint: r.Endpoint, Region: r.Region}
		if err := rm.check(); err != nil {
			problems = append(problems, fieldError(u, err.field(name), err.err))
		}
		s.Remotes = append(s.Remotes, rm)
	}
	slices.SortFunc(s.Remotes, func(a, b Remote) int { return strings.Compare(a.Name, b.Name) })
	if s.DefaultRemote != "" && s.find(s.DefaultRemote) == nil {
		problems = append(problems, fieldError(u, "default_remote", s.unknown(s.DefaultRemote)))
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return s, nil
}

// remoteError is a problem with one field of a remote.
type remoteError struct {
	name string // url, endpoint
	err  error
}

func (e *remoteError) field(remote string) string {
	return "remotes." + label(remote) + "." + e.name
}

// check validates the remote's URL and endpoint.
func (r *Remote) check() *remoteError {
	u, err := url.Parse(r.URL)
	if err != nil {
		return &remoteError{"url", fmt.Errorf("%q is not a URL: want s3://bucket/prefix or file:///absolute/path", r.URL)}
	}
	switch u.Scheme {
	case "s3":
		if u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return &remoteError{"url", fmt.Errorf("%q: want s3://bucket/prefix (the prefix is optional)", r.URL)}
		}
		if r.Endpoint != "" {
			e, err := url.Parse(r.Endpoint)
			if err != nil || (strings.Contains(r.Endpoint, "://") && (e.Scheme != "http" && e.Scheme != "https" || e.Host == "")) {
				return &remoteError{"endpoint", fmt.Errorf("%q: want host:port or http(s)://host:port", r.Endpoint)}
			}
		}
	case "file":
		if (u.Host != "" && u.Host != "localhost") || !path.IsAbs(u.Path) {
			return &remoteError{"url", fmt.Errorf("%q: want file:///absolute/path", r.URL)}
		}
		if r.Endpoint != "" || r.Region != "" {
			return &remoteError{"endpoint", fmt.Errorf("a file:// remote has no endpoint or region")}
		}
	default:
		return &remoteError{"url", fmt.Errorf("%q: a remote is s3://bucket/prefix or file:///absolute/path", r.URL)}
	}
	return nil
}

func (s *Settings) find(name string) *Remote {
	for i := range s.Remotes {
		if s.Remotes[i].Name == name {
			return &s.Remotes[i]
		}
	}
	return nil
}

// unknown says that no remote is called name, with the closest one.
func (s *Settings) unknown(name string) error {
	names := make([]string, len(s.Remotes))
	for i, r := range s.Remotes {
		names[i] = r.Name
	}
	if c, ok := suggest.Closest(name, names); ok {
		return fmt.Errorf("no remote %q (did you mean %q?)", name, c)
	}
	if len(names) == 0 {
		return fmt.Errorf("no remote %q: this project has none (xp remote add NAME URL)", name)
	}
	return fmt.Errorf("no remote %q; the remotes are %s", name, strings.Join(names, ", "))
}

// Remote is the remote called name, or with name "" the default one: the
// one that default_remote names, or the only one. ErrNoRemote when there
// is none to take.
func (s *Settings) Remote(name string) (*Remote, error) {
	if name != "" {
		if r := s.find(name); r != nil {
			return r, nil
		}
		return nil, fmt.Errorf("%w: %w", ErrNoRemote, s.unknown(name))
	}
	switch {
	case s.DefaultRemote != "":
		return s.find(s.DefaultRemote), nil
	case len(s.Remotes) == 1:
		return &s.Remotes[0], nil
	case len(s.Remotes) == 0:
		return nil, fmt.Errorf("%w: this project has no remote (xp remote add NAME URL)", ErrNoRemote)
	}
	return nil, fmt.Errorf("%w: this project has %d remotes and no default_remote in %s: name one with --remote", ErrNoRemote, len(s.Remotes), FileName)
}

// ByURL is the remote whose URL is u, nil if none: a pulled run records
// the remote it came from by URL.
func (s *Settings) ByURL(u string) *Remote {
	for i := range s.Remotes {
		if strings.TrimSuffix(s.Remotes[i].URL, "/") == strings.TrimSuffix(u, "/") {
			return &s.Remotes[i]
		}
	}
	return nil
}

// fieldErrors turns CUE's errors about the settings into FieldErrors,
// each at its position in the user's file, a misspelt field with the
// closest allowed one.
func fieldErrors(v cue.Value, err error) error {
	var out []error
	for _, e := range cueerrors.Errors(err) {
		p := e.Path()
		if len(p) > 0 && p[0] == "#Settings" {
			p = p[1:]
		}
		field := strings.Join(p, ".")
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		if format == "field not allowed" && len(p) > 0 {
			if c, ok := suggest.Closest(p[len(p)-1], allowed(p)); ok {
				msg += fmt.Sprintf(" (did you mean %q?)", c)
			}
		}
		out = append(out, &spec.FieldError{Pos: userPos(v, e), Field: field, Err: errors.New(msg)})
	}
	if len(out) == 0 {
		return err
	}
	return errors.Join(out...)
}

// allowed are the fields the schema allows beside the last of path.
func allowed(path []string) []string {
	switch {
	case len(path) == 1:
		return []string{"remotes", "default_remote", "auto_push", "remote_check"}
	case len(path) == 3 && path[0] == "remotes":
		return []string{"url", "endpoint", "region"}
	}
	return nil
}

// userPos is the first position of e in the user's file, else that of
// its field in v.
func userPos(v cue.Value, e cueerrors.Error) string {
	for _, p := range cueerrors.Positions(e) {
		if p.IsValid() && p.Filename() != schemaFile {
			return posString(p)
		}
	}
	p := e.Path()
	if len(p) > 0 && p[0] == "#Settings" {
		p = p[1:]
	}
	return fieldPos(v, strings.Join(p, "."))
}

// fieldPos is the position of field in the user's file, or of the
// nearest enclosing field the user wrote.
func fieldPos(v cue.Value, field string) string {
	sels := cue.ParsePath(field).Selectors()
	for n := len(sels); n > 0; n-- {
		x := v.LookupPath(cue.MakePath(sels[:n]...))
		if !x.Exists() {
			continue
		}
		if p := firstUserPos(x); p.IsValid() {
			return posString(p)
		}
	}
	return ""
}

// firstUserPos is the first position of x's conjuncts in the user's file,
// not the schema's declaration.
func firstUserPos(x cue.Value) token.Pos {
	if op, args := x.Expr(); op == cue.AndOp {
		for _, a := range args {
			if p := a.Pos(); p.IsValid() && p.Filename() != schemaFile {
				return p
			}
		}
	}
	if p := x.Pos(); p.IsValid() && p.Filename() != schemaFile {
		return p
	}
	return token.NoPos
}

func posString(p token.Pos) string {
	return fmt.Sprintf("%s:%d:%d", p.Filename(), p.Line(), p.Column())
}

// fieldError is err about the field at path of the settings v.
func fieldError(v cue.Value, field string, err error) error {
	return &spec.FieldError{Pos: fieldPos(v, field), Field: field, Err: err}
}

// label writes a remote's name as a CUE path element: quoted when it is
// not an identifier.
func label(name string) string {
	if isIdent(name) {
		return name
	}
	return fmt.Sprintf("%q", name)
}

func isIdent(s string) bool {
	if s == "" || strings.HasPrefix(s, "#") || strings.HasPrefix(s, "_") {
		return false
	}
	for i, c := range s {
		if c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}
