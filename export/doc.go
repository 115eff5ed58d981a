// Package export writes the store's runs and points as tables other tools
// read: CSV, JSON Lines and Parquet, one row per run (its identity, status,
// timings, provenance, every leaf of its resolved spec and its final
// metrics) or per point (run, split, metric, epoch, step, value).
//
// Exports stream: rows are read from one snapshot of the store and written
// one at a time, so 100,000 runs or millions of points never sit in memory.
// Runs need their columns before the first row: a first pass reads one
// spec per spec hash and the metric names, a second writes the rows.
package export
