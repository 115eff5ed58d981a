// Package chart draws line charts in a terminal with braille characters: each
// cell holds a 2x4 grid of dots, so a 40x8 chart has 80x32 points of
// resolution.
//
// A chart is a pure function of its series and size: Render returns exactly
// Height lines of exactly Width cells, which is what a page laying charts
// side by side needs, and what a golden test can compare. Overlapping series
// are composited opaquely, the later series owning a cell it touches, so
// colours never mix into a third colour that belongs to no series. A NaN or
// infinite value breaks the line instead of dragging it to the edge.
//
// The y axis is padded around the data but never beyond the range the
// quantity can take (YLimit: an accuracy's axis ends at 1), and labelled at
// round values on rows that a line through them is drawn in. It can be
// logarithmic; the x axis can be zoomed to a range and labelled with any
// formatter (durations for wall time). Faint series (a raw curve behind its
// EMA-smoothed one, a sweep's other runs) and bands (a sweep's min–max,
// see Spread) are drawn under the others. Each series has a dash Pattern:
// with LineKeys the legend shows it, which is what tells curves apart
// without colour.
//
// Parallel draws parallel coordinates: a vertical axis per dimension and
// each item a line across them, crossing each axis as a ● at its value;
// the caller places the values on each axis (from 0 at the bottom to 1 at
// the top) and names the labels, so a log or a categorical axis is the
// caller's choice.
package chart
