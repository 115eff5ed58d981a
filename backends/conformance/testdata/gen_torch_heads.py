"""Expected parameters after training small MLPs with a binary or a
regression head in PyTorch, for torch_heads_test.go. Run from this
directory with a Python that has torch:

    /usr/bin/python3 gen_torch_heads.py > torch_heads.json

Each case trains inputs->7->1 (one hidden dense layer with the case's
activation, one output) for 2 epochs over 24 rows in batches of 8, in row
order, with torch.optim, in float32. The binary head's loss is
BCEWithLogitsLoss on labels 0/1, with class weights as xp defines them
(sum of w[y]·ℓ over the batch divided by the sum of w[y]); the regression
losses are MSELoss, L1Loss and HuberLoss(delta) on float targets. Weights
are stored as xp stores them: [in, out] row-major.
"""
import json
import sys

import numpy as np
import torch

IN, HID, N, BATCH, EPOCHS = 5, 7, 24, 8, 2

rng = np.random.default_rng(20261202)
X = rng.standard_normal((N, IN)).astype(np.float32)
LABELS = rng.integers(0, 2, N).astype(np.float32)
TARGETS = (X @ rng.standard_normal(IN) + 0.5 * rng.standard_normal(N)).astype(np.float32)
W0 = (rng.standard_normal((IN, HID)) * 0.6).astype(np.float32)
B0 = (rng.standard_normal(HID) * 0.3).astype(np.float32)
W1 = (rng.standard_normal((HID, 1)) * 0.6).astype(np.float32)
B1 = (rng.standard_normal(1) * 0.3).astype(np.float32)

ACTS = {"relu": torch.nn.ReLU(), "tanh": torch.nn.Tanh(), "gelu": torch.nn.GELU()}

# name, activation, optimizer, loss {kind, class_weights | delta}
CASES = [
    ("binary-sgd", "relu", {"kind": "sgd", "lr": 0.1, "momentum": 0.9}, {"kind": "binary_cross_entropy"}),
    ("binary-weights-adam", "tanh", {"kind": "adam", "lr": 0.01}, {"kind": "binary_cross_entropy", "class_weights": [0.4, 2.5]}),
    ("mse-sgd", "tanh", {"kind": "sgd", "lr": 0.05, "momentum": 0.9}, {"kind": "mse"}),
    ("mae-adam", "relu", {"kind": "adam", "lr": 0.01}, {"kind": "mae"}),
    ("huber-sgd", "gelu", {"kind": "sgd", "lr": 0.1}, {"kind": "huber", "delta": 0.5}),
]


def run(act, o, loss):
    l0, l1 = torch.nn.Linear(IN, HID), torch.nn.Linear(HID, 1)
    with torch.no_grad():
        l0.weight.copy_(torch.from_numpy(W0.T.copy()))
        l0.bias.copy_(torch.from_numpy(B0))
        l1.weight.copy_(torch.from_numpy(W1.T.copy()))
        l1.bias.copy_(torch.from_numpy(B1))
    net = torch.nn.Sequential(l0, ACTS[act], l1)
    if o["kind"] == "sgd":
        opt = torch.optim.SGD(net.parameters(), lr=o["lr"], momentum=o.get("momentum", 0.0))
    else:
        opt = torch.optim.Adam(net.parameters(), lr=o["lr"])
    x = torch.from_numpy(X)
    y = torch.from_numpy(LABELS if loss["kind"] == "binary_cross_entropy" else TARGETS)
    losses = []
    for _ in range(EPOCHS):
        for s in range(0, N, BATCH):
            opt.zero_grad()
            z, t = net(x[s:s + BATCH])[:, 0], y[s:s + BATCH]
            k = loss["kind"]
            if k == "binary_cross_entropy":
                cw = loss.get("class_weights")
                if cw:
                    w = torch.tensor(cw, dtype=torch.float32)[t.long()]
                    l = torch.nn.functional.binary_cross_entropy_with_logits(z, t, weight=w, reduction="sum") / w.sum()
                else:
                    l = torch.nn.functional.binary_cross_entropy_with_logits(z, t)
            elif k == "mse":
                l = torch.nn.MSELoss()(z, t)
            elif k == "mae":
                l = torch.nn.L1Loss()(z, t)
            else:
                l = torch.nn.HuberLoss(delta=loss["delta"])(z, t)
            l.backward()
            opt.step()
            losses.append(l.item())
    params = {
        "layer0.weight": l0.weight.detach().numpy().T.reshape(-1).tolist(),
        "layer0.bias": l0.bias.detach().numpy().tolist(),
        "layer1.weight": l1.weight.detach().numpy().T.reshape(-1).tolist(),
        "layer1.bias": l1.bias.detach().numpy().tolist(),
    }
    return params, losses


out = {
    "torch": torch.__version__,
    "inputs": IN, "hidden": HID, "batch": BATCH, "epochs": EPOCHS,
    "x": X.reshape(-1).tolist(), "labels": LABELS.astype(int).tolist(), "targets": TARGETS.tolist(),
    "init": {"layer0.weight": W0.reshape(-1).tolist(), "layer0.bias": B0.tolist(),
             "layer1.weight": W1.reshape(-1).tolist(), "layer1.bias": B1.tolist()},
    "cases": [],
}
for name, act, o, loss in CASES:
    params, losses = run(act, o, loss)
    out["cases"].append({"name": name, "activation": act, "optimizer": o, "loss": loss, "params": params, "losses": losses})
json.dump(out, sys.stdout, indent=1)
