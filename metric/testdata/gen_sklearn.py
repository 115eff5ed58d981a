#!/usr/bin/python3
"""Writes sklearn_cases.json: metric values computed once with scikit-learn.

Run from this directory:  /usr/bin/python3 gen_sklearn.py > sklearn_cases.json
(Debian python3-sklearn 1.2). The Go test recomputes every value with package
metric and compares."""
import json
import numpy as np
from sklearn.metrics import (accuracy_score, average_precision_score, confusion_matrix, f1_score, log_loss,
                             precision_score, recall_score, roc_auc_score)
from sklearn.preprocessing import label_binarize

def case(name, probs, y, k):
    probs = np.asarray(probs, dtype=np.float32)
    y = np.asarray(y)
    pred = probs.argmax(1)
    avg = "binary" if k == 2 else "macro"
    out = {"name": name, "k": k, "y": y.tolist(), "probs": probs.astype(float).ravel().tolist()}
    m = {"accuracy": accuracy_score(y, pred),
         "log_loss": log_loss(y, probs.astype(np.float64), labels=list(range(k))),
         "f1": f1_score(y, pred, average=avg, labels=list(range(k)), zero_division=0),
         "precision": precision_score(y, pred, average=avg, labels=list(range(k)), zero_division=0),
         "recall": recall_score(y, pred, average=avg, labels=list(range(k)), zero_division=0)}
    labels = list(range(k))
    for name, fn in (("f1", f1_score), ("precision", precision_score), ("recall", recall_score)):
        for avg_ in ("macro", "weighted"):
            m[name + "_" + avg_] = fn(y, pred, average=avg_, labels=labels, zero_division=0)
    # average precision: binary on class 1; macro one-vs-rest otherwise.
    # Undefined (None) when a class has no positive row: scikit-learn
    # warns and returns a meaningless value there.
    if k == 2:
        m["pr_auc"] = average_precision_score(y, probs[:, 1]) if (y == 1).any() else None
    else:
        onehot = label_binarize(y, classes=labels)
        m["pr_auc"] = average_precision_score(onehot, probs, average="macro") if all((y == c).any() for c in labels) else None
    out["confusion"] = confusion_matrix(y, pred, labels=labels).tolist()
    try:
        if k == 2:
            m["auc"] = roc_auc_score(y, probs[:, 1])
        else:
            m["auc"] = roc_auc_score(y, probs, multi_class="ovr", average="macro", labels=list(range(k)))
    except ValueError:
        m["auc"] = None  # undefined: a single class present
    out["want"] = m
    return out

rng = np.random.default_rng(3)
def rand_probs(n, k):
    p = rng.random((n, k)).astype(np.float32)
    return p / p.sum(1, keepdims=True)

cases = []
p = rand_probs(40, 2); y = rng.integers(0, 2, 40)
cases.append(case("binary_random", p, y, 2))
# ties: scores repeat across classes
p = np.array([[0.6, 0.4], [0.6, 0.4], [0.3, 0.7], [0.3, 0.7], [0.5, 0.5], [0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
cases.append(case("binary_ties", p, [0, 1, 1, 0, 1, 0, 0, 1], 2))
p = rand_probs(60, 3); y = rng.integers(0, 3, 60)
cases.append(case("multiclass_random", p, y, 3))
p = rand_probs(10, 2); y = np.zeros(10, dtype=int)
cases.append(case("single_class", p, y, 2))
p = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
cases.append(case("extreme_probs", p, [1, 1, 0], 2))
# multiclass ties: identical rows and repeated scores within a class column
p = np.array([[0.5, 0.3, 0.2], [0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.2, 0.5, 0.3], [0.3, 0.2, 0.5],
              [0.4, 0.4, 0.2], [0.2, 0.4, 0.4], [0.1, 0.1, 0.8], [0.5, 0.3, 0.2], [0.2, 0.5, 0.3]])
cases.append(case("multiclass_ties", p, [0, 1, 1, 2, 2, 0, 1, 2, 0, 0], 3))
# imbalanced multiclass: weighted and macro averages differ, one class never predicted
p = rand_probs(30, 4); p[:, 3] *= 0.1; p = p / p.sum(1, keepdims=True)
y = np.array([0] * 15 + [1] * 8 + [2] * 4 + [3] * 3)
cases.append(case("multiclass_imbalanced", p, y, 4))
# a single class present among three
p = rand_probs(8, 3); y = np.full(8, 2)
cases.append(case("multiclass_single_class", p, y, 3))
print(json.dumps(cases, indent=1))
