package data

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data/fetch"
	"github.com/xp-ml/xp/internal/redact"
)

// Kind of a column's values as vet knows them.
type Kind uint8

const (
	KindUnknown Kind = iota // only the header was read
	KindNumber
	KindText
)

// Schema is the columns of a source: names, and kinds where known.
type Schema struct {
	Path  string
	Names []string
	Kinds []Kind
}

// vetPeekBytes is how much of a file vet reads to learn its column kinds.
// A column that holds text in these rows holds text in the file, so the
// "numeric operation on a text column" check has no false alarms; one
// whose first text value comes later is missed.
const vetPeekBytes = 1 << 20

// Vet checks d against the columns of its sources without fetching
// anything: a local file's first rows, a remote file already in the cache,
// a generator's parameters. It returns the spec's problems (a rule or
// feature naming a column the source does not have, a numeric operation on
// a text column, a missing target), each a *spec.FieldError, and notes on what it
// could not check (a file not found, a remote file not fetched yet).
func Vet(ctx context.Context, d spec.Data, o SourceOptions) (problems []*spec.FieldError, notes []string) {
	var schemas []Schema
	for _, s := range []struct {
		field string
		src   *spec.Source
	}{{"data.source", &d.Source}, {"data.test_source", d.TestSource}} {
		if s.src == nil {
			continue
		}
		sc, note, err := peekSource(ctx, s.field, *s.src, o)
		switch {
		case err != nil:
			var fe *spec.FieldError
			switch {
			case errors.As(err, &fe):
				problems = append(problems, fe)
			case errors.Is(err, ErrEncoding):
				// Not a file xp can train on: a problem, not a note.
				problems = append(problems, &spec.FieldError{Field: s.field, Err: err})
			default:
				notes = append(notes, fmt.Sprintf("%s: %v; columns not checked", s.field, err))
			}
			continue
		case note != "":
			notes = append(notes, note)
			continue
		}
		schemas = append(schemas, sc)
	}
	if len(schemas) == 0 {
		return problems, notes
	}
	return append(problems, checkSchema(schemas[0], d)...), notes
}

// peekSource reads the columns of a source that is on this machine. A
// source that is not gives a note instead.
func peekSource(ctx context.Context, field string, s spec.Source, o SourceOptions) (Schema, string, error) {
	c := &fetch.Cache{Dir: o.CacheDir}
	var path, display, format string
	var err error
	switch s.Kind() {
	case "file":
		path = localPath(o.Dir, s.File)
		display = path
		if format, err = FormatOf(s.File); err != nil {
			return Schema{}, "", &spec.FieldError{Field: field + ".file", Err: err}
		}
		if _, err := os.Stat(path); err != nil {
			return Schema{}, fmt.Sprintf("%s: %s not found; its columns were not checked", field, path), nil
		}
		if err := regularFile(path); err != nil {
			return Schema{}, "", &spec.FieldError{Field: field + ".file", Err: err}
		}
	case "http":
		display = redact.URL(s.HTTP.URL)
		if format, err = formatOr(s.HTTP.Format, urlPath(s.HTTP.URL)); err != nil {
			return Schema{}, "", &spec.FieldError{Field: field + ".http.url", Err: err}
		}
		b, ok := c.Lookup(s.HTTP.SHA256)
		if !ok || o.CacheDir == "" {
			return Schema{}, fmt.Sprintf("%s: %s is not fetched yet (xp run fetches it); its columns were not checked", field, display), nil
		}
		path = b.Path
	case "s3":
		display = "s3://" + s.S3.Bucket + "/" + s.S3.Key
		if format, err = formatOr(s.S3.Format, s.S3.Key); err != nil {
			return Schema{}, "", &spec.FieldError{Field: field + ".s3.key", Err: err}
		}
		sha := s.S3.SHA256
		if sha == "" {
			sha = c.S3Cached(fetch.S3Object{Endpoint: s.S3.Endpoint, Bucket: s.S3.Bucket, Key: s.S3.Key})
		}
		b, ok := c.Lookup(sha)
		if !ok || o.CacheDir == "" {
			return Schema{}, fmt.Sprintf("%s: %s is not fetched yet (xp run fetches it); its columns were not checked", field, display), nil
		}
		path = b.Path
	case "synthetic":
		return synthSchema(s.Synthetic), "", nil
	default:
		return Schema{}, "", fieldErrorf(field, ErrInvalidRule, "sets none of file, http, s3, synthetic")
	}
	sc, err := peekFile(ctx, path, display, format)
	return sc, "", err
}

// peekFile reads the header and first rows of a file.
func peekFile(ctx context.Context, path, display, format string) (Schema, error) {
	if format == FormatParquet {
		return peekParquet(path, display)
	}
	f, err := os.Open(path)
	if err != nil {
		return Schema{}, err
	}
	defer f.Close()
	var r io.Reader = f
	head := make([]byte, 2)
	if n, _ := io.ReadFull(f, head); n == 2 && isGzip(head) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return Schema{}, err
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			return Schema{}, fmt.Errorf("read %s: gunzip: %w", display, err)
		}
		r = zr
	} else if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Schema{}, err
	}
	buf, err := io.ReadAll(io.LimitReader(r, vetPeekBytes+1))
	if err != nil {
		return Schema{}, fmt.Errorf("read %s: %w", display, err)
	}
	truncated := len(buf) > vetPeekBytes
	if truncated {
		buf = buf[:bytes.LastIndexByte(buf[:vetPeekBytes], '\n')+1]
	}
	var fr *Frame
	switch format {
	case FormatCSV, FormatTSV:
		sep := byte(',')
		if format == FormatTSV {
			sep = '\t'
		}
		fr, err = parseDelimited(ctx, display, buf, sep)
		if err != nil && (truncated || errors.Is(err, ErrNoRows)) {
			// Rows cut mid-quote, or none at all: the header alone.
			s := newScanner(display, buf, sep)
			if ok, herr := s.next(); ok && herr == nil {
				sc := Schema{Path: display}
				for _, name := range s.fields {
					sc.Names = append(sc.Names, string(name))
					sc.Kinds = append(sc.Kinds, KindUnknown)
				}
				return sc, nil
			}
		}
	case FormatJSONL:
		fr, err = parseJSONL(ctx, display, buf)
	}
	if err != nil {
		return Schema{}, err
	}
	return frameSchema(fr), nil
}

func frameSchema(f *Frame) Schema {
	sc := Schema{Path: f.Path, Names: f.Names}
	for _, c := range f.Cols {
		k := KindText
		if c.Numeric {
			k = KindNumber
			// A column of missing values only tells nothing.
			if !slices.Contains(c.Missing, false) {
				k = KindUnknown
			}
		}
		sc.Kinds = append(sc.Kinds, k)
	}
	return sc
}

func peekParquet(path, display string) (Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return Schema{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Schema{}, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return Schema{}, fmt.Errorf("read %s: not a parquet file: %w", display, err)
	}
	sc := Schema{Path: display}
	for _, p := range pf.Schema().Columns() {
		leaf, _ := pf.Schema().Lookup(p...)
		k := KindText
		if parquetKind("", leaf.Node.Type()).numeric {
			k = KindNumber
		}
		sc.Names = append(sc.Names, strings.Join(p, "."))
		sc.Kinds = append(sc.Kinds, k)
	}
	return sc, nil
}

// synthSchema is the columns a generator makes, without making them.
func synthSchema(s *spec.Synthetic) Schema {
	sc := Schema{Path: "synthetic " + s.Kind()}
	add := func(name string, k Kind) {
		sc.Names = append(sc.Names, name)
		sc.Kinds = append(sc.Kinds, k)
	}
	switch {
	case s.Classification != nil:
		for j := range s.Classification.Features {
			add("x"+strconv.Itoa(j), KindNumber)
		}
		for j := range s.Classification.Categorical {
			add("c"+strconv.Itoa(j), KindText)
		}
		add("label", KindText)
	case s.Interactions != nil:
		add("user", KindText)
		add("item", KindText)
		add("label", KindNumber)
	}
	return sc
}

// checkSchema follows d's rules over the columns of sc and reports every
// column that is named but not there, and every numeric operation on a
// column that holds text, as Prepare would find them one at a time.
func checkSchema(sc Schema, d spec.Data) []*spec.FieldError {
	f := &Frame{Path: sc.Path, Names: slices.Clone(sc.Names)}
	for j, name := range sc.Names {
		f.Cols = append(f.Cols, &Column{Name: name, Numeric: sc.Kinds[j] != KindText})
	}
	c := &schemaCheck{t: newTable(f), kinds: slices.Clone(sc.Kinds)}
	if c.t.index(d.Target) < 0 {
		c.report(&spec.FieldError{Field: "data.target", Err: c.t.notFound(d.Target)})
	}
	for i, r := range d.Clean {
		if ru := ruleOf(r); ru != nil {
			ru.vet(c, fmt.Sprintf("data.clean[%d]", i))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(d.Features)) {
		field := featureField(name)
		j := c.has(field, name)
		if d.Features[name].Numeric != nil && c.text(j) {
			c.out = append(c.out, fieldErrorf(field+".numeric", ErrType, "column %q holds text; a numeric feature needs numbers (cast it to number first, or make it categorical)", name))
		}
	}
	return c.out
}

// Peek reads the columns of source s (field names it in the spec, e.g.
// "data.source") from the first rows of its file, without fetching: a
// remote source must be in the cache. A source whose columns cannot be
// read this way (missing, not fetched) is an error saying why.
func Peek(ctx context.Context, field string, s spec.Source, o SourceOptions) (Schema, error) {
	sc, note, err := peekSource(ctx, field, s, o)
	if err == nil && note != "" {
		err = errors.New(note)
	}
	return sc, err
}
