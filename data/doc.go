// Package data turns a data file and the data part of an experiment spec
// into the float32 matrices a backend trains on.
//
// ReadCSV reads a file into a Frame of typed columns: a column is numeric
// when every value that is not missing parses as a finite number, else it
// holds strings. Missing values are "", "NA", "N/A", "?" and NaN (any case),
// with or without quotes. Syntax errors come as *ParseError with the file's
// path and physical line.
//
// Prepare splits the rows (seeded, optionally stratified), runs the
// cleaning rules (drop_na, fill_na, filter, drop_duplicates), and encodes
// the features: numeric columns standardized, string columns one-hot. All
// that is learned from data is learned from the training split only, and
// kept in a Pipeline, which encodes new files the same way for prediction.
// Errors caused by a spec field are *FieldError, whose Field is the path
// of that field in the spec ("data.clean[2].filter.column"), for the runner
// to turn into a position in the user's file.
//
// Everything is deterministic: the same file and spec give bit-identical
// matrices, on any machine and Go version (the split uses its own shuffle
// over PCG, and no output depends on map order). Statistics are computed in
// float64; only the final matrices are float32.
package data
