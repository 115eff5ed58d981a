#!/usr/bin/env bash
# make bench-asha (and the end of make bench-search): successive halving
# against the full sweep on a 27-point space of the shipped credit
# experiment (learning rate x width x dropout, 27 epochs each, on the CPU),
# each in a store of its own so that neither answers the other's points
# from its cache. It prints the epochs each trained (a run counts the
# epochs after the checkpoint it resumed), the best point of each by the
# sweep's metric (validation.loss) and its test accuracy, and checks the
# issue's goals: ASHA trains at most a third of the full sweep's epochs,
# and its best point's test accuracy is within 0.5 points of the full
# sweep's best's.
#
# Environment: ASHA_BENCH_PARALLEL (default 2): points trained at once.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
parallel=${ASHA_BENCH_PARALLEL:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/xp" ./cmd/xp
xp="$tmp/xp"

sweep_of() { # name, sweep block
	cat <<CUE
$1: #Experiment & {
	data: {
		source: file: "data/credit_data.csv"
		target: "Status"
		clean: [
			{fill_na: {column: "Income", with: "median"}},
			{fill_na: {column: "Assets", with: "median"}},
			{fill_na: {column: "Debt", with: "median"}},
			{drop_na: {}},
			{filter: {column: "Age", op: ">=", value: 18}},
			{drop_duplicates: {}},
		]
		split: {test: 0.2, validation: 0.1, seed: 1, stratify: true}
	}
	model: layers: [{dense: 64, activation: "relu"}, {dropout: 0}]
	train: {epochs: 27, batch_size: 32, seed: 1, optimizer: adam: lr: 1e-3}
	metrics: ["accuracy", "log_loss", "f1", "auc"]
	device: "cpu"
	sweep: {
$2
		params: {
			"train.optimizer.adam.lr": [3e-4, 1e-3, 3e-3]
			"model.layers[0].dense":   [16, 64, 256]
			"model.layers[1].dropout": [0, 0.2, 0.5]
		}
	}
}
CUE
}

run_sweep() { # name, sweep block -> the project directory
	local dir="$tmp/$1"
	mkdir -p "$dir/experiments/data"
	cp "$root/experiments/data/credit_data.csv" "$dir/experiments/data/"
	sweep_of "$1" "$2" >"$dir/experiments/$1.cue"
	(cd "$dir" && "$xp" vet "experiments/$1.cue" >/dev/null &&
		/usr/bin/time -f "%e" -o "$dir/wall" "$xp" run --allow-dirty --parallel "$parallel" "$1" >"$dir/run.txt" &&
		"$xp" ls --sweep "$1" --limit 0 --json >"$dir/runs.json" &&
		"$xp" best --json "$1" >"$dir/best.json")
	tail -n 2 "$dir/run.txt"
}

echo "== the full sweep: 27 points x 27 epochs"
run_sweep credit_full '		method: "grid"'
echo "== asha: min_epochs 1, reduction_factor 3 (rungs at 1, 3, 9 and 27 epochs)"
run_sweep credit_asha '		method: "asha", min_epochs: 1, reduction_factor: 3'
echo "== asha: min_epochs 3, reduction_factor 3 (rungs at 3, 9 and 27 epochs)"
run_sweep credit_asha3 '		method: "asha", min_epochs: 3, reduction_factor: 3'
echo

python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
def read(name):
    runs = json.load(open(f"{tmp}/{name}/runs.json"))
    best = json.load(open(f"{tmp}/{name}/best.json"))
    wall = float(open(f"{tmp}/{name}/wall").read())
    epochs = sum(r["epoch"] - r.get("resumed_epoch", 0) for r in runs)
    return epochs, best, wall, len(runs)
full = read("credit_full")
ashas = {"asha": read("credit_asha"), "asha-min3": read("credit_asha3")}
def label(b):
    return " ".join(f"{k}={v}" for k, v in sorted(b["params"].items()))
def acc(b):
    return b["run"]["metrics"]["test"]["accuracy"]
print(f"{'sweep':<10} {'runs':>5} {'epochs':>7} {'wall s':>7}  {'best validation.loss':>20}  {'test accuracy':>13}  best point")
for name, (e, b, w, r) in [("full", full)] + list(ashas.items()):
    print(f"{name:<10} {r:>5} {e:>7} {w:>7.1f}  {b['value']:>20.4f}  {acc(b):>13.4f}  {label(b)}")
print()
print("goals (at most 1/3 of the epochs; test accuracy within 0.5 points of the full sweep's best):")
fe, fb = full[0], full[1]
for name, (e, b, w, r) in ashas.items():
    ratio, diff = e / fe, 100 * (acc(fb) - acc(b))
    print(f"  {name}: epochs {e}/{fe} = {ratio:.3f}: {'met' if ratio <= 1/3 else 'NOT met'}; "
          f"test accuracy {100*acc(b):.2f}% vs {100*acc(fb):.2f}%, {diff:+.2f} points behind: {'met' if diff <= 0.5 else 'NOT met'}")
PY
