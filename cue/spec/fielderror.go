package spec

import (
	"errors"
	"fmt"
)

// FieldError is an error caused by one field of an experiment's spec, found
// after loading (a column the data does not have, a device this machine
// lacks): the one error type for "this field of this spec is wrong" that CUE
// did not report itself. Field is the path in CUE syntax relative to the
// experiment ("data.clean[2].filter.column"); Pos is the field's
// "file:line:col" (see [Experiment.Position]), empty where the code that
// found the error does not know the experiment (package data): the caller
// that does fills it in with [Experiment.Locate].
//
// PrintError prints it; its message is also what a failed run records.
type FieldError struct {
	Pos   string
	Field string
	Err   error
}

func (e *FieldError) Error() string {
	if e.Pos == "" {
		return fmt.Sprintf("%s: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Pos, e.Field, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// FieldError is err about the field at path of e, at its position.
func (e *Experiment) FieldError(path string, err error) *FieldError {
	return &FieldError{Pos: e.Position(path), Field: path, Err: err}
}

// Locate gives a *FieldError in err that has no position the position of
// its field in e, returning the located error in place of err; any other
// error is returned as it is.
func (e *Experiment) Locate(err error) error {
	var fe *FieldError
	if errors.As(err, &fe) && fe.Pos == "" {
		return e.FieldError(fe.Field, fe.Err)
	}
	return err
}
