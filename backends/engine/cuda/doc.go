// Package cuda is the engine's CUDA device: the same program of layers as
// the CPU device, with GEMMs through cuBLAS and every other kernel from
// kernels/kernels.cu, compiled ahead of time to PTX and embedded.
//
// Nothing here needs cgo, a build tag or a CUDA toolkit at build time: the
// driver (libcuda.so.1) and cuBLAS are loaded at run time with purego, so
// one static xp binary trains on a GPU where a driver and cuBLAS are
// installed and reports, in one line, why it cannot where they are not.
// cuBLAS is looked for, in order, at XP_CUBLAS, as libcublas.so.13, .12
// and .11 on the loader's path, and in the lib folders of NVIDIA's pip
// wheels (nvidia/cu13/lib, nvidia/cublas/lib) in the site-packages of the
// python3 on PATH, which is where a PyTorch installation keeps it.
//
// The device registers the backend "cuda". A run's backend version names
// the GPU, its compute capability, the driver, cuBLAS and a digest of the
// kernels, so a run key changes with any of them.
package cuda
