#!/bin/bash
# Regenerates kernels.ptx from kernels.cu. Needs clang (Debian: apt-get
# install clang-16); no CUDA toolkit: the source uses no CUDA headers and no
# libdevice. PTX for sm_70 runs on every GPU from Volta on: the driver
# compiles it for the GPU it finds (and caches the result).
#
# The PTX's digest is part of every CUDA run's key, so the committed file is
# what counts: TestPTXUpToDate rebuilds it where clang-16 is installed and
# fails if kernels.cu changed without it.
set -euo pipefail
cd "$(dirname "$0")"
clang=${CLANG:-$(command -v clang-16 || command -v clang)}
version=$("$clang" --version | head -1)
"$clang" -x cuda --cuda-device-only --cuda-gpu-arch=sm_70 -nocudainc -nocudalib \
	-O3 -ffp-contract=off -std=c++17 -S -o kernels.ptx.tmp kernels.cu
# The first line names the compiler: another build of clang makes other
# PTX, and TestPTXUpToDate compares only where the same one is installed.
{ echo "// clang: $version"; cat kernels.ptx.tmp; } >kernels.ptx
rm kernels.ptx.tmp
echo "wrote kernels.ptx ($version)"
