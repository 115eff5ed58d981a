// Package gittest makes real git repositories for tests, with go-git:
// files written, staged and committed at fixed times, so that a test's
// commits get the same ids on every run.
package gittest
