package data

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

const kindRename = "rename"

// rename renames columns, {old: new}, in training and when scoring; a file
// to score has the old names.
type rename map[string]string

func (rename) kind() string { return kindRename }

func (r rename) fit(w *workspace, field string) (RuleReport, string, error) {
	f := field + "." + kindRename
	if len(r) == 0 {
		return RuleReport{}, "", fieldErrorf(f, ErrInvalidRule, "renames nothing")
	}
	olds := slices.Sorted(maps.Keys(r))
	for _, old := range olds {
		if _, err := w.changeable(f+"."+cueLabel(old), old); err != nil {
			return RuleReport{}, "", err
		}
	}
	// The names after the rename must be distinct.
	after := map[string]string{}
	for _, name := range w.present() {
		if to, ok := r[name]; ok {
			name = to
		}
		if _, dup := after[name]; dup {
			return RuleReport{}, "", fieldErrorf(f, ErrInvalidRule, "two columns would be called %q (%s)", name, collidingAt(name, r))
		}
		after[name] = name
	}
	for _, old := range olds {
		if r[old] != old {
			w.noteGone(old, fmt.Sprintf("renamed to %q by %s", r[old], field))
		}
		delete(w.formerly, r[old])
	}
	st := &renameStep{Rename: maps.Clone(map[string]string(r))}
	return w.applyStep(st, func([numSplits]int, int) string {
		var parts []string
		for _, old := range slices.Sorted(maps.Keys(st.Rename)) {
			parts = append(parts, fmt.Sprintf("%s to %s", old, st.Rename[old]))
		}
		return "renamed " + strings.Join(parts, ", ")
	})
}

// collidingAt names the columns that would collide at name.
func collidingAt(name string, m map[string]string) string {
	var from []string
	for _, old := range slices.Sorted(maps.Keys(m)) {
		if m[old] == name {
			from = append(from, fmt.Sprintf("%q", old))
		}
	}
	if len(from) == 1 {
		return fmt.Sprintf("%s is renamed to an existing column", from[0])
	}
	return strings.Join(from, " and ") + " are renamed to it"
}

func (r rename) vet(c *schemaCheck, field string) {
	idx := map[string]int{}
	for _, old := range slices.Sorted(maps.Keys(r)) {
		if j := c.changeable(field+"."+kindRename+"."+cueLabel(old), old); j >= 0 {
			idx[old] = j
		}
	}
	for old, j := range idx {
		c.t.names[j] = r[old]
		if r[old] != old {
			c.t.noteGone(old, fmt.Sprintf("renamed to %q by %s", r[old], field))
		}
	}
}

// renameStep is a fitted rename rule.
type renameStep struct {
	Rename map[string]string `json:"rename,omitempty"` // old name -> new
}

func (*renameStep) kind() string { return kindRename }

func (s *renameStep) apply(t *table, groups [][]int) ([]int, error) {
	// All at once, so {a: "b", b: "a"} swaps.
	idx := map[string]int{}
	for old := range s.Rename {
		if j := t.index(old); j >= 0 {
			idx[old] = j
		}
	}
	for _, old := range slices.Sorted(maps.Keys(idx)) {
		j := idx[old]
		t.names[j] = s.Rename[old]
		t.cols[j] = renamed(t.cols[j], s.Rename[old])
	}
	return make([]int, len(groups)), nil
}

// renamed is c under another name; the values are shared, not copied.
func renamed(c *Column, name string) *Column {
	nc := *c
	nc.Name = name
	return &nc
}
