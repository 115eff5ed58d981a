// The CUDA device's kernels. Compiled ahead of time to PTX (kernels.ptx,
// embedded in the xp binary, JIT-compiled by the driver for the GPU it
// runs on); see gen.sh for how to regenerate it.
//
// The source is plain C++ with no CUDA headers and no libdevice, so that
// clang alone can build it: thread indices come from clang's NVVM
// builtins, and the double-precision exp, log, tanh and erf are ports of
// Go's math package (the pure-Go fdlibm versions), so that an activation
// or a loss computes the same float64 value the CPU device computes,
// before the one rounding to float32. It must be compiled with
// -ffp-contract=off: the optimizers round every product as PyTorch does,
// and a fused multiply-add would change their bits.
//
// Every reduction has a fixed shape (a fixed number of blocks, lanes
// summed in a fixed order) and no atomics, so a run's bits never depend
// on scheduling: the same inputs give the same outputs on the same GPU.

#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))

typedef unsigned long long u64;
typedef unsigned int u32;

static __device__ inline int tid() { return __nvvm_read_ptx_sreg_tid_x(); }
static __device__ inline int tidy() { return __nvvm_read_ptx_sreg_tid_y(); }
static __device__ inline int ntid() { return __nvvm_read_ptx_sreg_ntid_x(); }
static __device__ inline int bid() { return __nvvm_read_ptx_sreg_ctaid_x(); }
static __device__ inline int nbid() { return __nvvm_read_ptx_sreg_nctaid_x(); }
static __device__ inline void sync() { __syncthreads(); }
// first and stride of a grid-stride loop over elements. Element counts are
// int32 (the Go side passes batch-sized buffers, far below 2^31), so index
// arithmetic stays 32-bit: a 64-bit division or remainder is emulated in
// dozens of instructions on a GPU.
static __device__ inline int first() { return bid() * ntid() + tid(); }
static __device__ inline int stride() { return ntid() * nbid(); }

static __device__ inline u64 dbits(double x) { return __builtin_bit_cast(u64, x); }
static __device__ inline double dfrom(u64 b) { return __builtin_bit_cast(double, b); }
static __device__ inline u32 fbits(float x) { return __builtin_bit_cast(u32, x); }
static __device__ inline float ffrom(u32 b) { return __builtin_bit_cast(float, b); }
static __device__ inline bool isnan(double x) { return x != x; }
static __device__ inline double dinf(int sign) { return sign >= 0 ? dfrom(0x7ff0000000000000ULL) : dfrom(0xfff0000000000000ULL); }

// ---- Go's math, ported (src/math/{exp,log,tanh,erf,ldexp,frexp}.go) ----
// Not inlined: fused_steps calls them from many ops, and inlined copies
// made it several times larger, and slower for the driver to compile.

static __device__ double go_ldexp(double frac, int exp) {
	if (frac == 0 || isnan(frac) || frac - frac != 0) return frac;
	int e = 0;
	double a = frac < 0 ? -frac : frac;
	if (a < 2.2250738585072014e-308) { frac *= 4503599627370496.0; e = -52; }
	exp += e;
	u64 x = dbits(frac);
	exp += (int)((x >> 52) & 0x7ff) - 1023;
	if (exp < -1075) return frac < 0 ? -0.0 : 0.0;
	if (exp > 1023) return frac < 0 ? dinf(-1) : dinf(1);
	double m = 1;
	if (exp < -1022) { exp += 53; m = 1.0 / 9007199254740992.0; }
	x &= ~(0x7ffULL << 52);
	x |= (u64)(exp + 1023) << 52;
	return m * dfrom(x);
}

static __device__ __attribute__((noinline)) double go_exp(double x) {
	const double Ln2Hi = 6.93147180369123816490e-01, Ln2Lo = 1.90821492927058770002e-10,
	             Log2e = 1.44269504088896338700e+00, Overflow = 7.09782712893383973096e+02,
	             Underflow = -7.45133219101941108420e+02, NearZero = 1.0 / (1 << 28);
	if (isnan(x)) return x;
	if (x > Overflow) return dinf(1);
	if (x < Underflow) return 0;
	if (-NearZero < x && x < NearZero) return 1 + x;
	int k = 0;
	if (x < 0) k = (int)(Log2e * x - 0.5);
	else if (x > 0) k = (int)(Log2e * x + 0.5);
	double hi = x - (double)k * Ln2Hi;
	double lo = (double)k * Ln2Lo;
	const double P1 = 1.66666666666666657415e-01, P2 = -2.77777777770155933842e-03,
	             P3 = 6.61375632143793436117e-05, P4 = -1.65339022054652515390e-06,
	             P5 = 4.13813679705723846039e-08;
	double r = hi - lo;
	double t = r * r;
	double c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
	double y = 1 - ((lo - (r * c) / (2 - c)) - hi);
	return go_ldexp(y, k);
}

static __device__ __attribute__((noinline)) double go_log(double x) {
	const double Ln2Hi = 6.93147180369123816490e-01, Ln2Lo = 1.90821492927058770002e-10,
	             L1 = 6.666666666666735130e-01, L2 = 3.999999999940941908e-01,
	             L3 = 2.857142874366239149e-01, L4 = 2.222219843214978396e-01,
	             L5 = 1.818357216161805012e-01, L6 = 1.531383769920937332e-01,
	             L7 = 1.479819860511658591e-01;
	if (isnan(x) || x == dinf(1)) return x;
	if (x < 0) return dfrom(0x7ff8000000000001ULL);
	if (x == 0) return dinf(-1);
	// frexp
	int ki = 0;
	double f1 = x;
	if (f1 < 2.2250738585072014e-308) { f1 *= 4503599627370496.0; ki = -52; }
	u64 b = dbits(f1);
	ki += (int)((b >> 52) & 0x7ff) - 1023 + 1;
	b &= ~(0x7ffULL << 52);
	b |= (u64)(-1 + 1023) << 52;
	f1 = dfrom(b);
	if (f1 < 1.41421356237309504880168872420969808 / 2) { f1 *= 2; ki--; }
	double f = f1 - 1;
	double k = (double)ki;
	double s = f / (2 + f);
	double s2 = s * s;
	double s4 = s2 * s2;
	double t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7)));
	double t2 = s4 * (L2 + s4 * (L4 + s4 * L6));
	double R = t1 + t2;
	double hfsq = 0.5 * f * f;
	return k * Ln2Hi - ((hfsq - (s * (hfsq + R) + k * Ln2Lo)) - f);
}

static __device__ __attribute__((noinline)) double go_log1p(double x) {
	const double Sqrt2M1 = 4.142135623730950488017e-01, Sqrt2HalfM1 = -2.928932188134524755992e-01,
	             Small = 1.0 / (1 << 29), Tiny = 1.0 / (double)(1ULL << 54), Two53 = (double)(1ULL << 53),
	             Ln2Hi = 6.93147180369123816490e-01, Ln2Lo = 1.90821492927058770002e-10,
	             Lp1 = 6.666666666666735130e-01, Lp2 = 3.999999999940941908e-01, Lp3 = 2.857142874366239149e-01,
	             Lp4 = 2.222219843214978396e-01, Lp5 = 1.818357216161805012e-01, Lp6 = 1.531383769920937332e-01,
	             Lp7 = 1.479819860511658591e-01;
	if (x < -1 || isnan(x)) return dfrom(0x7ff8000000000001ULL);
	if (x == -1) return dinf(-1);
	if (x == dinf(1)) return dinf(1);
	double absx = x < 0 ? -x : x;
	double f = 0;
	u64 iu = 0;
	int k = 1;
	if (absx < Sqrt2M1) {
		if (absx < Small) {
			if (absx < Tiny) return x;
			return x - x * x * 0.5;
		}
		if (x > Sqrt2HalfM1) { k = 0; f = x; iu = 1; }
	}
	double c = 0;
	if (k != 0) {
		double u;
		if (absx < Two53) {
			u = 1.0 + x;
			iu = dbits(u);
			k = (int)((iu >> 52) - 1023);
			if (k > 0) c = 1.0 - (u - x);
			else c = x - (u - 1.0);
			c /= u;
		} else {
			u = x;
			iu = dbits(u);
			k = (int)((iu >> 52) - 1023);
			c = 0;
		}
		iu &= 0x000fffffffffffffULL;
		if (iu < 0x0006a09e667f3bcdULL) {
			u = dfrom(iu | 0x3ff0000000000000ULL);
		} else {
			k++;
			u = dfrom(iu | 0x3fe0000000000000ULL);
			iu = (0x0010000000000000ULL - iu) >> 2;
		}
		f = u - 1.0;
	}
	double hfsq = 0.5 * f * f;
	double s, R, z;
	if (iu == 0) {
		if (f == 0) {
			if (k == 0) return 0;
			c += (double)k * Ln2Lo;
			return (double)k * Ln2Hi + c;
		}
		R = hfsq * (1.0 - 0.66666666666666666 * f);
		if (k == 0) return f - R;
		return (double)k * Ln2Hi - ((R - ((double)k * Ln2Lo + c)) - f);
	}
	s = f / (2.0 + f);
	z = s * s;
	R = z * (Lp1 + z * (Lp2 + z * (Lp3 + z * (Lp4 + z * (Lp5 + z * (Lp6 + z * Lp7))))));
	if (k == 0) return f - (hfsq - s * (hfsq + R));
	return (double)k * Ln2Hi - ((hfsq - (s * (hfsq + R) + ((double)k * Ln2Lo + c))) - f);
}

static __device__ __attribute__((noinline)) double go_tanh(double x) {
	const double MAXLOG = 8.8029691931113054295988e+01;
	double z = x < 0 ? -x : x;
	if (z > 0.5 * MAXLOG) return x < 0 ? -1 : 1;
	if (z >= 0.625) {
		double s = go_exp(2 * z);
		z = 1 - 2 / (s + 1);
		return x < 0 ? -z : z;
	}
	if (x == 0) return x;
	double s = x * x;
	return x + x * s * ((-9.64399179425052238628e-1 * s + -9.92877231001918586564e1) * s + -1.61468768441708447952e3) /
	               (((s + 1.12811678491632931402e2) * s + 2.23548839060100448583e3) * s + 4.84406305325125486048e3);
}

static __device__ __attribute__((noinline)) double go_erf(double x) {
	const double erx = 8.45062911510467529297e-01, efx = 1.28379167095512586316e-01,
	             efx8 = 1.02703333676410069053e+00, pp0 = 1.28379167095512558561e-01,
	             pp1 = -3.25042107247001499370e-01, pp2 = -2.84817495755985104766e-02,
	             pp3 = -5.77027029648944159157e-03, pp4 = -2.37630166566501626084e-05,
	             qq1 = 3.97917223959155352819e-01, qq2 = 6.50222499887672944485e-02,
	             qq3 = 5.08130628187576562776e-03, qq4 = 1.32494738004321644526e-04,
	             qq5 = -3.96022827877536812320e-06, pa0 = -2.36211856075265944077e-03,
	             pa1 = 4.14856118683748331666e-01, pa2 = -3.72207876035701323847e-01,
	             pa3 = 3.18346619901161753674e-01, pa4 = -1.10894694282396677476e-01,
	             pa5 = 3.54783043256182359371e-02, pa6 = -2.16637559486879084300e-03,
	             qa1 = 1.06420880400844228286e-01, qa2 = 5.40397917702171048937e-01,
	             qa3 = 7.18286544141962662868e-02, qa4 = 1.26171219808761642112e-01,
	             qa5 = 1.36370839120290507362e-02, qa6 = 1.19844998467991074170e-02,
	             ra0 = -9.86494403484714822705e-03, ra1 = -6.93858572707181764372e-01,
	             ra2 = -1.05586262253232909814e+01, ra3 = -6.23753324503260060396e+01,
	             ra4 = -1.62396669462573470355e+02, ra5 = -1.84605092906711035994e+02,
	             ra6 = -8.12874355063065934246e+01, ra7 = -9.81432934416914548592e+00,
	             sa1 = 1.96512716674392571292e+01, sa2 = 1.37657754143519042600e+02,
	             sa3 = 4.34565877475229228821e+02, sa4 = 6.45387271733267880336e+02,
	             sa5 = 4.29008140027567833386e+02, sa6 = 1.08635005541779435134e+02,
	             sa7 = 6.57024977031928170135e+00, sa8 = -6.04244152148580987438e-02,
	             rb0 = -9.86494292470009928597e-03, rb1 = -7.99283237680523006574e-01,
	             rb2 = -1.77579549177547519889e+01, rb3 = -1.60636384855821916062e+02,
	             rb4 = -6.37566443368389627722e+02, rb5 = -1.02509513161107724954e+03,
	             rb6 = -4.83519191608651397019e+02, sb1 = 3.03380607434824582924e+01,
	             sb2 = 3.25792512996573918826e+02, sb3 = 1.53672958608443695994e+03,
	             sb4 = 3.19985821950859553908e+03, sb5 = 2.55305040643316442583e+03,
	             sb6 = 4.74528541206955367215e+02, sb7 = -2.24409524465858183362e+01;
	const double VeryTiny = 2.848094538889218e-306, Small = 1.0 / (1 << 28);
	if (isnan(x)) return x;
	if (x == dinf(1)) return 1;
	if (x == dinf(-1)) return -1;
	bool sign = false;
	if (x < 0) { x = -x; sign = true; }
	if (x < 0.84375) {
		double temp;
		if (x < Small) {
			if (x < VeryTiny) temp = 0.125 * (8.0 * x + efx8 * x);
			else temp = x + efx * x;
		} else {
			double z = x * x;
			double r = pp0 + z * (pp1 + z * (pp2 + z * (pp3 + z * pp4)));
			double s = 1 + z * (qq1 + z * (qq2 + z * (qq3 + z * (qq4 + z * qq5))));
			double y = r / s;
			temp = x + x * y;
		}
		return sign ? -temp : temp;
	}
	if (x < 1.25) {
		double s = x - 1;
		double P = pa0 + s * (pa1 + s * (pa2 + s * (pa3 + s * (pa4 + s * (pa5 + s * pa6)))));
		double Q = 1 + s * (qa1 + s * (qa2 + s * (qa3 + s * (qa4 + s * (qa5 + s * qa6)))));
		return sign ? -erx - P / Q : erx + P / Q;
	}
	if (x >= 6) return sign ? -1 : 1;
	double s = 1 / (x * x);
	double R, S;
	if (x < 1 / 0.35) {
		R = ra0 + s * (ra1 + s * (ra2 + s * (ra3 + s * (ra4 + s * (ra5 + s * (ra6 + s * ra7))))));
		S = 1 + s * (sa1 + s * (sa2 + s * (sa3 + s * (sa4 + s * (sa5 + s * (sa6 + s * (sa7 + s * sa8)))))));
	} else {
		R = rb0 + s * (rb1 + s * (rb2 + s * (rb3 + s * (rb4 + s * (rb5 + s * rb6)))));
		S = 1 + s * (sb1 + s * (sb2 + s * (sb3 + s * (sb4 + s * (sb5 + s * (sb6 + s * sb7))))));
	}
	double z = dfrom(dbits(x) & 0xffffffff00000000ULL);
	double r = go_exp(-z * z - 0.5625) * go_exp((z - x) * (z + x) + R / S);
	return sign ? r / x - 1 : 1 - r / x;
}

// Every kernel's work is a body, a device function over the lanes
// [lane, lane+lanes, ...) of its elements, rows or columns: the kernel
// launched on its own runs it over the grid (first(), stride()); the fused
// kernel at the end of this file runs it over one block (tid(), ntid()).
// The arithmetic of an element never depends on which lane computes it, so
// both give the same bits. Bodies that reduce keep their fixed shape in
// both (see col_sums, block_sum and sumsq).

// ---- activations (model.Activation, in the order of the Go constants' codes) ----

enum { ACT_NONE = 0, ACT_RELU = 1, ACT_TANH = 2, ACT_SIGMOID = 3, ACT_LEAKY = 4, ACT_GELU = 5 };
#define LEAKY_SLOPE 0.01f
#define SQRT2 1.41421356237309504880168872420969808
#define SQRT2PI 2.5066282746310002

// Go's max(v, 0) and min(v, 0): NaN propagates, max(-0, 0) is +0.
static __device__ inline float max0(float v) { return (v > 0.0f || v != v) ? v : 0.0f; }
static __device__ inline float min0(float v) { return (v < 0.0f || v != v) ? v : (v == 0.0f ? v : 0.0f); }

static __device__ float activate(float v, int act) {
	switch (act) {
	case ACT_RELU: return max0(v);
	case ACT_TANH: return (float)go_tanh((double)v);
	case ACT_SIGMOID: return (float)(1 / (1 + go_exp(-(double)v)));
	case ACT_LEAKY: return max0(v) + LEAKY_SLOPE * min0(v);
	case ACT_GELU: { double x = v; return (float)(0.5 * x * (1 + go_erf(x / SQRT2))); }
	default: return v;
	}
}

static __device__ float gelu_grad(float xf) {
	double v = xf;
	return (float)(0.5 * (1 + go_erf(v / SQRT2)) + v * go_exp(-0.5 * v * v) / SQRT2PI);
}

static __device__ inline void k_bias_act(float* y, const float* bias, int rows, int cols, int act, int lane, int lanes) {
	int n = rows * cols;
	for (int i = lane; i < n; i += lanes) y[i] = activate(y[i] + bias[i % cols], act);
}
extern "C" __global__ void bias_act(float* y, const float* bias, int rows, int cols, int act) {
	k_bias_act(y, bias, rows, cols, act, first(), stride());
}

static __device__ inline void k_act(float* y, const float* pre, int n, int act, int lane, int lanes) {
	for (int i = lane; i < n; i += lanes) y[i] = activate(pre[i], act);
}
extern "C" __global__ void act(float* y, const float* pre, int n, int act) { k_act(y, pre, n, act, first(), stride()); }

// act_backward turns dy into dy ⊙ act'(y) in place (for GELU, y is the
// pre-activation).
static __device__ inline void k_act_backward(float* dy, const float* y, int n, int act, int lane, int lanes) {
	for (int i = lane; i < n; i += lanes) {
		float o = y[i], g = dy[i];
		switch (act) {
		case ACT_RELU: {
			// As the CPU device: an output's bits, as an int32, are
			// positive exactly where the unit passed.
			// Negated in unsigned arithmetic, which wraps as Go's int32 does.
			int nb = (int)(0u - fbits(o));
			g = ffrom(fbits(g) & (u32)(nb >> 31));
			break;
		}
		case ACT_TANH: { float d = o * o; g = g * (1 - d); break; }
		case ACT_SIGMOID: { float d = 1 - o; g = g * (o * d); break; }
		case ACT_LEAKY: if (o <= 0) g = g * LEAKY_SLOPE; break;
		case ACT_GELU: g = g * gelu_grad(o); break;
		}
		dy[i] = g;
	}
}
extern "C" __global__ void act_backward(float* dy, const float* y, int n, int act) {
	k_act_backward(dy, y, n, act, first(), stride());
}

// col_sums writes the column sums of m (rows×cols) into sums. A block of
// 32 columns × 32 lanes: lane l sums rows l, l+32, ... in order, then
// lane 0 adds the 32 partial sums in order.
extern "C" __global__ void col_sums(float* sums, const float* m, int rows, int cols) {
	__shared__ float part[32][33];
	int c = bid() * 32 + tid(), l = tidy();
	float s = 0;
	if (c < cols)
		for (int r = l; r < rows; r += 32) s += m[(long long)r * cols + c];
	part[l][tid()] = s;
	sync();
	if (l == 0 && c < cols) {
		float t = 0;
		for (int k = 0; k < 32; k++) t += part[k][tid()];
		sums[c] = t;
	}
}

// k_col_sums is col_sums on one block: the block's threads take the
// columns ntid()/32 at a time, 32 lanes a column, each lane summing rows
// l, l+32, ... and lane 0 adding the 32 partial sums in order: col_sums'
// additions in col_sums' order, so its bits. part is 32×33 floats.
static __device__ inline void k_col_sums(float* sums, const float* m, int rows, int cols, float* part) {
	int per = ntid() / 32, c0 = tid() % per, l = tid() / per;
	for (int base = 0; base < cols; base += per) {
		int c = base + c0;
		float s = 0;
		if (c < cols)
			for (int r = l; r < rows; r += 32) s += m[(long long)r * cols + c];
		part[l * 33 + c0] = s;
		sync();
		if (l == 0 && c < cols) {
			float t = 0;
			for (int k = 0; k < 32; k++) t += part[k * 33 + c0];
			sums[c] = t;
		}
		sync();
	}
}

// ---- batch normalisation: one thread per column sums its rows in order,
// in float64, exactly as the CPU device does, so the statistics match its
// bits; the elementwise parts run over every element. ----

static __device__ inline void k_bn_stats(const float* x, int rows, int cols, double* mean, float* invstd, float* rm,
                                         float* rv, double eps, float momentum, int lane, int lanes) {
	for (int j = lane; j < cols; j += lanes) {
		double s = 0;
		for (int r = 0; r < rows; r++) s += (double)x[(long long)r * cols + j];
		double n = rows, mu = s / n, v = 0;
		for (int r = 0; r < rows; r++) { double c = (double)x[(long long)r * cols + j] - mu; v += c * c; }
		v /= n;
		mean[j] = mu;
		invstd[j] = (float)(1 / __builtin_sqrt(v + eps));
		double unbiased = rows > 1 ? v * n / (n - 1) : 0.0;
		float m = momentum, keep = 1 - m;
		rm[j] = keep * rm[j] + m * (float)mu;
		rv[j] = keep * rv[j] + m * (float)unbiased;
	}
}
extern "C" __global__ void bn_stats(const float* x, int rows, int cols, double* mean, float* invstd,
                                    float* rm, float* rv, double eps, float momentum) {
	k_bn_stats(x, rows, cols, mean, invstd, rm, rv, eps, momentum, first(), stride());
}

static __device__ inline void k_bn_apply(const float* x, float* out, float* xhat, const double* mean, const float* invstd,
                                         const float* gamma, const float* beta, int rows, int cols, int lane, int lanes) {
	int n = rows * cols;
	for (int i = lane; i < n; i += lanes) {
		int j = i % cols;
		float h = (float)(((double)x[i] - mean[j]) * (double)invstd[j]);
		xhat[i] = h;
		out[i] = h * gamma[j] + beta[j];
	}
}
extern "C" __global__ void bn_apply(const float* x, float* out, float* xhat, const double* mean, const float* invstd,
                                    const float* gamma, const float* beta, int rows, int cols) {
	k_bn_apply(x, out, xhat, mean, invstd, gamma, beta, rows, cols, first(), stride());
}

static __device__ inline void k_bn_backward_sums(const float* dy, const float* xhat, int rows, int cols, double* sums,
                                                 float* dgamma, float* dbeta, int lane, int lanes) {
	for (int j = lane; j < cols; j += lanes) {
		double sdy = 0, sdyx = 0;
		for (int r = 0; r < rows; r++) {
			long long i = (long long)r * cols + j;
			sdy += (double)dy[i];
			sdyx += (double)dy[i] * (double)xhat[i];
		}
		sums[j] = sdy;
		sums[cols + j] = sdyx;
		dgamma[j] = (float)sdyx;
		dbeta[j] = (float)sdy;
	}
}
extern "C" __global__ void bn_backward_sums(const float* dy, const float* xhat, int rows, int cols, double* sums,
                                            float* dgamma, float* dbeta) {
	k_bn_backward_sums(dy, xhat, rows, cols, sums, dgamma, dbeta, first(), stride());
}

static __device__ inline void k_bn_backward_dx(const float* dy, const float* xhat, const float* invstd, const float* gamma,
                                               const double* sums, float* dx, int rows, int cols, int lane, int lanes) {
	int total = rows * cols;
	double n = rows;
	for (int i = lane; i < total; i += lanes) {
		int j = i % cols;
		double k = (double)gamma[j] * (double)invstd[j] / n;
		dx[i] = (float)(k * (n * (double)dy[i] - sums[j] - (double)xhat[i] * sums[cols + j]));
	}
}
extern "C" __global__ void bn_backward_dx(const float* dy, const float* xhat, const float* invstd, const float* gamma,
                                          const double* sums, float* dx, int rows, int cols) {
	k_bn_backward_dx(dy, xhat, invstd, gamma, sums, dx, rows, cols, first(), stride());
}

extern "C" __global__ void bn_infer(const float* x, float* out, const float* gamma, const float* beta, const float* rm,
                                    const float* rv, int rows, int cols, double eps) {
	int n = rows * cols;
	for (int i = first(); i < n; i += stride()) {
		int j = i % cols;
		float h = (float)(((double)x[i] - (double)rm[j]) / __builtin_sqrt((double)rv[j] + eps));
		out[i] = h * gamma[j] + beta[j];
	}
}

// ---- dropout: model.Uniform's counter-based draw ----

static __device__ inline u64 mix(u64 x) {
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static __device__ inline void k_dropout_mask(float* mask, int n, u64 seed, u64 step, u64 layer, float rate, float scale,
                                             int lane, int lanes) {
	u64 base = seed ^ mix((step << 20) ^ layer);
	for (int i = lane; i < n; i += lanes) {
		u64 h = mix(base ^ mix((u64)i + 0x5851f42d4c957f2dULL));
		float u = (float)(h >> 40) / 16777216.0f;
		mask[i] = u >= rate ? scale : 0.0f;
	}
}
extern "C" __global__ void dropout_mask(float* mask, int n, u64 seed, u64 step, u64 layer, float rate, float scale) {
	k_dropout_mask(mask, n, seed, step, layer, rate, scale, first(), stride());
}

static __device__ inline void k_mul(float* dst, const float* x, const float* y, int n, int lane, int lanes) {
	for (int i = lane; i < n; i += lanes) dst[i] = x[i] * y[i];
}
extern "C" __global__ void mul(float* dst, const float* x, const float* y, int n) { k_mul(dst, x, y, n, first(), stride()); }

static __device__ inline void k_scale(float* x, int n, float f, int lane, int lanes) {
	for (int i = lane; i < n; i += lanes) x[i] = x[i] * f;
}
extern "C" __global__ void scale(float* x, int n, float f) { k_scale(x, n, f, first(), stride()); }

// ---- softmax and cross-entropy: one thread per row, exponentials in
// float64 as the CPU device. Row losses go to float64 scratch that
// reduce_loss sums in a fixed order. ----

static __device__ inline float row_max(const float* z, int cols) {
	float top = z[0];
	for (int j = 1; j < cols; j++)
		if (z[j] > top) top = z[j];
	return top;
}

static __device__ inline void k_softmax_xent(const float* logits, const int* labels, int rows, int cols, float* dlogits,
                                             double* rowloss, int lane, int lanes) {
	float inv = 1 / (float)rows;
	for (int r = lane; r < rows; r += lanes) {
		const float* z = logits + r * cols;
		float* d = dlogits + r * cols;
		float top = row_max(z, cols);
		double sum = 0;
		for (int j = 0; j < cols; j++) sum += go_exp((double)(z[j] - top));
		int y = labels[r];
		rowloss[r] = go_log(sum) + ((double)top - (double)z[y]);
		for (int j = 0; j < cols; j++) d[j] = (float)(go_exp((double)(z[j] - top)) / sum) * inv;
		d[y] = d[y] - inv;
	}
}
extern "C" __global__ void softmax_xent(const float* logits, const int* labels, int rows, int cols, float* dlogits,
                                        double* rowloss) {
	k_softmax_xent(logits, labels, rows, cols, dlogits, rowloss, first(), stride());
}

extern "C" __global__ void softmax(float* probs, const float* logits, int rows, int cols) {
	for (int r = first(); r < rows; r += stride()) {
		const float* z = logits + r * cols;
		float* p = probs + r * cols;
		float top = row_max(z, cols);
		double sum = 0;
		for (int j = 0; j < cols; j++) sum += go_exp((double)(z[j] - top));
		for (int j = 0; j < cols; j++) p[j] = (float)(go_exp((double)(z[j] - top)) / sum);
	}
}

// block_sum adds v over the first 256 threads of a block in a fixed tree;
// every thread of the block calls it (threads from 256 on, in the fused
// kernel, add nothing) and gets the total. It waits before returning, so
// the caller may reuse sh.
static __device__ double block_sum(double v, double* sh) {
	int t = tid();
	if (t < 256) sh[t] = v;
	sync();
	for (int s = 128; s > 0; s >>= 1) {
		if (t < s) sh[t] = sh[t] + sh[t + s];
		sync();
	}
	double total = sh[0];
	sync();
	return total;
}

// k_wxent_prep: the first 256 threads of one block write S = Σ_i w[y_i]
// to out[0].
static __device__ inline void k_wxent_prep(const int* labels, const float* w, int rows, double* out, double* sh) {
	double s = 0;
	if (tid() < 256)
		for (int r = tid(); r < rows; r += 256) s += (double)w[labels[r]];
	double total = block_sum(s, sh);
	if (tid() == 0) out[0] = total;
}
extern "C" __global__ void wxent_prep(const int* labels, const float* w, int rows, double* out) {
	__shared__ double sh[256];
	k_wxent_prep(labels, w, rows, out, sh);
}

// wxent: see the CPU device's WeightedSoftmaxCrossEntropy; S at sumY[0].
static __device__ inline void k_wxent(const float* logits, const int* labels, int rows, int cols, const float* w,
                                      double smoothing, const double* sumY, float* dlogits, double* rowloss, int lane,
                                      int lanes) {
	double S = sumY[0], W = 0;
	for (int c = 0; c < cols; c++) W += (double)w[c];
	double keep = 1 - smoothing, spread = smoothing / (double)cols;
	for (int r = lane; r < rows; r += lanes) {
		const float* z = logits + r * cols;
		float* d = dlogits + r * cols;
		if (S == 0) {
			for (int j = 0; j < cols; j++) d[j] = 0;
			rowloss[r] = 0;
			continue;
		}
		float top = row_max(z, cols);
		double sum = 0;
		for (int j = 0; j < cols; j++) sum += go_exp((double)(z[j] - top));
		double logSum = go_log(sum) + (double)top;
		int y = labels[r];
		double wy = w[y];
		double loss = keep * wy * (logSum - (double)z[y]);
		if (spread != 0) {
			double smooth = 0;
			for (int c = 0; c < cols; c++) smooth += (double)w[c] * (logSum - (double)z[c]);
			loss += spread * smooth;
		}
		rowloss[r] = loss;
		for (int c = 0; c < cols; c++) {
			double p = go_exp((double)(z[c] - top)) / sum;
			double g = keep * wy * p + spread * (W * p - (double)w[c]);
			if (c == y) g -= keep * wy;
			d[c] = (float)(g / S);
		}
	}
}
extern "C" __global__ void wxent(const float* logits, const int* labels, int rows, int cols, const float* w,
                                 double smoothing, const double* sumY, float* dlogits, double* rowloss) {
	k_wxent(logits, labels, rows, cols, w, smoothing, sumY, dlogits, rowloss, first(), stride());
}

// reduce_loss: the first 256 threads of one block sum parts[0..n) in a
// fixed order and store it as float32 in loss[slot]: divided by div[0] and
// times mul when div is not null (0 when div[0] is), else times mul.
static __device__ inline void k_reduce_loss(const double* parts, int n, const double* div, double mul, float* loss,
                                            int slot, double* sh) {
	double s = 0;
	if (tid() < 256)
		for (int i = tid(); i < n; i += 256) s += parts[i];
	double total = block_sum(s, sh);
	if (tid() == 0) {
		if (div != 0) total = div[0] == 0 ? 0 : total / div[0] * mul;
		else total = total * mul;
		loss[slot] = (float)total;
	}
}
extern "C" __global__ void reduce_loss(const double* parts, int n, const double* div, double mul, float* loss, int slot) {
	__shared__ double sh[256];
	k_reduce_loss(parts, n, div, mul, loss, slot, sh);
}

// bce: BCE with logits on one logit per row, weight w[y] per row; S =
// Σ w[y] at sumW[0] (wxent_prep). See device.Device.BinaryCrossEntropy.
static __device__ inline void k_bce(const float* logits, const int* labels, int rows, const float* w, const double* sumW,
                                    float* dlogits, double* rowloss, int lane, int lanes) {
	double S = sumW[0];
	for (int i = lane; i < rows; i += lanes) {
		if (S == 0) {
			dlogits[i] = 0;
			rowloss[i] = 0;
			continue;
		}
		int y = labels[i];
		double v = logits[i], t = y, wi = w[y];
		double a = v < 0 ? -v : v;
		rowloss[i] = wi * ((v > 0 ? v : 0.0) - v * t + go_log1p(go_exp(-a)));
		dlogits[i] = (float)(wi * (1 / (1 + go_exp(-v)) - t) / S);
	}
}
extern "C" __global__ void bce(const float* logits, const int* labels, int rows, const float* w, const double* sumW,
                               float* dlogits, double* rowloss) {
	k_bce(logits, labels, rows, w, sumW, dlogits, rowloss, first(), stride());
}

enum { LOSS_MSE = 0, LOSS_MAE = 1, LOSS_HUBER = 2 };

// regression_loss: per element, d = pred - target in float64; the loss
// term into parts, the gradient of the mean over n elements into dpred.
// See device.Device.RegressionLoss.
static __device__ inline void k_regression_loss(const float* pred, const float* target, int n, int kind, double delta,
                                                float* dpred, double* parts, int lane, int lanes) {
	double inv = 1 / (double)n;
	for (int i = lane; i < n; i += lanes) {
		double d = (double)pred[i] - (double)target[i];
		double a = d < 0 ? -d : d;
		double l, g;
		switch (kind) {
		case LOSS_MAE:
			l = a;
			g = d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0);
			break;
		case LOSS_HUBER:
			l = a <= delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
			g = d < -delta ? -delta : (d > delta ? delta : d);
			break;
		default:
			l = d * d;
			g = 2 * d;
		}
		parts[i] = l;
		dpred[i] = (float)(g * inv);
	}
}
extern "C" __global__ void regression_loss(const float* pred, const float* target, int n, int kind, double delta,
                                           float* dpred, double* parts) {
	k_regression_loss(pred, target, n, kind, delta, dpred, parts, first(), stride());
}

// ---- optimizers: PyTorch's float32 operations in PyTorch's order, each
// product rounded (no FMA), as the CPU device. ----

static __device__ inline void k_sgd(float* p, float* g, float* v, int n, float lr, float momentum, float wd, int nesterov,
                                    int lane, int lanes) {
	float neg = -lr;
	for (int i = lane; i < n; i += lanes) {
		float pi = p[i], gi = g[i];
		if (wd != 0) gi = gi + wd * pi;
		if (momentum != 0) {
			float vi = v[i] * momentum + gi;
			v[i] = vi;
			if (nesterov) gi = gi + momentum * vi;
			else gi = vi;
		}
		p[i] = pi + neg * gi;
	}
}
extern "C" __global__ void sgd(float* p, float* g, float* v, int n, float lr, float momentum, float wd, int nesterov) {
	k_sgd(p, g, v, n, lr, momentum, wd, nesterov, first(), stride());
}

static __device__ inline void k_adam(float* p, const float* g, float* m, float* v, int n, float wd, float beta1, float omb1,
                                     float beta2, float omb2, float bc2sqrt, float eps, float negStep, int lane, int lanes) {
	for (int i = lane; i < n; i += lanes) {
		float pi = p[i];
		float gi = g[i] + wd * pi;
		float mi = m[i] * beta1 + omb1 * gi;
		float vi = v[i] * beta2 + (omb2 * gi) * gi;
		m[i] = mi;
		v[i] = vi;
		float denom = (float)__builtin_sqrt((double)vi) / bc2sqrt + eps;
		p[i] = pi + (negStep * mi) / denom;
	}
}
extern "C" __global__ void adam(float* p, const float* g, float* m, float* v, int n, float wd, float beta1,
                                float omb1, float beta2, float omb2, float bc2sqrt, float eps, float negStep) {
	k_adam(p, g, m, v, n, wd, beta1, omb1, beta2, omb2, bc2sqrt, eps, negStep, first(), stride());
}

static __device__ inline void k_rmsprop(float* p, const float* g, float* sq, float* mb, int n, float lr, float alpha,
                                        float oma, float eps, float momentum, float wd, int lane, int lanes) {
	for (int i = lane; i < n; i += lanes) {
		float pi = p[i];
		float gi = g[i] + wd * pi;
		float si = sq[i] * alpha + (oma * gi) * gi;
		sq[i] = si;
		float avg = (float)__builtin_sqrt((double)si) + eps;
		if (momentum > 0) {
			float bi = mb[i] * momentum + gi / avg;
			mb[i] = bi;
			p[i] = pi - lr * bi;
		} else {
			p[i] = pi - lr * (gi / avg);
		}
	}
}
extern "C" __global__ void rmsprop(float* p, const float* g, float* sq, float* mb, int n, float lr, float alpha,
                                   float oma, float eps, float momentum, float wd) {
	k_rmsprop(p, g, sq, mb, n, lr, alpha, oma, eps, momentum, wd, first(), stride());
}

// sumsq: a fixed grid of 256 blocks of 256 threads writes each block's
// Σ g² (float64) to parts[block]; clip_apply then has every block add the
// 256 parts in the same order, and scales by maxNorm/(‖g‖+1e-6) when that
// is below 1.
#define SUMSQ_BLOCKS 256
extern "C" __global__ void sumsq(const float* g, int n, double* parts) {
	__shared__ double sh[256];
	double s = 0;
	for (int i = first(); i < n; i += stride()) s += (double)g[i] * (double)g[i];
	double total = block_sum(s, sh);
	if (tid() == 0) parts[bid()] = total;
}

// k_sumsq is sumsq on one block: its threads, in groups of 256, play
// sumsq's blocks in turn, each group summing its block's elements and
// reducing them in block_sum's tree, so every part has sumsq's bits. A
// block past the elements sums nothing: its part is 0, as in sumsq. sh
// holds ntid() doubles.
static __device__ inline void k_sumsq(const float* g, int n, double* parts, double* sh) {
	int groups = ntid() / 256, grp = tid() / 256, t = tid() % 256;
	int used = (n + 255) / 256;
	if (used > SUMSQ_BLOCKS) used = SUMSQ_BLOCKS;
	double* gsh = sh + grp * 256;
	for (int base = 0; base < used; base += groups) {
		int b = base + grp;
		double s = 0;
		if (grp < groups && b < used)
			for (int i = b * 256 + t; i < n; i += SUMSQ_BLOCKS * 256) s += (double)g[i] * (double)g[i];
		if (grp < groups) gsh[t] = s;
		sync();
		for (int st = 128; st > 0; st >>= 1) {
			if (grp < groups && t < st) gsh[t] = gsh[t] + gsh[t + st];
			sync();
		}
		if (grp < groups && t == 0 && b < used) parts[b] = gsh[0];
		sync();
	}
	for (int b = used + tid(); b < SUMSQ_BLOCKS; b += ntid()) parts[b] = 0;
}

static __device__ inline void k_clip_apply(float* g, int n, const double* parts, int nparts, double maxNorm, int lane,
                                           int lanes, float* coef, int* skip) {
	if (tid() == 0) {
		double s = 0;
		for (int k = 0; k < nparts; k++) s += parts[k];
		double c = maxNorm / (__builtin_sqrt(s) + 1e-6);
		*skip = c >= 1;
		*coef = (float)c;
	}
	sync();
	if (!*skip)
		for (int i = lane; i < n; i += lanes) g[i] = g[i] * *coef;
}
extern "C" __global__ void clip_apply(float* g, int n, const double* parts, int nparts, double maxNorm) {
	__shared__ float coef;
	__shared__ int skip;
	k_clip_apply(g, n, parts, nparts, maxNorm, first(), stride(), &coef, &skip);
}

// ---- batch assembly from a training set resident on the device ----

static __device__ inline void k_gather(float* dst, int* labels, const float* x, const int* y, int width, const int* rows,
                                       int n, int lane, int lanes) {
	int total = n * width;
	for (int i = lane; i < total; i += lanes) {
		int r = i / width;
		dst[i] = x[(long long)rows[r] * width + (i - r * width)];
	}
	if (y != 0)
		for (int r = lane; r < n; r += lanes) labels[r] = y[rows[r]];
}
extern "C" __global__ void gather(float* dst, int* labels, const float* x, const int* y, int width, const int* rows, int n) {
	k_gather(dst, labels, x, y, width, rows, n, first(), stride());
}

// ---- embeddings: the batch's model input from its raw input, and the
// tables' gradients. See device.Device's CopyColumns, EmbeddingGather and
// EmbeddingScatterAdd. ----

static __device__ inline void k_copy_columns(float* dst, const float* src, int rows, int srcWidth, int dstWidth, int n,
                                             int lane, int lanes) {
	int total = rows * n;
	for (int i = lane; i < total; i += lanes) {
		int r = i / n, c = i - r * n;
		dst[r * dstWidth + c] = src[r * srcWidth + c];
	}
}
extern "C" __global__ void copy_columns(float* dst, const float* src, int rows, int srcWidth, int dstWidth, int n) {
	k_copy_columns(dst, src, rows, srcWidth, dstWidth, n, first(), stride());
}

// embedding_index reads row r's index, clamped into [0, vocab) as the CPU
// device clamps it (data never holds one outside).
static __device__ inline int embedding_index(const float* src, int r, int srcWidth, int col, int vocab) {
	int v = (int)src[r * srcWidth + col];
	return v < 0 ? 0 : (v >= vocab ? vocab - 1 : v);
}

static __device__ inline void k_embedding_gather(float* dst, const float* src, const float* table, int rows, int srcWidth,
                                                 int col, int vocab, int dim, int dstWidth, int dstOff, int lane,
                                                 int lanes) {
	int total = rows * dim;
	for (int i = lane; i < total; i += lanes) {
		int r = i / dim, j = i - r * dim;
		dst[r * dstWidth + dstOff + j] = table[embedding_index(src, r, srcWidth, col, vocab) * dim + j];
	}
}
extern "C" __global__ void embedding_gather(float* dst, const float* src, const float* table, int rows, int srcWidth,
                                            int col, int vocab, int dim, int dstWidth, int dstOff) {
	k_embedding_gather(dst, src, table, rows, srcWidth, col, vocab, dim, dstWidth, dstOff, first(), stride());
}

// embedding_scatter_add: one thread per table entry (v, j) adds, in row
// order, the gradients of the rows whose index is v: the CPU device's
// order, with no atomics, so its bits.
static __device__ inline void k_embedding_scatter_add(float* dtable, const float* dout, const float* src, int rows,
                                                      int srcWidth, int col, int vocab, int dim, int dstWidth,
                                                      int dstOff, int lane, int lanes) {
	int total = vocab * dim;
	for (int i = lane; i < total; i += lanes) {
		int v = i / dim, j = i - v * dim;
		float s = 0;
		for (int r = 0; r < rows; r++)
			if (embedding_index(src, r, srcWidth, col, vocab) == v) s += dout[r * dstWidth + dstOff + j];
		dtable[i] = s;
	}
}
extern "C" __global__ void embedding_scatter_add(float* dtable, const float* dout, const float* src, int rows, int srcWidth,
                                                 int col, int vocab, int dim, int dstWidth, int dstOff) {
	k_embedding_scatter_add(dtable, dout, src, rows, srcWidth, col, vocab, dim, dstWidth, dstOff, first(), stride());
}

// ---- fused training steps ----
//
// fused_steps runs `count` training steps of a small model in one launch
// of one block: the kernels of one step, recorded by the device as a list
// of ops (each the kernel's arguments as the launch would pass them), run
// in order with a barrier between ops, and the list again for each step.
// What changes from one step to the next comes from the epoch's plan: the
// batch's rows (from the epoch's order), the loss slot, the dropout
// counter and the optimizer's constants. The ops are the kernels above,
// run by their bodies over the block, so they compute the same bits; the
// GEMM is the block's own (cuBLAS cannot run inside a kernel): it sums
// each dot product in order with fused multiply-adds, which is why a
// fused run's bits differ from an unfused one's.

// Op kinds, in the order of the Go constants (fused.go; a test keeps them
// in step).
enum {
	OP_GEMM, OP_BIAS_ACT, OP_ACT, OP_ACT_BACKWARD, OP_COL_SUMS, OP_BN_STATS, OP_BN_APPLY, OP_BN_BACKWARD_SUMS,
	OP_BN_BACKWARD_DX, OP_DROPOUT_MASK, OP_MUL, OP_SCALE, OP_SOFTMAX_XENT, OP_WXENT_PREP, OP_WXENT, OP_REDUCE_LOSS,
	OP_BCE, OP_REGRESSION_LOSS, OP_SGD, OP_ADAM, OP_RMSPROP, OP_SUMSQ, OP_CLIP_APPLY, OP_GATHER, OP_COPY_COLUMNS,
	OP_EMBEDDING_GATHER, OP_EMBEDDING_SCATTER_ADD, OP_COUNT
};

// An op is OP_WORDS 64-bit words: its kind, then its arguments as the
// launch passes them (pointers; int32, float32 in the low bits; float64).
#define OP_WORDS 16
#define MAX_OPS 96
#define FUSED_THREADS 1024

// step_consts is one step of the plan, as fused.go writes it.
struct step_consts {
	int slot;     // the loss slot
	int pad;
	u64 step;     // optimizer steps before this one: the dropout counter
	float opt[8]; // the optimizer kernel's float arguments, in its order
	float decay;  // AdamW's decay factor, Scale's argument
	float pad2[3];
};

static __device__ inline int I(u64 w) { return (int)(u32)w; }
static __device__ inline float F(u64 w) { return ffrom((u32)w); }
static __device__ inline double D(u64 w) { return dfrom(w); }
#define P(T, w) ((T*)(w))

// k_gemm is C = alpha·op(A)·op(B) + beta·C, row-major, on one block,
// each dot product summed in order of k with fused multiply-adds. The
// block takes the outputs GEMM_Q·ntid() at a time (thread t the outputs t,
// t+ntid(), ...: consecutive threads consecutive columns), and for each
// chunk of k copies the rows of op(A) and the columns of op(B) those
// outputs need into shared memory (smem, floats of it), every thread
// loading its share at once, so a dot product reads shared memory rather
// than waiting on global memory at each term.
#define GEMM_Q 8
static __device__ inline void k_gemm_staged(int transA, int transB, int m, int n, int k, float alpha, const float* A, int lda,
                                     const float* B, int ldb, float beta, float* C, int ldc, float* smem, int floats) {
	int lane = tid(), lanes = ntid(), total = m * n;
	for (int o0 = 0; o0 < total; o0 += GEMM_Q * lanes) {
		int o1 = o0 + GEMM_Q * lanes < total ? o0 + GEMM_Q * lanes : total;
		int i0 = o0 / n, rows = (o1 - 1) / n + 1 - i0;
		int kc = floats / (rows + n);
		if (kc < 1) kc = 1;
		if (kc > k) kc = k;
		float* sA = smem;           // kc × rows: op(A)[i0+i][k0+p] at p·rows + i
		float* sB = smem + kc * rows; // kc × n: op(B)[k0+p][j] at p·n + j
		float acc[GEMM_Q];
		int ai[GEMM_Q], bj[GEMM_Q];
		for (int q = 0; q < GEMM_Q; q++) {
			int idx = o0 + lane + q * lanes;
			acc[q] = 0;
			ai[q] = idx < o1 ? idx / n - i0 : -1;
			bj[q] = idx < o1 ? idx % n : 0;
		}
		for (int k0 = 0; k0 < k; k0 += kc) {
			int kk = k - k0 < kc ? k - k0 : kc;
			// Loads in the order global memory is laid out.
			if (transA)
				for (int e = lane; e < kk * rows; e += lanes) {
					int p = e / rows, i = e - p * rows;
					sA[e] = A[(long long)(k0 + p) * lda + i0 + i];
				}
			else
				for (int e = lane; e < kk * rows; e += lanes) {
					int i = e / kk, p = e - i * kk;
					sA[p * rows + i] = A[(long long)(i0 + i) * lda + k0 + p];
				}
			if (transB)
				for (int e = lane; e < kk * n; e += lanes) {
					int j = e / kk, p = e - j * kk;
					sB[p * n + j] = B[(long long)j * ldb + k0 + p];
				}
			else
				for (int e = lane; e < kk * n; e += lanes) {
					int p = e / n, j = e - p * n;
					sB[e] = B[(long long)(k0 + p) * ldb + j];
				}
			sync();
			for (int p = 0; p < kk; p++)
				for (int q = 0; q < GEMM_Q; q++)
					if (ai[q] >= 0) acc[q] = __builtin_fmaf(sA[p * rows + ai[q]], sB[p * n + bj[q]], acc[q]);
			sync();
		}
		for (int q = 0; q < GEMM_Q; q++)
			if (ai[q] >= 0) {
				float* c = C + (long long)(i0 + ai[q]) * ldc + bj[q];
				float v = alpha * acc[q];
				if (beta != 0) v = v + beta * *c;
				*c = v;
			}
	}
}

// k_gemm_direct is k_gemm_staged without the staging: lane by lane, each
// output's dot product read from global memory, in the same order with the
// same fused multiply-adds, so the same bits. It is the faster of the two
// for the smallest GEMMs, whose staging costs more than it saves.
static __device__ inline void k_gemm_direct(int transA, int transB, int m, int n, int k, float alpha, const float* A,
                                            int lda, const float* B, int ldb, float beta, float* C, int ldc, int lane,
                                            int lanes) {
	int total = m * n;
	for (int idx = lane; idx < total; idx += lanes) {
		int i = idx / n, j = idx - i * n;
		float s = 0;
		if (!transA && !transB)
			for (int p = 0; p < k; p++) s = __builtin_fmaf(A[(long long)i * lda + p], B[(long long)p * ldb + j], s);
		else if (transA && !transB)
			for (int p = 0; p < k; p++) s = __builtin_fmaf(A[(long long)p * lda + i], B[(long long)p * ldb + j], s);
		else if (!transA && transB)
			for (int p = 0; p < k; p++) s = __builtin_fmaf(A[(long long)i * lda + p], B[(long long)j * ldb + p], s);
		else
			for (int p = 0; p < k; p++) s = __builtin_fmaf(A[(long long)p * lda + i], B[(long long)j * ldb + p], s);
		float* c = C + (long long)i * ldc + j;
		float v = alpha * s;
		if (beta != 0) v = v + beta * *c;
		*c = v;
	}
}

// gemm is k_gemm_direct over a grid: the GEMM of a small model's steps run
// one launch per kernel, with the bits of its fused steps.
extern "C" __global__ void gemm(int transA, int transB, int m, int n, int k, float alpha, const float* A, int lda,
                                const float* B, int ldb, float beta, float* C, int ldc) {
	k_gemm_direct(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, first(), stride());
}

// fused_steps' dynamic shared memory: the GEMM's staging, smemFloats long.
extern __shared__ float gemm_smem[];

// run_steps is fused_steps' body; staged picks the GEMM's variant (the
// same bits either way).
static __device__ inline void run_steps(const u64* ops, int nops, const step_consts* plan, const int* order, int batch,
                                        int from, int count, int gathered, int smemFloats, int staged) {
	__shared__ u64 sops[MAX_OPS * OP_WORDS];
	__shared__ double sh[FUSED_THREADS];
	__shared__ float part[32 * 33];
	__shared__ float coef;
	__shared__ int skip;
	int lane = tid(), lanes = ntid();
	for (int i = lane; i < nops * OP_WORDS; i += lanes) sops[i] = ops[i];
	sync();
	for (int s = from; s < from + count; s++) {
		const step_consts* c = plan + s;
		const int* rows = order + (long long)s * batch;
		for (int o = 0; o < nops; o++) {
			const u64* a = sops + o * OP_WORDS + 1;
			switch ((int)sops[o * OP_WORDS]) {
			case OP_GEMM:
				if (staged)
					k_gemm_staged(I(a[0]), I(a[1]), I(a[2]), I(a[3]), I(a[4]), F(a[5]), P(const float, a[6]), I(a[7]),
					              P(const float, a[8]), I(a[9]), F(a[10]), P(float, a[11]), I(a[12]), gemm_smem,
					              smemFloats);
				else
					k_gemm_direct(I(a[0]), I(a[1]), I(a[2]), I(a[3]), I(a[4]), F(a[5]), P(const float, a[6]), I(a[7]),
					              P(const float, a[8]), I(a[9]), F(a[10]), P(float, a[11]), I(a[12]), lane, lanes);
				break;
			case OP_BIAS_ACT:
				k_bias_act(P(float, a[0]), P(const float, a[1]), I(a[2]), I(a[3]), I(a[4]), lane, lanes);
				break;
			case OP_ACT: k_act(P(float, a[0]), P(const float, a[1]), I(a[2]), I(a[3]), lane, lanes); break;
			case OP_ACT_BACKWARD:
				k_act_backward(P(float, a[0]), P(const float, a[1]), I(a[2]), I(a[3]), lane, lanes);
				break;
			case OP_COL_SUMS: k_col_sums(P(float, a[0]), P(const float, a[1]), I(a[2]), I(a[3]), part); break;
			case OP_BN_STATS:
				k_bn_stats(P(const float, a[0]), I(a[1]), I(a[2]), P(double, a[3]), P(float, a[4]), P(float, a[5]),
				           P(float, a[6]), D(a[7]), F(a[8]), lane, lanes);
				break;
			case OP_BN_APPLY:
				k_bn_apply(P(const float, a[0]), P(float, a[1]), P(float, a[2]), P(const double, a[3]),
				           P(const float, a[4]), P(const float, a[5]), P(const float, a[6]), I(a[7]), I(a[8]), lane,
				           lanes);
				break;
			case OP_BN_BACKWARD_SUMS:
				k_bn_backward_sums(P(const float, a[0]), P(const float, a[1]), I(a[2]), I(a[3]), P(double, a[4]),
				                   P(float, a[5]), P(float, a[6]), lane, lanes);
				break;
			case OP_BN_BACKWARD_DX:
				k_bn_backward_dx(P(const float, a[0]), P(const float, a[1]), P(const float, a[2]),
				                 P(const float, a[3]), P(const double, a[4]), P(float, a[5]), I(a[6]), I(a[7]), lane,
				                 lanes);
				break;
			case OP_DROPOUT_MASK:
				k_dropout_mask(P(float, a[0]), I(a[1]), a[2], c->step, a[4], F(a[5]), F(a[6]), lane, lanes);
				break;
			case OP_MUL: k_mul(P(float, a[0]), P(const float, a[1]), P(const float, a[2]), I(a[3]), lane, lanes); break;
			case OP_SCALE: k_scale(P(float, a[0]), I(a[1]), c->decay, lane, lanes); break;
			case OP_SOFTMAX_XENT:
				k_softmax_xent(P(const float, a[0]), P(const int, a[1]), I(a[2]), I(a[3]), P(float, a[4]),
				               P(double, a[5]), lane, lanes);
				break;
			case OP_WXENT_PREP: k_wxent_prep(P(const int, a[0]), P(const float, a[1]), I(a[2]), P(double, a[3]), sh); break;
			case OP_WXENT:
				k_wxent(P(const float, a[0]), P(const int, a[1]), I(a[2]), I(a[3]), P(const float, a[4]), D(a[5]),
				        P(const double, a[6]), P(float, a[7]), P(double, a[8]), lane, lanes);
				break;
			case OP_REDUCE_LOSS:
				k_reduce_loss(P(const double, a[0]), I(a[1]), P(const double, a[2]), D(a[3]), P(float, a[4]), c->slot,
				              sh);
				break;
			case OP_BCE:
				k_bce(P(const float, a[0]), P(const int, a[1]), I(a[2]), P(const float, a[3]), P(const double, a[4]),
				      P(float, a[5]), P(double, a[6]), lane, lanes);
				break;
			case OP_REGRESSION_LOSS:
				k_regression_loss(P(const float, a[0]), P(const float, a[1]), I(a[2]), I(a[3]), D(a[4]), P(float, a[5]),
				                  P(double, a[6]), lane, lanes);
				break;
			case OP_SGD:
				k_sgd(P(float, a[0]), P(float, a[1]), P(float, a[2]), I(a[3]), c->opt[0], c->opt[1], c->opt[2], I(a[7]),
				      lane, lanes);
				break;
			case OP_ADAM:
				k_adam(P(float, a[0]), P(const float, a[1]), P(float, a[2]), P(float, a[3]), I(a[4]), c->opt[0],
				       c->opt[1], c->opt[2], c->opt[3], c->opt[4], c->opt[5], c->opt[6], c->opt[7], lane, lanes);
				break;
			case OP_RMSPROP:
				k_rmsprop(P(float, a[0]), P(const float, a[1]), P(float, a[2]), P(float, a[3]), I(a[4]), c->opt[0],
				          c->opt[1], c->opt[2], c->opt[3], c->opt[4], c->opt[5], lane, lanes);
				break;
			case OP_SUMSQ: k_sumsq(P(const float, a[0]), I(a[1]), P(double, a[2]), sh); break;
			case OP_CLIP_APPLY:
				k_clip_apply(P(float, a[0]), I(a[1]), P(const double, a[2]), I(a[3]), D(a[4]), lane, lanes, &coef,
				             &skip);
				break;
			case OP_GATHER:
				if (!gathered)
					k_gather(P(float, a[0]), P(int, a[1]), P(const float, a[2]), P(const int, a[3]), I(a[4]), rows,
					         I(a[6]), lane, lanes);
				break;
			case OP_COPY_COLUMNS:
				k_copy_columns(P(float, a[0]), P(const float, a[1]), I(a[2]), I(a[3]), I(a[4]), I(a[5]), lane, lanes);
				break;
			case OP_EMBEDDING_GATHER:
				k_embedding_gather(P(float, a[0]), P(const float, a[1]), P(const float, a[2]), I(a[3]), I(a[4]),
				                   I(a[5]), I(a[6]), I(a[7]), I(a[8]), I(a[9]), lane, lanes);
				break;
			case OP_EMBEDDING_SCATTER_ADD:
				k_embedding_scatter_add(P(float, a[0]), P(const float, a[1]), P(const float, a[2]), I(a[3]), I(a[4]),
				                        I(a[5]), I(a[6]), I(a[7]), I(a[8]), I(a[9]), lane, lanes);
				break;
			}
			sync();
		}
	}
}

// fused_steps runs the steps on a block of up to 1024 threads, each with
// at most 64 registers; fused_steps_512 on up to 512, with up to 128. Which
// is faster depends on the model (the device times both): their bits are
// the same.
extern "C" __global__ __attribute__((launch_bounds(FUSED_THREADS))) void fused_steps(
	const u64* ops, int nops, const step_consts* plan, const int* order, int batch, int from, int count, int gathered,
	int smemFloats, int staged) {
	run_steps(ops, nops, plan, order, batch, from, count, gathered, smemFloats, staged);
}

extern "C" __global__ __attribute__((launch_bounds(512))) void fused_steps_512(
	const u64* ops, int nops, const step_consts* plan, const int* order, int batch, int from, int count, int gathered,
	int smemFloats, int staged) {
	run_steps(ops, nops, plan, order, batch, from, count, gathered, smemFloats, staged);
}
