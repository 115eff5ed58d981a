#!/usr/bin/env bash
# make parity-regression: xp's regression (experiments/amount.cue, the loan
# amount of credit_data) against scikit-learn's LinearRegression and
# MLPRegressor and a PyTorch MLP, trained and tested on the same rows.
#
# For each split seed, bench/regression.py splits the file 80/20 into
# train.csv and test.csv; xp trains amount.cue's model with
# source: train.csv, test_source: test.csv and no validation rows (so it
# trains on exactly the reference's rows, with amount.cue's cleaning, its
# standardization of inputs and target, its model and optimizer); the
# references train on them with the same preprocessing (see
# regression.py). The table shows each side's test rmse, mae and r2 in the
# amount's units, averaged over the split seeds.
#
# Environment: PYTHON (default /usr/bin/python3, with Debian's torch and
# scikit-learn); PARITY_SEEDS (split and training seeds, default "1 2 3 4 5").
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-/usr/bin/python3}
SEEDS=${PARITY_SEEDS:-1 2 3 4 5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$PYTHON" -c 'import numpy, torch, sklearn' 2>/dev/null; then
	echo "parity-regression needs numpy, torch and scikit-learn for $PYTHON:" >&2
	echo "  apt-get install -y --no-install-recommends python3-torch python3-sklearn" >&2
	exit 1
fi
go build -o "$tmp/xp" ./cmd/xp
results=$tmp/results.jsonl
: >"$results"
for seed in $SEEDS; do
	dir=$tmp/s$seed
	mkdir -p "$dir/experiments"
	"$PYTHON" bench/regression.py split experiments/data/credit_data.csv "$dir/experiments" "$seed"
	# amount.cue with the split's files and no validation rows.
	sed -e 's|source: file: "data/credit_data.csv"|source: file: "train.csv"\n\t\ttest_source: file: "test.csv"|' \
		-e "s|split: {test: 0.2, validation: 0.1, seed: 1}|split: {validation: 0, seed: $seed}|" \
		-e "s|seed:       1|seed:       $seed|" experiments/amount.cue >"$dir/experiments/amount.cue"
	echo "== split and training seed $seed" >&2
	(cd "$dir" && "$tmp/xp" run --allow-dirty --json amount) |
		"$PYTHON" -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps({"seed": '"$seed"', "xp": r["metrics"]["test"]}))' >>"$results"
	"$PYTHON" bench/regression.py train "$dir/experiments" "$seed" >>"$results"
done

"$PYTHON" - "$results" <<'PY'
import json, sys
from collections import defaultdict
acc, std, n = defaultdict(list), [], 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    for side in ("xp", "torch_mlp", "sklearn_mlp", "linear"):
        if side in r:
            acc[side].append(r[side])
    if "target_std" in r:
        std.append(r["target_std"]); n += 1
names = {"xp": "xp MLP [64, 32]", "torch_mlp": "PyTorch MLP [64, 32]", "sklearn_mlp": "sklearn MLPRegressor", "linear": "sklearn LinearRegression"}
print(f"loan amount (credit_data), test split of 20%, mean over {n} split seeds; target std {sum(std)/len(std):.1f}")
print(f"{'model':<26} {'rmse':>8} {'mae':>8} {'r2':>7}  r2 by seed")
for side in ("xp", "torch_mlp", "sklearn_mlp", "linear"):
    m = {k: sum(r[k] for r in acc[side]) / len(acc[side]) for k in ("rmse", "mae", "r2")}
    seeds = " ".join(f"{r['r2']:.3f}" for r in acc[side])
    print(f"{names[side]:<26} {m['rmse']:>8.1f} {m['mae']:>8.1f} {m['r2']:>7.4f}  {seeds}")
PY
