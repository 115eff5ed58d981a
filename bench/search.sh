#!/usr/bin/env bash
# make bench-search: random search, xp's TPE and Optuna's TPE on the
# synthetic objectives of bench/search_reference.py and on two real xp
# experiments (bench/search/credit_mlp.cue and churn_mlp.cue: MLPs over
# learning rate, width, dropout and weight decay, by validation loss), in
# one run: the median over SEARCH_SEEDS seeds (default 10) of the best
# value after 16, 32 and 64 trials, and the issue's goals checked against
# them.
#
# xp's side (bench/cmd/searchbench) evaluates the objectives in process,
# through the sampler (sweep/tpe), after the startup draws a tpe sweep
# makes; its port of the objectives is checked first against
# search_reference.py --eval on random points. Optuna's side is
# search_reference.py (Debian's python3-optuna: apt-get install
# python3-optuna). Both use 10 startup points. xp-tpe-normalized is xp's
# TPE with normalized kernels (tpe.Sampler.Normalized, as Optuna has them
# since optuna#5110), for comparison.
#
# On the real experiments both sides train each point as a sweep point
# trains (bench/cmd/searchbench/trained.go), into one store of a project
# made here, so a point asked twice (by either side) trains once: xp's
# side in process, Optuna's through search_optuna.py, whose ask/tell loop
# asks `searchbench -serve` for each value. The two run at once; Optuna's
# random search is left out there (xp's draws from the same
# distributions), and so is xp-tpe-normalized. 3,640 trainings (10 epochs
# a point, one thread): 644 s on two cores other jobs kept busy.
#
# Environment: PYTHON (default /usr/bin/python3), SEARCH_SEEDS,
# SEARCH_REAL=0 to leave the real experiments out.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-/usr/bin/python3}
SEEDS=${SEARCH_SEEDS:-10}
REAL=${SEARCH_REAL:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$PYTHON" -c 'import optuna' 2>/dev/null; then
	echo "bench-search: $PYTHON has no optuna (Debian: apt-get install python3-optuna)" >&2
	exit 1
fi
go build -o "$tmp/searchbench" ./bench/cmd/searchbench

echo "== the objectives' Go port against search_reference.py --eval"
"$tmp/searchbench" -samples 5 >"$tmp/samples.tsv"
while IFS=$'\t' read -r obj params value; do
	ref=$("$PYTHON" bench/search_reference.py --eval "$obj" "$params")
	"$PYTHON" - "$obj" "$params" "$value" "$ref" <<'PY'
import json, sys
obj, params, got, ref = sys.argv[1], sys.argv[2], float(sys.argv[3]), json.loads(sys.argv[4])["value"]
if abs(got - ref) > 1e-9 * max(1.0, abs(ref)):
    sys.exit(f"{obj} {params}: Go {got!r}, Python {ref!r}")
PY
done <"$tmp/samples.tsv"
echo "ok: $(wc -l <"$tmp/samples.tsv") points agree"
echo

echo "== searches: $SEEDS seeds, 64 trials, 10 startup points"
"$tmp/searchbench" -seeds "$SEEDS" -trials 64 -startup 10 -checkpoints 16,32,64 -sampler random,tpe,tpe-normalized |
	sed 's/"sampler":"\([a-z-]*\)"/"sampler":"xp-\1"/' >"$tmp/results.jsonl"
"$PYTHON" bench/search_reference.py --objective all --sampler random,tpe --seeds "$SEEDS" \
	--trials 64 --startup 10 --checkpoints 16,32,64 |
	sed 's/"sampler": "\([a-z]*\)"/"sampler": "optuna-\1"/' >>"$tmp/results.jsonl"

if [ "$REAL" != 0 ]; then
	echo "== the real experiments: $SEEDS seeds, 64 trials, 10 startup points, each point trained"
	project="$tmp/project"
	mkdir -p "$project/experiments/data"
	cp bench/search/*.cue "$project/experiments/"
	cp experiments/data/credit_data.csv experiments/data/churn.csv "$project/experiments/data/"
	start=$SECONDS
	"$tmp/searchbench" -project "$project" -seeds "$SEEDS" -trials 64 -startup 10 -checkpoints 16,32,64 -sampler random,tpe \
		>"$tmp/real-xp.jsonl" &
	xp_side=$!
	"$PYTHON" bench/search_optuna.py --sampler tpe --seeds "$SEEDS" --trials 64 --startup 10 --checkpoints 16,32,64 \
		-- "$tmp/searchbench" -project "$project" -serve >"$tmp/real-optuna.jsonl"
	wait "$xp_side"
	sed 's/"sampler":"\([a-z-]*\)"/"sampler":"xp-\1"/' "$tmp/real-xp.jsonl" >>"$tmp/results.jsonl"
	sed 's/"sampler": "\([a-z]*\)"/"sampler": "optuna-\1"/' "$tmp/real-optuna.jsonl" >>"$tmp/results.jsonl"
	runs=$(find "$project/.xp/runs" -mindepth 2 -maxdepth 2 | wc -l)
	echo "ok: $((SECONDS - start)) s, $runs points trained"
	echo
fi

"$PYTHON" - "$tmp/results.jsonl" <<'PY'
import json, statistics, sys

rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["objective"], r["sampler"]): r for r in rows}
objectives = sorted({r["objective"] for r in rows})
samplers = ["xp-random", "xp-tpe", "xp-tpe-normalized", "optuna-random", "optuna-tpe"]

def quartiles(r, c):
    vals = sorted(cv[c - 1] for cv in r["curves"])
    q = statistics.quantiles(vals, n=4, method="inclusive")
    return q[0], q[2]

def cell(o, s, c):
    r = by.get((o, s))
    return f"{r['median_best_after'][str(c)]:>17.4g}" if r else f"{'-':>17}"

print(f"{'objective':<14} {'trials':>6}  " + "  ".join(f"{s:>17}" for s in samplers))
for o in objectives:
    for c in (16, 32, 64):
        print(f"{o:<14} {c:>6}  " + "  ".join(cell(o, s, c) for s in samplers))
print()
print("goals (medians over seeds):")
ok = True
for o in objectives:
    tpe32 = by[(o, "xp-tpe")]["median_best_after"]["32"]
    for rnd in (s for s in ("xp-random", "optuna-random") if (o, s) in by):
        rnd64 = by[(o, rnd)]["median_best_after"]["64"]
        hit = tpe32 <= rnd64
        ok &= hit
        print(f"  {o}: xp TPE after 32 {tpe32:.4g} {'<=' if hit else '>'} {rnd} after 64 {rnd64:.4g}: {'met' if hit else 'NOT met'}")
    for c in (16, 32, 64):
        x = by[(o, "xp-tpe")]["median_best_after"][str(c)]
        lo, hi = quartiles(by[(o, "optuna-tpe")], c)
        within = x <= hi
        ok &= within
        print(f"  {o}: after {c}: xp TPE {x:.4g}, Optuna TPE's interquartile range [{lo:.4g}, {hi:.4g}]: "
              f"{'within or better' if within else 'WORSE'}")
print("all goals met" if ok else "some goals not met")
PY
