package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"regexp"
)

//go:embed report.css
var css string

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<header><h1>{{.Title}}</h1>
<nav><ul>{{range .Sections}}<li><a href="#{{.ID}}">{{.Title}}</a></li>{{end}}</ul></nav>
</header>
<main>
{{range .Sections}}<section id="{{.ID}}">
<h2>{{.Title}}</h2>
{{range .Blocks}}{{if .Figure}}<figure class="figure" id="fig-{{.Figure.Name}}">
{{.SVG}}
{{if .Figure.Caption}}<figcaption>{{.Figure.Caption}}</figcaption>{{end}}
</figure>
{{else if .Table}}{{if .Table.Folded}}<details><summary>{{.Table.Caption}} ({{len .Table.Rows}} rows)</summary>{{end}}
<table>{{if not .Table.Folded}}<caption>{{.Table.Caption}}</caption>{{end}}
<thead><tr>{{range .Table.Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Table.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody>
</table>{{if .Table.Folded}}</details>{{end}}
{{else if .Skipped}}<p class="skipped">Skipped <strong>{{.Skipped.Panel}}</strong>: {{.Skipped.Reason}}</p>
{{end}}{{end}}</section>
{{end}}</main>
</body>
</html>
`))

type htmlBlock struct {
	Block
	SVG template.HTML
}

type htmlSection struct {
	ID, Title string
	Blocks    []htmlBlock
}

// svgHeader is what comes before <svg in gonum's SVG: an XML declaration
// and a comment, which have no place inside HTML.
var svgHeader = regexp.MustCompile(`(?s)^.*?<svg width="([0-9.]+)pt" height="([0-9.]+)pt"`)

// WriteHTML writes the document as one HTML file: its CSS and figures
// inline, nothing to fetch, readable in light and dark.
func WriteHTML(w io.Writer, doc *Document) error {
	data := struct {
		Title    string
		CSS      template.CSS
		Sections []htmlSection
	}{Title: doc.Title, CSS: template.CSS(css)}
	for _, s := range doc.Sections {
		hs := htmlSection{ID: s.ID, Title: s.Title}
		for _, b := range s.Blocks {
			hb := htmlBlock{Block: b}
			if b.Figure != nil {
				svg, err := inlineSVG(b.Figure)
				if err != nil {
					return err
				}
				hb.SVG = svg
			}
			hs.Blocks = append(hs.Blocks, hb)
		}
		data.Sections = append(data.Sections, hs)
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, data); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// inlineSVG is a figure's SVG as an element of the page: without its XML
// header, scaling with the page, labelled for screen readers.
func inlineSVG(f *Figure) (template.HTML, error) {
	svg, err := f.SVG()
	if err != nil {
		return "", err
	}
	m := svgHeader.FindSubmatchIndex(svg)
	if m == nil {
		return "", fmt.Errorf("figure %s: unexpected SVG header", f.Name)
	}
	open := fmt.Sprintf(`<svg role="img" aria-label="%s" width="%spt" height="%spt"`,
		template.HTMLEscapeString(f.Title), svg[m[2]:m[3]], svg[m[4]:m[5]])
	return template.HTML(open + string(svg[m[1]:])), nil
}
