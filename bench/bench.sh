#!/usr/bin/env bash
# make bench: the Go benchmarks, then xp and the PyTorch reference on the
# same jobs, in the same invocation, on 1 thread and on 2, and a table of
# samples/s, their ratio and test accuracy.
#
# Both sides train on the same rows: reference.py --prepare writes each
# job's preprocessed split once (numpy's generator cannot be reproduced in
# Go) and both read it. Without numpy, xp generates and splits the data
# itself and runs alone.
#
# Environment: PYTHON (default /usr/bin/python3: Debian's torch lives
# there); XP_BLAS=go benchmarks xp's pure-Go GEMM instead of OpenBLAS;
# BENCH_THREADS (default "1 2"); BENCH_REPEAT=n runs each side n times,
# alternating, and the table keeps each side's best (on a shared machine,
# other work only ever slows a run down); BENCH_SKIP_GO=1 skips the Go
# benchmarks.
#
# "t threads" means t cores for both sides: each run is pinned with taskset
# to cores 0..t-1. Setting thread counts is not enough: Debian's PyTorch 1.13
# asked for one thread (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=1,
# OMP_NUM_THREADS=1) still keeps a second core busy during training
# (measured: user time 8.3 s against 6.7 s of wall time) and trains 1.5x
# faster unpinned than on one core.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-/usr/bin/python3}
THREADS=${BENCH_THREADS:-1 2}
REPEAT=${BENCH_REPEAT:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ -z ${BENCH_SKIP_GO:-} ]]; then
	echo "== Go benchmarks (engine with OpenBLAS and pure-Go GEMM; gorgonia on the same job as the same-run baseline)"
	go test -run '^$' -bench 'EpochSynthetic' -benchtime 3x ./backends/engine/
	go test -run '^$' -bench 'LargeMLP' -benchtime 1x ./backends/engine/
	go test -run '^$' -bench 'Sgemm' -benchtime 200ms ./backends/engine/gemm/
	echo
fi

go build -o "$tmp/xpbench" ./bench/cmd/xpbench

have_numpy=false have_torch=false
if "$PYTHON" -c 'import numpy' 2>/dev/null; then have_numpy=true; fi
if $have_numpy && "$PYTHON" -c 'import torch' 2>/dev/null; then have_torch=true; fi

# name | data | options shared by both sides
jobs=(
	"synthetic-b32|synthetic:100000x32|--hidden 64 --batch 32 --epochs 5 --lr 1e-3"
	"synthetic-b256|synthetic:100000x32|--hidden 64 --batch 256 --epochs 5 --lr 1e-3"
	"digits|csv:experiments/data/digits.csv:target|--hidden 128,64 --batch 32 --epochs 20 --lr 1e-3"
	"large-mlp|synthetic:20480x256x10|--hidden 1024,1024 --batch 1024 --epochs 4 --lr 1e-3"
)

# source prints the arguments that name a job's data, for xpbench (go) or
# reference.py (py), preparing the shared split the first time.
source_args() {
	local name=$1 data=$2 side=$3
	local kind=${data%%:*} rest=${data#*:}
	if $have_numpy; then
		local file="$tmp/$name.split"
		if [[ ! -f $file ]]; then
			case $kind in
			synthetic) "$PYTHON" bench/reference.py --synthetic "$rest" --prepare "$file" ;;
			csv) "$PYTHON" bench/reference.py --csv "${rest%%:*}" --target "${rest#*:}" --prepare "$file" ;;
			esac
		fi
		if [[ $side == go ]]; then echo "-data $file"; else echo "--data $file"; fi
		return
	fi
	case $kind in
	synthetic) echo "-synthetic $rest" ;;
	csv) echo "-csv ${rest%%:*} -target ${rest#*:}" ;;
	esac
}

results=$tmp/results.jsonl
: >"$results"
for job in "${jobs[@]}"; do
	IFS='|' read -r name data opts <<<"$job"
	if [[ $data == csv:* ]]; then
		csv=${data#csv:}
		if [[ ! -f ${csv%%:*} ]]; then
			echo "skip $name: ${csv%%:*} not found" >&2
			continue
		fi
	fi
	for t in $THREADS; do
		pin=()
		if [[ ${BENCH_PIN:-1} != 0 ]] && command -v taskset >/dev/null && ((t <= $(nproc))); then
			pin=(taskset -c "0-$((t - 1))")
		fi
		for ((r = 1; r <= REPEAT; r++)); do
			echo "== $name, $t thread(s) ${pin[*]}, run $r of $REPEAT" >&2
			"${pin[@]}" "$tmp/xpbench" -job "$name" -threads "$t" $(source_args "$name" "$data" go) $opts | tee -a "$results"
			if $have_torch; then
				"${pin[@]}" "$PYTHON" bench/reference.py --job "$name" --threads "$t" --no-logreg \
					$(source_args "$name" "$data" py) $opts | tee -a "$results"
			fi
		done
	done
done

echo
"$tmp/xpbench" -table "$results"
if ! $have_torch; then
	echo
	echo "PyTorch is not installed for $PYTHON, so xp's figures stand alone. To compare, install it:"
	echo "  apt-get install -y --no-install-recommends python3-torch python3-sklearn"
fi
