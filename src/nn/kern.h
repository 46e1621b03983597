/* kern.h — the fast dense-layer kernels, written once and instantiated per instruction set: net.c includes this file
 * twice, with KVL (lanes), KATTR (a target attribute or nothing) and KNAME(x) (name suffix) defined, giving a portable
 * SSE2 version and an AVX2 version chosen at run time. No include guard on purpose.
 *
 * Layout: activations are "panels", feature-major (features, nb) with nb a multiple of NN_COLS (so of KVL): column c
 * is one data row. Every output element is a sequential sum in the order of the naive kernel, so the forward pass
 * gives the same bits as the naive float kernel whatever the lane width; only the weight-gradient reductions (over
 * columns) depend on the lane width. GCC vector extensions; the few intrinsics (KSQRT, KFMA, KSCALEF, ...) come as
 * macros from net.c, with portable defaults here. Scoring (ae_mse) runs all layers on tiles of 2 vectors of rows
 * that stay in L1 and folds the squared error into the output layer. */

#ifndef KVL
#error "define KVL, KATTR, KNAME, KNAME_STR, KSQRT and KLOAD before including kern.h"
#endif

#if KVL == 4
#define KPAD4
#elif KVL == 8
#define KPAD4 , 4, 5, 6, 7
#define KPAD8
#else
#define KPAD4 , 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
#define KPAD8 , 8, 9, 10, 11, 12, 13, 14, 15
#endif
#if KVL == 4
#define KEVEN 0, 2, 4, 6
#define KODD 1, 3, 5, 7
#elif KVL == 8
#define KEVEN 0, 2, 4, 6, 8, 10, 12, 14
#define KODD 1, 3, 5, 7, 9, 11, 13, 15
#else
#define KEVEN 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define KODD 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#endif
#ifdef __clang__
#define KSHUF(v, ...) __builtin_shufflevector(v, v, __VA_ARGS__)
#define KSHUF2(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define KSHUF(v, ...) __builtin_shuffle(v, (VI){ __VA_ARGS__ })
#define KSHUF2(a, b, ...) __builtin_shuffle(a, b, (VI){ __VA_ARGS__ })
#endif

typedef float KNAME(vf) __attribute__((vector_size(KVL * 4)));
typedef int32_t KNAME(vi) __attribute__((vector_size(KVL * 4)));
#define V KNAME(vf)
#define VI KNAME(vi)

static inline KATTR V KNAME(ld)(const float *p)
{
	V v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline KATTR void KNAME(st)(float *p, V v)
{
	memcpy(p, &v, sizeof v);
}

/* a in every lane (a broadcast: not 0 + a, which the compiler must keep as an add because of -0) */
static inline __attribute__((always_inline)) KATTR V KNAME(splat)(float a)
{
	V v;
	for (int l = 0; l < KVL; l++)
		v[l] = a;
	return v;
}

#ifndef KSQRT
static inline KATTR V KNAME(vsqrt)(V v)
{
	for (int l = 0; l < KVL; l++)
		v[l] = sqrtf(v[l]);
	return v;
}
#define KSQRT(v) KNAME(vsqrt)(v)
#define KSQRT_LOCAL
#endif

/* a * b + c, fused where the instruction set has it (used only in activations, never in the layer sums) */
#ifndef KFMA
#define KFMA(a, b, c) ((a) * (b) + (c))
#define KFMA_LOCAL
#endif
/* s += a * b in the layer sums: one fused multiply-add where the instruction set defines KFUSED (AVX2+FMA,
 * AVX-512: the same bits on both, the sums in the same order as the naive kernel with fmaf), else a product and an
 * add (the portable kernel, the same bits as the naive kernel without fusion) */
#ifdef KFUSED
#define KMAC(s, a, b) ((s) = KFMA((a), (b), (s)))
#else
#define KMAC(s, a, b) ((s) += (a) * (b))
#endif
/* 1 / d: an instruction set may give an approximation within 2 ulp (AVX-512: rcp14 and one Newton step) */
#ifndef KRCP
#define KRCP(d) (1.0f / (d))
#define KRCP_LOCAL
#endif
/* max(a, b) for non-NaN b */
#ifndef KMAX
#define KMAX(a, b) KNAME(sel)((a) < (b), (b), (a))
#define KMAX_LOCAL
#endif

/* mask ? a : b, mask lanes all ones or zero */
static inline KATTR V KNAME(sel)(VI mask, V a, V b)
{
	return (V)((mask & (VI)a) | (~mask & (VI)b));
}

/* exp(a) for a <= 0 (a below -87.3 is taken as -87.3; the result is then at least 2^-126): reduction by ln 2 in
 * two parts, then a degree-5 minimax polynomial on [-ln2/2, ln2/2] (relative error 8e-8, 2e-7 after float
 * rounding). With KSCALEF (AVX-512) 2^n is applied by one instruction. */
static inline __attribute__((always_inline)) KATTR V KNAME(vexpn)(V a)
{
	a = KMAX(a, KNAME(splat)(-87.3f));
	const V magic = KNAME(splat)(12582912.0f); /* 1.5 * 2^23: adding it rounds to an integer */
	V t = KFMA(a, KNAME(splat)(1.44269504088896341f), magic);
	V n = t - magic;
	V r = KFMA(n, KNAME(splat)(-0.693147182464599609375f), a); /* ln 2 in float: off by n 2e-9, ~1e-7 relative */
	V p = KNAME(splat)(8.2975784317e-03f);
	p = KFMA(p, r, KNAME(splat)(4.1915874928e-02f));
	p = KFMA(p, r, KNAME(splat)(1.6667579114e-01f));
	p = KFMA(p, r, KNAME(splat)(4.9998891354e-01f));
	p = KFMA(p, r, KNAME(splat)(9.9999970198e-01f));
	p = KFMA(p, r, KNAME(splat)(1.0000001192e+00f));
#ifdef KSCALEF
	return KSCALEF(p, n);
#else
	VI e = ((VI)t - 0x4B400000 + 127) << 23; /* t's low mantissa bits hold n */
	return p * (V)e;
#endif
}

/* act(z) of one vector. Sigmoid and tanh go through u = exp(-|z|) (or exp(-2|z|)) in (0, 1], which cannot
 * overflow: sigmoid z = (z >= 0 ? 1 : u) / (1 + u) (relative accuracy kept for large negative z) and
 * tanh z = sign(z) (1 - u) / (1 + u); both within ~2e-7 absolute of libm. */
static inline __attribute__((always_inline)) KATTR V KNAME(act_vec)(V z, int act)
{
	const V one = KNAME(splat)(1.0f), zero = KNAME(splat)(0.0f);
	VI sign = { 0 };
	sign += INT32_MIN;
	V nz = (V)((VI)z | sign), u, s; /* -|z| */
	switch (act) {
	case LC_ACT_SIGMOID:
		u = KNAME(vexpn)(nz);
		s = KRCP(one + u);
		return KNAME(sel)(z >= zero, s, u * s);
	case LC_ACT_TANH:
		u = KNAME(vexpn)(nz + nz);
		return (V)((VI)((one - u) * KRCP(one + u)) | ((VI)z & sign));
	case LC_ACT_RELU:
		return KNAME(sel)(z > zero, z, zero);
	case LC_ACT_LEAKY_RELU:
		return KNAME(sel)(z > zero, z, z * 0.01f);
	default:
		return z;
	}
}

/* act'(z) of one vector, through the activation's output a = act(z) */
static inline __attribute__((always_inline)) KATTR V KNAME(dact_vec)(V a, int act)
{
	const V one = KNAME(splat)(1.0f), zero = KNAME(splat)(0.0f);
	switch (act) {
	case LC_ACT_SIGMOID: return a * (one - a);
	case LC_ACT_TANH: return one - a * a;
	case LC_ACT_RELU: return KNAME(sel)(a > zero, one, zero);
	case LC_ACT_LEAKY_RELU: return KNAME(sel)(a > zero, one, KNAME(splat)(0.01f));
	default: return one;
	}
}

/* dy *= act'(z) in place, the derivative written through the layer output y = act(z) (len a multiple of KVL). */
static KATTR void KNAME(act_grad)(const float *y, float *dy, size_t len, int act)
{
	if (act == LC_ACT_LINEAR)
		return;
	for (size_t i = 0; i < len; i += KVL)
		KNAME(st)(dy + i, KNAME(ld)(dy + i) * KNAME(dact_vec)(KNAME(ld)(y + i), act));
}

#define KT (2 * KVL) /* tile width in columns (data rows); NN_TILE is the largest */
typedef float KNAME(vh) __attribute__((vector_size(KVL * 2)));  /* half a vector: KVL / 2 floats */
typedef double KNAME(vd) __attribute__((vector_size(KVL * 4))); /* KVL / 2 doubles, one register */

/* ((double)a - (double)t)^2 added to lo (first KVL/2 lanes) and hi (the others): a is a vector, t points to KVL floats */
static inline KATTR void KNAME(sqacc)(KNAME(vd) *lo, KNAME(vd) *hi, V a, const float *t)
{
#ifdef KLO2D
	KNAME(vd) e0 = KLO2D(a) - KLO2D(KNAME(ld)(t)), e1 = KHI2D(a) - KHI2D(KNAME(ld)(t));
#else
	KNAME(vh) a0, a1, t0, t1;
	memcpy(&a0, &a, sizeof a0);
	memcpy(&a1, (const char *)&a + sizeof a0, sizeof a1);
	memcpy(&t0, t, sizeof t0);
	memcpy(&t1, t + KVL / 2, sizeof t1);
	KNAME(vd) e0 = __builtin_convertvector(a0, KNAME(vd)) - __builtin_convertvector(t0, KNAME(vd));
	KNAME(vd) e1 = __builtin_convertvector(a1, KNAME(vd)) - __builtin_convertvector(t1, KNAME(vd));
#endif
	*lo += e0 * e0;
	*hi += e1 * e1;
}

/* y = a · x (+ bias), then an epilogue in registers: a is (m, k) read as a[i*rs + j*cs], x is (k, nb), y is (m, nb),
 * bias (m) or NULL. Each sum is bias + a[i,0] x[0,c] + a[i,1] x[1,c] + ... in that order. The epilogue: with g NULL,
 * y = act(sum) (a layer's forward); else y = sum * act'(g) with g (m, nb) the output of that activation (the
 * backward pass into the layer below). With t (m, KT) and nb = KT, y is not stored: acc (KT) gets the sum over the m
 * rows of ((double)act(sum) - (double)t)^2 (the output layer fused with the loss, for scoring). Blocks of 4 rows x 2
 * vectors keep 8 accumulators in registers; x is streamed once per 4 output rows. */
#define KEPI(v, off) (g ? (v) * KNAME(dact_vec)(KNAME(ld)(g + (off)), act) : KNAME(act_vec)((v), act))
#define KOUT(v, off, lo, hi) do { \
		V r_ = KEPI(v, off); \
		if (t) \
			KNAME(sqacc)(&(lo), &(hi), r_, t + (off)); \
		else \
			KNAME(st)(y + (off), r_); \
	} while (0)
static inline __attribute__((always_inline)) KATTR void KNAME(gemm_a)(const float *a, size_t rs, size_t cs,
									const float *bias, int m, int k,
									const float *x, float *y, int nb,
									const float *g, int act, const float *t,
									double *acc)
{
	KNAME(vd) q0 = { 0 }, q1 = { 0 }, q2 = { 0 }, q3 = { 0 }; /* with t: the columns in quarters of KT */
	int i = 0;
	for (; i + 4 <= m; i += 4) {
		const float *a0 = a + (size_t)i * rs, *a1 = a0 + rs, *a2 = a1 + rs, *a3 = a2 + rs;
		for (int c = 0; c < nb; c += 2 * KVL) {
			V s00, s01, s10, s11, s20, s21, s30, s31;
			s00 = s01 = KNAME(splat)(bias ? bias[i] : 0.0f);
			s10 = s11 = KNAME(splat)(bias ? bias[i + 1] : 0.0f);
			s20 = s21 = KNAME(splat)(bias ? bias[i + 2] : 0.0f);
			s30 = s31 = KNAME(splat)(bias ? bias[i + 3] : 0.0f);
			const float *xp = x + c;
			for (int j = 0; j < k; j++, xp += nb) {
				V x0 = KNAME(ld)(xp), x1 = KNAME(ld)(xp + KVL);
				float w0 = a0[(size_t)j * cs], w1 = a1[(size_t)j * cs];
				float w2 = a2[(size_t)j * cs], w3 = a3[(size_t)j * cs];
				KMAC(s00, KNAME(splat)(w0), x0);
				KMAC(s01, KNAME(splat)(w0), x1);
				KMAC(s10, KNAME(splat)(w1), x0);
				KMAC(s11, KNAME(splat)(w1), x1);
				KMAC(s20, KNAME(splat)(w2), x0);
				KMAC(s21, KNAME(splat)(w2), x1);
				KMAC(s30, KNAME(splat)(w3), x0);
				KMAC(s31, KNAME(splat)(w3), x1);
			}
			size_t o = (size_t)i * nb + c, n1 = (size_t)nb;
			KOUT(s00, o, q0, q1);
			KOUT(s01, o + KVL, q2, q3);
			KOUT(s10, o + n1, q0, q1);
			KOUT(s11, o + n1 + KVL, q2, q3);
			KOUT(s20, o + 2 * n1, q0, q1);
			KOUT(s21, o + 2 * n1 + KVL, q2, q3);
			KOUT(s30, o + 3 * n1, q0, q1);
			KOUT(s31, o + 3 * n1 + KVL, q2, q3);
		}
	}
	for (; i < m; i++) {
		const float *a0 = a + (size_t)i * rs;
		for (int c = 0; c < nb; c += 2 * KVL) {
			V s0, s1;
			s0 = s1 = KNAME(splat)(bias ? bias[i] : 0.0f);
			const float *xp = x + c;
			for (int j = 0; j < k; j++, xp += nb) {
				float w0 = a0[(size_t)j * cs];
				KMAC(s0, KNAME(splat)(w0), KNAME(ld)(xp));
				KMAC(s1, KNAME(splat)(w0), KNAME(ld)(xp + KVL));
			}
			size_t o = (size_t)i * nb + c;
			KOUT(s0, o, q0, q1);
			KOUT(s1, o + KVL, q2, q3);
		}
	}
	if (t) {
		memcpy(acc, &q0, sizeof q0);
		memcpy(acc + KVL / 2, &q1, sizeof q1);
		memcpy(acc + KVL, &q2, sizeof q2);
		memcpy(acc + 3 * KVL / 2, &q3, sizeof q3);
	}
}
#undef KEPI
#undef KOUT

/* gemm_a with a constant activation, so act_vec's and dact_vec's switches fold away */
static KATTR void KNAME(gemm)(const float *a, size_t rs, size_t cs, const float *bias, int m, int k, const float *x,
			      float *y, int nb, const float *g, int act)
{
	switch (act) {
	case LC_ACT_SIGMOID: KNAME(gemm_a)(a, rs, cs, bias, m, k, x, y, nb, g, LC_ACT_SIGMOID, NULL, NULL); break;
	case LC_ACT_TANH: KNAME(gemm_a)(a, rs, cs, bias, m, k, x, y, nb, g, LC_ACT_TANH, NULL, NULL); break;
	case LC_ACT_RELU: KNAME(gemm_a)(a, rs, cs, bias, m, k, x, y, nb, g, LC_ACT_RELU, NULL, NULL); break;
	case LC_ACT_LEAKY_RELU: KNAME(gemm_a)(a, rs, cs, bias, m, k, x, y, nb, g, LC_ACT_LEAKY_RELU, NULL, NULL); break;
	default: KNAME(gemm_a)(a, rs, cs, bias, m, k, x, y, nb, NULL, LC_ACT_LINEAR, NULL, NULL); break;
	}
}

/* Sum of the lanes by halving (fixed tree order). */
static inline KATTR float KNAME(hsum)(V v)
{
#if KVL >= 16
	v = v + KSHUF(v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
#endif
#if KVL >= 8
	v = v + KSHUF(v, 4, 5, 6, 7, 0, 1, 2, 3 KPAD8);
#endif
	v = v + KSHUF(v, 2, 3, 0, 1 KPAD4);
	return v[0] + v[1];
}

/* even lanes of a||b plus odd lanes: pairs of adjacent lanes summed, a's pairs first, then b's */
static inline KATTR V KNAME(merge)(V a, V b)
{
	return KSHUF2(a, b, KEVEN) + KSHUF2(a, b, KODD);
}

/* out[i] = sum of the lanes of a_i, i < 8, by a fixed tree of pairwise merges (cheaper than 8 hsums). */
static inline KATTR void KNAME(reduce8)(V a0, V a1, V a2, V a3, V a4, V a5, V a6, V a7, float out[8])
{
	V b0 = KNAME(merge)(a0, a1), b1 = KNAME(merge)(a2, a3), b2 = KNAME(merge)(a4, a5), b3 = KNAME(merge)(a6, a7);
	V c0 = KNAME(merge)(b0, b1), c1 = KNAME(merge)(b2, b3);
#if KVL == 4
	KNAME(st)(out, c0);
	KNAME(st)(out + 4, c1);
#else
	V e = KNAME(merge)(c0, c1);
#if KVL == 16
	e = KNAME(merge)(e, e);
#endif
	memcpy(out, &e, 8 * sizeof(float));
#endif
}

/* dw = dz · x^T and db = row sums of dz: dz is (m, nb), x is (k, nb), dw is (m, k), db is (m). Written, not
 * accumulated. Blocks of 4 rows of dz x 2 rows of x, lane-wise partial sums then a fixed-order lane sum. */
static KATTR void KNAME(gemm_tn)(const float *dz, const float *x, int m, int k, int nb, float *dw, float *db)
{
	int i = 0;
	for (; i + 4 <= m; i += 4) {
		const float *d0 = dz + (size_t)i * nb, *d1 = d0 + nb, *d2 = d1 + nb, *d3 = d2 + nb;
		int j = 0;
		for (; j + 2 <= k; j += 2) {
			const float *x0 = x + (size_t)j * nb, *x1 = x0 + nb;
			V s00 = { 0 }, s01 = { 0 }, s10 = { 0 }, s11 = { 0 };
			V s20 = { 0 }, s21 = { 0 }, s30 = { 0 }, s31 = { 0 };
			for (int c = 0; c < nb; c += KVL) {
				V a = KNAME(ld)(x0 + c), b = KNAME(ld)(x1 + c), g;
				g = KNAME(ld)(d0 + c);
				KMAC(s00, g, a);
				KMAC(s01, g, b);
				g = KNAME(ld)(d1 + c);
				KMAC(s10, g, a);
				KMAC(s11, g, b);
				g = KNAME(ld)(d2 + c);
				KMAC(s20, g, a);
				KMAC(s21, g, b);
				g = KNAME(ld)(d3 + c);
				KMAC(s30, g, a);
				KMAC(s31, g, b);
			}
			float *w = dw + (size_t)i * k + j, r[8];
			KNAME(reduce8)(s00, s01, s10, s11, s20, s21, s30, s31, r);
			w[0] = r[0];
			w[1] = r[1];
			w[k] = r[2];
			w[k + 1] = r[3];
			w[2 * k] = r[4];
			w[2 * k + 1] = r[5];
			w[3 * k] = r[6];
			w[3 * k + 1] = r[7];
		}
		for (; j < k; j++) {
			const float *x0 = x + (size_t)j * nb;
			V s0 = { 0 }, s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
			for (int c = 0; c < nb; c += KVL) {
				V a = KNAME(ld)(x0 + c);
				KMAC(s0, KNAME(ld)(d0 + c), a);
				KMAC(s1, KNAME(ld)(d1 + c), a);
				KMAC(s2, KNAME(ld)(d2 + c), a);
				KMAC(s3, KNAME(ld)(d3 + c), a);
			}
			float *w = dw + (size_t)i * k + j;
			w[0] = KNAME(hsum)(s0);
			w[k] = KNAME(hsum)(s1);
			w[2 * k] = KNAME(hsum)(s2);
			w[3 * k] = KNAME(hsum)(s3);
		}
	}
	for (; i < m; i++) {
		const float *d0 = dz + (size_t)i * nb;
		for (int j = 0; j < k; j++) {
			const float *x0 = x + (size_t)j * nb;
			V s0 = { 0 };
			for (int c = 0; c < nb; c += KVL)
				KMAC(s0, KNAME(ld)(d0 + c), KNAME(ld)(x0 + c));
			dw[(size_t)i * k + j] = KNAME(hsum)(s0);
		}
	}
	for (i = 0; i < m; i++) {
		const float *d0 = dz + (size_t)i * nb;
		V s0 = { 0 };
		for (int c = 0; c < nb; c += KVL)
			s0 += KNAME(ld)(d0 + c);
		db[i] = KNAME(hsum)(s0);
	}
}

/* Forward of one layer: w is (n_out, n_in), b is (n_out), x is (n_in, nb), y is (n_out, nb); y = act(w x + b). */
static KATTR void KNAME(forward)(const float *w, const float *b, int n_in, int n_out, int act, const float *x,
				 float *y, int nb)
{
	KNAME(gemm)(w, (size_t)n_in, 1, b, n_out, n_in, x, y, nb, NULL, act);
}

/* Backward of one layer: x is (n_in, nb) its input, y is (n_out, nb) its output, dy is (n_out, nb) dL/dy, turned in
 * place into dL/dz = dy act'(z); dw is (n_out, n_in), db is (n_out) (both written); dx is (n_in, nb) or NULL:
 * dx = (w^T dz) act_in'(x), act_in the activation whose output x is (so dx is the layer below's dL/dz, to be passed
 * to it with act LC_ACT_LINEAR), or LC_ACT_LINEAR for plain dL/dx. */
static KATTR void KNAME(backward)(const float *w, int n_in, int n_out, int act, const float *x, const float *y,
				  float *dy, float *dw, float *db, float *dx, int nb, int act_in)
{
	KNAME(act_grad)(y, dy, (size_t)n_out * (size_t)nb, act);
	KNAME(gemm_tn)(dy, x, n_out, n_in, nb, dw, db);
	if (dx)
		KNAME(gemm)(w, 1, (size_t)n_in, NULL, n_in, n_out, dy, dx, nb, x, act_in);
}

/* v = y - t and colsum[c] = sum over the d features of v^2 (float): y, t, e are (d, nb), colsum (nb). e = v, or with
 * s != 0 e = (v s) act'(z) through y = act(z): the MSE gradient's dL/dz of the output layer in one pass. */
static inline __attribute__((always_inline)) KATTR void KNAME(sqerr_a)(const float *y, const float *t, int d, int nb,
									 float *e, float *colsum, float s, int act)
{
	for (int c = 0; c < nb; c += KVL)
		KNAME(st)(colsum + c, KNAME(splat)(0.0f));
	for (int i = 0; i < d; i++) {
		const float *yp = y + (size_t)i * nb, *tp = t + (size_t)i * nb;
		float *ep = e + (size_t)i * nb;
		for (int c = 0; c < nb; c += KVL) {
			V a = KNAME(ld)(yp + c), v = a - KNAME(ld)(tp + c);
			KNAME(st)(ep + c, s != 0.0f ? v * s * KNAME(dact_vec)(a, act) : v);
			KNAME(st)(colsum + c, KNAME(ld)(colsum + c) + v * v);
		}
	}
}

static KATTR void KNAME(sqerr)(const float *y, const float *t, int d, int nb, float *e, float *colsum, float s,
			       int act)
{
	switch (s != 0.0f ? act : -1) {
	case -1: KNAME(sqerr_a)(y, t, d, nb, e, colsum, 0.0f, LC_ACT_LINEAR); break;
	case LC_ACT_SIGMOID: KNAME(sqerr_a)(y, t, d, nb, e, colsum, s, LC_ACT_SIGMOID); break;
	case LC_ACT_TANH: KNAME(sqerr_a)(y, t, d, nb, e, colsum, s, LC_ACT_TANH); break;
	case LC_ACT_RELU: KNAME(sqerr_a)(y, t, d, nb, e, colsum, s, LC_ACT_RELU); break;
	case LC_ACT_LEAKY_RELU: KNAME(sqerr_a)(y, t, d, nb, e, colsum, s, LC_ACT_LEAKY_RELU); break;
	default: KNAME(sqerr_a)(y, t, d, nb, e, colsum, s, LC_ACT_LINEAR); break;
	}
}

/* Adam step over n parameters, as torch.optim.Adam in float32: m += (1-b1)(g-m); v = b2 v + (1-b2) g^2;
 * p -= step m / (sqrt(v)/bc2s + eps). Element-wise, so the same bits as the scalar loop whatever the lane count. */
static KATTR void KNAME(adam)(float *p, float *m, float *v, const float *g, size_t n, float b1, float b2, float eps,
			      float step, float bc2s)
{
	size_t i = 0;
	const float c1 = 1.0f - b1, c2 = 1.0f - b2;
	for (; i + KVL <= n; i += KVL) {
		V gi = KNAME(ld)(g + i), mi = KNAME(ld)(m + i), vi = KNAME(ld)(v + i);
		mi += c1 * (gi - mi);
		vi = vi * b2 + c2 * gi * gi;
		KNAME(st)(m + i, mi);
		KNAME(st)(v + i, vi);
		KNAME(st)(p + i, KNAME(ld)(p + i) - step * mi / (KSQRT(vi) / bc2s + eps));
	}
	for (; i < n; i++) {
		float gi = g[i];
		m[i] += c1 * (gi - m[i]);
		v[i] = v[i] * b2 + c2 * gi * gi;
		p[i] -= step * m[i] / (sqrtf(v[i]) / bc2s + eps);
	}
}

/* ---- fused scoring: the forward pass and per-row MSE on tiles of KT data rows that stay in L1 */

/* One layer on a tile, w is (o, ni), b (o), x is (ni, KT): with t NULL, y (o, KT) = act(w x + b); else the output
 * layer fused with the loss, t (o, KT) the target: acc (KT) = sum over the o outputs, in ascending order, of
 * ((double)act(w x + b) - (double)t)^2, the outputs never stored. gemm_a with the tile width and the activation
 * constant. */
#define KTILE(a) KNAME(gemm_a)(w, (size_t)ni, 1, b, o, ni, x, y, KT, NULL, a, t, acc)
static KATTR void KNAME(tile_layer)(const float *w, const float *b, int ni, int o, int act, const float *x, float *y,
				    const float *t, double *acc)
{
	switch (act) {
	case LC_ACT_SIGMOID: KTILE(LC_ACT_SIGMOID); break;
	case LC_ACT_TANH: KTILE(LC_ACT_TANH); break;
	case LC_ACT_RELU: KTILE(LC_ACT_RELU); break;
	case LC_ACT_LEAKY_RELU: KTILE(LC_ACT_LEAKY_RELU); break;
	default: KTILE(LC_ACT_LINEAR); break;
	}
}
#undef KTILE

/* Forward pass and per-row MSE of the autoencoder net (n_in = n_out = d) on nr rows x (nr, d), KT rows at a time
 * with all layers of a tile in buf (NN_TILE * nn_tile_floats(net) floats, 64-byte aligned): score[r] (nr) = mean over
 * the d inputs of ((double)y - (double)x)^2 summed in ascending input order, unless score is NULL. Returns the sum
 * of the scores in row order. */
static KATTR double KNAME(ae_mse)(const lc_net *net, const float *x, size_t nr, double *score, float *buf)
{
	int L = net->n_layers, d = net->n_in;
	double sum = 0.0, acc[KT];
	for (size_t r0 = 0; r0 < nr; r0 += KT) {
		int nt = nr - r0 < KT ? (int)(nr - r0) : KT;
		/* the next tile's rows towards L2 while this one computes: the transposing load is latency-bound */
		if (r0 + KT < nr) {
			const char *nx = (const char *)(x + (r0 + KT) * (size_t)d);
			size_t bytes = (nr - r0 - KT < KT ? nr - r0 - KT : KT) * (size_t)d * sizeof *x;
			for (size_t o = 0; o < bytes; o += 64)
				__builtin_prefetch(nx + o, 0, 2);
		}
		/* buf: input tile (d, KT), then the output of every hidden layer (n_out[l], KT) */
		KLOAD(buf, KT, x + r0 * (size_t)d, d, NULL, nt);
		const float *in = buf;
		float *out = buf + (size_t)d * KT;
		int ni = d;
		for (int l = 0; l < L - 1; l++) {
			int o = net->n_out[l];
			const float *w = net->params + net->offset[l];
			KNAME(tile_layer)(w, w + (size_t)o * (size_t)ni, ni, o, net->act[l], in, out, NULL, NULL);
			in = out;
			out += (size_t)o * KT;
			ni = o;
		}
		const float *w = net->params + net->offset[L - 1];
		KNAME(tile_layer)(w, w + (size_t)d * (size_t)ni, ni, d, net->act[L - 1], in, NULL, buf, acc);
		for (int c = 0; c < nt; c++) {
			double s = acc[c] / d;
			if (score)
				score[r0 + (size_t)c] = s;
			sum += s;
		}
	}
	return sum;
}
#undef KT

static const nn_kern KNAME(kern) = {
	.name = KNAME_STR,
	.vl = KVL,
#ifdef KFUSED
	.fused = 1,
#endif
	.forward = KNAME(forward),
	.backward = KNAME(backward),
	.sqerr = KNAME(sqerr),
	.adam = KNAME(adam),
	.load = KLOAD,
	.ae_mse = KNAME(ae_mse),
};

#undef V
#undef VI
#undef KPAD4
#undef KPAD8
#undef KSHUF
#undef KSHUF2
#undef KEVEN
#undef KODD
#undef KMAC
#ifdef KSQRT_LOCAL
#undef KSQRT
#undef KSQRT_LOCAL
#endif
#ifdef KFMA_LOCAL
#undef KFMA
#undef KFMA_LOCAL
#endif
#ifdef KRCP_LOCAL
#undef KRCP
#undef KRCP_LOCAL
#endif
#ifdef KMAX_LOCAL
#undef KMAX
#undef KMAX_LOCAL
#endif
