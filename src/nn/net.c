/* net.c — dense networks: creation, Glorot initialisation from our own RNG, activations, the fast panel kernels
 * (kern.h, one copy per instruction set, picked at run time) with their naive references, per-thread workspaces,
 * the batch loss-and-gradient used by training, a spinning thread pool and the threaded forward pass. */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* no contraction by the compiler (clang contracts by default): the kernels fuse multiply-adds only where they say so
 * (KFMA), so each kernel set rounds as its naive reference (nn_naive_predict with or without fused) */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif
#include "internal.h"
#include "nn/nn.h"

/* ---------------------------------------------------------------- RNG */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

void nn_rng_seed(nn_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t nn_rng_next(nn_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double nn_rng_uniform(nn_rng *r)
{
	return (double)(nn_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t nn_rng_below(nn_rng *r, uint64_t n)
{
	uint64_t lim = UINT64_MAX - UINT64_MAX % n; /* reject the last partial block */
	uint64_t v;
	do
		v = nn_rng_next(r);
	while (v >= lim);
	return v % n;
}

/* ---------------------------------------------------------------- kernels */

/* p (d, nb) <- rows of x, transposed; columns nr..nbe zero. Blocks of 8 rows: 8 sequential reads, one 32-byte write. */
static void panel_load(float *p, int nbe, const float *x, int d, const size_t *rows, int nr)
{
	int c = 0;
	for (; c + 8 <= nr; c += 8) {
		const float *s[8];
		for (int j = 0; j < 8; j++)
			s[j] = x + (rows ? rows[c + j] : (size_t)(c + j)) * (size_t)d;
		for (int i = 0; i < d; i++) {
			float *q = p + (size_t)i * (size_t)nbe + c;
			for (int j = 0; j < 8; j++)
				q[j] = s[j][i];
		}
	}
	for (; c < nr; c++) {
		const float *s = x + (rows ? rows[c] : (size_t)c) * (size_t)d;
		for (int i = 0; i < d; i++)
			p[(size_t)i * (size_t)nbe + c] = s[i];
	}
	if (nr < nbe)
		for (int i = 0; i < d; i++)
			memset(p + (size_t)i * (size_t)nbe + nr, 0, (size_t)(nbe - nr) * sizeof *p);
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define NN_X86 1
#include <immintrin.h>

/* panel_load with 8x8 AVX2 transposes: 8 rows x 8 features at a time (then 4 features by two 4x4). */
__attribute__((target("avx2"))) static void panel_load_avx2(float *p, int nbe, const float *x, int d,
							    const size_t *rows, int nr)
{
	int c = 0;
	size_t ld = (size_t)nbe;
	for (; c + 8 <= nr; c += 8) {
		const float *s[8];
		/* two loops, not one with "rows ? rows[c + j] : c + j": GCC vectorises that into slow masked loads */
		if (rows)
			for (int j = 0; j < 8; j++)
				s[j] = x + rows[c + j] * (size_t)d;
		else
			for (int j = 0; j < 8; j++)
				s[j] = x + (size_t)(c + j) * (size_t)d;
		int i = 0;
		for (; i + 8 <= d; i += 8) {
			__m256 r0 = _mm256_loadu_ps(s[0] + i), r1 = _mm256_loadu_ps(s[1] + i);
			__m256 r2 = _mm256_loadu_ps(s[2] + i), r3 = _mm256_loadu_ps(s[3] + i);
			__m256 r4 = _mm256_loadu_ps(s[4] + i), r5 = _mm256_loadu_ps(s[5] + i);
			__m256 r6 = _mm256_loadu_ps(s[6] + i), r7 = _mm256_loadu_ps(s[7] + i);
			__m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
			__m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
			__m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
			__m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
			__m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
			__m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
			__m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
			__m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
			float *q = p + (size_t)i * ld + c;
			_mm256_storeu_ps(q, _mm256_permute2f128_ps(u0, u4, 0x20));
			_mm256_storeu_ps(q + ld, _mm256_permute2f128_ps(u1, u5, 0x20));
			_mm256_storeu_ps(q + 2 * ld, _mm256_permute2f128_ps(u2, u6, 0x20));
			_mm256_storeu_ps(q + 3 * ld, _mm256_permute2f128_ps(u3, u7, 0x20));
			_mm256_storeu_ps(q + 4 * ld, _mm256_permute2f128_ps(u0, u4, 0x31));
			_mm256_storeu_ps(q + 5 * ld, _mm256_permute2f128_ps(u1, u5, 0x31));
			_mm256_storeu_ps(q + 6 * ld, _mm256_permute2f128_ps(u2, u6, 0x31));
			_mm256_storeu_ps(q + 7 * ld, _mm256_permute2f128_ps(u3, u7, 0x31));
		}
		if (i + 4 <= d) { /* 4 features: two 4x4 transposes */
			__m128 r0 = _mm_loadu_ps(s[0] + i), r1 = _mm_loadu_ps(s[1] + i);
			__m128 r2 = _mm_loadu_ps(s[2] + i), r3 = _mm_loadu_ps(s[3] + i);
			__m128 r4 = _mm_loadu_ps(s[4] + i), r5 = _mm_loadu_ps(s[5] + i);
			__m128 r6 = _mm_loadu_ps(s[6] + i), r7 = _mm_loadu_ps(s[7] + i);
			_MM_TRANSPOSE4_PS(r0, r1, r2, r3);
			_MM_TRANSPOSE4_PS(r4, r5, r6, r7);
			float *q = p + (size_t)i * ld + c;
			_mm256_storeu_ps(q, _mm256_set_m128(r4, r0));
			_mm256_storeu_ps(q + ld, _mm256_set_m128(r5, r1));
			_mm256_storeu_ps(q + 2 * ld, _mm256_set_m128(r6, r2));
			_mm256_storeu_ps(q + 3 * ld, _mm256_set_m128(r7, r3));
			i += 4;
		}
		for (; i < d; i++)
			for (int j = 0; j < 8; j++)
				p[(size_t)i * ld + c + j] = s[j][i];
	}
	for (; c < nr; c++) {
		const float *s = x + (rows ? rows[c] : (size_t)c) * (size_t)d;
		for (int i = 0; i < d; i++)
			p[(size_t)i * ld + c] = s[i];
	}
	if (nr < nbe)
		for (int i = 0; i < d; i++)
			memset(p + (size_t)i * ld + nr, 0, (size_t)(nbe - nr) * sizeof *p);
}
#endif


#define KVL 4
#define KATTR
#define KNAME(x) x##_base
#define KNAME_STR "portable"
#define KLOAD panel_load
#ifdef NN_X86
#define KSQRT(v) ((V)_mm_sqrt_ps((__m128)(v)))
#endif
#include "nn/kern.h"
#undef KVL
#undef KATTR
#undef KNAME
#undef KNAME_STR
#undef KLOAD
#undef KSQRT

#ifdef NN_X86
#define NN_HAVE_AVX2 1
#define KVL 8
#define KATTR __attribute__((target("avx2,fma")))
#define KNAME(x) x##_avx2
#define KNAME_STR "avx2"
#define KLOAD panel_load_avx2
#define KSQRT(v) ((V)_mm256_sqrt_ps((__m256)(v)))
#define KFMA(a, b, c) ((V)_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(c)))
#define KFUSED 1
#define KLO2D(v) ((KNAME(vd))_mm256_cvtps_pd(_mm256_castps256_ps128((__m256)(v))))
#define KHI2D(v) ((KNAME(vd))_mm256_cvtps_pd(_mm256_extractf128_ps((__m256)(v), 1)))
#include "nn/kern.h"
#undef KLO2D
#undef KHI2D
#undef KFMA
#undef KFUSED
#undef KVL
#undef KATTR
#undef KNAME
#undef KNAME_STR
#undef KLOAD
#undef KSQRT

#define KVL 16
#define KATTR __attribute__((target("avx512f")))
#define KNAME(x) x##_avx512
#define KNAME_STR "avx512"
#define KLOAD panel_load_avx2
#define KSQRT(v) ((V)_mm512_sqrt_ps((__m512)(v)))
#define KFMA(a, b, c) ((V)_mm512_fmadd_ps((__m512)(a), (__m512)(b), (__m512)(c)))
#define KFUSED 1
#define KMAX(a, b) ((V)_mm512_max_ps((__m512)(a), (__m512)(b)))
#define KSCALEF(p, n) ((V)_mm512_scalef_ps((__m512)(p), (__m512)(n)))
#define KLO2D(v) ((KNAME(vd))_mm512_cvtps_pd(_mm512_castps512_ps256((__m512)(v))))
#define KHI2D(v) ((KNAME(vd))_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd((__m512)(v)), 1))))
#include "nn/kern.h"
#undef KLO2D
#undef KHI2D
#undef KFMA
#undef KFUSED
#undef KMAX
#undef KSCALEF
#undef KVL
#undef KATTR
#undef KNAME
#undef KNAME_STR
#undef KLOAD
#undef KSQRT
#endif

const nn_kern *nn_kern_get(int i)
{
	if (i == 0)
		return &kern_base;
#ifdef NN_HAVE_AVX2
	if (i == 1 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return &kern_avx2;
	if (i == 2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return &kern_avx512;
#endif
	return NULL;
}

const nn_kern *nn_kern_best(void)
{
	const char *env = getenv("LC_NN_KERNEL");
	const nn_kern *k = NULL;
	for (int i = NN_N_KERNELS - 1; i >= 0 && !k; i--)
		if (!env || strcmp(env, nn_kern_get(i) ? nn_kern_get(i)->name : "") == 0)
			k = nn_kern_get(i);
	return k ? k : &kern_base;
}

float nn_act_ref(int act, float z)
{
	switch (act) {
	case LC_ACT_SIGMOID: return 1.0f / (1.0f + expf(-z));
	case LC_ACT_TANH: return tanhf(z);
	case LC_ACT_RELU: return z > 0.0f ? z : 0.0f;
	case LC_ACT_LEAKY_RELU: return z > 0.0f ? z : 0.01f * z;
	default: return z;
	}
}

/* ---------------------------------------------------------------- networks */

static const char *const act_names[] = { "linear", "sigmoid", "tanh", "relu", "leaky_relu" };
#define N_ACTS ((int)(sizeof act_names / sizeof act_names[0]))

const char *lc_act_name(int act)
{
	return act >= 0 && act < N_ACTS ? act_names[act] : "unknown";
}

int lc_act_parse(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < N_ACTS; i++)
		if (strcmp(name, act_names[i]) == 0)
			return i;
	return -1;
}

/* Widths are kept below 2^24 so panel offsets and int loop bounds never overflow. */
#define NN_MAX_WIDTH (1 << 24)

lc_net *lc_net_new(int n_in, int n_layers, const int *n_out, const int *act)
{
	if (n_in < 1 || n_in > NN_MAX_WIDTH || n_layers < 1 || n_layers > 1024 || !n_out || !act)
		return NULL;
	size_t total = 0;
	int prev = n_in;
	for (int l = 0; l < n_layers; l++) {
		if (n_out[l] < 1 || n_out[l] > NN_MAX_WIDTH || act[l] < 0 || act[l] >= N_ACTS)
			return NULL;
		size_t sz = (size_t)n_out[l] * (size_t)prev + (size_t)n_out[l];
		if (total > SIZE_MAX / sizeof(float) - sz)
			return NULL;
		total += sz;
		prev = n_out[l];
	}
	lc_net *net = calloc(1, sizeof *net);
	if (!net)
		return NULL;
	net->n_in = n_in;
	net->n_layers = n_layers;
	net->n_out = malloc((size_t)n_layers * sizeof *net->n_out);
	net->act = malloc((size_t)n_layers * sizeof *net->act);
	net->offset = malloc((size_t)n_layers * sizeof *net->offset);
	net->params = calloc(total, sizeof *net->params);
	net->n_params = total;
	if (!net->n_out || !net->act || !net->offset || !net->params) {
		lc_net_free(net);
		return NULL;
	}
	size_t off = 0;
	prev = n_in;
	for (int l = 0; l < n_layers; l++) {
		net->n_out[l] = n_out[l];
		net->act[l] = act[l];
		net->offset[l] = off;
		off += (size_t)n_out[l] * (size_t)prev + (size_t)n_out[l];
		prev = n_out[l];
	}
	return net;
}

void lc_net_free(lc_net *net)
{
	if (!net)
		return;
	free(net->n_out);
	free(net->act);
	free(net->offset);
	free(net->params);
	free(net);
}

lc_net *lc_net_clone(const lc_net *net)
{
	if (!net)
		return NULL;
	lc_net *c = lc_net_new(net->n_in, net->n_layers, net->n_out, net->act);
	if (c)
		memcpy(c->params, net->params, net->n_params * sizeof *net->params);
	return c;
}

static int layer_in(const lc_net *net, int l)
{
	return l == 0 ? net->n_in : net->n_out[l - 1];
}

void lc_net_init(lc_net *net, uint64_t seed)
{
	if (!net)
		return;
	nn_rng r;
	nn_rng_seed(&r, seed);
	for (int l = 0; l < net->n_layers; l++) {
		int fi = layer_in(net, l), fo = net->n_out[l];
		double lim = sqrt(6.0 / ((double)fi + (double)fo));
		float *w = net->params + net->offset[l];
		size_t nw = (size_t)fi * (size_t)fo;
		for (size_t i = 0; i < nw; i++)
			w[i] = (float)((2.0 * nn_rng_uniform(&r) - 1.0) * lim);
		memset(w + nw, 0, (size_t)fo * sizeof *w);
	}
}

int lc_net_n_out(const lc_net *net)
{
	return net ? net->n_out[net->n_layers - 1] : 0;
}

static int max_width(const lc_net *net)
{
	int m = net->n_in;
	for (int l = 0; l < net->n_layers; l++)
		if (net->n_out[l] > m)
			m = net->n_out[l];
	return m;
}

/* ---------------------------------------------------------------- naive references */

void nn_naive_predict(const lc_net *net, const float *x, size_t n, float *y, int fused)
{
	int mw = max_width(net), no = lc_net_n_out(net);
	float *a = malloc((size_t)mw * sizeof *a), *b = malloc((size_t)mw * sizeof *b);
	if (!a || !b) {
		for (size_t i = 0; i < n * (size_t)no; i++)
			y[i] = NAN;
		goto done;
	}
	for (size_t r = 0; r < n; r++) {
		memcpy(a, x + r * (size_t)net->n_in, (size_t)net->n_in * sizeof *a);
		for (int l = 0; l < net->n_layers; l++) {
			int ni = layer_in(net, l), o = net->n_out[l];
			// a is (ni), w is (o, ni), b is (o)
			const float *w = net->params + net->offset[l], *bias = w + (size_t)o * (size_t)ni;
			for (int i = 0; i < o; i++) {
				float s = bias[i];
				for (int j = 0; j < ni; j++)
					s = fused ? fmaf(w[(size_t)i * (size_t)ni + j], a[j], s) : s + w[(size_t)i * (size_t)ni + j] * a[j];
				b[i] = nn_act_ref(net->act[l], s);
			}
			float *t = a;
			a = b;
			b = t;
		}
		memcpy(y + r * (size_t)no, a, (size_t)no * sizeof *a);
	}
done:
	free(a);
	free(b);
}

static double act_d(int act, double z)
{
	switch (act) {
	case LC_ACT_SIGMOID: return 1.0 / (1.0 + exp(-z));
	case LC_ACT_TANH: return tanh(z);
	case LC_ACT_RELU: return z > 0.0 ? z : 0.0;
	case LC_ACT_LEAKY_RELU: return z > 0.0 ? z : 0.01 * z;
	default: return z;
	}
}

/* derivative through the output a = act(z) */
static double act_d_grad(int act, double a)
{
	switch (act) {
	case LC_ACT_SIGMOID: return a * (1.0 - a);
	case LC_ACT_TANH: return 1.0 - a * a;
	case LC_ACT_RELU: return a > 0.0 ? 1.0 : 0.0;
	case LC_ACT_LEAKY_RELU: return a > 0.0 ? 1.0 : 0.01;
	default: return 1.0;
	}
}

double nn_naive_loss_grad(const lc_net *net, const double *p, const float *x, size_t n, int loss, int topk,
			  double *g)
{
	int L = net->n_layers, d = net->n_in, mw = max_width(net);
	size_t tot = (size_t)d;
	for (int l = 0; l < L; l++)
		tot += (size_t)net->n_out[l];
	double *buf = malloc(tot * sizeof *buf), *da = malloc((size_t)mw * sizeof *da);
	double *db = malloc((size_t)mw * sizeof *db), *e2 = malloc((size_t)d * sizeof *e2);
	int *idx = malloc((size_t)d * sizeof *idx);
	double **a = malloc((size_t)(L + 1) * sizeof *a);
	double total = NAN;
	if (!buf || !da || !db || !e2 || !idx || !a || lc_net_n_out(net) != d)
		goto done;
	a[0] = buf;
	for (int l = 0; l < L; l++)
		a[l + 1] = a[l] + layer_in(net, l);
	if (g)
		memset(g, 0, net->n_params * sizeof *g);
	int k = loss == LC_LOSS_TOPK ? (topk < d ? topk : d) : d;
	total = 0.0;
	for (size_t r = 0; r < n; r++) {
		for (int i = 0; i < d; i++)
			a[0][i] = x[r * (size_t)d + i];
		for (int l = 0; l < L; l++) {
			int ni = layer_in(net, l), o = net->n_out[l];
			const double *w = p + net->offset[l], *bias = w + (size_t)o * (size_t)ni;
			for (int i = 0; i < o; i++) {
				double s = bias[i];
				for (int j = 0; j < ni; j++)
					s += w[(size_t)i * (size_t)ni + j] * a[l][j];
				a[l + 1][i] = act_d(net->act[l], s);
			}
		}
		const double *y = a[L];
		for (int i = 0; i < d; i++) {
			double e = y[i] - a[0][i];
			e2[i] = e * e;
			da[i] = 0.0;
		}
		double rl = 0.0;
		if (loss == LC_LOSS_TOPK) {
			nn_topk(e2, d, k, idx);
			for (int j = 0; j < k; j++) {
				rl += e2[idx[j]];
				da[idx[j]] = 2.0 * (y[idx[j]] - a[0][idx[j]]) / ((double)k * (double)n);
			}
		} else {
			for (int i = 0; i < d; i++) {
				rl += e2[i];
				da[i] = 2.0 * (y[i] - a[0][i]) / ((double)d * (double)n);
			}
		}
		total += rl / k;
		if (!g)
			continue;
		for (int l = L - 1; l >= 0; l--) {
			int ni = layer_in(net, l), o = net->n_out[l];
			const double *w = p + net->offset[l];
			double *gw = g + net->offset[l], *gb = gw + (size_t)o * (size_t)ni;
			for (int i = 0; i < o; i++)
				da[i] *= act_d_grad(net->act[l], a[l + 1][i]);
			for (int i = 0; i < o; i++) {
				gb[i] += da[i];
				for (int j = 0; j < ni; j++)
					gw[(size_t)i * (size_t)ni + j] += da[i] * a[l][j];
			}
			for (int j = 0; j < ni; j++) {
				double s = 0.0;
				for (int i = 0; i < o; i++)
					s += w[(size_t)i * (size_t)ni + j] * da[i];
				db[j] = s;
			}
			double *t = da;
			da = db;
			db = t;
		}
	}
	total /= (double)n;
done:
	free(buf);
	free(da);
	free(db);
	free(e2);
	free(idx);
	free(a);
	return total;
}

/* ---------------------------------------------------------------- top-k selection */

static inline int tk_gt(const double *v, int a, int b)
{
	return v[a] > v[b] || (v[a] == v[b] && a < b);
}

void nn_topk(const double *v, int d, int k, int *idx)
{
	for (int i = 0; i < d; i++)
		idx[i] = i;
	if (k <= 0 || k >= d)
		return;
	int lo = 0, hi = d - 1;
	while (lo < hi) {
		/* median of three as pivot, moved to hi */
		int mid = lo + (hi - lo) / 2, t;
		if (tk_gt(v, idx[mid], idx[lo])) { t = idx[mid]; idx[mid] = idx[lo]; idx[lo] = t; }
		if (tk_gt(v, idx[hi], idx[lo])) { t = idx[hi]; idx[hi] = idx[lo]; idx[lo] = t; }
		if (tk_gt(v, idx[mid], idx[hi])) { t = idx[mid]; idx[mid] = idx[hi]; idx[hi] = t; }
		int piv = idx[hi], s = lo;
		for (int i = lo; i < hi; i++)
			if (tk_gt(v, idx[i], piv)) {
				t = idx[i];
				idx[i] = idx[s];
				idx[s++] = t;
			}
		idx[hi] = idx[s];
		idx[s] = piv;
		if (s + 1 == k)
			return;
		if (s + 1 > k)
			hi = s - 1;
		else
			lo = s + 1;
	}
}

/* ---------------------------------------------------------------- workspaces */

float *nn_falloc(size_t n)
{
	size_t bytes = n * sizeof(float);
	bytes = (bytes + NN_ALIGN - 1) / NN_ALIGN * NN_ALIGN;
	if (bytes == 0)
		bytes = NN_ALIGN;
	float *p = aligned_alloc(NN_ALIGN, bytes);
	if (p)
		memset(p, 0, bytes);
	return p;
}

int nn_round_cols(size_t n)
{
	return (int)((n + NN_COLS - 1) / NN_COLS * NN_COLS);
}

double nn_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void nn_ws_free(nn_ws *ws)
{
	if (!ws)
		return;
	if (ws->a)
		for (int l = 0; l <= ws->n_layers; l++)
			free(ws->a[l]);
	free(ws->a);
	free(ws->d0);
	free(ws->d1);
	free(ws->colsum);
	free(ws->grad);
	free(ws->tk_v);
	free(ws->tk_i);
	free(ws);
}

nn_ws *nn_ws_new(const lc_net *net, int nb)
{
	nn_ws *ws = calloc(1, sizeof *ws);
	if (!ws)
		return NULL;
	ws->nb = nn_round_cols((size_t)(nb > 0 ? nb : 1));
	ws->n_layers = net->n_layers;
	size_t cols = (size_t)ws->nb, mw = (size_t)max_width(net);
	ws->a = calloc((size_t)net->n_layers + 1, sizeof *ws->a);
	if (!ws->a)
		goto fail;
	for (int l = 0; l <= net->n_layers; l++)
		if (!(ws->a[l] = nn_falloc((size_t)(l == 0 ? net->n_in : net->n_out[l - 1]) * cols)))
			goto fail;
	ws->d0 = nn_falloc(mw * cols);
	ws->d1 = nn_falloc(mw * cols);
	ws->colsum = nn_falloc(cols);
	ws->grad = nn_falloc(net->n_params);
	ws->tk_v = malloc((size_t)net->n_in * sizeof *ws->tk_v);
	ws->tk_i = malloc((size_t)net->n_in * sizeof *ws->tk_i);
	if (!ws->d0 || !ws->d1 || !ws->colsum || !ws->grad || !ws->tk_v || !ws->tk_i)
		goto fail;
	return ws;
fail:
	nn_ws_free(ws);
	return NULL;
}

size_t nn_tile_floats(const lc_net *net)
{
	size_t f = (size_t)net->n_in;
	for (int l = 0; l + 1 < net->n_layers; l++)
		f += (size_t)net->n_out[l];
	return f * NN_TILE;
}

/* y rows (nr, d) <- panel p (d, nbe) transposed. */
static void panel_store(const float *p, int nbe, float *y, int d, int nr)
{
	int c = 0;
	for (; c + 8 <= nr; c += 8) {
		float *s[8];
		for (int j = 0; j < 8; j++)
			s[j] = y + (size_t)(c + j) * (size_t)d;
		for (int i = 0; i < d; i++) {
			const float *q = p + (size_t)i * (size_t)nbe + c;
			for (int j = 0; j < 8; j++)
				s[j][i] = q[j];
		}
	}
	for (; c < nr; c++)
		for (int i = 0; i < d; i++)
			y[(size_t)c * (size_t)d + i] = p[(size_t)i * (size_t)nbe + c];
}

void nn_ws_forward(nn_ws *ws, const lc_net *net, const nn_kern *k, const float *x, const size_t *rows, int nr)
{
	int nbe = nn_round_cols((size_t)nr);
	k->load(ws->a[0], nbe, x, net->n_in, rows, nr);
	for (int l = 0; l < net->n_layers; l++) {
		int ni = layer_in(net, l), o = net->n_out[l];
		const float *w = net->params + net->offset[l];
		k->forward(w, w + (size_t)o * (size_t)ni, ni, o, net->act[l], ws->a[l], ws->a[l + 1], nbe);
	}
}

double nn_ws_grad(nn_ws *ws, const lc_net *net, const nn_kern *k, const float *x, const size_t *rows, int nr,
		  size_t batch_n, int loss, int topk)
{
	int L = net->n_layers, d = net->n_in, nbe = nn_round_cols((size_t)nr);
	nn_ws_forward(ws, net, k, x, rows, nr);
	float *e = ws->d0;
	int tk = loss == LC_LOSS_TOPK && topk < d;
	/* y is (d, nbe), target a[0] is (d, nbe), e = y - t is (d, nbe); for MSE scaled to dL/dy and multiplied by the
	 * output activation's derivative in the same pass (dL/dz, passed on with act linear) */
	float sc_mse = (float)(2.0 / ((double)d * (double)batch_n));
	k->sqerr(ws->a[L], ws->a[0], d, nbe, e, ws->colsum, tk ? 0.0f : sc_mse, net->act[L - 1]);
	if (nr < nbe)
		for (int i = 0; i < d; i++)
			memset(e + (size_t)i * (size_t)nbe + nr, 0, (size_t)(nbe - nr) * sizeof *e);
	double sum = 0.0;
	if (tk) {
		int kk = topk;
		float sc = (float)(2.0 / ((double)kk * (double)batch_n));
		for (int c = 0; c < nr; c++) {
			for (int i = 0; i < d; i++) {
				double v = e[(size_t)i * (size_t)nbe + c];
				ws->tk_v[i] = v * v;
			}
			nn_topk(ws->tk_v, d, kk, ws->tk_i);
			float rl = 0.0f;
			for (int j = 0; j < kk; j++)
				rl += (float)ws->tk_v[ws->tk_i[j]];
			sum += (double)rl / kk;
			/* keep the top-k errors (scaled), zero the others: mark kept ones through tk_v */
			for (int j = 0; j < kk; j++)
				ws->tk_v[ws->tk_i[j]] = -1.0;
			for (int i = 0; i < d; i++) {
				float *q = e + (size_t)i * (size_t)nbe + c;
				*q = ws->tk_v[i] == -1.0 ? *q * sc : 0.0f;
			}
		}
	} else {
		for (int c = 0; c < nr; c++)
			sum += (double)ws->colsum[c] / d;
	}
	float *cur = e, *oth = ws->d1;
	for (int l = L - 1; l >= 0; l--) {
		int ni = layer_in(net, l), o = net->n_out[l];
		const float *w = net->params + net->offset[l];
		float *gw = ws->grad + net->offset[l];
		/* the layer below's activation derivative is applied as dx is written (its act passed as linear) */
		k->backward(w, ni, o, l == L - 1 && tk ? net->act[l] : LC_ACT_LINEAR, ws->a[l], ws->a[l + 1], cur, gw,
			    gw + (size_t)o * (size_t)ni, l > 0 ? oth : NULL, nbe, l > 0 ? net->act[l - 1] : LC_ACT_LINEAR);
		float *t = cur;
		cur = oth;
		oth = t;
	}
	return sum;
}

double nn_ws_scores(nn_ws *ws, const lc_net *net, int nr, int loss, int topk, double *score, float *bins)
{
	int d = net->n_in, nbe = nn_round_cols((size_t)nr);
	const float *y = ws->a[net->n_layers], *t = ws->a[0];
	int kk = loss == LC_LOSS_TOPK && topk < d ? topk : d;
	double sum = 0.0;
	if (kk == d && !bins) {
		/* plain MSE: walk the feature-major activations row by row, 16 LS at a time (a fixed trip count the
		 * compiler vectorises; columns up to nbe exist, a multiple of 16); each LS still sums its inputs in
		 * ascending order, so the result equals the general loop below */
		for (int c0 = 0; c0 < nr; c0 += 16) {
			double acc[16] = {0};
			for (int i = 0; i < d; i++) {
				const float *yi = y + (size_t)i * (size_t)nbe + c0, *ti = t + (size_t)i * (size_t)nbe + c0;
				for (int c = 0; c < 16; c++) {
					double e = (double)yi[c] - (double)ti[c];
					acc[c] += e * e;
				}
			}
			for (int c = 0; c < 16 && c0 + c < nr; c++) {
				score[c0 + c] = acc[c] / kk;
				sum += score[c0 + c];
			}
		}
		return sum;
	}
	for (int c = 0; c < nr; c++) {
		for (int i = 0; i < d; i++) {
			double e = (double)y[(size_t)i * (size_t)nbe + c] - (double)t[(size_t)i * (size_t)nbe + c];
			ws->tk_v[i] = e * e;
		}
		if (bins)
			for (int i = 0; i < d; i++)
				bins[(size_t)c * (size_t)d + i] = (float)ws->tk_v[i];
		double s = 0.0;
		if (kk < d) {
			nn_topk(ws->tk_v, d, kk, ws->tk_i);
			for (int j = 0; j < kk; j++)
				s += ws->tk_v[ws->tk_i[j]];
		} else {
			for (int i = 0; i < d; i++)
				s += ws->tk_v[i];
		}
		score[c] = s / kk;
		sum += score[c];
	}
	return sum;
}

/* ---------------------------------------------------------------- thread pool */

struct nn_pool {
	int threads;          /* including the caller */
	pthread_t *tid;       /* threads - 1 workers */
	int started;          /* workers started */
	nn_job_fn fn;         /* current job */
	void *ctx;
	atomic_uint gen;      /* bumped to start a job */
	atomic_int done;      /* workers finished with the current job */
	atomic_int quit;      /* 1: workers return */
	struct nn_worker {
		struct nn_pool *p;
		int t;
	} *w;
};

/* Spin briefly, then yield, then sleep: quick hand-off between mini-batches without burning a shared machine. */
static void backoff(long *spins)
{
	long s = (*spins)++;
	if (s < 2000) {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
		__builtin_ia32_pause();
#endif
	} else if (s < 20000) {
		sched_yield();
	} else {
		struct timespec ts = { 0, 50000 };
		nanosleep(&ts, NULL);
	}
}

static void *pool_main(void *arg)
{
	struct nn_worker *w = arg;
	struct nn_pool *p = w->p;
	unsigned seen = 0;
	for (;;) {
		long spins = 0;
		unsigned g;
		while ((g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen) {
			if (atomic_load_explicit(&p->quit, memory_order_acquire))
				return NULL;
			backoff(&spins);
		}
		seen = g;
		p->fn(p->ctx, w->t);
		atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
	}
}

nn_pool *nn_pool_new(int threads)
{
	if (threads < 2)
		return NULL;
	nn_pool *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->threads = threads;
	atomic_init(&p->gen, 0);
	atomic_init(&p->done, 0);
	atomic_init(&p->quit, 0);
	p->tid = calloc((size_t)threads, sizeof *p->tid);
	p->w = calloc((size_t)threads, sizeof *p->w);
	if (!p->tid || !p->w) {
		nn_pool_free(p);
		return NULL;
	}
	for (int t = 1; t < threads; t++) {
		p->w[t].p = p;
		p->w[t].t = t;
		if (pthread_create(&p->tid[t], NULL, pool_main, &p->w[t]) != 0) {
			nn_pool_free(p);
			return NULL;
		}
		p->started++;
	}
	return p;
}

void nn_pool_run(nn_pool *p, nn_job_fn fn, void *ctx)
{
	if (!p) {
		fn(ctx, 0);
		return;
	}
	p->fn = fn;
	p->ctx = ctx;
	atomic_store_explicit(&p->done, 0, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
	fn(ctx, 0);
	long spins = 0;
	while (atomic_load_explicit(&p->done, memory_order_acquire) < p->threads - 1)
		backoff(&spins);
}

void nn_pool_free(nn_pool *p)
{
	if (!p)
		return;
	atomic_store_explicit(&p->quit, 1, memory_order_release);
	for (int t = 1; t <= p->started; t++)
		pthread_join(p->tid[t], NULL);
	free(p->tid);
	free(p->w);
	free(p);
}

/* ---------------------------------------------------------------- threaded forward pass */

#define PREDICT_BLOCK 256 /* rows per panel */

typedef struct predict_job {
	const lc_net *net;
	const nn_kern *k;
	const float *x;
	float *y;
	size_t n, per;  /* rows, rows per thread */
	nn_ws **ws;
} predict_job;

static void predict_fn(void *ctx, int t)
{
	predict_job *j = ctx;
	size_t r0 = (size_t)t * j->per, r1 = r0 + j->per < j->n ? r0 + j->per : j->n;
	int d = j->net->n_in, no = lc_net_n_out(j->net);
	for (size_t r = r0; r < r1; r += PREDICT_BLOCK) {
		int nr = (int)(r1 - r < PREDICT_BLOCK ? r1 - r : PREDICT_BLOCK);
		nn_ws_forward(j->ws[t], j->net, j->k, j->x + r * (size_t)d, NULL, nr);
		panel_store(j->ws[t]->a[j->net->n_layers], nn_round_cols((size_t)nr), j->y + r * (size_t)no, no, nr);
	}
}

int lc_net_predict(const lc_net *net, const float *x, size_t n, float *y, int threads, lc_error *err)
{
	if (!net || (n > 0 && (!x || !y)))
		return lc_error_set(err, LC_ERR_INVALID, "lc_net_predict: NULL network or buffers");
	if (n == 0)
		return LC_OK;
	if (threads < 1)
		threads = 1;
	size_t maxt = (n + PREDICT_BLOCK - 1) / PREDICT_BLOCK;
	if ((size_t)threads > maxt)
		threads = (int)maxt;
	int rc = LC_OK, nws = threads;
	nn_pool *pool = NULL;
	nn_ws **ws = calloc((size_t)nws, sizeof *ws);
	if (!ws)
		return lc_error_set(err, LC_ERR_NOMEM, "lc_net_predict: out of memory");
	for (int t = 0; t < threads; t++)
		if (!(ws[t] = nn_ws_new(net, PREDICT_BLOCK))) {
			rc = lc_error_set(err, LC_ERR_NOMEM, "lc_net_predict: out of memory for workspaces");
			goto done;
		}
	if (threads > 1 && !(pool = nn_pool_new(threads)))
		threads = 1; /* results do not depend on the thread count: run on this thread */
	predict_job j = { net, nn_kern_best(), x, y, n, (n + (size_t)threads - 1) / (size_t)threads, ws };
	nn_pool_run(pool, predict_fn, &j);
done:
	nn_pool_free(pool);
	for (int t = 0; t < nws; t++)
		nn_ws_free(ws[t]);
	free(ws);
	return rc;
}
