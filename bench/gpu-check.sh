#!/bin/bash
# make gpu-check: build, here, everything the GPU check needs into gpu-check/
# (a cgo-free xp, the CUDA package's test binary, xpbench, OpenBLAS for the
# xp-cpu figures, the shipped experiments and the PyTorch reference), for a
# machine that has an NVIDIA driver, cuBLAS (NVIDIA's pip wheels, as PyTorch
# installs them) and PyTorch, but no Go. There, run:
#
#   bash gpu-check/run.sh          # about 4 minutes; logs under $OUT or /tmp
#   ONLY="1 4" bash gpu-check/run.sh   # some of its steps
#
# The binaries are built with CGO_ENABLED=0: they load libc's dlopen through
# purego, the CUDA driver and cuBLAS at run time, and need nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=gpu-check
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib" "$stage/repo/backends/engine/cuda"
export CGO_ENABLED=0
flags=(-trimpath -ldflags "-s -w")
go build "${flags[@]}" -o "$stage/bin/xp" ./cmd/xp
go build "${flags[@]}" -o "$stage/bin/xpbench" ./bench/cmd/xpbench
go test -c "${flags[@]}" -o "$stage/bin/cuda.test" ./backends/engine/cuda
cp -r experiments "$stage/repo/"
cp bench/gpu-sweep.cue "$stage/repo/experiments/credit_sweep.cue"
mkdir -p "$stage/repo/backends/engine/cuda/kernels"
cp backends/engine/cuda/kernels/kernels.cu backends/engine/cuda/kernels/gen.sh "$stage/repo/backends/engine/cuda/kernels/"
cp bench/reference.py "$stage/"
# PREV=<commit>: also build that commit's xp as bin/xp-prev, so that the
# check can show which bits a change kept (run.sh, step 3).
if [ -n "${PREV:-}" ]; then
	prev=$(mktemp -d)
	git worktree add -q --detach "$prev" "$PREV"
	(cd "$prev" && go build "${flags[@]}" -o "$stage/bin/xp-prev" ./cmd/xp)
	git worktree remove --force "$prev"
fi
# OpenBLAS and its Fortran runtime, so that xp-cpu runs its usual GEMM on
# the GPU machine too (found through LD_LIBRARY_PATH there); without them
# xp-cpu uses its pure-Go GEMM and the check says so.
for lib in libopenblas.so.0 libgfortran.so.5 libquadmath.so.0; do
	path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ && !found {print $NF; found = 1}')
	if [ -n "$path" ]; then cp -L "$path" "$stage/lib/$lib"; else echo "gpu-check: $lib not found here; xp-cpu will use the pure-Go GEMM there" >&2; fi
done
rm -rf "$dest"
mkdir -p "$dest"
tar -C "$stage" -czf "$dest/bundle.tar.gz" .
cp bench/gpu-run.sh "$dest/run.sh"
du -sh "$dest"
echo "gpu-check: copy $dest/ to the GPU machine and run: bash $dest/run.sh"
