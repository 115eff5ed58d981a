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
"$clang" -x cuda --cuda-device-only --cuda-gpu-arch=sm_70 -nocudainc -nocudalib \
	-O3 -ffp-contract=off -std=c++17 -S -o kernels.ptx kernels.cu
echo "wrote kernels.ptx ($("$clang" --version | head -1))"
