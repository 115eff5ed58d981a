#!/usr/bin/python3
"""Reference trainer: the same job as an xp experiment, done with PyTorch and
scikit-learn, so figures can be compared side by side in one run.

Needs Debian's python3-torch and python3-sklearn (apt-get install -y
--no-install-recommends python3-torch python3-sklearn); run it with
/usr/bin/python3, not a pyenv python. --prepare needs numpy only.

  reference.py --csv FILE --target COL [--hidden 64,64] [--epochs 5]
               [--batch 256] [--lr 1e-3] [--test 0.2] [--seed 1] [--threads 1]
  reference.py --synthetic 100000x32[x10] ...  (same generator as below; the
               optional third factor is the class count, default 2)
  reference.py ... --prepare OUT      write the prepared split (below) and stop
  reference.py --data OUT ...         train on a split written by --prepare

Preprocessing mirrors the default xp pipeline: drop rows with a missing value,
drop duplicate rows, one-hot encode non-numeric columns, standardize numeric
columns with train-split statistics, seeded shuffle split.

--prepare writes the split after preprocessing, so that xp's bench program
(bench/cmd/xpbench) trains on exactly the rows PyTorch trains on: numpy's
generator cannot be reproduced cheaply in Go. Format, little-endian: "XPB1",
int32 train rows, test rows, features, classes; then train X (float32,
row-major), train y (int32), test X, test y.

Prints one JSON line: accuracy, train seconds, samples/s (training loop only).
This file extends ../shared/bench/reference.py (the job it does is unchanged
for two classes) with more classes, --prepare/--data and a job name.
"""
import argparse, csv, json, os, struct, sys, time
import numpy as np

def load_csv(path, target):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    head, rows = rows[0], rows[1:]
    rows = [r for r in rows if all(v not in ("", "NA", "?") for v in r)]
    seen, uniq = set(), []
    for r in rows:
        t = tuple(r)
        if t not in seen:
            seen.add(t); uniq.append(r)
    rows = uniq
    ti = head.index(target)
    y_raw = [r[ti] for r in rows]
    classes = sorted(set(y_raw))
    y = np.array([classes.index(v) for v in y_raw], dtype=np.int64)
    cols = []
    for j, name in enumerate(head):
        if j == ti:
            continue
        vals = [r[j] for r in rows]
        try:
            cols.append(np.array([float(v) for v in vals], dtype=np.float32)[:, None])
        except ValueError:
            cats = sorted(set(vals))
            oh = np.zeros((len(vals), len(cats)), dtype=np.float32)
            for i, v in enumerate(vals):
                oh[i, cats.index(v)] = 1
            cols.append(oh)
    return np.hstack(cols), y, len(classes)

def synthetic(spec, seed):
    dims = [int(v) for v in spec.split("x")]
    n, d = dims[0], dims[1]
    k = dims[2] if len(dims) > 2 else 2
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    if k == 2:
        # The shared reference's generator, unchanged.
        w = rng.standard_normal(d).astype(np.float32)
        y = (X @ w + 0.5 * rng.standard_normal(n) > 0).astype(np.int64)
    else:
        W = rng.standard_normal((d, k)).astype(np.float32)
        y = (X @ W + 0.5 * rng.standard_normal((n, k))).argmax(1).astype(np.int64)
    return X, y, k

def split(X, y, test, seed):
    rng = np.random.default_rng(seed); idx = rng.permutation(len(y))
    nt = int(round(len(y) * test)); te, tr = idx[:nt], idx[nt:]
    mu, sd = X[tr].mean(0), X[tr].std(0); sd[sd == 0] = 1
    X = ((X - mu) / sd).astype(np.float32)
    return X[tr], y[tr], X[te], y[te]

def write_split(path, Xtr, ytr, Xte, yte, k):
    with open(path, "wb") as f:
        f.write(b"XPB1" + struct.pack("<4i", len(ytr), len(yte), Xtr.shape[1], k))
        for a, t in ((Xtr, "<f4"), (ytr, "<i4"), (Xte, "<f4"), (yte, "<i4")):
            f.write(np.ascontiguousarray(a, dtype=t).tobytes())

def read_split(path):
    with open(path, "rb") as f:
        if f.read(4) != b"XPB1":
            sys.exit(f"{path}: not an XPB1 split")
        ntr, nte, d, k = struct.unpack("<4i", f.read(16))
        def take(n, t):
            return np.frombuffer(f.read(n * np.dtype(t).itemsize), dtype=t).copy()
        Xtr = take(ntr * d, "<f4").reshape(ntr, d); ytr = take(ntr, "<i4").astype(np.int64)
        Xte = take(nte * d, "<f4").reshape(nte, d); yte = take(nte, "<i4").astype(np.int64)
    return Xtr, ytr, Xte, yte, k

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv"); ap.add_argument("--target"); ap.add_argument("--synthetic")
    ap.add_argument("--data"); ap.add_argument("--prepare"); ap.add_argument("--job", default="")
    ap.add_argument("--hidden", default="64"); ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=256); ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--test", type=float, default=0.2); ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=0, help="epochs trained before the clock starts")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu", help="torch device: cpu, or cuda for the GPU check")
    ap.add_argument("--no-logreg", action="store_true", help="skip the scikit-learn baseline")
    a = ap.parse_args()
    if a.prepare:
        X, y, k = synthetic(a.synthetic, a.seed) if a.synthetic else load_csv(a.csv, a.target)
        write_split(a.prepare, *split(X, y, a.test, a.seed), k)
        return 0
    # torch.set_num_threads does not bound the BLAS that Debian's torch calls through:
    # set the BLAS and OpenMP thread counts before torch is imported.
    for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[v] = str(a.threads)
    import torch
    torch.set_num_threads(a.threads); torch.manual_seed(a.seed)
    if a.data:
        Xtr, ytr, Xte, yte, k = read_split(a.data)
    else:
        X, y, k = synthetic(a.synthetic, a.seed) if a.synthetic else load_csv(a.csv, a.target)
        Xtr, ytr, Xte, yte = split(X, y, a.test, a.seed)
    out = {"job": a.job, "side": "torch" if a.device == "cpu" else "torch-" + a.device, "threads": a.threads, "rows": int(len(ytr) + len(yte)),
           "features": int(Xtr.shape[1]), "classes": k, "torch_threads": torch.get_num_threads()}
    if not a.no_logreg:
        from sklearn.linear_model import LogisticRegression
        t0 = time.perf_counter()
        out["sklearn_logreg_accuracy"] = round(float(LogisticRegression(max_iter=1000).fit(Xtr, ytr).score(Xte, yte)), 4)
        out["sklearn_logreg_seconds"] = round(time.perf_counter() - t0, 4)
    hidden = [int(h) for h in a.hidden.split(",") if h]
    layers, d = [], Xtr.shape[1]
    for h in hidden:
        layers += [torch.nn.Linear(d, h), torch.nn.ReLU()]; d = h
    dev = torch.device(a.device)
    model = torch.nn.Sequential(*layers, torch.nn.Linear(d, k)).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr); lossf = torch.nn.CrossEntropyLoss()
    # On a GPU the training set is copied over before the clock starts, and
    # the clock stops after the GPU has finished (PyTorch queues kernels).
    Xt, yt = torch.from_numpy(np.ascontiguousarray(Xtr)).to(dev), torch.from_numpy(np.ascontiguousarray(ytr)).to(dev)
    g = torch.Generator().manual_seed(a.seed)
    if dev.type == "cuda":
        out["torch_device"] = torch.cuda.get_device_name(dev)
        out["torch_tf32"] = bool(torch.backends.cuda.matmul.allow_tf32)
        torch.cuda.synchronize()
    # --warmup epochs train before the clock starts (CUDA's and cuBLAS's
    # first-use costs), and count in neither the time nor the samples.
    t0, seen = time.perf_counter(), 0
    for epoch in range(a.warmup + a.epochs):
        if epoch == a.warmup:
            if dev.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter(); seen = 0
        perm = torch.randperm(len(yt), generator=g).to(dev)
        for b in range(0, len(yt), a.batch):
            i = perm[b:b + a.batch]
            opt.zero_grad(); loss = lossf(model(Xt[i]), yt[i]); loss.backward(); opt.step()
            seen += len(i)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    secs = time.perf_counter() - t0
    with torch.no_grad():
        acc = (model(torch.from_numpy(np.ascontiguousarray(Xte)).to(dev)).argmax(1).cpu().numpy() == yte).mean()
    out.update({"accuracy": round(float(acc), 4), "train_seconds": round(secs, 4),
                "samples_per_sec": round(seen / secs)})
    print(json.dumps(out))

if __name__ == "__main__":
    sys.exit(main())
