package data

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/xp-ml/xp/cue/spec"
)

// table is a frame's columns as the cleaning rules leave them: renamed,
// dropped, converted, their values changed. Columns keep their index in
// the frame whatever happens to their names, and are copied before their
// first change, so the frame itself is never modified.
type table struct {
	path  string // the file, for messages
	lines []int  // the file line of each row, for messages
	names []string
	cols  []*Column
	owned []bool
	gone  []bool
	// formerly says what became of a name no longer in the table
	// ("dropped by data.clean[2]", "renamed to \"x\" by data.clean[0]").
	formerly map[string]string
}

func newTable(f *Frame) *table {
	n := len(f.Cols)
	flags := make([]bool, 2*n)
	return &table{
		path:  f.Path,
		lines: f.Line,
		names: slices.Clone(f.Names),
		cols:  slices.Clone(f.Cols),
		owned: flags[:n:n],
		gone:  flags[n:],
	}
}

// noteGone records what became of a name no longer in the table.
func (t *table) noteGone(name, why string) {
	if t.formerly == nil {
		t.formerly = map[string]string{}
	}
	t.formerly[name] = why
}

// index is the column called name, -1 if none.
func (t *table) index(name string) int {
	for j, n := range t.names {
		if n == name && !t.gone[j] {
			return j
		}
	}
	return -1
}

// present lists the names of the columns still in the table, in file order.
func (t *table) present() []string {
	var out []string
	for j, n := range t.names {
		if !t.gone[j] {
			out = append(out, n)
		}
	}
	return out
}

// notFound is the error for a name the table does not have: what became of
// it, or the closest name it does have.
func (t *table) notFound(name string) error {
	if why, ok := t.formerly[name]; ok {
		return errorf(ErrColumnNotFound, "column %q not found: it was %s", name, why)
	}
	return errorf(ErrColumnNotFound, "column %q not found in %s%s", name, filepath.Base(t.path), didYouMean(name, t.present()))
}

// lookup is the column called name, or a *spec.FieldError under field.
func (t *table) lookup(field, name string) (int, error) {
	if j := t.index(name); j >= 0 {
		return j, nil
	}
	return -1, &spec.FieldError{Field: field, Err: t.notFound(name)}
}

// writable returns column j, copied first if the table does not own it.
func (t *table) writable(j int) *Column {
	if !t.owned[j] {
		t.cols[j] = t.cols[j].clone()
		t.owned[j] = true
	}
	return t.cols[j]
}

// replace puts a new column, which the table owns, at j.
func (t *table) replace(j int, c *Column) {
	c.Name = t.names[j]
	t.cols[j], t.owned[j] = c, true
}

// where names row i of the file for a message: "file:line".
func (t *table) where(i int) string {
	return fmt.Sprintf("%s:%d", t.path, t.lines[i])
}

// conform gives column j the type a step or an encoder expects, as it was
// in training: text where training saw text (a file of codes 1, 2, 3 reads
// as numbers), or numbers, which text that is not a number cannot become.
func (t *table) conform(j int, numeric bool) error {
	c := t.cols[j]
	switch {
	case c.Numeric == numeric:
		return nil
	case numeric:
		for i, v := range c.Str {
			if _, kind := classify([]byte(v)); kind == cellText {
				return errorf(ErrType, "%s: column %q held numbers in training, but here it has %q", t.where(i), t.names[j], c.Str[i])
			}
		}
		return errorf(ErrType, "%s: column %q held numbers in training, but here it holds text", t.path, t.names[j])
	}
	t.replace(j, asText(c))
	return nil
}
