// Package doctor finds damage in a store: the database's own integrity
// check, and every succeeded run's artifacts against what the run
// recorded (its weights' sha256, the files predict and rerun need). It
// reports; it changes nothing.
package doctor
