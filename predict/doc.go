// Package predict scores new rows with a trained run, as `xp predict` does:
// Load rebuilds the run's model from its resolved spec and reads its fitted
// preprocessing and weights from its artifact directory; Predict encodes a
// frame exactly as training did and returns what the model outputs. The
// run's test rows, scored again, give back the probabilities the run
// recorded in its test predictions.
package predict
