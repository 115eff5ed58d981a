package data

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// xp reads text as UTF-8 only, in training and in xp predict alike: a
// Latin-1 "Málaga" read as UTF-8 would become a category of its own,
// stored with a replacement character, that no row scored later could
// match. So invalid UTF-8 is an error (ErrEncoding) at its
// file:line:column, naming the byte, and the file is to be converted
// (iconv -f latin1 -t utf-8), which also changes its sha256 and so the
// run key: the conversion is a change of data like any other.

// encodingHint is what to do about a file that is not UTF-8.
const encodingHint = "xp reads text as UTF-8: convert the file (for Latin-1, iconv -f latin1 -t utf-8)"

// checkUTF8 returns a *ParseError at the first byte of buf that is not
// UTF-8, with its line and column (in bytes, from 1, a byte order mark
// not counted), nil when buf is all UTF-8.
func checkUTF8(path string, buf []byte) error {
	if utf8.Valid(buf) {
		return nil
	}
	bom := bytes.HasPrefix(buf, []byte("\xef\xbb\xbf"))
	off := 0
	for off < len(buf) {
		r, n := utf8.DecodeRune(buf[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	lineStart := bytes.LastIndexByte(buf[:off], '\n') + 1
	line := bytes.Count(buf[:off], []byte("\n")) + 1
	col := off - lineStart + 1
	if line == 1 && bom {
		col -= 3
	}
	end := bytes.IndexByte(buf[off:], '\n')
	if end < 0 {
		end = len(buf) - off
	}
	context := buf[max(lineStart, off-20):min(off+end, off+20)]
	return &ParseError{Path: path, Line: line, Col: col, Err: errorf(ErrEncoding,
		"invalid UTF-8: byte 0x%02x in %s; %s", buf[off], quoteBytes(context), encodingHint)}
}

// quoteBytes quotes text as Go does, invalid bytes as \xNN.
func quoteBytes(b []byte) string { return fmt.Sprintf("%q", b) }

// checkFrameUTF8 is checkUTF8 for a frame read from a binary format
// (Parquet), whose text has no lines: it names the column and the row.
func checkFrameUTF8(path string, f *Frame) error {
	for _, c := range f.Cols {
		if c.Numeric {
			continue
		}
		for i, s := range c.Str {
			if utf8.ValidString(s) {
				continue
			}
			b := []byte(s)
			off := 0
			for off < len(b) {
				r, n := utf8.DecodeRune(b[off:])
				if r == utf8.RuneError && n <= 1 {
					break
				}
				off += n
			}
			return errorf(ErrEncoding, "%s: column %q, row %d: invalid UTF-8: byte 0x%02x in %s; %s",
				path, c.Name, i+1, b[off], quoteBytes(b), encodingHint)
		}
	}
	return nil
}

// checkNUL refuses a NUL byte anywhere in a table: it would otherwise
// become part of a value, a new category no one can see.
func checkNUL(path string, buf []byte) error {
	off := bytes.IndexByte(buf, 0)
	if off < 0 {
		return nil
	}
	lineStart := bytes.LastIndexByte(buf[:off], '\n') + 1
	line := bytes.Count(buf[:off], []byte("\n")) + 1
	return &ParseError{Path: path, Line: line, Col: off - lineStart + 1, Err: errorf(ErrNUL,
		"a NUL byte (0x00): not text a table may hold (a binary file, or text in UTF-16? save it as UTF-8)")}
}
