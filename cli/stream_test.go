package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"text/tabwriter"
)

// TestStreamTableAsTabwriter: one batch is laid out exactly as
// text/tabwriter lays it out; a later, wider batch widens the columns
// without narrowing them.
func TestStreamTableAsTabwriter(t *testing.T) {
	rows := []string{"KEY\tRUN\tNAME\tAGE", "3fb53a086e1c\t#1\tcrédit\t0s", "aa\t#12 forced\tx\t10d"}
	var want, got bytes.Buffer
	tw := tabwriter.NewWriter(&want, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, r)
	}
	tw.Flush()
	st := &streamTable{w: &got}
	for _, r := range rows {
		st.row(r)
	}
	if err := st.flush(); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Fatalf("one batch:\n%s\nwant, as tabwriter:\n%s", got.String(), want.String())
	}
	got.Reset()
	st.row("b\tr\ta-much-longer-name\t1s")
	st.flush()
	if want := "b             r           a-much-longer-name  1s\n"; got.String() != want {
		t.Errorf("a later batch:\n%q\nwant\n%q", got.String(), want)
	}
}

// TestJSONArrayAsWriteJSON: elements written one at a time make the bytes
// writeJSON makes of the slice, empty or not.
func TestJSONArrayAsWriteJSON(t *testing.T) {
	type el struct {
		A string         `json:"a"`
		B map[string]int `json:"b,omitempty"`
	}
	for _, elems := range [][]el{{}, {{A: "<x>"}}, {{A: "1"}, {A: "2", B: map[string]int{"k": 1}}}} {
		t.Run(fmt.Sprint(len(elems)), func(t *testing.T) {
			var want, got bytes.Buffer
			if err := writeJSON(&want, elems); err != nil {
				t.Fatal(err)
			}
			a := &jsonArray{w: &got}
			for _, e := range elems {
				if err := a.add(e); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.close(); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("streamed:\n%s\nwant:\n%s", got.String(), strings.TrimSpace(want.String()))
			}
		})
	}
}
