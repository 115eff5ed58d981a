package device

// StepPlan is what changes from one training step to the next, computed
// by the engine on the host before the step runs: a device that replays
// recorded steps (Replayer) takes these values from the plan rather than
// from the calls it recorded.
type StepPlan struct {
	// Slot is the step's loss slot: its batch's index in the epoch.
	Slot int
	// Step counts the optimizer steps before this one: the dropout
	// counter (Adam's t is Step+1).
	Step int
	// The optimizer's constants for this step, at the schedule's rate:
	// the one the model's optimizer uses is set.
	SGD     SGDStep
	Adam    AdamStep
	RMSprop RMSpropStep
	// Decay is AdamW's decoupled decay factor, 1 - lr·weight decay, the
	// argument of the step's Scale.
	Decay float32
}

// Replayer is a Device that can run many training steps as one unit of
// work: the CUDA device runs the steps of a small model in one fused
// kernel, where one launch per kernel would cost more than the kernels
// (see backends/engine/cuda). A training step is the same kernel calls
// every time but for its StepPlan, so the engine records one step's calls
// and has the device replay them for the steps of an epoch.
//
// Per epoch the engine calls PlanEpoch with the epoch's row order and one
// StepPlan per batch; then, once per trainer, Record; then Replay for the
// steps of its full batches (a short last batch runs as plain calls).
type Replayer interface {
	Device
	// PlanEpoch gives the device the epoch's order (batch i is rows
	// order[i·batch : (i+1)·batch]) and its steps' plan. Both slices stay
	// unchanged until the next PlanEpoch.
	PlanEpoch(order []int32, batch int, plan []StepPlan) error
	// Record calls step, which makes the kernel calls of plan step 0 (a
	// full batch), and records them without running them; the device
	// checks that the per-step values it is passed are plan step 0's. It
	// reports whether the device will replay them: false when it would
	// not gain by it (a large model) or cannot (a kernel it does not fuse),
	// and the engine then runs every step as plain calls.
	Record(step func() error) (bool, error)
	// Replay runs plan steps [first, first+k) as recorded, each with its
	// own rows and StepPlan. Like a kernel, it may only queue the work:
	// Sync reports its failures.
	Replay(first, k int) error
}
