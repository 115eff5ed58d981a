package data

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Text that is not UTF-8 is an error at its line and column, naming the
// byte, in every text format; UTF-8 (a BOM included) reads.
func TestInvalidUTF8(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name, format, text string
		line, col          int
		want               string
	}{
		{"latin1 csv", FormatCSV, "city,n\nMadrid,1\nM\xe1laga,2\n", 3, 2, `byte 0xe1 in "M\xe1laga,2"`},
		{"after a bom", FormatCSV, "\xef\xbb\xbfc\xe9,n\nx,1\n", 1, 2, `byte 0xe9`},
		{"tsv", FormatTSV, "a\tb\n1\tcaf\xe9\n", 2, 6, `byte 0xe9 in "1\tcaf\xe9"`},
		{"jsonl", FormatJSONL, "{\"a\": 1}\n{\"a\": \"\xff\"}\n", 2, 8, `byte 0xff`},
		{"cut rune", FormatCSV, "a\nx\xc3\n", 2, 2, `byte 0xc3`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, "x."+tt.format, tt.text)
			_, err := ReadFormat(ctx, path, "data/x."+tt.format, tt.format)
			var pe *ParseError
			if !errors.Is(err, ErrEncoding) || !errors.As(err, &pe) {
				t.Fatalf("read = %v, want ErrEncoding", err)
			}
			if pe.Line != tt.line || pe.Col != tt.col {
				t.Errorf("at %d:%d, want %d:%d (%v)", pe.Line, pe.Col, tt.line, tt.col, err)
			}
			for _, w := range []string{tt.want, "data/x." + tt.format + ":", "iconv -f latin1 -t utf-8"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	path := writeTemp(t, "ok.csv", "\xef\xbb\xbfcity,n\nM\xc3\xa1laga,1\nMadrid,2\n")
	f, err := ReadFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := f.Col("city"); c.Str[0] != "Málaga" {
		t.Errorf("read %q, want Málaga", c.Str[0])
	}
}

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Parquet text has no lines: the error names the column and the row.
func TestInvalidUTF8Parquet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.parquet")
	writeParquet(t, path, []tableRow{{ID: 1, Home: ptr("Madrid")}, {ID: 2, Home: ptr("M\xe1laga")}})
	_, err := ReadFile(context.Background(), path)
	if !errors.Is(err, ErrEncoding) || !strings.Contains(err.Error(), `column "home", row 2: invalid UTF-8: byte 0xe1 in "M\xe1laga"`) {
		t.Errorf("read = %v, want ErrEncoding at column home, row 2", err)
	}
}
