// Package tpe is a Tree-structured Parzen Estimator (Bergstra et al.,
// 2011): given the points tried so far and their losses, it proposes the
// next point to try.
//
// It is the univariate TPE of Optuna's TPESampler with its defaults, so
// the two can be compared on the same objectives: the trials are split
// into the best gamma(n) = min(⌈n/10⌉, 25) ("below") and the rest
// ("above"); each parameter gets two Parzen estimators, l from below and g
// from above, each a mixture of one kernel per trial (weighted down for
// old trials once there are more than 25) and a flat prior; 24 candidates
// drawn from l are scored by log l(x) - log g(x), and the best one is
// proposed. Numbers are truncated Gaussians on [low, high] (in log space
// for log parameters) whose widths are the distances to the neighbouring
// trials, clipped, each scaled by its width as in Optuna 3.1 (see
// Sampler.Normalized); integers are those Gaussians' mass on [x-½, x+½];
// categories are categorical distributions. On the same history, its
// proposals follow the distribution of Debian's Optuna 3.1's.
//
// The package knows nothing of experiments: a Param is a dimension, a
// Trial a vector of coordinates and a loss to minimise. All randomness
// comes from the *rand.Rand the caller passes, so a proposal is a
// function of the trials and that generator's seed.
package tpe
