// Package metric computes classification metrics from class probabilities,
// with scikit-learn's definitions so that xp's numbers can be put beside a
// scikit-learn user's: binary precision, recall and F1 score the class with
// index 1 as positive; with more classes they are macro averages; AUC is the
// Mann-Whitney statistic with ties counted half (one-vs-rest macro for more
// than two classes); log loss clips probabilities to [eps, 1-eps] with eps the float64 machine
// epsilon and renormalises.
//
// [Regression] computes the regression metrics (rmse, mae, r2, mse) from
// predictions and targets in the target's own units, with scikit-learn's
// definitions (r2_score with force_finite for a constant target).
package metric
