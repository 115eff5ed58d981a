package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data/fetch"
)

// The defaults of spec.Limits: generous for real data, small enough that
// a hostile or broken file ends in a clear error rather than out of memory.
const (
	DefaultDecompressedBytes = 4 << 30
	DefaultLineBytes         = 64 << 20
	DefaultDownloadBytes     = fetch.DefaultMaxBytes
	DefaultDownloadIdle      = fetch.DefaultIdleTimeout
	DefaultDownloadTimeout   = fetch.DefaultTimeout
)

var (
	// ErrLimit is input beyond one of data.limits (spec.Limits).
	ErrLimit = errors.New("over a limit")
	// ErrNotRegular is a file source that is not a regular file (a FIFO, a
	// device such as /dev/zero, a directory): reading it could block or
	// never end.
	ErrNotRegular = errors.New("not a regular file")
)

// limits are spec.Limits with the defaults filled in.
type limits struct {
	decompressed, line int64
	fetch              fetch.Limits
}

func limitsOf(l *spec.Limits) limits {
	out := limits{decompressed: DefaultDecompressedBytes, line: DefaultLineBytes}
	if l == nil {
		return out
	}
	if l.DecompressedBytes > 0 {
		out.decompressed = l.DecompressedBytes
	}
	if l.LineBytes > 0 {
		out.line = l.LineBytes
	}
	out.fetch = fetch.Limits{
		MaxBytes: l.DownloadBytes,
		Idle:     time.Duration(l.DownloadIdleSeconds * float64(time.Second)),
		Total:    time.Duration(l.DownloadTimeoutSeconds * float64(time.Second)),
	}
	return out
}

// regularFile checks that path is a regular file before it is opened: a
// FIFO would block the open itself, and /dev/zero never ends.
func regularFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("read %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return errorf(ErrNotRegular, "read %s: it is %s, not a regular file; xp reads only regular files", path, fileKind(fi.Mode()))
	}
	return nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a plain file"
}

// lineBound finds the first line of a text longer than max bytes, fed in
// pieces as the text is read or decompressed.
type lineBound struct {
	path string
	max  int64
	line int   // lines ended so far
	cur  int64 // bytes of the line being read
}

func (b *lineBound) feed(p []byte) error {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		n := int64(i)
		if i < 0 {
			n = int64(len(p))
		}
		if b.cur+n > b.max {
			return &ParseError{Path: b.path, Line: b.line + 1, Err: errorf(ErrLimit,
				"line %d is longer than %d bytes (data.limits.line_bytes; raise it if the file is right)", b.line+1, b.max)}
		}
		if i < 0 {
			b.cur += n
			return nil
		}
		b.cur, b.line, p = 0, b.line+1, p[i+1:]
	}
	return nil
}

// boundedBuffer collects decompressed bytes up to max in all, with no line
// longer than its lineBound allows; it fails as soon as either is passed,
// before the memory is spent.
type boundedBuffer struct {
	buf     bytes.Buffer // not embedded: io.Copy would use its ReadFrom, past Write
	display string
	max     int64
	lines   *lineBound
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if int64(b.buf.Len())+int64(len(p)) > b.max {
		return 0, errorf(ErrLimit, "read %s: it decompresses to more than %d bytes (data.limits.decompressed_bytes; raise it if the file is right)", b.display, b.max)
	}
	if b.lines != nil {
		if err := b.lines.feed(p); err != nil {
			return 0, err
		}
	}
	return b.buf.Write(p)
}

// ctxReader stops a long read when ctx is canceled, between reads.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
