"""Expected parameters after training small MLPs in PyTorch, for
torch_test.go. Run from this directory with a Python that has torch:

    python3 gen_torch.py > torch_cases.json

Each case trains inputs->7->3 (one hidden dense layer with the case's
activation) for 2 epochs over 24 rows in batches of 8, in row order, with
torch.optim and torch.optim.lr_scheduler, in float32. Weights are stored
as xp stores them: [in, out] row-major (the transpose of nn.Linear's).
"""
import json
import math

import numpy as np
import torch

IN, HID, OUT, N, BATCH, EPOCHS = 5, 7, 3, 24, 8, 2

rng = np.random.default_rng(20261128)
X = rng.standard_normal((N, IN)).astype(np.float32)
Y = rng.integers(0, OUT, N).astype(np.int64)
W0 = (rng.standard_normal((IN, HID)) * 0.6).astype(np.float32)
B0 = (rng.standard_normal(HID) * 0.3).astype(np.float32)
W1 = (rng.standard_normal((HID, OUT)) * 0.6).astype(np.float32)
B1 = (rng.standard_normal(OUT) * 0.3).astype(np.float32)

ACTS = {
    "relu": torch.nn.ReLU(),
    "leaky_relu": torch.nn.LeakyReLU(),  # negative_slope 0.01
    "gelu": torch.nn.GELU(),  # approximate="none": erf
    "tanh": torch.nn.Tanh(),
    "sigmoid": torch.nn.Sigmoid(),
}

CASES = [
    # name, activation, optimizer {kind, ...}, clip_norm, schedule
    ("relu-sgd-momentum", "relu", {"kind": "sgd", "lr": 0.1, "momentum": 0.9}, 0, None),
    ("leaky_relu-sgd", "leaky_relu", {"kind": "sgd", "lr": 0.1, "momentum": 0.9}, 0, None),
    ("gelu-sgd", "gelu", {"kind": "sgd", "lr": 0.1, "momentum": 0.9}, 0, None),
    ("tanh-sgd-nesterov-wd", "tanh", {"kind": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, 0, None),
    ("sigmoid-adam-wd", "sigmoid", {"kind": "adam", "lr": 0.01, "weight_decay": 0.01}, 0, None),
    ("gelu-adamw", "gelu", {"kind": "adamw", "lr": 0.01, "weight_decay": 0.05}, 0, None),
    ("relu-rmsprop", "relu", {"kind": "rmsprop", "lr": 0.01}, 0, None),
    ("tanh-rmsprop-momentum-wd", "tanh", {"kind": "rmsprop", "lr": 0.01, "momentum": 0.9, "weight_decay": 0.01}, 0, None),
    ("relu-sgd-clip", "relu", {"kind": "sgd", "lr": 0.5, "momentum": 0.9}, 0.1, None),
    ("gelu-adam-clip", "gelu", {"kind": "adam", "lr": 0.01}, 0.1, None),
    ("relu-sgd-step", "relu", {"kind": "sgd", "lr": 0.1, "momentum": 0.9}, 0, {"kind": "step", "step_size": 1, "gamma": 0.5}),
    ("tanh-adam-cosine", "tanh", {"kind": "adam", "lr": 0.05}, 0, {"kind": "cosine", "t_max": 2, "eta_min": 0.001}),
    ("relu-sgd-warmup-steps", "relu", {"kind": "sgd", "lr": 0.2}, 0, {"kind": "warmup_steps", "steps": 4}),
]

# name, activation, optimizer, class weights (or None), label smoothing
LOSS_CASES = [
    ("ce-class-weights", "relu", {"kind": "sgd", "lr": 0.1, "momentum": 0.9}, [0.5, 2.0, 1.25], 0.0),
    ("ce-label-smoothing", "tanh", {"kind": "sgd", "lr": 0.1, "momentum": 0.9}, None, 0.1),
    ("ce-weights-smoothing", "gelu", {"kind": "adam", "lr": 0.01}, [1.5, 0.25, 3.0], 0.2),
]


def optimizer(params, o):
    k = o["kind"]
    wd = o.get("weight_decay", 0.0)
    if k == "sgd":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o.get("momentum", 0.0), nesterov=o.get("nesterov", False), weight_decay=wd)
    if k == "adam":
        return torch.optim.Adam(params, lr=o["lr"], weight_decay=wd)
    if k == "adamw":
        return torch.optim.AdamW(params, lr=o["lr"], weight_decay=wd)
    if k == "rmsprop":
        return torch.optim.RMSprop(params, lr=o["lr"], momentum=o.get("momentum", 0.0), weight_decay=wd)
    raise ValueError(k)


def run(act, o, clip, sched, weights=None, smoothing=0.0, bn=False):
    torch.manual_seed(0)
    l0, l1 = torch.nn.Linear(IN, HID), torch.nn.Linear(HID, OUT)
    with torch.no_grad():
        l0.weight.copy_(torch.from_numpy(W0.T.copy()))
        l0.bias.copy_(torch.from_numpy(B0))
        l1.weight.copy_(torch.from_numpy(W1.T.copy()))
        l1.bias.copy_(torch.from_numpy(B1))
    if bn:
        norm = torch.nn.BatchNorm1d(HID)  # eps 1e-5, momentum 0.1
        net = torch.nn.Sequential(l0, norm, ACTS[act], l1)
    else:
        net = torch.nn.Sequential(l0, ACTS[act], l1)
    opt = optimizer(net.parameters(), o)
    epoch_sched, step_sched = None, None
    if sched and sched["kind"] == "step":
        epoch_sched = torch.optim.lr_scheduler.StepLR(opt, step_size=sched["step_size"], gamma=sched["gamma"])
    elif sched and sched["kind"] == "cosine":
        epoch_sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=sched["t_max"], eta_min=sched["eta_min"])
    elif sched and sched["kind"] == "warmup_steps":
        w = sched["steps"]  # xp's (k+1)/W is LinearLR from 1/W over W-1 steps
        step_sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1 / w, end_factor=1.0, total_iters=w - 1)
    x, y = torch.from_numpy(X), torch.from_numpy(Y)
    losses = []
    for _ in range(EPOCHS):
        for s in range(0, N, BATCH):
            opt.zero_grad()
            w = torch.tensor(weights, dtype=torch.float32) if weights else None
            loss = torch.nn.functional.cross_entropy(net(x[s:s + BATCH]), y[s:s + BATCH], weight=w, label_smoothing=smoothing)
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
            opt.step()
            if step_sched:
                step_sched.step()
            losses.append(loss.item())
        if epoch_sched:
            epoch_sched.step()
    out = {
        "layer0.weight": l0.weight.detach().numpy().T.reshape(-1).tolist(),
        "layer0.bias": l0.bias.detach().numpy().tolist(),
    }
    last = "layer1"
    if bn:
        out.update({"layer1.weight": norm.weight.detach().numpy().tolist(), "layer1.bias": norm.bias.detach().numpy().tolist(),
                    "layer1.running_mean": norm.running_mean.numpy().tolist(), "layer1.running_var": norm.running_var.numpy().tolist()})
        last = "layer2"
    out[last + ".weight"] = l1.weight.detach().numpy().T.reshape(-1).tolist()
    out[last + ".bias"] = l1.bias.detach().numpy().tolist()
    return out, losses


out = {
    "torch": torch.__version__,
    "inputs": IN, "hidden": HID, "classes": OUT, "batch": BATCH, "epochs": EPOCHS,
    "x": X.reshape(-1).tolist(), "y": Y.tolist(),
    "init": {"layer0.weight": W0.reshape(-1).tolist(), "layer0.bias": B0.tolist(),
             "layer1.weight": W1.reshape(-1).tolist(), "layer1.bias": B1.tolist()},
    "cases": [],
}
for name, act, o, clip, sched in CASES:
    params, losses = run(act, o, clip, sched)
    out["cases"].append({"name": name, "activation": act, "optimizer": o, "clip_norm": clip,
                         "schedule": sched, "params": params, "losses": losses})
for name, act, o, weights, smoothing in LOSS_CASES:
    params, losses = run(act, o, 0, None, weights, smoothing)
    out["cases"].append({"name": name, "activation": act, "optimizer": o, "clip_norm": 0, "schedule": None,
                         "class_weights": weights, "label_smoothing": smoothing, "params": params, "losses": losses})
# name, activation after the batch norm, optimizer: Linear -> BatchNorm1d -> act -> Linear
BN_CASES = [
    ("bn-relu-sgd", "relu", {"kind": "sgd", "lr": 0.1, "momentum": 0.9}),
    ("bn-gelu-adam-wd", "gelu", {"kind": "adam", "lr": 0.01, "weight_decay": 0.01}),
]
for name, act, o in BN_CASES:
    params, losses = run(act, o, 0, None, bn=True)
    out["cases"].append({"name": name, "activation": act, "optimizer": o, "clip_norm": 0, "schedule": None,
                         "batch_norm": True, "params": params, "losses": losses})
json.dump(out, __import__("sys").stdout, indent=1)
