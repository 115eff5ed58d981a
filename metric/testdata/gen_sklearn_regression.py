#!/usr/bin/python3
"""Writes sklearn_regression.json: regression metrics computed once with
scikit-learn.

Run from this directory:
    /usr/bin/python3 gen_sklearn_regression.py > sklearn_regression.json
(Debian python3-sklearn 1.2). The Go test recomputes every value with package
metric and compares."""
import json
import numpy as np
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

def case(name, y, pred):
    y = np.asarray(y, dtype=np.float32).astype(np.float64)
    pred = np.asarray(pred, dtype=np.float32).astype(np.float64)
    return {"name": name, "y": y.tolist(), "pred": pred.tolist(), "want": {
        "mse": mean_squared_error(y, pred),
        "rmse": mean_squared_error(y, pred, squared=False),
        "mae": mean_absolute_error(y, pred),
        "r2": r2_score(y, pred),
    }}

rng = np.random.default_rng(20261201)
y = rng.normal(50, 20, 200)
cases = [
    case("good fit", y, y + rng.normal(0, 5, 200)),
    case("worse than the mean", y, rng.normal(0, 30, 200)),
    case("perfect", [1.5, 2.5, -3.0], [1.5, 2.5, -3.0]),
    # constant targets: scikit-learn's r2 is 1 for a perfect prediction
    # and 0 otherwise (force_finite).
    case("constant target", [4.0, 4.0, 4.0], [4.0, 5.0, 3.0]),
    case("constant target perfect", [4.0, 4.0], [4.0, 4.0]),
    case("prices", [199000, 250500, 129900, 345000, 175000], [205123.5, 240000, 140250.25, 310000, 180500]),
]
print(json.dumps(cases, indent=1))
