// Package serve is xp's HTTP server for trained runs: `xp serve` scores
// rows sent over HTTP with a run's fitted preprocessing and model, through
// the path `xp predict` takes (predict.Predictor's Encode and a compiled
// Scorer), so a request's answers are the bytes `xp predict` writes for the
// same rows.
//
// Routes: POST /v1/models/<name-or-key>:predict with JSON rows
// ({"rows": [{column: value, ...}]}) or CSV (Content-Type text/csv);
// GET /v1/models (each run's key, experiment, commit, metrics and input
// schema); /healthz, /readyz and /metrics (Prometheus text format,
// written here: requests, a latency histogram, errors by kind, batch
// sizes).
//
// A request is checked whole before anything is scored: every unknown or
// missing column, text in a numeric column, invalid UTF-8 and malformed
// row is named, by row and column, in one 400 answer. Bodies over the limit
// get 413. Encoding runs in the request's goroutine; scoring runs on a pool
// of workers, each with its own compiled model, which may join the
// requests waiting for it into one batch (Options.BatchRows,
// Options.BatchDelay). Serve drains the requests in flight when its context
// ends.
//
// It has no TLS and no authentication of its own: it binds to loopback
// unless told otherwise, and belongs behind a proxy that provides them.
package serve
