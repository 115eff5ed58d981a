package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
)

// KeyVersion tags the run key format; bump it when what enters the key changes.
const KeyVersion = "xp-run-v1"

// RunKey is the identity of a training job: the spec hash, the hash of every
// data source (by its name in the spec), and the backend with its numerics
// version. Equal keys train to the same bits.
func RunKey(specHash string, dataHashes map[string]string, backend, backendVersion string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nspec %s\n", KeyVersion, specHash)
	names := make([]string, 0, len(dataHashes))
	for n := range dataHashes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "data %s %s\n", n, dataHashes[n])
	}
	fmt.Fprintf(&b, "backend %s %s\n", backend, backendVersion)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// specKey is the spec's part of the run key: its hash, marked for a spec
// with embedding features, which xp encoded one-hot before it had
// embedding tables: a run cached then must not answer for the same spec
// now. Other specs keep their keys.
func specKey(s *spec.Spec, hash string) string {
	for _, f := range s.Data.Features {
		if f.Categorical != nil && f.Categorical.Encoding == "embedding" || f.ID != nil && f.ID.Dim > 0 {
			return hash + " embeddings/1"
		}
	}
	return hash
}

// HashFile is the hex sha256 of a file's bytes.
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash data: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash data %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
