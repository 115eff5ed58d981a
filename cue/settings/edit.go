package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// AddRemote adds r to the settings file at path (made if missing),
// keeping everything else in it, comments included; with makeDefault it
// becomes the default remote. A remote of that name already there is an
// error. The new file is checked before it is written.
func AddRemote(path string, r Remote, makeDefault bool) error {
	if err := r.check(); err != nil {
		return fmt.Errorf("remote %s: %s: %w", r.Name, err.name, err.err)
	}
	return edit(path, func(f *ast.File) error {
		remotes, err := topStruct(f, "remotes", true)
		if err != nil {
			return err
		}
		if fieldIndex(remotes.Elts, r.Name) >= 0 {
			return fmt.Errorf("%s already has a remote %q (xp remote rm %s first)", FileName, r.Name, r.Name)
		}
		fields := []any{"url", ast.NewString(r.URL)}
		if r.Endpoint != "" {
			fields = append(fields, "endpoint", ast.NewString(r.Endpoint))
		}
		if r.Region != "" {
			fields = append(fields, "region", ast.NewString(r.Region))
		}
		remotes.Elts = append(remotes.Elts, &ast.Field{Label: newLabel(r.Name), Value: ast.NewStruct(fields...)})
		if makeDefault {
			setTop(f, "default_remote", ast.NewString(r.Name))
		}
		return nil
	})
}

// RemoveRemote removes the remote called name from the settings file at
// path, and default_remote when it named it.
func RemoveRemote(path, name string) error {
	return edit(path, func(f *ast.File) error {
		remotes, err := topStruct(f, "remotes", false)
		if err != nil {
			return err
		}
		i := -1
		if remotes != nil {
			i = fieldIndex(remotes.Elts, name)
		}
		if i < 0 {
			s, _ := Load(path)
			if s == nil {
				s = &Settings{}
			}
			return s.unknown(name)
		}
		remotes.Elts = append(remotes.Elts[:i], remotes.Elts[i+1:]...)
		if j := fieldIndex(f.Decls, "default_remote"); j >= 0 {
			if lit, ok := f.Decls[j].(*ast.Field).Value.(*ast.BasicLit); ok && lit.Value == ast.NewString(name).Value {
				f.Decls = append(f.Decls[:j], f.Decls[j+1:]...)
			}
		}
		return nil
	})
}

// edit applies fn to the file at path, checks the result, and writes it
// through a temporary file renamed into place.
func edit(path string, fn func(*ast.File) error) error {
	src, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if len(src) == 0 {
		src = []byte("// xp's settings for this project; see the README, \"Sharing runs: remotes\".\n")
	}
	f, err := parser.ParseFile(path, src, parser.ParseComments)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		return err
	}
	out, err := format.Node(f)
	if err != nil {
		return fmt.Errorf("format %s: %w", path, err)
	}
	if _, err := Parse(path, out); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".xp.cue-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// topStruct is the struct literal of the top-level field name, added
// empty when create and missing (nil when not create and missing).
func topStruct(f *ast.File, name string, create bool) (*ast.StructLit, error) {
	if i := fieldIndex(f.Decls, name); i >= 0 {
		s, ok := f.Decls[i].(*ast.Field).Value.(*ast.StructLit)
		if !ok {
			return nil, fmt.Errorf("%s: %s is not written as a plain struct ({...}): edit it by hand", FileName, name)
		}
		return s, nil
	}
	if !create {
		return nil, nil
	}
	s := &ast.StructLit{Lbrace: token.Newline.Pos(), Rbrace: token.Newline.Pos()}
	f.Decls = append(f.Decls, &ast.Field{Label: ast.NewIdent(name), Value: s})
	return s, nil
}

// setTop sets the top-level field name to v.
func setTop(f *ast.File, name string, v ast.Expr) {
	if i := fieldIndex(f.Decls, name); i >= 0 {
		f.Decls[i].(*ast.Field).Value = v
		return
	}
	f.Decls = append(f.Decls, &ast.Field{Label: ast.NewIdent(name), Value: v})
}

// fieldIndex is the index of the field labelled name among decls, -1 if
// none.
func fieldIndex[D ast.Decl](decls []D, name string) int {
	for i, d := range decls {
		f, ok := any(d).(*ast.Field)
		if !ok {
			continue
		}
		if l, _, err := ast.LabelName(f.Label); err == nil && l == name {
			return i
		}
	}
	return -1
}

func newLabel(name string) ast.Label {
	if isIdent(name) {
		return ast.NewIdent(name)
	}
	return ast.NewString(name)
}
