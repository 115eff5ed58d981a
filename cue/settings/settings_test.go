package settings

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/xp-ml/xp/cue/spec"
)

func TestParse(t *testing.T) {
	good := `// our remotes
remotes: {
	team: {url: "s3://ml-runs/xp", endpoint: "http://127.0.0.1:9000"}
	"on nfs": url: "file:///shared/xp"
}
default_remote: "team"
auto_push: true
`
	s, err := Parse("xp.cue", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Remotes) != 2 || s.Remotes[0].Name != "on nfs" || s.Remotes[1].Endpoint != "http://127.0.0.1:9000" ||
		!s.AutoPush || !s.RemoteCheck || s.DefaultRemote != "team" {
		t.Errorf("settings %+v", s)
	}
	if r, err := s.Remote(""); err != nil || r.Name != "team" || r.Kind() != "s3" {
		t.Errorf("default remote %+v, %v", r, err)
	}
	if r := s.ByURL("file:///shared/xp/"); r == nil || r.Name != "on nfs" {
		t.Errorf("by url: %+v", r)
	}
	if _, err := s.Remote("tem"); !errors.Is(err, ErrNoRemote) || !strings.Contains(err.Error(), `did you mean "team"?`) {
		t.Errorf("unknown remote: %v", err)
	}

	for _, tt := range []struct{ name, src, want string }{
		{"misspelt field", "remotes: team: url: \"file:///x\"\nauto_psh: true\n",
			`xp.cue:2:1: auto_psh: field not allowed (did you mean "auto_push"?)`},
		{"misspelt remote field", "remotes: team: {url: \"file:///x\", endpoitn: \"h:1\"}\n",
			`xp.cue:1:35: remotes.team.endpoitn: field not allowed (did you mean "endpoint"?)`},
		{"bad scheme", "remotes: team: url: \"http://x/y\"\n",
			`xp.cue:1:16: remotes.team.url: "http://x/y": a remote is s3://bucket/prefix or file:///absolute/path`},
		{"relative file", "remotes: team: url: \"file://shared/xp\"\n",
			`remotes.team.url: "file://shared/xp": want file:///absolute/path`},
		{"bad endpoint", "remotes: team: {url: \"s3://b\", endpoint: \"ftp://h\"}\n",
			`xp.cue:1:32: remotes.team.endpoint: "ftp://h": want host:port or http(s)://host:port`},
		{"unknown default", "remotes: team: url: \"s3://b/p\"\ndefault_remote: \"teem\"\n",
			`xp.cue:2:1: default_remote: no remote "teem" (did you mean "team"?)`},
		{"wrong type", "auto_push: \"yes\"\n", `xp.cue:1:12: auto_push: conflicting values`},
		{"no url", "remotes: team: region: \"eu\"\n", `remotes.team.url: incomplete value string`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("xp.cue", []byte(tt.src))
			var fe *spec.FieldError
			if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want a FieldError saying %q", err, tt.want)
			}
		})
	}
	_, err = Parse("xp.cue", []byte("remotes: {\n"))
	if ps := cueerrors.Positions(err); len(ps) == 0 || ps[0].Filename() != "xp.cue" || !spec.IsSpecError(err) {
		t.Errorf("syntax error %v at %v, want a CUE error at its position", err, ps)
	}
}

func TestRemoteChoice(t *testing.T) {
	none := &Settings{}
	if _, err := none.Remote(""); !errors.Is(err, ErrNoRemote) || !strings.Contains(err.Error(), "xp remote add") {
		t.Errorf("no remote: %v", err)
	}
	two := &Settings{Remotes: []Remote{{Name: "a", URL: "file:///a"}, {Name: "b", URL: "file:///b"}}}
	if _, err := two.Remote(""); !errors.Is(err, ErrNoRemote) || !strings.Contains(err.Error(), "--remote") {
		t.Errorf("two remotes, no default: %v", err)
	}
	if r, err := two.Remote("b"); err != nil || r.URL != "file:///b" {
		t.Errorf("named: %+v, %v", r, err)
	}
}

func TestEdit(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	if err := AddRemote(path, Remote{Name: "team", URL: "s3://ml-runs/xp", Endpoint: "http://127.0.0.1:9000"}, false); err != nil {
		t.Fatal(err)
	}
	// A comment and a setting written by hand are kept.
	src, _ := os.ReadFile(path)
	src = append(src, []byte("// push everything\nauto_push: true\n")...)
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := AddRemote(path, Remote{Name: "nfs share", URL: "file:///shared/xp"}, true); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Remotes) != 2 || s.DefaultRemote != "nfs share" || !s.AutoPush {
		t.Fatalf("after two adds: %+v", s)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "// push everything") {
		t.Errorf("the comment was lost:\n%s", b)
	}
	if err := AddRemote(path, Remote{Name: "team", URL: "file:///x"}, false); err == nil || !strings.Contains(err.Error(), "already has a remote") {
		t.Errorf("duplicate add: %v", err)
	}
	if err := AddRemote(path, Remote{Name: "bad", URL: "ftp://x"}, false); err == nil {
		t.Error("a bad URL was added")
	}
	if err := RemoveRemote(path, "nfs shar"); err == nil || !strings.Contains(err.Error(), `did you mean "nfs share"?`) {
		t.Errorf("rm of a misspelt name: %v", err)
	}
	if err := RemoveRemote(path, "nfs share"); err != nil {
		t.Fatal(err)
	}
	s, err = Load(path)
	if err != nil || len(s.Remotes) != 1 || s.Remotes[0].Name != "team" || s.DefaultRemote != "" {
		t.Errorf("after rm: %+v, %v", s, err)
	}
}

func TestMissingFile(t *testing.T) {
	s, err := Load(filepath.Join(t.TempDir(), FileName))
	if err != nil || len(s.Remotes) != 0 || !s.RemoteCheck || s.File != "" {
		t.Errorf("missing file: %+v, %v", s, err)
	}
}
