package runner

import "github.com/xp-ml/xp/cue/spec"

// For is the job of exp, another point of the sweep of j's experiment that
// reads the same data on the same device: it shares j's backend and
// resolved sources, so nothing is resolved or hashed again, and has its
// own run key. A sweep plans its points this way (sweep.NewPlan), hashing
// each data file once however many points read it.
func (j *Job) For(exp *spec.Experiment) *Job {
	return &Job{Exp: exp, Backend: j.Backend, Device: j.Device, DataPath: j.DataPath,
		DataHashes: j.DataHashes, Sources: j.Sources, BackendVersion: j.BackendVersion,
		Key: RunKey(specKey(&exp.Spec, exp.Hash), j.DataHashes, j.Backend.Name(), j.BackendVersion)}
}

// On is the job trained on device instead (a GPU interchangeable with the
// planned one: backends.Interchangeable), with the planned run key.
func (j *Job) On(device string) *Job {
	c := *j
	c.Device = device
	return &c
}
