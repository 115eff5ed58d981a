#!/usr/bin/python3
"""Optuna's TPE (or random search) on objectives another process evaluates.

bench/search.sh gives Optuna the real xp experiments this way: the evaluator is
`searchbench -project DIR -serve`, which trains each point asked for as a sweep
point trains (in process, into the project's store) and answers its value. The
protocol is JSON lines: the evaluator first writes {"spaces": {objective: space}}
(spaces in search_reference.py's SPACES format), then answers each request
{"objective": name, "params": {path: value}} with {"value": v}, null for a point
that did not succeed (the worst value here, as a tpe sweep counts it), or
{"error": message}.

Each search is Optuna's ask/tell loop over fixed distributions. The output is
search_reference.py's: one JSON line per (objective, sampler), the median over
seeds 1..N of the best value after each checkpoint and the per-seed curves.

Usage (Debian's python3-optuna; run with /usr/bin/python3):
  search_optuna.py --objective all --sampler tpe --seeds 10 --trials 64 \
      --startup 10 --checkpoints 16,32,64 -- ./searchbench -project DIR -serve
"""
import argparse
import json
import math
import statistics
import subprocess
import sys


class Evaluator:
    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.spaces = self._read()["spaces"]

    def _read(self):
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"search_optuna: the evaluator exited ({self.proc.wait()})")
        msg = json.loads(line)
        if "error" in msg:
            raise SystemExit(f"search_optuna: the evaluator: {msg['error']}")
        return msg

    def __call__(self, objective, params):
        self.proc.stdin.write(json.dumps({"objective": objective, "params": params}) + "\n")
        self.proc.stdin.flush()
        v = self._read()["value"]
        return math.inf if v is None else v

    def close(self):
        self.proc.stdin.close()
        if self.proc.wait() != 0:
            raise SystemExit(f"search_optuna: the evaluator exited {self.proc.returncode}")


def distributions(space):
    import optuna.distributions as d
    out = {}
    for name, spec in space.items():
        kind, arg = next(iter(spec.items()))
        if kind == "uniform":
            out[name] = d.FloatDistribution(arg[0], arg[1])
        elif kind == "log_uniform":
            out[name] = d.FloatDistribution(arg[0], arg[1], log=True)
        elif kind == "int_uniform":
            out[name] = d.IntDistribution(int(arg[0]), int(arg[1]))
        elif kind == "choice":
            out[name] = d.CategoricalDistribution(arg)
        else:
            raise SystemExit(f"search_optuna: {name}: unknown space kind {kind!r}")
    return out


def search(evaluate, objective, space, sampler_name, seed, trials, startup):
    import optuna
    if sampler_name == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup)
    elif sampler_name == "random":
        sampler = optuna.samplers.RandomSampler(seed=seed)
    else:
        raise SystemExit(f"search_optuna: unknown sampler {sampler_name!r}")
    study = optuna.create_study(direction="minimize", sampler=sampler)
    dists = distributions(space)
    best, curve = math.inf, []
    for _ in range(trials):
        trial = study.ask(dists)
        value = evaluate(objective, trial.params)
        study.tell(trial, value)
        best = min(best, value)
        curve.append(best)
    return curve


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objective", default="all")
    ap.add_argument("--sampler", default="tpe")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--trials", type=int, default=64)
    ap.add_argument("--startup", type=int, default=10)
    ap.add_argument("--checkpoints", default="16,32,64")
    ap.add_argument("evaluator", nargs="+", help="the evaluator's command line")
    a = ap.parse_args()
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    evaluate = Evaluator(a.evaluator)
    objectives = sorted(evaluate.spaces) if a.objective == "all" else a.objective.split(",")
    cps = [int(c) for c in a.checkpoints.split(",") if int(c) <= a.trials]
    for obj in objectives:
        if obj not in evaluate.spaces:
            raise SystemExit(f"search_optuna: unknown objective {obj!r} (have {', '.join(sorted(evaluate.spaces))})")
        for s in a.sampler.split(","):
            curves = [search(evaluate, obj, evaluate.spaces[obj], s, seed, a.trials, a.startup)
                      for seed in range(1, a.seeds + 1)]
            med = {str(c): statistics.median(cv[c - 1] for cv in curves) for c in cps}
            print(json.dumps({"objective": obj, "sampler": s, "seeds": a.seeds,
                              "median_best_after": med, "curves": curves}))
            sys.stdout.flush()
    evaluate.close()


if __name__ == "__main__":
    main()
