package remote

import (
	"testing"
)

// ObjectsOf, BlobName, PointsOf and FileOf open the remote's internals
// to its tests.
func ObjectsOf(r *Remote) Objects { return r.objs }
func BlobName(sha string) string  { return blobName(sha) }
func PointsOf(t testing.TB, raw []byte) string {
	m, err := decodeManifest(raw)
	if err != nil {
		t.Fatal(err)
	}
	return m.Points.SHA256
}

func FileOf(t testing.TB, raw []byte, name string) string {
	m, err := decodeManifest(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		if f.Name == name {
			return f.SHA256
		}
	}
	t.Fatalf("no %s in the bundle", name)
	return ""
}
