package data

import (
	"errors"
	"fmt"

	"github.com/xp-ml/xp/cue/spec"
)

// Sentinel errors, for callers that branch on what went wrong. The errors
// returned carry more detail and match these with errors.Is.
var (
	// ErrColumnNotFound: a spec names a column the file does not have.
	ErrColumnNotFound = errors.New("column not found")

	// CSV syntax, each returned inside a *ParseError with the line.
	ErrFieldCount      = errors.New("wrong number of fields")
	ErrBareQuote       = errors.New(`bare " in unquoted field`)
	ErrQuote           = errors.New(`extraneous or missing " in quoted field`)
	ErrEmptyFile       = errors.New("empty file")
	ErrNoRows          = errors.New("header but no data rows")
	ErrDuplicateColumn = errors.New("duplicate column name")
	ErrEmptyColumnName = errors.New("empty column name")
	// ErrEncoding: text that is not UTF-8 (see checkUTF8).
	ErrEncoding = errors.New("invalid UTF-8")
	// ErrNUL: a NUL byte in a csv or tsv file (a binary file, or one in
	// UTF-16): never a value, nor part of one.
	ErrNUL = errors.New("NUL byte")

	// Preparation, each returned inside a *spec.FieldError naming the spec field.
	ErrTooFewClasses = errors.New("fewer than 2 classes")
	// ErrConstantTarget: a regression target has one value on the
	// training split, so there is nothing to learn or standardize by.
	ErrConstantTarget = errors.New("constant target")
	// ErrTextTarget: a regression target holds text.
	ErrTextTarget   = errors.New("text target")
	ErrEmptyTrain   = errors.New("training split is empty")
	ErrInvalidRule  = errors.New("invalid rule")
	ErrInvalidSplit = errors.New("invalid split")
	ErrType         = errors.New("value does not fit the column")
	ErrUnknownClass = errors.New("unknown class")
)

// ParseError is a CSV file that cannot be read as a table. Line is the
// 1-based physical line (a quoted field may span several), 0 when the
// problem is not at a line (an empty file); Col, when known, the 1-based
// byte column in it.
type ParseError struct {
	Path string
	Line int
	Col  int
	Err  error
}

func (e *ParseError) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %v", e.Path, e.Line, e.Col, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// detailError reads as its own message but matches its sentinel with
// errors.Is, so a message does not have to repeat the sentinel's words
// ("column \"Staus\" not found ..." rather than "column not found: ...").
type detailError struct {
	msg  string
	kind error
}

func (e *detailError) Error() string { return e.msg }
func (e *detailError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &detailError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// fieldErrorf is an error about the spec field at path field; the caller
// that knows the experiment gives it its position (spec.Experiment.Locate).
func fieldErrorf(field string, kind error, format string, args ...any) *spec.FieldError {
	return &spec.FieldError{Field: field, Err: errorf(kind, format, args...)}
}
