package spec

import (
	stderrors "errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
)

// LoadSources loads the experiment called name from CUE sources held in
// memory, as if they were the .cue files of one instance in dir: files maps
// a path relative to dir (slash-separated; usually a base name, since an
// instance is one directory) to its contents. Positions in errors name
// dir/path, and relative data paths resolve against the experiment file's
// directory under dir, exactly as Load would for the same files on disk;
// the Hash is the one Load gives for the same bytes.
//
// It is how a past run is rebuilt from the files recorded at its commit (or
// stored with a dirty run), without checking anything out. Files that
// declare different packages form separate instances, as in Load. The error
// for a name no file defines wraps ErrNotFound.
func LoadSources(dir string, files map[string][]byte, name string) (*Experiment, error) {
	if len(files) == 0 {
		return nil, stderrors.New("load sources: no files")
	}
	byPath := make(map[string][]byte, len(files))
	for rel, src := range files {
		p := filepath.FromSlash(rel)
		if !filepath.IsLocal(p) {
			return nil, fmt.Errorf("load sources: %q is not a path inside %s", rel, dir)
		}
		byPath[filepath.Join(dir, p)] = src
	}
	ctx := cuecontext.New()
	schema, err := compileSchema(ctx)
	if err != nil {
		return nil, err
	}
	l := &loaded{byLabel: map[string]errors.Error{}, mu: &sync.Mutex{},
		read: func(p string) ([]byte, error) {
			src, ok := byPath[p]
			if !ok {
				return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
			}
			return src, nil
		}}
	for _, g := range packageGroups(byPath) {
		if err := l.group(ctx, schema, request{dir: filepath.Dir(g[0]), all: true}, g); err != nil {
			return nil, err
		}
	}
	if e, err := l.named(name, dir); e != nil || err != nil {
		return e, err
	}
	return nil, fmt.Errorf("experiment %q %w in the sources of %s (they define: %s)", name, ErrNotFound,
		dir, strings.Join(names(l.exps), ", "))
}

// packageGroups splits files into instances as Load does for a directory:
// the files of a directory that declare one package together, each file
// without a package clause alone. Groups and their files are sorted.
func packageGroups(files map[string][]byte) [][]string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var groups [][]string
	byPkg := map[[2]string]int{}
	for _, p := range paths {
		pkg := ""
		if af, err := parser.ParseFile(p, files[p], parser.PackageClauseOnly); err == nil {
			pkg = af.PackageName()
		}
		if pkg == "" {
			groups = append(groups, []string{p})
			continue
		}
		k := [2]string{filepath.Dir(p), pkg}
		if i, ok := byPkg[k]; ok {
			groups[i] = append(groups[i], p)
			continue
		}
		byPkg[k] = len(groups)
		groups = append(groups, []string{p})
	}
	return groups
}
