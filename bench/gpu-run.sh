#!/bin/bash
# The GPU check (made by `make gpu-check`; see bench/gpu-check.sh). Runs on a
# machine with an NVIDIA driver, cuBLAS and PyTorch, and no Go:
#   1. the CUDA conformance suite (CUDA against the CPU device and gorgonia),
#   2. credit (classification), amount (regression) and churn_embedding
#      (embeddings) trained on cuda and on cpu with the xp binary, and reruns
#      of the cuda runs proving they reproduce bit for bit,
#   3. the large job (1,000,000 x 256 inputs, MLP [1024, 1024], batch 1024)
#      on xp-cuda, PyTorch on the GPU and xp-cpu, with samples/s and ratios.
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
step() { echo; echo "== $* ($(date -u +%T))"; }

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

step "1. conformance suite on the GPU"
(cd "$work/repo/backends/engine/cuda" && timeout 200 cuda.test -test.v -test.count=1 >"$out/conformance.log" 2>&1)
echo "exit $?"
grep -E '^(--- (PASS|FAIL|SKIP): Test|FAIL|PASS|ok)|accuracy after|values differ|no GPU|panic|Error' "$out/conformance.log" | grep -v '^    --- PASS' | head -80

step "2. credit, amount (regression) and churn_embedding on cuda and on cpu"
cd "$work/repo"
if command -v git >/dev/null; then
	git init -q && git add -A && git -c user.name=xp -c user.email=xp@localhost commit -qm "gpu check"
	dirty=()
else
	echo "(no git here: runs with --allow-dirty, no rerun)"
	dirty=(--allow-dirty)
fi
: >"$out/runs.jsonl"
: >"$out/runs.log"
for exp in credit amount churn_embedding; do
	for dev in cuda cpu; do
		timeout 120 xp run "$exp" --backend "$dev" --json "${dirty[@]}" >>"$out/runs.jsonl" 2>>"$out/runs.log"
		echo "$exp $dev exit $?"
	done
done
"$py" - "$out/runs.jsonl" <<'PY'
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
if [ ${#dirty[@]} -eq 0 ] && [ -s "$out/runs.jsonl" ]; then
	for exp in credit churn_embedding; do
		key=$("$py" -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["experiment"] == sys.argv[2] and r["device"] == "cuda": print(r["key"][:12]); break' "$out/runs.jsonl" "$exp")
		[ -n "$key" ] && timeout 120 xp rerun "$key" 2>&1 | tail -2
	done
fi

step "3. large job: xp-cuda, PyTorch on the GPU, xp-cpu"
cd "$work"
"$py" "$work/reference.py" --synthetic 1000000x256 --seed 1 --test 0.2 --prepare "$work/large.xpb"
"$py" "$work/reference.py" --synthetic 100000x256 --seed 1 --test 0.2 --prepare "$work/cpu.xpb"
job=(-hidden 1024,1024 -batch 1024 -lr 1e-3 -seed 1)
: >"$out/bench.jsonl"
timeout 120 xpbench -job large -data "$work/large.xpb" -backend cuda -epochs 3 "${job[@]}" | tee -a "$out/bench.jsonl"
timeout 120 "$py" "$work/reference.py" --job large --data "$work/large.xpb" --device cuda --hidden 1024,1024 --batch 1024 \
	--lr 1e-3 --seed 1 --epochs 3 --threads "$(nproc)" --no-logreg | tee -a "$out/bench.jsonl"
timeout 120 xpbench -job large-cpu -data "$work/cpu.xpb" -backend cpu -threads "$(nproc)" -epochs 1 "${job[@]}" | tee -a "$out/bench.jsonl"
timeout 120 xpbench -job large-cpu -data "$work/cpu.xpb" -backend cpu -threads 1 -epochs 1 "${job[@]}" | tee -a "$out/bench.jsonl"
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
step "done"
