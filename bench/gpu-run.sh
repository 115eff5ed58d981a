#!/bin/bash
# The GPU check (made by `make gpu-check`; see bench/gpu-check.sh). Runs on a
# machine with an NVIDIA driver, cuBLAS and PyTorch, and no Go:
#   1. the CUDA tests: the conformance suite with steps fused and not (CUDA
#      against the CPU device and gorgonia), each kernel against the CPU's
#      and against its fused op, determinism, allocations;
#   2. the engine's epoch benchmark: credit, churn and digits at batch 32 and
#      256, fused, one launch per kernel, and one CPU core, in one process;
#   3. credit, amount (regression) and churn_embedding trained with the xp
#      binary on cuda and on cpu, reruns proving they reproduce bit for bit,
#      and, where the bundle has the previous xp (PREV), credit with
#      XP_CUDA_FUSE=off against it: unfused steps keep the previous bits;
#   4. the small jobs: credit, churn and digits at batch 32 and 256 on
#      xp-cuda, xp-cpu (one core) and PyTorch on the GPU;
#   5. a 32-point credit sweep on one GPU, --parallel 1 against --parallel 8;
#   6. the large job (1,000,000 x 256 inputs, MLP [1024, 1024], batch 1024)
#      on xp-cuda, PyTorch on the GPU and xp-cpu.
# Logs and JSON results go to $OUT (or /tmp/xp-gpu-check/out).
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=${XP_GPU_WORK:-/tmp/xp-gpu-check}
out=${OUT:-$work/out}
rm -rf "$work/bin" "$work/repo"
mkdir -p "$work" "$out"
tar -xzf "$here/bundle.tar.gz" -C "$work"
export LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$work/bin:$PATH"
py=${PYTHON:-python3}
start=$(date +%s)
step() { echo; echo "== $* ($(( $(date +%s) - start )) s)"; }
only() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo "cpus $(nproc); python3 $(command -v "$py")"
# xp loads libcuda.so.1 from the loader's path, as every CUDA program does;
# a container that mounts the driver elsewhere is pointed at it here.
if ! ldconfig -p | grep -q 'libcuda.so.1 '; then
	for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64; do
		if [ -e "$d/libcuda.so.1" ]; then export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$d"; echo "libcuda.so.1 in $d"; break; fi
	done
fi

if only 1; then
	step "1. CUDA tests on the GPU"
	(cd "$work/repo/backends/engine/cuda" && timeout 300 cuda.test -test.v -test.count=1 -test.run 'Test' >"$out/cuda-tests.log" 2>&1)
	echo "exit $?"
	grep -E '^(--- (PASS|FAIL|SKIP): Test|FAIL|PASS|ok)|^    --- FAIL|accuracy after|values differ|no GPU|panic|Error|error' "$out/cuda-tests.log" | head -60
fi

if only 2; then
	step "2. epoch benchmark: fused, one launch per kernel, one CPU core"
	(cd "$work/repo/backends/engine/cuda" && taskset -c 0 timeout 200 cuda.test -test.run '^$' -test.bench 'Epoch' -test.benchtime 20x >"$out/bench-epoch.log" 2>&1)
	echo "exit $?"
	grep -E 'Benchmark|FAIL|panic' "$out/bench-epoch.log" | awk '{printf "%-40s %12s %s %8s %s\n", $1, $(NF-3), $(NF-2), $(NF-1), $NF}'
fi

cd "$work/repo"
git init -q && git add -A && git -c user.name=xp -c user.email=xp@localhost commit -qm "gpu check"

if only 3; then
	step "3. credit, amount and churn_embedding on cuda and on cpu"
	: >"$work/runs.jsonl"
	: >"$out/runs.log"
	for exp in credit amount churn_embedding; do
		for dev in cuda cpu; do
			timeout 120 xp run "$exp" --backend "$dev" --json >>"$work/runs.jsonl" 2>>"$out/runs.log"
			echo "$exp $dev exit $?"
		done
	done
	"$py" - "$work/runs.jsonl" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for r in runs:
    t = r.get("metrics", {}).get("test", {})
    shown = "  ".join(f"{m} {t[m]:.4f}" for m in ("accuracy", "auc", "rmse", "r2") if m in t)
    print(f'{r["experiment"]:15} {r["device"]:5} {r["key"][:12]}  test {shown}  '
          f'samples/s {(r.get("timing") or {}).get("samples_per_sec", 0):,.0f}')
by = {(r["experiment"], r["device"]): r["metrics"]["test"] for r in runs}
for exp, m in (("credit", "accuracy"), ("amount", "r2"), ("churn_embedding", "accuracy")):
    if (exp, "cuda") in by and (exp, "cpu") in by:
        print(f'{exp}: cuda - cpu {m}: {by[(exp, "cuda")][m] - by[(exp, "cpu")][m]:+.4f}')
PY
	for exp in credit churn_embedding; do
		key=$("$py" -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["experiment"] == sys.argv[2] and r["device"] == "cuda": print(r["key"][:12]); break' "$work/runs.jsonl" "$exp")
		[ -n "$key" ] && timeout 120 xp rerun "$key" 2>&1 | tail -2
		[ -n "$key" ] && xp show "$key" | grep -E '^(backend|system)'
	done
	weights() { xp show "$1" 2>/dev/null | awk '/^weights/ {print substr($2, 8, 12)}'; }
	key=$(XP_CUDA_FUSE=off xp run credit --backend cuda --json 2>>"$out/runs.log" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["key"][:12])')
	echo "credit, XP_CUDA_FUSE=off: run $key, weights sha256:$(weights "$key")"
	if [ -x "$work/bin/xp-prev" ]; then
		prev=$(cd "$work" && rm -rf prev && cp -r repo prev && cd prev && rm -rf .xp && xp-prev run credit --backend cuda --json 2>>"$out/runs.log" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["key"][:12])')
		echo "credit, previous xp:     run $prev, weights sha256:$(cd "$work/prev" && xp-prev show "$prev" 2>/dev/null | awk '/^weights/ {print substr($2, 8, 12)}')"
	fi
fi

if only 4; then
	step "4. small jobs: xp-cuda, xp-cpu (one core), PyTorch on the GPU"
	cd "$work"
	: >"$out/small.jsonl"
	for job in "credit|experiments/data/credit_data.csv|Status|64" "churn|experiments/data/churn.csv|churn|64,32" "digits|experiments/data/digits.csv|target|128,64"; do
		IFS='|' read -r name csv target hidden <<<"$job"
		"$py" "$work/reference.py" --csv "$work/repo/$csv" --target "$target" --seed 1 --test 0.2 --prepare "$work/$name.xpb"
		for batch in 32 256; do
			epochs=10
			opts=(-job "$name-b$batch" -data "$work/$name.xpb" -hidden "$hidden" -batch "$batch" -lr 1e-3 -seed 1 -epochs "$epochs" -warmup 3)
			timeout 60 xpbench "${opts[@]}" -backend cuda >>"$out/small.jsonl"
			timeout 120 taskset -c 0 xpbench "${opts[@]}" -backend cpu -threads 1 >>"$out/small.jsonl"
			timeout 120 "$py" "$work/reference.py" --job "$name-b$batch" --data "$work/$name.xpb" --device cuda --hidden "$hidden" \
				--batch "$batch" --lr 1e-3 --seed 1 --epochs "$epochs" --warmup 3 --threads 1 --no-logreg >>"$out/small.jsonl"
		done
	done
	"$py" - "$out/small.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
jobs = []
for r in rows:
    if r["job"] not in jobs: jobs.append(r["job"])
def get(job, side):
    for r in rows:
        if r["job"] == job and r["side"] == side: return r
print("| job | xp-cuda | xp-cpu (1 core) | torch-cuda | xp-cuda / torch-cuda | xp-cuda / xp-cpu | accuracy xp-cuda, xp-cpu, torch |")
print("|---|---|---|---|---|---|---|")
for j in jobs:
    c, p, t = get(j, "xp-cuda"), get(j, "xp"), get(j, "torch-cuda")
    if not (c and p and t): print(f"| {j} | missing |"); continue
    f = lambda r: f'{r["samples_per_sec"]:,.0f}'
    print(f'| {j} | {f(c)} | {f(p)} | {f(t)} | {c["samples_per_sec"]/t["samples_per_sec"]:.1f} (goal >= 2) | '
          f'{c["samples_per_sec"]/p["samples_per_sec"]:.1f} (goal >= 1) | {c["accuracy"]:.4f}, {p["accuracy"]:.4f}, {t["accuracy"]:.4f} |')
PY
fi

sweeps() {
	step "5. a 32-point credit sweep on one GPU, and on the CPU: --parallel 1 against --parallel 8"
	cd "$work/repo"
	: >"$out/sweep.log"
	sed 's/^credit_sweep:/credit_sweep_cpu:/; s/device: "cuda"/device: "cpu"/' experiments/credit_sweep.cue >experiments/credit_sweep_cpu.cue
	git add -A && git -c user.name=xp -c user.email=xp@localhost commit -qm "cpu sweep"
	for exp in credit_sweep credit_sweep_cpu; do
		: >"$work/sweep-times"
		for p in 1 8; do
			t0=$(date +%s.%N)
			prof=()
			if [ "$exp$p" = credit_sweep8 ]; then prof=(env XP_CPUPROFILE="$out/sweep8.prof" XP_TRACE="$out/sweep8.trace"); fi
			timeout 300 "${prof[@]}" xp run "$exp" --parallel "$p" --force --json >>"$out/sweep.log" 2>&1
			rc=$?
			t1=$(date +%s.%N)
			echo "$exp parallel $p: exit $rc"
			echo "$p $t0 $t1" >>"$work/sweep-times"
			xp ls --sweep "$exp" --json >"$work/sweep-ls-$p.json" 2>>"$out/sweep.log"
		done
		sweep_summary
	done
}
sweep_summary() {
	"$py" - "$work/sweep-times" "$work" <<'PY'
import json, sys
times = {}
for l in open(sys.argv[1]):
    p, a, b = l.split(); times[int(p)] = float(b) - float(a)
for p, s in sorted(times.items()):
    try:
        runs = [r for r in json.load(open(f"{sys.argv[2]}/sweep-ls-{p}.json")) if r.get("timing")]
    except (OSError, ValueError):
        runs = []
    samples = sum(r["timing"].get("epochs", 0) * r["timing"].get("train_rows", 0) for r in runs)
    per = lambda k: sum(r["timing"].get(k, 0) for r in runs) / max(len(runs), 1)
    devices = sorted({r.get("device", "") for r in runs})
    print(f"--parallel {p}: {s:.1f} s wall, {len(runs)} runs, {samples / s:,.0f} samples/s; per point: "
          f"prepare {per('prepare_seconds'):.3f} s, train {per('train_seconds'):.3f} s, total {per('total_seconds'):.3f} s; devices {devices}")
if 1 in times and 8 in times:
    print(f"--parallel 8 / --parallel 1 = {times[1] / times[8]:.2f}x (goal >= 4)")
PY
}
if only 5; then
	sweeps
fi

if only 6; then
	step "6. large job: xp-cuda, PyTorch on the GPU, xp-cpu"
	cd "$work"
	"$py" "$work/reference.py" --synthetic 1000000x256 --seed 1 --test 0.2 --prepare "$work/large.xpb"
	"$py" "$work/reference.py" --synthetic 100000x256 --seed 1 --test 0.2 --prepare "$work/cpu.xpb"
	job=(-hidden 1024,1024 -batch 1024 -lr 1e-3 -seed 1)
	: >"$out/bench.jsonl"
	timeout 120 xpbench -job large -data "$work/large.xpb" -backend cuda -epochs 3 "${job[@]}" | tee -a "$out/bench.jsonl"
	timeout 120 "$py" "$work/reference.py" --job large --data "$work/large.xpb" --device cuda --hidden 1024,1024 --batch 1024 \
		--lr 1e-3 --seed 1 --epochs 3 --threads "$(nproc)" --no-logreg | tee -a "$out/bench.jsonl"
	timeout 120 xpbench -job large-cpu -data "$work/cpu.xpb" -backend cpu -threads "$(nproc)" -epochs 1 "${job[@]}" | tee -a "$out/bench.jsonl"
	"$py" - "$out/bench.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def get(side, threads=None):
    for r in rows:
        if r["side"] == side and (threads is None or r["threads"] == threads):
            return r
xc, tc = get("xp-cuda"), get("torch-cuda")
cpus = [r for r in rows if r["side"] == "xp"]
print()
print("| side | threads | samples/s | test accuracy | version |")
print("|---|---|---|---|---|")
for r in [xc, tc] + cpus:
    if r:
        v = r.get("backend_version", r.get("torch_device", ""))
        print(f'| {r["side"]} | {r["threads"]} | {r["samples_per_sec"]:,.0f} | {r["accuracy"]:.4f} | {v} |')
if xc and tc:
    print(f'xp-cuda / PyTorch-cuda = {xc["samples_per_sec"] / tc["samples_per_sec"]:.2f} (goal >= 0.7)')
for c in cpus:
    if xc:
        print(f'xp-cuda / xp-cpu ({c["threads"]} threads) = {xc["samples_per_sec"] / c["samples_per_sec"]:.1f} (goal >= 20)')
PY
fi
step "done"
