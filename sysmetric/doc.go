// Package sysmetric samples what a training run costs the machine, every
// few seconds while it trains: the process's CPU use and resident memory
// on every system, and, for a run on an NVIDIA GPU, the GPU's utilisation
// and memory through NVML (libnvidia-ml.so.1, loaded at run time without
// cgo; where it is absent GPU figures are simply not sampled).
//
// The runner records each sample as metric points of the split "system"
// (Names), so they are stored, listed and plotted like a run's curves.
package sysmetric
