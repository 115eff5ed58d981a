package store

import "errors"

var (
	// ErrNotFound: no run has the given id, key or key prefix.
	ErrNotFound = errors.New("run not found")
	// ErrInvalid: an argument is malformed (a key, a prefix, a status, a
	// sort key, a point).
	ErrInvalid = errors.New("invalid argument")
	// ErrStatus: the run's status does not allow the operation, such as
	// deleting a running run or finishing a finished one. The message names
	// the status.
	ErrStatus = errors.New("wrong run status")
	// ErrAmbiguous: a key prefix matches runs of several keys. The error is an
	// *AmbiguousError, which lists them.
	ErrAmbiguous = errors.New("ambiguous run key prefix")
	// ErrFileChanged: the database file was removed, replaced or
	// truncated while this process had it open; see Store.CheckFile.
	ErrFileChanged = errors.New("the database file changed under xp")
	// ErrSchemaTooNew: the database was migrated by a newer xp.
	ErrSchemaTooNew = errors.New("database schema is newer than this xp")
)
