// Package project finds the xp project a directory belongs to: the
// directory whose .xp holds the store and the data cache. The CLI looks
// from the working directory, so xp works from any subdirectory; the runner
// looks from an experiment's directory, to find the cache its remote
// sources are fetched into.
package project
