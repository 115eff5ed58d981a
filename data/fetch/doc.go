// Package fetch brings remote data files to this machine, once, into a
// content-addressed cache.
//
// A Cache is a directory (xp uses .xp/cache) that holds files by the
// sha256 of their bytes: sha256/ab/abcdef.... A file fetched once is read
// from there afterwards without asking the network, when the spec pins its
// hash (HTTP always, S3 optionally). An S3 object without a pin is checked
// with one HEAD request: when its ETag and size match the ones recorded at
// the last download, the cached bytes are used.
//
// Downloads go to a temporary file in the cache, are hashed while they are
// written, and are renamed into place only when complete (and, with a pin,
// only when the hash matches), so a crash or a wrong pin never leaves a
// file under a hash it does not have. Several processes may fetch into one
// cache at once.
//
// S3 credentials come from the standard AWS environment variables
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or the
// shared credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials)
// with AWS_PROFILE; without any, requests are anonymous. They are never
// written anywhere and never appear in errors.
package fetch
