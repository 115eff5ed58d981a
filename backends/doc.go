// Package backends defines what a training backend is and keeps the registry
// of the ones compiled into xp. Implementations live in sub-packages
// (backends/gorgonia, the reference; backends/engine, xp's own) and register
// themselves from init, so importing a backend is what makes it available.
//
// backends never import runner, store, tui or cli.
package backends
