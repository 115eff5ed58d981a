package dir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xp-ml/xp/remote/dir"
	"github.com/xp-ml/xp/remote/remotetest"
)

func TestConformance(t *testing.T) {
	d, err := dir.Open("file://" + filepath.ToSlash(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	remotetest.Run(t, d)
}

func TestOpen(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ url, msg string }{
		{"file://" + filepath.ToSlash(filepath.Join(tmp, "nope")), "does not exist (create it, or check the path)"},
		{"file://" + filepath.ToSlash(file), "is not a directory"},
		{"file:relative/path", "want file:///absolute/path"},
		{"file://host/x", "want file:///absolute/path"},
	} {
		t.Run(tt.url, func(t *testing.T) {
			_, err := dir.Open(tt.url)
			if err == nil || !strings.Contains(err.Error(), tt.msg) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Open(%s) = %v, want one line saying %q", tt.url, err, tt.msg)
			}
		})
	}
	d, err := dir.Open("file://" + filepath.ToSlash(tmp) + "/")
	if err != nil || d.String() != "file://"+filepath.ToSlash(tmp) {
		t.Errorf("Open with a trailing slash: %v, %v", d, err)
	}
}
