package remote

import (
	"context"
	"errors"
	"io"
)

// Objects is where a remote keeps its objects: a flat namespace of names
// made of segments separated by slashes ("runs/01J…", "objects/sha256/ab/
// ab12…"), as an S3 bucket has. Each kind of remote implements it in a
// package of its own (remote/s3, remote/dir); remotetest holds the suite
// every implementation passes.
//
// Every method takes a ctx and returns an error that reads as one line
// naming the remote and what to do; a missing object is ErrNotExist.
type Objects interface {
	// Put stores size bytes read from r under name, atomically: a reader
	// sees the whole object or none, and a Put killed midway (the
	// process, the network) leaves nothing under name. A name put again
	// is replaced, the same way.
	Put(ctx context.Context, name string, r io.Reader, size int64) error
	// Get opens the object called name.
	Get(ctx context.Context, name string) (io.ReadCloser, error)
	// Stat returns the size of the object called name.
	Stat(ctx context.Context, name string) (int64, error)
	// List returns the names of every object whose name starts with
	// prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// String is the remote's address (s3://bucket/prefix with its
	// endpoint, file:///path): what the store records a run as being on.
	String() string
}

var (
	// ErrNotExist: the remote holds no object of that name.
	ErrNotExist = errors.New("no such object")
	// ErrCorrupt: an object's bytes are not the ones its name or its
	// reference promise (a sha256 that does not match, a truncated or
	// malformed object).
	ErrCorrupt = errors.New("corrupt object")
)
