package doctor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/xp-ml/xp/store"
)

// Problem is one piece of damage: in the database (Run nil) or in a run's
// artifacts.
type Problem struct {
	Run  *store.Run `json:"-"`
	What string     `json:"problem"`
}

// Report is what Check found.
type Report struct {
	// Integrity holds the database's integrity_check findings.
	Integrity []string `json:"integrity"`
	// Checked is the number of succeeded runs whose artifacts were checked.
	Checked int `json:"checked"`
	// Artifacts lists the runs whose artifacts are missing or damaged.
	Artifacts []Problem `json:"artifacts"`
}

// Damaged reports whether Check found anything.
func (r *Report) Damaged() bool { return len(r.Integrity) > 0 || len(r.Artifacts) > 0 }

// artifactFiles are what every succeeded run keeps and xp predict, rerun
// and serve read.
var artifactFiles = []string{"weights.bin", "preprocessing.json", "spec.json"}

// Check runs the database's integrity check, then checks the artifacts of
// every succeeded run of st: the files are there, and weights.bin hashes
// to the recorded sha256. A pulled run whose artifacts were not all
// fetched (they come from its remote on first use) is not damaged by that.
func Check(ctx context.Context, st *store.Store) (*Report, error) {
	rep := &Report{}
	var err error
	if rep.Integrity, err = st.IntegrityCheck(ctx); err != nil {
		return nil, err
	}
	runs, err := st.ListRuns(ctx, store.ListOptions{Status: store.StatusSucceeded, SortBy: "+created"})
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		// The runs cannot be read back: damage too, and their artifacts
		// cannot be checked.
		rep.Integrity = append(rep.Integrity, err.Error())
		return rep, nil
	}
	for i := range runs {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		r := &runs[i]
		rep.Checked++
		if what := checkRun(st, r); what != "" {
			rep.Artifacts = append(rep.Artifacts, Problem{Run: r, What: what})
		}
	}
	return rep, nil
}

// checkRun says what is wrong with r's artifacts, "" when nothing is.
func checkRun(st *store.Store, r *store.Run) string {
	dir := st.ArtifactDir(r)
	// A pulled run's artifacts come from its remote when first used:
	// missing ones are not damage, but those here must be sound.
	pulled := r.Remote != ""
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) && !pulled {
		return fmt.Sprintf("its artifact folder %s is missing", dir)
	}
	for _, name := range artifactFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil && !pulled {
			return fmt.Sprintf("%s is missing", filepath.Join(dir, name))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "weights.bin")); err != nil {
		return "" // a pulled run's, not fetched yet
	}
	if r.WeightsSHA256 == "" {
		return ""
	}
	sum, err := fileSHA256(filepath.Join(dir, "weights.bin"))
	if err != nil {
		return err.Error()
	}
	if sum != r.WeightsSHA256 {
		return fmt.Sprintf("%s has sha256 %s, but the run recorded %s", filepath.Join(dir, "weights.bin"), sum, r.WeightsSHA256)
	}
	return ""
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
