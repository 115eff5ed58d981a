package spec

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

func TestFieldError(t *testing.T) {
	exps, err := Load("testdata/experiments/credit.cue")
	if err != nil {
		t.Fatal(err)
	}
	credit := exps[0]
	const f = "testdata/experiments/credit.cue"
	notFound := errors.New(`column "x" not found`)

	unplaced := &FieldError{Field: "data.clean[2].filter.column", Err: notFound}
	if got, want := unplaced.Error(), `data.clean[2].filter.column: column "x" not found`; got != want {
		t.Errorf("without a position: %q, want %q", got, want)
	}
	placed := credit.Locate(fmt.Errorf("prepare: %w", unplaced))
	var fe *FieldError
	if !errors.As(placed, &fe) || !errors.Is(placed, notFound) {
		t.Fatalf("Locate gave %v (%T)", placed, placed)
	}
	if got, want := placed.Error(), f+`:12:14: data.clean[2].filter.column: column "x" not found`; got != want {
		t.Errorf("located: %q, want %q", got, want)
	}
	// An error with a position, or none of ours, is left as it is.
	other := errors.New("disk full")
	if credit.Locate(other) != other {
		t.Error("Locate changed an error that is not a FieldError")
	}
	elsewhere := &FieldError{Pos: "other.cue:1:1", Field: "data.target", Err: notFound}
	if credit.Locate(elsewhere) != elsewhere {
		t.Error("Locate moved an error that had a position")
	}
	if got := credit.FieldError("data.target", notFound).Pos; got != f+":8:3" {
		t.Errorf("FieldError at %q, want %s:8:3", got, f)
	}

	// The printer: a command's error as it was made, a vet list relative
	// to the working directory.
	var b bytes.Buffer
	PrintError(&b, placed, "/elsewhere")
	if want := placed.Error() + "\n"; b.String() != want {
		t.Errorf("PrintError wrote %q, want %q", b.String(), want)
	}
	if !IsSpecError(placed) || IsSpecError(other) {
		t.Error("IsSpecError does not tell a FieldError from another error")
	}
	b.Reset()
	abs, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	PrintFieldErrors(&b, []*FieldError{
		{Pos: filepath.Join(abs, "experiments/credit.cue:8:3"), Field: "data.target", Err: notFound},
		{Pos: "/outside/x.cue:1:2", Field: "data.source.file", Err: other},
	}, abs)
	want := "experiments/credit.cue:8:3: data.target: column \"x\" not found\n" +
		"/outside/x.cue:1:2: data.source.file: disk full\n"
	if b.String() != want {
		t.Errorf("PrintFieldErrors wrote\n%s\nwant\n%s", b.String(), want)
	}
}
