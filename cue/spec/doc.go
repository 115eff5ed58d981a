// Package spec loads xp experiments written in CUE, validates them against
// the embedded schema, and gives each one a stable identity.
//
// # Loading
//
// [Load] takes .cue files and directories. A directory is searched
// recursively (skipping names that start with "." or "_"). Files of one
// directory that declare the same package form one instance, as in CUE, so
// they may share definitions and hidden fields; a file without a package
// clause is an instance of its own. A file path loads the instance it
// belongs to, so shared definitions keep working, and returns only the
// experiments that file defines. The schema's definitions (#Experiment, #Rule, #Layer, ...) are in
// scope in every file without an import.
//
// Every top-level regular field whose value is a struct is an experiment,
// whether or not the user wrote `#Experiment &`: it is unified with
// #Experiment (closed: unknown fields are errors), its defaults are filled
// in, it must be concrete, and it is decoded into a [Spec]. Hidden fields
// and definitions are not experiments; top-level fields of other kinds are
// ignored. An experiment's name is its `name` field when set, else its
// top-level label; names must be unique across everything loaded. A user's
// own definition must be built on #Experiment (`#Base: #Experiment & {...}`):
// a definition is closed, so one that is not would forbid the schema's
// fields.
//
// Every default is in the schema except those of metrics ([DefaultMetrics],
// [DefaultRegressionMetrics]) and train.loss, which Load fills in: a list
// default needs a disjunction in CUE, and a typo in one metric would then
// be reported against the default list too; and both depend on the head
// (model.head, or the loss written: see [Spec.Head]). Without a head the
// fill is the multiclass one, exactly what the schema defaulted to before
// heads existed, so older experiments keep their hash.
//
// Load may be called from many goroutines; each call has its own
// cue.Context.
//
// [LoadSources] does the same from files held in memory (a past run's files,
// read from its git commit), and gives the same experiment and hash as Load
// gives for the same bytes on disk.
//
// # Paths
//
// A relative data.source.file is relative to the directory of the .cue file
// that defines the experiment (the file holding its top-level field), not to
// the working directory, so `xp run` behaves the same from anywhere in the
// repository. [Experiment.DataPath] resolves such a path.
//
// # Errors
//
// CUE errors keep their positions all the way to the CLI, which prints them
// once with [PrintError]. An error found after loading that belongs to one
// field (a column the data lacks, a device this machine lacks) is a
// [FieldError], whatever package found it: [Experiment.FieldError] makes one
// at the field's position, and [Experiment.Locate] places one made where the
// experiment was not at hand (package data). PrintError prints both kinds;
// it is the one place that decides how a spec error reads. Load adds the user's own position to errors that
// CUE reports only against the schema (a missing required field, a rule of
// the schema's own), names the choices when a one-of struct has none or
// several fields set, and suggests the closest allowed field for a "field not
// allowed". PrintError folds the one-error-per-alternative of an enum
// mismatch into one line with a did-you-mean, and drops the errors of the
// schema's default branches, which only repeat the real error.
//
// # Identity
//
// [Canonical] turns the resolved JSON into a canonical form and [Hash] hashes
// it. Canonical JSON follows RFC 8785 (JCS) closely: no insignificant
// whitespace; object keys sorted (by their UTF-8 bytes, which is code point
// order; JCS uses UTF-16 code units, which differs only outside the Basic
// Multilingual Plane); strings with only `"`, `\` and control characters
// escaped (\b \t \n \f \r, others as lowercase \u00xx); numbers as
// JavaScript's Number.prototype.toString writes the shortest float64 that
// round-trips (1e-3, 0.001 and 1.0E-3 all become 0.001; 1e-7 becomes 1e-7;
// 64.0 becomes 64), except that an integer literal whose value fits in int64
// keeps all its digits (seeds above 2^53 would otherwise collide). The
// metadata fields (name, description, tags) are dropped from the top level
// first, so renaming, describing or tagging an experiment, reformatting or
// commenting its file, or reordering its fields leaves the hash alone, and
// changing any other value changes it.
//
// The hash is the hex SHA-256 of "xp-spec-v1\n" followed by the canonical
// JSON; the tag changes whenever the meaning of a resolved spec changes (a
// new default, say), so old runs are not taken for cached new ones.
package spec
