package sweep

import "github.com/xp-ml/xp/runner"

// EventKind says what an Event reports.
type EventKind int

const (
	Started      EventKind = iota // the sweep is queued; Plan, Done, Total, Parallel, Threads
	Submitted                     // the executor handed points to an outside scheduler; Submission
	PointStarted                  // this process started training a point; Point
	PointDone                     // a point this process took ended; Point, Done
	Progress                      // progress of a point's run; Point (Index, Params), Run
	Notice                        // something to tell the user that stops nothing; Message
)

// Event is progress of a sweep, the same from every executor. The CLI
// prints them; a library never does.
type Event struct {
	Kind  EventKind
	Plan  *Plan
	Point *PointResult
	Run   runner.Event
	// Submission is what was submitted (Submitted).
	Submission *Submission
	// Message is the notice (Notice), one line, without a prefix.
	Message string
	// Done is how many points of the sweep are done, Total how many it
	// has. Parallel is how many points train at once (0: as the
	// executor's scheduler decides), Threads the CPU threads of each.
	Done, Total       int
	Parallel, Threads int
}

// Submission is points handed to an outside scheduler in one go (a Slurm
// job array): its id there, the directory of its files on the shared
// filesystem, and its tasks.
type Submission struct {
	ID  string
	Dir string
	// Points are the sweep points of its tasks, by task index; Tasks the
	// scheduler's id of each task (Slurm's "<job>_<index>"), as the queue
	// records them for xp cancel.
	Points []int
	Tasks  []string
}
