package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
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

// ShortKey is the form shown to users.
func ShortKey(key string) string {
	if len(key) > 12 {
		return key[:12]
	}
	return key
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
