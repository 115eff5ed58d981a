// Package report turns runs, comparisons of runs and sweeps from the store
// into documents to share: one self-contained HTML file (inline SVG and
// CSS, nothing fetched), Markdown with its figures beside it, or single
// figures as SVG or PNG.
//
// A document is built once (Build) from what the store and the runs'
// artifacts hold, as sections of blocks: figures drawn with
// gonum.org/v1/plot, tables, and notes saying which panel was skipped and
// why. Each kind of panel is a type implementing panel, in a file of its
// own; the writers (WriteHTML, WriteMarkdown, WriteFigures) only lay the
// blocks out.
package report
