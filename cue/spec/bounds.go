package spec

import (
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
)

// Bounds on what a spec file may hold, each checked on its syntax before
// CUE evaluates it: CUE's time to build a list grows with the square of
// its length (measured, a 100,000-entry tags list took 9.4 s and 280 MB to
// vet, a million would take most of an hour), so a bound checked after
// evaluation would come too late.
const (
	// MaxSpecFileBytes is the largest .cue file xp reads.
	MaxSpecFileBytes = 16 << 20
	// MaxListElements is the longest list a spec file may write out:
	// 50,000 values take CUE about 3 s; a sweep's own bound is max_points.
	MaxListElements = 50_000
	// MaxTags and MaxTagRunes bound an experiment's tags, labels to find
	// runs by, which every run records.
	MaxTags     = 1000
	MaxTagRunes = 256
)

// readSpecFile reads a .cue file of at most MaxSpecFileBytes.
func readSpecFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxSpecFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(src) > MaxSpecFileBytes {
		return nil, fmt.Errorf("larger than the %d MiB a spec file may be", MaxSpecFileBytes>>20)
	}
	return src, nil
}

// checkBounds reports the lists of a parsed file longer than
// MaxListElements, and tags lists beyond MaxTags entries or with a tag
// longer than MaxTagRunes, each at the element past the bound.
func checkBounds(af *ast.File) errors.Error {
	var errs errors.Error
	ast.Walk(af, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Field:
			name, _, err := ast.LabelName(n.Label)
			list, ok := n.Value.(*ast.ListLit)
			if err != nil || name != "tags" || !ok {
				break
			}
			if len(list.Elts) > MaxTags {
				errs = errors.Append(errs, errors.Newf(list.Elts[MaxTags].Pos(),
					"tags: %d entries, more than the %d an experiment may have", len(list.Elts), MaxTags))
				return false
			}
			for i, e := range list.Elts {
				if s := stringLit(e); utf8.RuneCountInString(s) > MaxTagRunes {
					errs = errors.Append(errs, errors.Newf(e.Pos(),
						"tags[%d]: %d characters, more than the %d a tag may have", i, utf8.RuneCountInString(s), MaxTagRunes))
				}
			}
		case *ast.ListLit:
			if len(n.Elts) > MaxListElements {
				errs = errors.Append(errs, errors.Newf(n.Elts[MaxListElements].Pos(),
					"a list of %d values, more than the %d a spec file may write out (CUE's time to evaluate a list grows with the square of its length)",
					len(n.Elts), MaxListElements))
				return false
			}
		}
		return true
	}, nil)
	return errs
}

// stringLit is the value of a string literal, "" for anything else.
func stringLit(e ast.Expr) string {
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.STRING {
		return ""
	}
	s, err := literal.Unquote(b.Value)
	if err != nil {
		return ""
	}
	return s
}
