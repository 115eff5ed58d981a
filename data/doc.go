// Package data turns the data part of an experiment spec into the float32
// matrices a backend trains on, and new rows into the same features for
// prediction.
//
// # Sources and formats
//
// ResolveSource makes a spec's source available on this machine and hashes
// it: a local file in place, an http or s3 file fetched once into the
// content-addressed cache of package fetch, a synthetic generator by its
// parameters. Source.Read then reads its rows into a Frame. Files are CSV,
// TSV, JSON Lines or Parquet, by name (FormatOf), each optionally gzip. The
// CSV reader (ReadCSV) is RFC 4180 as encoding/csv reads it, a column is
// numeric when every value that is not missing parses as a finite number,
// else it holds strings; missing values are "", "NA", "N/A", "?" and NaN
// (any case), with or without quotes. Syntax errors come as *ParseError
// with the file and physical line.
//
// # Preparation
//
// Prepare (PrepareSources with a separate test file) splits the rows
// (seeded, optionally stratified), runs the cleaning rules in order, and
// encodes the features as data.features says (numbers standardized, text
// one-hot by default; min-max, capped one-hot with a shared "other" input,
// hashed n-grams, ids; embedded columns as one index input each, after all
// the others, listed in Prepared.Embeddings). All that is learned from data is learned from the
// training split only, and kept in a Pipeline: the value-changing rules as
// fitted Steps and the encoders, which Transform replays on new rows for
// `xp predict`. Rules that drop rows are not replayed: every row to score
// gets a score. Each rule reports what it changed (RuleReport).
//
// Each kind of cleaning rule is a type in its own file (rule_clip.go, ...)
// implementing the rule interface of rule.go: fit (on the training split,
// applied to every split), vet (against a source's columns, for `xp vet`)
// and, for a rule that changes values or columns, a step type whose apply
// Transform replays. A Step is saved as its kind and its own fields, the
// JSON that preprocessing.json has always had.
//
// The target is classes (Matrix.Y) or, with PrepareTask and
// TaskRegression, a number (Matrix.T): then the split is not stratified and
// the target is standardized with the training split's mean and population
// std (TargetScale, kept in the Pipeline), Matrix.Target keeping it in its
// own units for metrics. DetectTask says which a spec without a head gets:
// a numeric target with a non-integer value or more than RegressionDistinct
// distinct values is a regression.
//
// Errors caused by a spec field are *spec.FieldError, whose Field is the path
// of that field in the spec ("data.clean[2].filter.column"), for the runner
// to turn into a position in the user's file. Vet finds the same column and
// type errors from a source's first rows, without training, for `xp vet`.
//
// Everything is deterministic: the same file and spec give bit-identical
// matrices, on any machine and Go version (the split uses its own shuffle
// over PCG, the generators only PCG and arithmetic, and no output depends
// on map order). Statistics are computed in float64; only the final
// matrices are float32.
package data
