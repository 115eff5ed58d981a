package store

import "fmt"

// Status is where a run is in its life.
type Status string

const (
	StatusQueued    Status = "queued"    // created, not started
	StatusRunning   Status = "running"   // a process trains it and heartbeats
	StatusSucceeded Status = "succeeded" // finished; its key is cached
	StatusFailed    Status = "failed"    // finished with an error
	StatusCanceled  Status = "canceled"  // stopped at a user's request
	StatusLost      Status = "lost"      // its process stopped heartbeating; it may come back
	StatusDiverged  Status = "diverged"  // stopped because the loss became NaN or infinite
	StatusPruned    Status = "pruned"    // stopped early by a sweep
	// StatusPaused: stopped by an asha sweep at a rung's epochs, its key's
	// checkpoint kept for a promotion to continue from.
	StatusPaused Status = "paused"
)

// Statuses lists every status, in life order.
var Statuses = []Status{
	StatusQueued, StatusRunning, StatusSucceeded, StatusFailed,
	StatusCanceled, StatusLost, StatusDiverged, StatusPruned, StatusPaused,
}

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Finished reports whether the run has ended for good: anything but queued,
// running and lost (a lost run's process may resume heartbeating).
func (s Status) Finished() bool {
	switch s {
	case StatusSucceeded, StatusFailed, StatusCanceled, StatusDiverged, StatusPruned, StatusPaused:
		return true
	}
	return false
}

// ParseStatus reads a status as a user types it (a filter flag).
func ParseStatus(s string) (Status, error) {
	if st := Status(s); st.Valid() {
		return st, nil
	}
	return "", fmt.Errorf("status %q is not one of %v: %w", s, Statuses, ErrInvalid)
}
