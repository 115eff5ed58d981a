package fetch

import (
	"errors"
	"fmt"
)

// Sentinel errors, for callers that branch on what went wrong; the errors
// returned match them with errors.Is and say more.
var (
	// ErrPinMismatch: the bytes fetched do not have the pinned sha256.
	ErrPinMismatch = errors.New("sha256 does not match the pin")
	// ErrUnreachable: the server could not be reached at all.
	ErrUnreachable = errors.New("unreachable")
	// ErrNotFound: the server has no such file, bucket or key.
	ErrNotFound = errors.New("not found")
	// ErrAccessDenied: the server refused the credentials or the request.
	ErrAccessDenied = errors.New("access denied")
	// ErrStatus: the server answered with another error status.
	ErrStatus = errors.New("unexpected response")
	// ErrTooLarge: the file is larger than Limits.MaxBytes.
	ErrTooLarge = errors.New("too large")
	// ErrTimeout: a download sent nothing for Limits.Idle, or took longer
	// than Limits.Total.
	ErrTimeout = errors.New("download timed out")
)

// detailError reads as its own message and matches its sentinel.
type detailError struct {
	msg  string
	kind error
	err  error // the cause, if any
}

func (e *detailError) Error() string { return e.msg }

func (e *detailError) Unwrap() []error {
	if e.err == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.err}
}

func errorf(kind, cause error, format string, args ...any) error {
	return &detailError{msg: fmt.Sprintf(format, args...), kind: kind, err: cause}
}
