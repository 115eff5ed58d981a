// Package redact removes secrets from what xp records and prints: the
// user:password@ and query tokens of an http source's URL. The source
// keeps its identity by its sha256 pin, never by the secret.
package redact
