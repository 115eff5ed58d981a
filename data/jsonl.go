package data

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// ErrJSON is a JSON Lines file that cannot be read as a table.
var ErrJSON = errors.New("invalid JSON line")

// parseJSONL reads JSON Lines: one object per line, its members the row's
// values. Columns are the members in the order they first appear; a row
// without a member has a missing value there, as does null or "". A column
// is numeric when every value present is a JSON number; strings and
// booleans make it text (numbers then keep their literal text). Nested
// objects and arrays are errors, with the line.
func parseJSONL(ctx context.Context, path string, buf []byte) (*Frame, error) {
	// encoding/json would turn invalid UTF-8 into U+FFFD, silently.
	if err := checkUTF8(path, buf); err != nil {
		return nil, err
	}
	buf = bytes.TrimPrefix(buf, []byte("\xef\xbb\xbf"))
	f := &Frame{Path: path}
	index := map[string]int{}
	var cells [][]Cell // by column, then row
	interned := map[string]string{}
	intern := func(b string) string {
		if s, ok := interned[b]; ok {
			return s
		}
		if len(interned) < internLimit {
			interned[b] = b
		}
		return b
	}
	line := 0
	for len(buf) > 0 {
		line++
		if line%ctxCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("read %s: %w", path, err)
			}
		}
		n := bytes.IndexByte(buf, '\n')
		if n < 0 {
			n = len(buf)
		}
		text := bytes.TrimSpace(buf[:n])
		buf = buf[min(n+1, len(buf)):]
		if len(text) == 0 {
			continue
		}
		row := f.Len()
		seen := map[int]bool{}
		err := jsonObject(text, func(key string, c Cell) error {
			j, ok := index[key]
			if !ok {
				if key == "" {
					return fmt.Errorf("a member has an empty name")
				}
				j = len(f.Names)
				index[key] = j
				f.Names = append(f.Names, key)
				cells = append(cells, make([]Cell, row, max(row, 16)))
			}
			if seen[j] {
				return fmt.Errorf("member %q appears twice", key)
			}
			seen[j] = true
			if c.kind == cellText {
				c.text = intern(c.text)
			}
			cells[j] = append(cells[j], c)
			return nil
		})
		if err != nil {
			return nil, &ParseError{Path: path, Line: line, Err: errorf(ErrJSON, "%v", err)}
		}
		f.Line = append(f.Line, line)
		for j := range cells {
			if len(cells[j]) == row { // absent from this row
				cells[j] = append(cells[j], Cell{kind: cellMissing})
			}
		}
	}
	if line == 0 {
		return nil, &ParseError{Path: path, Err: ErrEmptyFile}
	}
	if f.Len() == 0 || len(f.Names) == 0 {
		return nil, &ParseError{Path: path, Line: 1, Err: ErrNoRows}
	}
	f.Cols = typedColumns(f.Names, f.Len(), func(i, j int) Cell { return cells[j][i] })
	return f, nil
}

// jsonObject calls member for each member of the one JSON object in text.
func jsonObject(text []byte, member func(string, Cell) error) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return jsonErr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("want an object {...} per line, found %s", describeToken(tok))
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonErr(err)
		}
		key := tok.(string) // inside an object, a token before a value is its name
		tok, err = dec.Token()
		if err != nil {
			return jsonErr(err)
		}
		var c Cell
		switch v := tok.(type) {
		case nil:
			c.kind = cellMissing
		case string:
			c.kind, c.text = cellText, v
			if v == "" {
				c.kind = cellMissing
			}
		case bool:
			c.kind, c.text = cellText, strconv.FormatBool(v)
		case json.Number:
			x, err := strconv.ParseFloat(string(v), 64)
			if err != nil || math.IsInf(x, 0) {
				c.kind, c.text = cellText, string(v) // out of float64's range: keep the text
			} else {
				c.kind, c.num, c.text = cellNumber, x, string(v)
			}
		case json.Delim:
			return fmt.Errorf("member %q holds a nested %s; xp reads flat objects only", key, map[json.Delim]string{'{': "object", '[': "array"}[v])
		}
		if err := member(key, c); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return jsonErr(err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return jsonErr(err)
		}
		return fmt.Errorf("more after the object: %s", describeToken(tok))
	}
	return nil
}

func jsonErr(err error) error {
	if err == io.EOF {
		return errors.New("unexpected end of line: the object is not closed")
	}
	return err
}

func describeToken(tok any) string {
	switch v := tok.(type) {
	case json.Delim:
		return string(v)
	case string:
		return strconv.Quote(v)
	case nil:
		return "null"
	}
	return fmt.Sprint(tok)
}
