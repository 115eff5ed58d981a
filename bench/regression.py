#!/usr/bin/python3
"""Regression reference for xp's amount experiment (experiments/amount.cue):
the loan amount of modeldata's credit_data, predicted by scikit-learn's
LinearRegression and MLPRegressor and by a PyTorch MLP, on the rows xp
trains and tests on. bench/regression.sh runs it; needs Debian's
python3-torch and python3-sklearn (run with /usr/bin/python3).

  regression.py split CSV OUTDIR SEED     write OUTDIR/train.csv, OUTDIR/test.csv:
                                          a seeded 80/20 split of CSV's rows, as they are
  regression.py train OUTDIR SEED         train the references on them, print one JSON line

Preprocessing is amount.cue's, fitted on the training rows: Income, Assets
and Debt missing values filled with the training median, rows still missing
a value dropped, strings one-hot over the training categories, numbers and
the target standardized with the training mean and (population) std. The
PyTorch MLP is amount.cue's model: Linear-ReLU 64, Linear-ReLU 32, Linear 1,
MSELoss on the standardized target, Adam lr 1e-3, batch 32, 40 epochs;
MLPRegressor has the same layers, solver, rate, batch and epochs (no early
stopping, no L2: alpha 0). Metrics are in the amount's units.
"""
import csv, json, os, sys
import numpy as np

TARGET = "Amount"
FILL = ("Income", "Assets", "Debt")

def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]

def split(src, out, seed):
    head, rows = read(src)
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(rows))
    n_test = round(0.2 * len(rows))
    os.makedirs(out, exist_ok=True)
    for name, part in (("test.csv", idx[:n_test]), ("train.csv", idx[n_test:])):
        with open(os.path.join(out, name), "w", newline="") as f:
            w = csv.writer(f, quoting=csv.QUOTE_MINIMAL)
            w.writerow(head)
            for i in sorted(part):
                w.writerow(rows[i])

def missing(v):
    return v in ("", "NA", "?")

def prepare(out):
    head, train = read(os.path.join(out, "train.csv"))
    _, test = read(os.path.join(out, "test.csv"))
    col = {n: j for j, n in enumerate(head)}
    numeric = [n for n in head if all(missing(r[col[n]]) or _isnum(r[col[n]]) for r in train + test)]
    medians = {}
    for n in FILL:
        medians[n] = float(np.median([float(r[col[n]]) for r in train if not missing(r[col[n]])]))
    def clean(rows):
        out = []
        for r in rows:
            r = list(r)
            for n in FILL:
                if missing(r[col[n]]):
                    r[col[n]] = repr(medians[n])
            if not any(missing(v) for v in r):
                out.append(r)
        return out
    train, test = clean(train), clean(test)
    feats = [n for n in head if n != TARGET]
    cats = {n: sorted({r[col[n]] for r in train}) for n in feats if n not in numeric}
    stats = {}
    for n in feats:
        if n in numeric:
            v = np.array([float(r[col[n]]) for r in train])
            stats[n] = (v.mean(), v.std() or 1.0)
    def encode(rows):
        x = []
        for r in rows:
            f = []
            for n in feats:
                if n in numeric:
                    m, s = stats[n]
                    f.append((float(r[col[n]]) - m) / s)
                else:
                    f.extend(1.0 if r[col[n]] == c else 0.0 for c in cats[n])
            x.append(f)
        return np.array(x, dtype=np.float32), np.array([float(r[col[TARGET]]) for r in rows])
    xtr, ytr = encode(train)
    xte, yte = encode(test)
    return xtr, ytr, xte, yte

def _isnum(v):
    try:
        float(v)
        return True
    except ValueError:
        return False

def metrics(y, pred):
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
    return {"rmse": mean_squared_error(y, pred, squared=False), "mae": mean_absolute_error(y, pred), "r2": r2_score(y, pred)}

def train(out, seed):
    import torch
    from sklearn.linear_model import LinearRegression
    from sklearn.neural_network import MLPRegressor
    torch.set_num_threads(1)
    xtr, ytr, xte, yte = prepare(out)
    mean, std = ytr.mean(), ytr.std()
    ztr = ((ytr - mean) / std).astype(np.float32)
    res = {"seed": seed, "train_rows": len(ytr), "test_rows": len(yte), "features": xtr.shape[1], "target_std": float(yte.std())}
    res["linear"] = metrics(yte, LinearRegression().fit(xtr, ytr).predict(xte))
    mlp = MLPRegressor(hidden_layer_sizes=(64, 32), solver="adam", learning_rate_init=1e-3, batch_size=32,
                       max_iter=40, alpha=0.0, shuffle=True, random_state=seed, early_stopping=False, n_iter_no_change=1000)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "did not converge" after max_iter epochs is the point
        mlp.fit(xtr, ztr)
    res["sklearn_mlp"] = metrics(yte, mlp.predict(xte) * std + mean)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(xtr.shape[1], 64), torch.nn.ReLU(), torch.nn.Linear(64, 32),
                                torch.nn.ReLU(), torch.nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = torch.nn.MSELoss()
    X, Z = torch.from_numpy(xtr), torch.from_numpy(ztr)[:, None]
    g = torch.Generator().manual_seed(seed)
    for _ in range(40):
        for b in torch.randperm(len(X), generator=g).split(32):
            opt.zero_grad()
            loss(model(X[b]), Z[b]).backward()
            opt.step()
    with torch.no_grad():
        pred = model(torch.from_numpy(xte))[:, 0].numpy().astype(np.float64) * std + mean
    res["torch_mlp"] = metrics(yte, pred)
    print(json.dumps(res))

if __name__ == "__main__":
    if sys.argv[1] == "split":
        split(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        train(sys.argv[2], int(sys.argv[3]))
