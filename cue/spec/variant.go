package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// A variant is an experiment written as another with some changes:
//
//	wide: {
//		from: "credit"
//		model: layers: [{dense: 128}, {dense: 64}]
//	}
//
// is credit with its layers replaced. CUE unifies, so `credit & {...}`
// cannot change a value credit sets; `from` instead overrides: the
// variant's fields are laid over its base's, field by field, a struct
// merged into the base's struct, any other value (a number, a string, a
// list) replacing the base's, and a choice of a one-of (model: logreg or
// layers, an optimizer, a source) replacing the base's other choice. The
// result is checked against the schema as if written out in full, so a
// variant's run key is that of the same spec written out, and its errors
// point at the variant's lines or its base's. The base is an experiment of
// the same file, or of the same package, written `name: {...}` or
// `name: #Experiment & {...}`; it may itself be a variant.
type variant struct {
	label string
	field *ast.Field
	file  string
	from  string
	pos   token.Pos // of the from field's value
}

// fromLabel is the field that makes an experiment a variant.
const fromLabel = "from"

// takeVariants removes the variants from af's declarations and returns
// them: they are not experiments CUE can check until they are merged.
func takeVariants(af *ast.File, file string) []variant {
	var out []variant
	kept := af.Decls[:0]
	for _, d := range af.Decls {
		if v, ok := variantOf(d, file); ok {
			out = append(out, v)
			continue
		}
		kept = append(kept, d)
	}
	af.Decls = kept
	return out
}

// variantOf reports whether d is `label: {from: "base", ...}`.
func variantOf(d ast.Decl, file string) (variant, bool) {
	f, ok := d.(*ast.Field)
	if !ok || f.Constraint != token.ILLEGAL {
		return variant{}, false
	}
	name, isIdent, err := ast.LabelName(f.Label)
	if err != nil || (isIdent && (strings.HasPrefix(name, "_") || strings.HasPrefix(name, "#"))) {
		return variant{}, false
	}
	lit, ok := f.Value.(*ast.StructLit)
	if !ok {
		return variant{}, false
	}
	for _, e := range lit.Elts {
		ef, ok := e.(*ast.Field)
		if !ok || labelName(ef) != fromLabel {
			continue
		}
		bl, ok := ef.Value.(*ast.BasicLit)
		if !ok || bl.Kind != token.STRING {
			return variant{}, false
		}
		base, err := strconv.Unquote(bl.Value)
		if err != nil {
			return variant{}, false
		}
		return variant{label: name, field: f, file: file, from: base, pos: bl.Pos()}, true
	}
	return variant{}, false
}

func labelName(f *ast.Field) string {
	name, _, err := ast.LabelName(f.Label)
	if err != nil {
		return ""
	}
	return name
}

// mergeVariants builds `label: #Experiment & {base's fields, overridden}`
// for every variant, resolving a chain of variants; a variant that cannot
// be built is a CUE error at its from field.
func mergeVariants(vs []variant, files []string, read func(string) ([]byte, error)) (*ast.File, map[string]errors.Error) {
	byLabel := map[string]variant{}
	for _, v := range vs {
		byLabel[v.label] = v
	}
	out := &ast.File{}
	errs := map[string]errors.Error{}
	for _, v := range vs {
		elts, err := resolveVariant(v, byLabel, files, read, nil)
		if err != nil {
			errs[v.label] = err
			continue
		}
		out.Decls = append(out.Decls, &ast.Field{
			Label: v.field.Label,
			Value: &ast.BinaryExpr{X: ast.NewIdent("#Experiment"), Op: token.AND,
				Y: &ast.StructLit{Lbrace: v.field.Value.Pos(), Elts: elts}},
		})
	}
	return out, errs
}

// resolveVariant is v's fields laid over its base's (resolved first if the
// base is a variant too). seen guards against a cycle.
func resolveVariant(v variant, byLabel map[string]variant, files []string, read func(string) ([]byte, error), seen []string) ([]ast.Decl, errors.Error) {
	if slices.Contains(seen, v.label) {
		return nil, errors.Newf(v.pos, "%s: from: %s: a cycle of variants (%s)", v.label, v.from, strings.Join(append(seen, v.label), " -> "))
	}
	var base []ast.Decl
	if bv, ok := byLabel[v.from]; ok {
		// A fresh copy: the variant's own fields are merged into it.
		fresh, err := refreshVariant(bv, read)
		if err != nil {
			return nil, errors.Newf(v.pos, "%s: from: %v", v.label, err)
		}
		b, cerr := resolveVariant(fresh, byLabel, files, read, append(seen, v.label))
		if cerr != nil {
			return nil, cerr
		}
		base = b
	} else {
		b, err := baseDecls(v.from, files, read)
		if err != nil {
			return nil, errors.Newf(v.pos, "%s: from: %v", v.label, err)
		}
		base = b
	}
	var over []ast.Decl
	for _, e := range v.field.Value.(*ast.StructLit).Elts {
		if f, ok := e.(*ast.Field); ok && labelName(f) == fromLabel {
			continue
		}
		over = append(over, e)
	}
	return mergeDecls(base, over), nil
}

// refreshVariant parses v's file again, for AST nodes of its own.
func refreshVariant(v variant, read func(string) ([]byte, error)) (variant, error) {
	af, err := parseAgain(v.file, read)
	if err != nil {
		return variant{}, err
	}
	for _, d := range af.Decls {
		if nv, ok := variantOf(d, v.file); ok && nv.label == v.label {
			return nv, nil
		}
	}
	return variant{}, fmt.Errorf("%s not found in %s", v.label, v.file)
}

// baseDecls finds experiment name among files, parsed anew so that the
// nodes are the merge's own, and returns the fields of its struct.
func baseDecls(name string, files []string, read func(string) ([]byte, error)) ([]ast.Decl, error) {
	var found []ast.Decl
	n := 0
	for _, file := range files {
		af, err := parseAgain(file, read)
		if err != nil {
			return nil, err
		}
		for _, d := range af.Decls {
			f, ok := d.(*ast.Field)
			if !ok || labelName(f) != name {
				continue
			}
			n++
			elts, ok := structOf(f.Value)
			if !ok {
				return nil, fmt.Errorf("%q is not written as {...} or #Experiment & {...}, as the base of a variant must be", name)
			}
			found = elts
		}
	}
	switch n {
	case 0:
		return nil, fmt.Errorf("no experiment %q in this file or package to start from", name)
	case 1:
		return found, nil
	}
	return nil, fmt.Errorf("%q is declared %d times; a variant's base must be declared once", name, n)
}

// structOf is the fields of x when x is a struct literal, alone or after
// #Experiment &.
func structOf(x ast.Expr) ([]ast.Decl, bool) {
	switch x := x.(type) {
	case *ast.StructLit:
		return x.Elts, true
	case *ast.ParenExpr:
		return structOf(x.X)
	case *ast.BinaryExpr:
		if x.Op != token.AND {
			return nil, false
		}
		if id, ok := x.X.(*ast.Ident); ok && id.Name == "#Experiment" {
			return structOf(x.Y)
		}
		if id, ok := x.Y.(*ast.Ident); ok && id.Name == "#Experiment" {
			return structOf(x.X)
		}
	}
	return nil, false
}

func parseAgain(file string, read func(string) ([]byte, error)) (*ast.File, error) {
	src, err := read(file)
	if err != nil {
		return nil, err
	}
	return parser.ParseFile(file, src)
}

// mergeDecls lays over's fields over base's: a struct over a struct
// merges, anything else replaces, and a choice of a one-of drops the
// base's other choices beside it. What is not a plain field (an
// embedding, a comprehension) is added as it is.
func mergeDecls(base, over []ast.Decl) []ast.Decl {
	out := slices.Clone(base)
	for _, d := range over {
		f, ok := d.(*ast.Field)
		name := ""
		if ok {
			name = labelName(f)
		}
		if name == "" {
			out = append(out, d)
			continue
		}
		var same []int
		for i, bd := range out {
			if bf, ok := bd.(*ast.Field); ok && labelName(bf) == name {
				same = append(same, i)
			}
		}
		if sub, ok := f.Value.(*ast.StructLit); ok && len(same) > 0 && allStructs(out, same) {
			var elts []ast.Decl
			for _, i := range same {
				elts = append(elts, out[i].(*ast.Field).Value.(*ast.StructLit).Elts...)
			}
			merged := &ast.Field{Label: f.Label, Value: &ast.StructLit{Lbrace: sub.Lbrace, Elts: mergeDecls(elts, sub.Elts), Rbrace: sub.Rbrace}}
			out[same[0]] = merged
			out = deleteAt(out, same[1:])
			continue
		}
		drop := same
		for i, bd := range out {
			if bf, ok := bd.(*ast.Field); ok && otherChoice(name, labelName(bf)) {
				drop = append(drop, i)
			}
		}
		slices.Sort(drop)
		out = append(deleteAt(out, slices.Compact(drop)), f)
	}
	return out
}

func allStructs(ds []ast.Decl, idx []int) bool {
	for _, i := range idx {
		if _, ok := ds[i].(*ast.Field).Value.(*ast.StructLit); !ok {
			return false
		}
	}
	return true
}

// deleteAt removes the elements at the sorted indices idx.
func deleteAt(ds []ast.Decl, idx []int) []ast.Decl {
	for k := len(idx) - 1; k >= 0; k-- {
		ds = slices.Delete(ds, idx[k], idx[k]+1)
	}
	return ds
}

// otherChoice reports whether a and b are two choices of one of the
// schema's one-of structs (@xp(oneof="logreg,layers")).
func otherChoice(a, b string) bool {
	if a == b {
		return false
	}
	for _, group := range oneOfGroups() {
		if slices.Contains(group, a) && slices.Contains(group, b) {
			return true
		}
	}
	return false
}

var oneOfGroups = sync.OnceValue(func() [][]string {
	var out [][]string
	for _, m := range regexp.MustCompile(`@xp\(oneof="([^"]+)"\)`).FindAllSubmatch(schemaSource, -1) {
		out = append(out, strings.Split(string(m[1]), ","))
	}
	return out
})
