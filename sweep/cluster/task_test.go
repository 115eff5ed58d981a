package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTaskRefusesAnotherBackend: a node whose backend is not the one the
// key was planned with (another GPU, another CPU kind) refuses the point
// and says which backend each side has; a key that differs for another
// reason says the project or its data differ. Nothing is trained.
func TestTaskRefusesAnotherBackend(t *testing.T) {
	for _, tt := range []struct {
		name, version, want string
	}{
		{"backend", "engine/2 gpu=NVIDIA-H200/sm_90 driver=13.0 cublas=13.1.0 kernels=0",
			`this node trains with cpu "engine/2 `},
		{"data", "", "the project or its data differ"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, sub := testCoordinator(t)
			path := filepath.Join(sub.Dir, manifestFile)
			var m Manifest
			if err := readJSON(path, &m); err != nil {
				t.Fatal(err)
			}
			m.Tasks[0].Key = strings.Repeat("0", 64)
			m.Tasks[0].BackendVersion = tt.version
			if err := writeJSON(path, &m); err != nil {
				t.Fatal(err)
			}
			err := RunTask(context.Background(), sub.Dir, 0, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("RunTask = %v, want %q", err, tt.want)
			}
			if tt.version != "" && !strings.Contains(err.Error(), tt.version) {
				t.Errorf("the error does not name the planned backend: %v", err)
			}
			if _, err := os.Stat(filepath.Join(taskDir(sub.Dir, 0), "artifacts")); err == nil {
				t.Error("a refused point left artifacts")
			}
		})
	}
}
