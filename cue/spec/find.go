package spec

import (
	stderrors "errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xp-ml/xp/internal/suggest"
)

// ErrNotFound is wrapped by Find's error when no experiment has the name.
var ErrNotFound = stderrors.New("not found")

// ExperimentsDir is where Find looks for experiments by name, under root.
const ExperimentsDir = "experiments"

// Find returns one experiment, named by nameOrPath:
//
//   - an existing .cue file or directory (as given, or under root): Load
//     it; if it defines one experiment that is the one, else the one named
//     after the file or directory ("credit" for credit.cue);
//   - otherwise an experiment name: the experiment of that name in
//     root/experiments, searched recursively.
//
// Experiments other than the one asked for may be broken without failing
// Find, unless a file does not parse (the experiment may be in it). The
// error for an unknown name wraps ErrNotFound, lists the known names and
// suggests the closest; one for a name defined twice wraps ErrDuplicate and
// names both places.
func Find(root, nameOrPath string) (*Experiment, error) {
	if path, ok := existingPath(root, nameOrPath); ok {
		return findInPath(path)
	}
	if strings.HasSuffix(nameOrPath, ".cue") || strings.ContainsRune(nameOrPath, filepath.Separator) {
		// Clearly a path, not a name: say the path is missing.
		return nil, fmt.Errorf("experiment %s: %w", nameOrPath, fs.ErrNotExist)
	}
	name := nameOrPath
	dir := filepath.Join(root, ExperimentsDir)
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("experiment %q %w: no %s directory (%w)", name, ErrNotFound, dir, err)
	}
	l, err := load([]string{dir}, name)
	if err != nil {
		return nil, err
	}
	if e, err := l.named(name, dir); e != nil || err != nil {
		return e, err
	}
	if l.skipped {
		// Not where the name appears: look everywhere, for a name made
		// some way mayDefine does not foresee, and for the known names.
		if l, err = load([]string{dir}, ""); err != nil {
			return nil, err
		}
		if e, err := l.named(name, dir); e != nil || err != nil {
			return e, err
		}
	}
	return nil, notFound(name, dir, l)
}

// named returns the experiment called name among those loaded from dir, or
// the error that keeps it from loading; (nil, nil) when none is called so.
func (l *loaded) named(name, dir string) (*Experiment, error) {
	var found []*Experiment
	for _, e := range l.exps {
		if e.Name == name {
			found = append(found, e)
		}
	}
	switch {
	case len(found) > 1:
		return nil, duplicateError(found[0], found[1])
	case len(found) == 1:
		if errs := checkSweep(found[0]); errs != nil {
			return nil, fmt.Errorf("load experiment %q: %w", name, errs)
		}
		return found[0], nil
	case l.byLabel[name] != nil:
		return nil, fmt.Errorf("load experiment %q: %w", name, l.byLabel[name])
	case l.general != nil:
		return nil, fmt.Errorf("load %s: %w", dir, l.general)
	}
	return nil, nil
}

// existingPath reports whether p, as given or under root, is a .cue file or
// a directory.
func existingPath(root, p string) (string, bool) {
	candidates := []string{p}
	if !filepath.IsAbs(p) {
		candidates = append(candidates, filepath.Join(root, p))
	}
	for _, c := range candidates {
		info, err := os.Stat(c)
		if err == nil && (info.IsDir() || filepath.Ext(c) == ".cue") {
			return c, true
		}
	}
	return "", false
}

// findInPath loads the experiments of a file or directory, as Load does,
// but checks the sweep of the experiment it returns only.
func findInPath(path string) (*Experiment, error) {
	l, err := load([]string{path}, "")
	if err != nil {
		return nil, err
	}
	if l.errs != nil {
		return nil, fmt.Errorf("load %s: %w", path, l.errs)
	}
	if err := checkDuplicates(l.exps); err != nil {
		return nil, err
	}
	e, err := pick(path, l.exps)
	if err != nil {
		return nil, err
	}
	if errs := checkSweep(e); errs != nil {
		return nil, fmt.Errorf("load %s: %w", path, errs)
	}
	return e, nil
}

// pick is the one of exps, loaded from path, that path names: the only
// one, else the one named after the file or directory.
func pick(path string, exps []*Experiment) (*Experiment, error) {
	if len(exps) == 1 {
		return exps[0], nil
	}
	base := strings.TrimSuffix(filepath.Base(filepath.Clean(path)), ".cue")
	for _, e := range exps {
		if e.Name == base {
			return e, nil
		}
	}
	if len(exps) == 0 {
		return nil, fmt.Errorf("%s: experiment %w: it defines none", path, ErrNotFound)
	}
	return nil, fmt.Errorf("%s defines %d experiments (%s) and none is named %q: name one",
		path, len(exps), strings.Join(names(exps), ", "), base)
}

// notFound builds the error for a name that no experiment has, with the
// names there are and the closest of them.
func notFound(name, dir string, l *loaded) error {
	known := names(l.exps)
	for label := range l.byLabel {
		known = append(known, label)
	}
	slices.Sort(known)
	known = slices.Compact(known)
	if len(known) == 0 {
		return fmt.Errorf("experiment %q %w: %s has no experiments", name, ErrNotFound, dir)
	}
	hint := ""
	if s, ok := suggest.Closest(name, known); ok {
		hint = fmt.Sprintf("; did you mean %q?", s)
	}
	return fmt.Errorf("experiment %q %w in %s%s (known: %s)", name, ErrNotFound, dir, hint, strings.Join(known, ", "))
}

func names(exps []*Experiment) []string {
	out := make([]string, len(exps))
	for i, e := range exps {
		out[i] = e.Name
	}
	return out
}
