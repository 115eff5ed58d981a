package report

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// FigureDir is where WriteMarkdown puts the figures, beside the Markdown.
const FigureDir = "figures"

// WriteMarkdown writes the document as dir/report.md with each figure as
// SVG and PNG in dir/figures, the Markdown showing the SVG: ready to post
// from CI as a pull request's comment with the figures uploaded beside it.
func WriteMarkdown(dir string, doc *Document) error {
	if err := WriteFigures(filepath.Join(dir, FigureDir), doc, "svg", "png"); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "report.md"))
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	w := bufio.NewWriter(f)
	writeMarkdown(w, doc)
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write report: %w", err)
	}
	return f.Close()
}

func writeMarkdown(w io.Writer, doc *Document) {
	fmt.Fprintf(w, "# %s\n", mdText(doc.Title))
	for _, s := range doc.Sections {
		fmt.Fprintf(w, "\n## %s\n", mdText(s.Title))
		for _, b := range s.Blocks {
			fmt.Fprintln(w)
			switch {
			case b.Figure != nil:
				fmt.Fprintf(w, "![%s](%s/%s.svg)\n", mdText(b.Figure.Title), FigureDir, b.Figure.Name)
				if b.Figure.Caption != "" {
					fmt.Fprintf(w, "\n*%s*\n", mdText(b.Figure.Caption))
				}
			case b.Table != nil:
				writeMarkdownTable(w, b.Table)
			case b.Skipped != nil:
				fmt.Fprintf(w, "> Skipped **%s**: %s\n", mdText(b.Skipped.Panel), mdText(b.Skipped.Reason))
			}
		}
	}
}

func writeMarkdownTable(w io.Writer, t *Table) {
	if t.Folded {
		// GitHub shows a <details> folded, as the HTML report does.
		fmt.Fprintf(w, "<details><summary>%s (%d rows)</summary>\n\n", mdText(t.Caption), len(t.Rows))
		defer fmt.Fprintln(w, "\n</details>")
	} else {
		fmt.Fprintf(w, "**%s**\n\n", mdText(t.Caption))
	}
	row := func(cells []string) {
		for _, c := range cells {
			fmt.Fprintf(w, "| %s ", mdText(c))
		}
		fmt.Fprintln(w, "|")
	}
	row(t.Header)
	fmt.Fprintln(w, strings.Repeat("| --- ", len(t.Header))+"|")
	for _, r := range t.Rows {
		row(r)
	}
}

// mdEscaper escapes what Markdown would read as markup in user text
// (names, errors, values).
var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "#", `\#`, "|", `\|`, "\n", " ")

func mdText(s string) string { return mdEscaper.Replace(s) }

// WriteFigures writes every figure of the document into dir, once per
// format ("svg", "png"), as <name>.<format>.
func WriteFigures(dir string, doc *Document, formats ...string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write figures: %w", err)
	}
	for _, f := range doc.Figures() {
		for _, format := range formats {
			var (
				b   []byte
				err error
			)
			switch format {
			case "svg":
				b, err = f.SVG()
			case "png":
				b, err = f.PNG(pngDPI)
			default:
				return fmt.Errorf("write figures: format %q: want svg or png", format)
			}
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, f.Name+"."+format), b, 0o644); err != nil {
				return fmt.Errorf("write figures: %w", err)
			}
		}
	}
	return nil
}

// pngDPI makes a 6-inch figure 576 pixels wide: sharp at page width.
const pngDPI = 96
