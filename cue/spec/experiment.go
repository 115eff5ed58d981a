package spec

import (
	"fmt"
	"path/filepath"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/token"
)

// Experiment is one loaded, validated experiment.
type Experiment struct {
	// Name is the `name` field when set, else the top-level field name.
	Name string
	// File is the .cue file that defines the experiment's top-level field,
	// as loaded (a cleaned path, relative if the caller's path was).
	File string
	// Dir is filepath.Dir(File); relative data paths resolve against it.
	Dir string
	// Files are all the .cue files of the experiment's instance, sorted:
	// any of them may contribute to it, so provenance checks them all.
	Files []string

	Spec Spec
	// Resolved is the concrete experiment as JSON, defaults and metadata
	// included (what `xp show` prints and the store records).
	Resolved []byte
	// Canonical is Canonical(Resolved): no metadata, sorted keys, no
	// whitespace, canonical numbers.
	Canonical []byte
	// Hash is Hash(Canonical), the spec hash.
	Hash string

	// value is the experiment unified with #Experiment; it answers Position.
	value cue.Value
	// label is its top-level field's name (Name unless `name` is set).
	label string
	// pos is where its top-level field is declared.
	pos token.Pos
	// mu is shared by the experiments of one Load: their values live in
	// one cue.Context, which is not safe for concurrent use.
	mu *sync.Mutex
	// validator validates its sweep's points (pointValidator).
	validator *validator
}

// Position returns "file:line:col" of the field at path (CUE path syntax
// relative to the experiment: "data.target", "data.clean[2].filter.column"),
// for errors found after loading, such as a target column the data file
// does not have. When the user did not write that field (it has its
// default), it returns the position of the nearest enclosing field the user
// did write, so the message still points into the user's file; "" when the
// path is malformed or no position is known.
func (e *Experiment) Position(path string) string {
	p := cue.ParsePath(path)
	if p.Err() != nil {
		return ""
	}
	if e.mu != nil {
		e.mu.Lock()
		defer e.mu.Unlock()
	}
	pos := userPos(e.value, p.Selectors())
	if !pos.IsValid() || len(p.Selectors()) == 0 {
		// The experiment as a whole: where its field is declared, not
		// where its value starts.
		pos = e.pos
	}
	if !pos.IsValid() {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d", pos.Filename(), pos.Line(), pos.Column())
}

// DataPath resolves a data path from the spec: absolute paths stay as they
// are, relative ones are taken relative to Dir.
func (e *Experiment) DataPath(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(e.Dir, p)
}

// userPos finds the position, in a user's file, of the value at sels in v,
// walking up to enclosing values when the user did not write that one.
func userPos(v cue.Value, sels []cue.Selector) token.Pos {
	for n := len(sels); n >= 0; n-- {
		x := v
		if n > 0 {
			x = v.LookupPath(cue.MakePath(sels[:n]...))
		}
		if !x.Exists() {
			continue
		}
		if pos := firstUserPos(x); pos.IsValid() {
			return pos
		}
	}
	return token.NoPos
}

// firstUserPos returns the first position of x's conjuncts that lies in a
// user's file: the field as the user wrote it, not the schema's declaration.
func firstUserPos(x cue.Value) token.Pos {
	if op, args := x.Expr(); op == cue.AndOp {
		for _, a := range args {
			if pos := a.Pos(); pos.IsValid() && !inSchema(pos) {
				return pos
			}
		}
	}
	if pos := x.Pos(); pos.IsValid() && !inSchema(pos) {
		return pos
	}
	return token.NoPos
}
