// Package tui is xp's terminal UI, `xp tui`: a live table of the runs in a
// store, a detail page per run (loss and metric curves, spec, provenance,
// log, system metrics), a page comparing marked runs, a page charting a
// sweep's runs together and listing its points as `xp ls --sweep` does
// (sweep.ReadPoints, sweep.Best, an asha sweep's rungs; the project root
// in Options.Root is where the rungs are read), or drawing them in
// parallel coordinates, actions on runs (cancel, delete, copy key, rerun)
// and a command palette listing every action with its key. One key map
// generates the hint bars, the help page and the palette.
//
// The chart controls (smoothing, x axis, log y, zoom) are one setting for
// every page; plot.go turns a run's points into chart series under them.
//
// The UI reads only the store. It polls PRAGMA data_version every 250 ms
// and, when the database changed, re-reads only what can have changed: runs
// added since the largest id it has seen, the runs it knows to be live
// (queued, running, lost), and the points added since its cursor for the
// runs on screen. Runs started from any terminal appear within half a second.
//
// The first frame shows the newest 500 runs; older runs are read in pages
// of 20,000 behind it. Sorting and filtering work on that in-memory index of
// light rows (no spec, no provenance), kept sorted so that a filter is one
// pass and a poll moves only the rows that changed: a keypress costs a few
// milliseconds with 100,000 runs. Metric filters and the metric column read
// one summary series at a time through the store's summaries index.
//
// Numbers and durations print as the CLI prints them (internal/numfmt).
//
// Charts are drawn by the sub-package chart, in braille, each axis kept
// within the range its metric can take. Without colour, curves are told
// apart by dash patterns.
//
// Everything that came from user data (experiment names, errors, spec
// values, log lines) is stripped of control characters before it is drawn.
// NO_COLOR (or Options.NoColor) turns colours off; the cursor and marks stay
// visible as characters.
package tui
