package data

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// The file formats a source may hold.
const (
	FormatCSV     = "csv"
	FormatTSV     = "tsv"
	FormatJSONL   = "jsonl"
	FormatParquet = "parquet"
)

// Formats lists the formats, for messages.
var Formats = []string{FormatCSV, FormatTSV, FormatJSONL, FormatParquet}

// ErrFormat is a file whose format xp cannot tell or does not read.
var ErrFormat = errors.New("unknown file format")

// FormatOf tells a file's format from its name: .csv, .tsv (or .tab),
// .jsonl (or .ndjson), .parquet (or .parq), each optionally followed by
// .gz. The name may be a path, a URL's path or an object key.
func FormatOf(name string) (string, error) {
	base := strings.ToLower(path.Base(strings.ReplaceAll(name, `\`, "/")))
	base = strings.TrimSuffix(base, ".gz")
	switch path.Ext(base) {
	case ".csv":
		return FormatCSV, nil
	case ".tsv", ".tab":
		return FormatTSV, nil
	case ".jsonl", ".ndjson":
		return FormatJSONL, nil
	case ".parquet", ".parq":
		return FormatParquet, nil
	}
	return "", errorf(ErrFormat, "cannot tell the format of %q from its name (want .csv, .tsv, .jsonl or .parquet, optionally .gz; an http or s3 source may set format)", name)
}

// ReadFile reads a data file in the format its name says (see FormatOf).
func ReadFile(ctx context.Context, path string) (*Frame, error) {
	format, err := FormatOf(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return ReadFormat(ctx, path, path, format)
}

// ReadFormat reads the file at path as format. Errors and the Frame name
// the file as display (a URL or an object for a fetched file). A
// gzip-compressed file (by its magic bytes, whatever its name) is
// decompressed first. The default limits apply (see spec.Limits).
func ReadFormat(ctx context.Context, path, display, format string) (*Frame, error) {
	f, _, err := readFormat(ctx, path, display, format, false, limitsOf(nil))
	return f, err
}

// readFormat is ReadFormat under lim that also returns the hex sha256 of
// the file's bytes when hash is set, computed from the bytes it parses.
func readFormat(ctx context.Context, path, display, format string, hash bool, lim limits) (*Frame, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", fmt.Errorf("read %s: %w", display, err)
	}
	if err := regularFile(path); err != nil {
		return nil, "", err
	}
	if format == FormatParquet {
		sum := ""
		if hash {
			var err error
			if sum, err = hashFile(ctx, path); err != nil {
				return nil, "", err
			}
		}
		f, err := readParquet(ctx, path, display)
		return f, sum, err
	}
	buf, sum, err := readBytes(ctx, path, hash, lim)
	if err != nil {
		var pe *ParseError
		switch {
		case errors.As(err, &pe):
			pe.Path = display
		case display != path && !errors.Is(err, ErrLimit):
			err = fmt.Errorf("read %s (cached as %s): %w", display, path, errors.Unwrap(err))
		}
		return nil, "", err
	}
	f, err := ReadBytes(ctx, display, format, buf)
	return f, sum, err
}

// ReadBytes reads a table held in memory (a request's body, say) as
// format, csv, tsv or jsonl, exactly as ReadFile reads such a file; errors
// and the Frame name it display.
func ReadBytes(ctx context.Context, display, format string, buf []byte) (*Frame, error) {
	switch format {
	case FormatCSV:
		return parseDelimited(ctx, display, buf, ',')
	case FormatTSV:
		return parseDelimited(ctx, display, buf, '\t')
	case FormatJSONL:
		return parseJSONL(ctx, display, buf)
	}
	return nil, errorf(ErrFormat, "read %s: unknown format %q (want one of %s)", display, format, quoteList(Formats[:3]))
}

// ReadBytesUnchecked is ReadBytes for csv or tsv that keeps text that is
// not UTF-8 in the Frame instead of stopping at its first byte: for a
// caller (a server answering a request) that names every such value by row
// and column with InputSchema.Check, which refuses them all the same.
func ReadBytesUnchecked(ctx context.Context, display, format string, buf []byte) (*Frame, error) {
	switch format {
	case FormatCSV:
		return parseDelimitedUnchecked(ctx, display, buf, ',')
	case FormatTSV:
		return parseDelimitedUnchecked(ctx, display, buf, '\t')
	}
	return nil, errorf(ErrFormat, "read %s: unknown format %q (want csv or tsv)", display, format)
}

// readBytes reads a whole regular file, decompressed when it is gzip, and
// with hash set the hex sha256 of its bytes as stored. The bytes it
// returns are at most lim.decompressed, in lines of at most lim.line; it
// stops at the first byte past either (a 2 MB gzip file can hold a 2 GiB
// line), and when ctx is canceled.
func readBytes(ctx context.Context, path string, hash bool, lim limits) ([]byte, string, error) {
	if err := regularFile(path); err != nil {
		return nil, "", err
	}
	buf, err := os.ReadFile(path)
	if err != nil {
		// The path is already in front; keep the cause without repeating it.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, "", fmt.Errorf("read %s: %w", path, err)
	}
	sum := ""
	if hash {
		h := sha256.Sum256(buf)
		sum = hex.EncodeToString(h[:])
	}
	if !isGzip(buf) {
		if int64(len(buf)) > lim.decompressed {
			return nil, "", errorf(ErrLimit, "read %s: it holds %d bytes, more than %d (data.limits.decompressed_bytes; raise it if the file is right)", path, len(buf), lim.decompressed)
		}
		lines := &lineBound{path: path, max: lim.line}
		if err := lines.feed(buf); err != nil {
			return nil, "", err
		}
		return buf, sum, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(buf))
	if err != nil {
		return nil, "", fmt.Errorf("read %s: gunzip: %w", path, err)
	}
	zr.Multistream(true)
	// Most text data compresses 3-10x: start there to avoid regrowing.
	out := &boundedBuffer{display: path, max: lim.decompressed, lines: &lineBound{path: path, max: lim.line}}
	out.buf.Grow(int(min(4*int64(len(buf)), lim.decompressed)))
	if _, err := io.Copy(out, ctxReader{ctx, zr}); err != nil {
		var pe *ParseError
		if errors.Is(err, ErrLimit) || errors.As(err, &pe) || ctx.Err() != nil {
			return nil, "", err
		}
		return nil, "", fmt.Errorf("read %s: gunzip: %w", path, err)
	}
	return out.buf.Bytes(), sum, nil
}

func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// ReadCells reads a csv or tsv file's cells as they are written: the
// header, then each row's fields, unparsed (quoting undone, as CSV means
// it), for a caller that writes them back unchanged (xp predict keeps
// "5.0" and "NA"). A file of another format has no such text: nil.
func ReadCells(ctx context.Context, path string) ([][]string, error) {
	format, err := FormatOf(path)
	if err != nil || (format != FormatCSV && format != FormatTSV) {
		return nil, nil
	}
	if err := regularFile(path); err != nil {
		return nil, err
	}
	buf, _, err := readBytes(ctx, path, false, limitsOf(nil))
	if err != nil {
		return nil, err
	}
	if err := checkUTF8(path, buf); err != nil {
		return nil, err
	}
	sep := byte(',')
	if format == FormatTSV {
		sep = '\t'
	}
	s := newScanner(path, buf, sep)
	var out [][]string
	for {
		if len(out)%ctxCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		ok, err := s.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		rec := make([]string, len(s.fields))
		for i, f := range s.fields {
			rec[i] = string(f)
		}
		out = append(out, rec)
	}
}
