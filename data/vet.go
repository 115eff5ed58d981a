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

// vetPeekBytes is how much of a file Peek reads to learn its column kinds.
const vetPeekBytes = 1 << 20

// Vet checks s's data as xp run would read it, without fetching anything.
// Every local file, and a remote file already in the cache, is read whole
// by the reader training uses: a file that is missing, empty, header-only,
// ragged or not UTF-8 is a problem. The rules and features are then
// followed over the columns (a column named but not there, or dropped or
// renamed by an earlier rule; a numeric operation on a text column; a rule
// changing the target), all reported at once; and when they are sound, the
// rows are prepared as training prepares them (the split, the rules, the
// encoding), so what would stop a run before its first epoch stops vet.
// Problems are *spec.FieldError; notes say what could not be checked (a
// remote file not fetched yet).
func Vet(ctx context.Context, s *spec.Spec, o SourceOptions) (problems []*spec.FieldError, notes []string) {
	d := s.Data
	var main, test *Frame
	var schema *Schema
	for _, v := range []struct {
		field string
		src   *spec.Source
		frame **Frame
	}{{"data.source", &d.Source, &main}, {"data.test_source", d.TestSource, &test}} {
		if v.src == nil {
			continue
		}
		f, sc, note, err := vetSource(ctx, v.field, *v.src, o)
		switch {
		case err != nil:
			var fe *spec.FieldError
			if !errors.As(err, &fe) {
				fe = &spec.FieldError{Field: v.field, Err: err}
			}
			problems = append(problems, fe)
			continue
		case note != "":
			notes = append(notes, note)
			continue
		}
		if schema == nil && v.field == "data.source" {
			schema = &sc
		}
		*v.frame = f
	}
	if schema == nil {
		return problems, notes
	}
	problems = append(problems, checkSchema(*schema, d)...)
	if len(problems) > 0 || main == nil || (d.TestSource != nil && test == nil) {
		return problems, notes
	}
	if err := vetPrepare(main, test, s); err != nil {
		problems = append(problems, err)
	}
	return problems, notes
}

// vetPrepare prepares the rows as a run does before it trains.
func vetPrepare(main, test *Frame, s *spec.Spec) *spec.FieldError {
	task, err := TaskFor(s, main)
	if err == nil {
		_, err = PrepareTask(main, test, s.Data, task)
	}
	if err == nil {
		return nil
	}
	var fe *spec.FieldError
	if !errors.As(err, &fe) {
		fe = &spec.FieldError{Field: "data", Err: err}
	}
	return fe
}

// TaskFor is the task the spec asks for: its head's, or, for a spec that
// names none, what its target column holds (DetectTask).
func TaskFor(s *spec.Spec, f *Frame) (Task, error) {
	switch s.Head() {
	case spec.HeadRegression:
		return TaskRegression, nil
	case "":
		return DetectTask(f, s.Data.Target)
	}
	return TaskClassification, nil
}

// vetSource reads a source that is on this machine whole, as a run reads
// it, and its columns. A source that is not (a remote file not in the
// cache) gives a note instead; a file that cannot be read or parsed, an
// error about the spec field that names it.
func vetSource(ctx context.Context, field string, s spec.Source, o SourceOptions) (*Frame, Schema, string, error) {
	if s.Synthetic != nil {
		f, err := Generate(ctx, s.Synthetic)
		if err != nil {
			return nil, Schema{}, "", &spec.FieldError{Field: field + ".synthetic", Err: err}
		}
		return f, synthSchema(s.Synthetic), "", nil
	}
	loc, note, err := locate(field, s, o)
	if err != nil || note != "" {
		return nil, Schema{}, note, err
	}
	if _, err := os.Stat(loc.path); err != nil && s.Kind() == "file" {
		return nil, Schema{}, "", &spec.FieldError{Field: loc.field, Err: fmt.Errorf("%s: no such file", loc.display)}
	}
	f, _, err := readFormat(ctx, loc.path, loc.display, loc.format, false, limitsOf(o.Limits))
	if err != nil {
		return nil, Schema{}, "", &spec.FieldError{Field: loc.field, Err: err}
	}
	return f, frameSchema(f), "", nil
}

// located is a source's file on this machine.
type located struct {
	path, display, format string
	field                 string // the spec field that names the file
}

// locate finds the file of a file, http or s3 source without fetching it:
// a remote file not in the cache gives a note.
func locate(field string, s spec.Source, o SourceOptions) (located, string, error) {
	c := &fetch.Cache{Dir: o.CacheDir}
	var l located
	var err error
	switch s.Kind() {
	case "file":
		l.path, l.field = localPath(o.Dir, s.File), field+".file"
		l.display = l.path
		if l.format, err = FormatOf(s.File); err != nil {
			return l, "", &spec.FieldError{Field: l.field, Err: err}
		}
	case "http":
		l.display, l.field = redact.URL(s.HTTP.URL), field+".http.url"
		if l.format, err = formatOr(s.HTTP.Format, urlPath(s.HTTP.URL)); err != nil {
			return l, "", &spec.FieldError{Field: l.field, Err: err}
		}
		b, ok := c.Lookup(s.HTTP.SHA256)
		if !ok || o.CacheDir == "" {
			return l, fmt.Sprintf("%s: %s is not fetched yet (xp run fetches it); its columns were not checked", field, l.display), nil
		}
		l.path = b.Path
	case "s3":
		l.display, l.field = "s3://"+s.S3.Bucket+"/"+s.S3.Key, field+".s3.key"
		if l.format, err = formatOr(s.S3.Format, s.S3.Key); err != nil {
			return l, "", &spec.FieldError{Field: l.field, Err: err}
		}
		sha := s.S3.SHA256
		if sha == "" {
			sha = c.S3Cached(fetch.S3Object{Endpoint: s.S3.Endpoint, Bucket: s.S3.Bucket, Key: s.S3.Key})
		}
		b, ok := c.Lookup(sha)
		if !ok || o.CacheDir == "" {
			return l, fmt.Sprintf("%s: %s is not fetched yet (xp run fetches it); its columns were not checked", field, l.display), nil
		}
		l.path = b.Path
	default:
		return l, "", fieldErrorf(field, ErrInvalidRule, "sets none of file, http, s3, synthetic")
	}
	return l, "", nil
}

// peekSource reads the columns of a source that is on this machine from
// its first rows. A source that is not gives a note instead.
func peekSource(ctx context.Context, field string, s spec.Source, o SourceOptions) (Schema, string, error) {
	if s.Synthetic != nil {
		return synthSchema(s.Synthetic), "", nil
	}
	l, note, err := locate(field, s, o)
	if err != nil || note != "" {
		return Schema{}, note, err
	}
	if _, err := os.Stat(l.path); err != nil {
		return Schema{}, fmt.Sprintf("%s: %s not found; its columns were not checked", field, l.path), nil
	}
	if err := regularFile(l.path); err != nil {
		return Schema{}, "", &spec.FieldError{Field: l.field, Err: err}
	}
	sc, err := peekFile(ctx, l.path, l.display, l.format)
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
	c := &schemaCheck{t: newTable(f), kinds: slices.Clone(sc.Kinds), target: d.Target}
	if c.t.index(d.Target) < 0 {
		c.report(&spec.FieldError{Field: "data.target", Err: c.t.notFound(d.Target)})
	}
	for i, r := range d.Prepare {
		if ru := ruleOf(r); ru != nil {
			ru.vet(c, fmt.Sprintf("data.prepare[%d]", i))
		}
	}
	for i, r := range d.Clean {
		if ru := ruleOf(r); ru != nil {
			ru.vet(c, fmt.Sprintf("data.clean[%d]", i))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(d.Features)) {
		field := featureField(name)
		if name == d.Target {
			c.out = append(c.out, fieldErrorf(field, ErrInvalidRule, "%q is the target, not a feature", name))
			continue
		}
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
