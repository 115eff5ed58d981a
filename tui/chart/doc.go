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
package chart
