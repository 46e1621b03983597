/* pca.c — the closed-form linear autoencoder: principal axes of mean-centred rows, in double and deterministic.
 * Works in the smaller of the two spaces: the d x d covariance when d <= n, else the n x n Gram matrix. That matrix is
 * formed explicitly when it has at most pca_explicit_max rows (else it is applied implicitly, two passes over the
 * data per iteration); it is diagonalised directly (Householder + QL) up to pca_direct_max rows, else by block
 * subspace iteration with Rayleigh-Ritz from fixed start vectors. k = 0 picks the width by the broken-stick rule. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* no fused multiply-add: the fast kernels keep the naive kernels' rounding (clang contracts by default) */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif
#include "internal.h"
#include "nn/nn.h"

static int pca_direct_max = 512;    /* full eigensolver up to this size */
static int pca_explicit_max = 4096; /* form the covariance / Gram matrix up to this size (128 MiB) */

void nn_pca_set_limits(int direct_max, int explicit_max)
{
	pca_direct_max = direct_max > 0 ? direct_max : 512;
	pca_explicit_max = explicit_max > 0 ? explicit_max : 4096;
}
#define PCA_BLOCK 256          /* data rows / columns per centred panel */
#define PCA_TOL 1e-10          /* Ritz residual / largest eigenvalue at convergence */
#define PCA_MAXIT 1000
#define PCA_SEED 0x5043415F41455331ull

static size_t round4(size_t n)
{
	return (n + 3) / 4 * 4;
}

/* ---------------------------------------------------------------- C += P R^T in double */

typedef double v4d __attribute__((vector_size(32)));

/* macros, not functions: a 32-byte vector argument of a function compiled without AVX changes the ABI (-Wpsabi) */
#define hsum4(v) (((v)[0] + (v)[2]) + ((v)[1] + (v)[3]))
#define LD4(v, p) memcpy(&(v), (p), sizeof(v))

/* C[a][b] += sum_t P[a][t] R[b][t]: P is (np, w) with row stride ldp, R is (nr, w) stride ldr, C is (np, nr) stride
 * ldc; w a multiple of 4 (rows zero-padded). sym (P == R): only blocks with b >= a's block start are computed.
 * Blocks of 2 rows of P x 4 rows of R: 8 lane-wise accumulators, then a fixed-order lane sum. */
static inline __attribute__((always_inline)) void dgemm_nt_body(const double *P, size_t ldp, int np, const double *R,
								 size_t ldr, int nr, int w, double *C, size_t ldc,
								 int sym)
{
	int a = 0;
	for (; a < np; a += 2) {
		int a2 = a + 1 < np;
		const double *p0 = P + (size_t)a * ldp, *p1 = a2 ? p0 + ldp : p0;
		int b = sym ? a / 4 * 4 : 0;
		for (; b + 4 <= nr; b += 4) {
			const double *r0 = R + (size_t)b * ldr, *r1 = r0 + ldr, *r2 = r1 + ldr, *r3 = r2 + ldr;
			v4d s00 = { 0 }, s01 = { 0 }, s02 = { 0 }, s03 = { 0 }, s10 = { 0 }, s11 = { 0 }, s12 = { 0 },
			    s13 = { 0 };
			for (int t = 0; t < w; t += 4) {
				v4d x0, x1, y;
				LD4(x0, p0 + t);
				LD4(x1, p1 + t);
				LD4(y, r0 + t);
				s00 += x0 * y;
				s10 += x1 * y;
				LD4(y, r1 + t);
				s01 += x0 * y;
				s11 += x1 * y;
				LD4(y, r2 + t);
				s02 += x0 * y;
				s12 += x1 * y;
				LD4(y, r3 + t);
				s03 += x0 * y;
				s13 += x1 * y;
			}
			double *c0 = C + (size_t)a * ldc + b;
			c0[0] += hsum4(s00);
			c0[1] += hsum4(s01);
			c0[2] += hsum4(s02);
			c0[3] += hsum4(s03);
			if (a2) {
				c0 += ldc;
				c0[0] += hsum4(s10);
				c0[1] += hsum4(s11);
				c0[2] += hsum4(s12);
				c0[3] += hsum4(s13);
			}
		}
		for (; b < nr; b++) {
			const double *r0 = R + (size_t)b * ldr;
			v4d s0 = { 0 }, s1 = { 0 };
			for (int t = 0; t < w; t += 4) {
				v4d x0, x1, y;
				LD4(y, r0 + t);
				LD4(x0, p0 + t);
				LD4(x1, p1 + t);
				s0 += x0 * y;
				s1 += x1 * y;
			}
			C[(size_t)a * ldc + b] += hsum4(s0);
			if (a2)
				C[(size_t)(a + 1) * ldc + b] += hsum4(s1);
		}
	}
}

static void dgemm_nt_base(const double *P, size_t ldp, int np, const double *R, size_t ldr, int nr, int w, double *C,
			  size_t ldc, int sym)
{
	dgemm_nt_body(P, ldp, np, R, ldr, nr, w, C, ldc, sym);
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
__attribute__((target("avx2"))) static void dgemm_nt_avx2(const double *P, size_t ldp, int np, const double *R,
							  size_t ldr, int nr, int w, double *C, size_t ldc, int sym)
{
	dgemm_nt_body(P, ldp, np, R, ldr, nr, w, C, ldc, sym);
}
#endif

typedef void (*dgemm_fn)(const double *, size_t, int, const double *, size_t, int, int, double *, size_t, int);

static dgemm_fn dgemm_pick(void)
{
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
	if (__builtin_cpu_supports("avx2"))
		return dgemm_nt_avx2;
#endif
	return dgemm_nt_base;
}

/* ---------------------------------------------------------------- symmetric eigensolver */

/* Eigen-decomposition of the symmetric n x n matrix a (row-major, overwritten): Householder tridiagonalisation and
 * implicit QL (EISPACK tred2/tql2 as in JAMA). On return val (n) is descending and row i of a is the unit eigenvector
 * of val[i]. Returns 0, or -1 if QL did not converge. */
static int eig_sym(double *a, int n, double *val)
{
	double *d = val, *e = calloc((size_t)n, sizeof *e);
	int rc = 0;
	if (!e)
		return -2;
#define A(i, j) a[(size_t)(i) * (size_t)n + (size_t)(j)]
	for (int j = 0; j < n; j++)
		d[j] = A(n - 1, j);
	for (int i = n - 1; i > 0; i--) {
		double scale = 0.0, h = 0.0;
		for (int k = 0; k < i; k++)
			scale += fabs(d[k]);
		if (scale == 0.0) {
			e[i] = d[i - 1];
			for (int j = 0; j < i; j++) {
				d[j] = A(i - 1, j);
				A(i, j) = 0.0;
				A(j, i) = 0.0;
			}
		} else {
			for (int k = 0; k < i; k++) {
				d[k] /= scale;
				h += d[k] * d[k];
			}
			double f = d[i - 1], g = sqrt(h);
			if (f > 0)
				g = -g;
			e[i] = scale * g;
			h -= f * g;
			d[i - 1] = f - g;
			for (int j = 0; j < i; j++)
				e[j] = 0.0;
			for (int j = 0; j < i; j++) {
				f = d[j];
				A(j, i) = f;
				g = e[j] + A(j, j) * f;
				for (int k = j + 1; k <= i - 1; k++) {
					g += A(k, j) * d[k];
					e[k] += A(k, j) * f;
				}
				e[j] = g;
			}
			f = 0.0;
			for (int j = 0; j < i; j++) {
				e[j] /= h;
				f += e[j] * d[j];
			}
			double hh = f / (h + h);
			for (int j = 0; j < i; j++)
				e[j] -= hh * d[j];
			for (int j = 0; j < i; j++) {
				f = d[j];
				g = e[j];
				for (int k = j; k <= i - 1; k++)
					A(k, j) -= (f * e[k] + g * d[k]);
				d[j] = A(i - 1, j);
				A(i, j) = 0.0;
			}
		}
		d[i] = h;
	}
	for (int i = 0; i < n - 1; i++) {
		A(n - 1, i) = A(i, i);
		A(i, i) = 1.0;
		double h = d[i + 1];
		if (h != 0.0) {
			for (int k = 0; k <= i; k++)
				d[k] = A(k, i + 1) / h;
			for (int j = 0; j <= i; j++) {
				double g = 0.0;
				for (int k = 0; k <= i; k++)
					g += A(k, i + 1) * A(k, j);
				for (int k = 0; k <= i; k++)
					A(k, j) -= g * d[k];
			}
		}
		for (int k = 0; k <= i; k++)
			A(k, i + 1) = 0.0;
	}
	for (int j = 0; j < n; j++) {
		d[j] = A(n - 1, j);
		A(n - 1, j) = 0.0;
	}
	A(n - 1, n - 1) = 1.0;
	e[0] = 0.0;
	/* transpose so that eigenvectors are rows: the QL rotations then touch two contiguous rows */
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			double t = A(i, j);
			A(i, j) = A(j, i);
			A(j, i) = t;
		}
	for (int i = 1; i < n; i++)
		e[i - 1] = e[i];
	e[n - 1] = 0.0;
	double f = 0.0, tst1 = 0.0, eps = 0x1.0p-52;
	for (int l = 0; l < n && rc == 0; l++) {
		tst1 = fmax(tst1, fabs(d[l]) + fabs(e[l]));
		int m = l;
		while (m < n - 1 && fabs(e[m]) > eps * tst1)
			m++;
		if (m > l) {
			int iter = 0;
			do {
				if (++iter > 60) {
					rc = -1;
					break;
				}
				double g = d[l], p = (d[l + 1] - g) / (2.0 * e[l]), r = hypot(p, 1.0);
				if (p < 0)
					r = -r;
				d[l] = e[l] / (p + r);
				d[l + 1] = e[l] * (p + r);
				double dl1 = d[l + 1], h = g - d[l];
				for (int i = l + 2; i < n; i++)
					d[i] -= h;
				f += h;
				p = d[m];
				double c = 1.0, c2 = c, c3 = c, el1 = e[l + 1], s = 0.0, s2 = 0.0;
				for (int i = m - 1; i >= l; i--) {
					c3 = c2;
					c2 = c;
					s2 = s;
					g = c * e[i];
					h = c * p;
					r = hypot(p, e[i]);
					e[i + 1] = s * r;
					s = e[i] / r;
					c = p / r;
					p = c * d[i] - s * g;
					d[i + 1] = h + s * (c * g + s * d[i]);
					double *vi = a + (size_t)i * (size_t)n, *vj = vi + n;
					for (int k = 0; k < n; k++) {
						h = vj[k];
						vj[k] = s * vi[k] + c * h;
						vi[k] = c * vi[k] - s * h;
					}
				}
				p = -s * s2 * c3 * el1 * e[l] / dl1;
				e[l] = s * p;
				d[l] = c * p;
			} while (fabs(e[l]) > eps * tst1);
		}
		d[l] += f;
		e[l] = 0.0;
	}
	/* sort descending (selection sort: n swaps of rows at most) */
	for (int i = 0; i < n - 1 && rc == 0; i++) {
		int k = i;
		for (int j = i + 1; j < n; j++)
			if (d[j] > d[k])
				k = j;
		if (k != i) {
			double t = d[i];
			d[i] = d[k];
			d[k] = t;
			for (int j = 0; j < n; j++) {
				t = A(i, j);
				A(i, j) = A(k, j);
				A(k, j) = t;
			}
		}
	}
#undef A
	free(e);
	return rc;
}

/* ---------------------------------------------------------------- data access */

typedef struct pca {
	const float *x;   /* (n, d) */
	size_t n;
	int d;
	const double *mu; /* (d) */
	int gram;         /* 1: operator space is the n rows (Gram), 0: the d inputs (covariance) */
	const int *cols;  /* Gram: the ncols inputs with non-zero variance (the others add nothing to Xc Xc^T) */
	int ncols;
	size_t s, lds;    /* operator dimension and padded row stride */
	double *S;        /* explicit matrix (s, lds) or NULL */
	dgemm_fn gemm;
	double *buf, *buft; /* centred panels: PCA_BLOCK rows of M and their transpose */
} pca;

/* Rows [r0, r0 + rb) of M, centred, into buf (rb, lds) and buft (s, round4(PCA_BLOCK)) transposed, where M = Xc
 * (n, d) for the covariance and M = Xc^T (d, n) for the Gram space: the operator is M^T M / (n - 1). */
static int m_rows(const pca *p)
{
	return p->gram ? p->ncols : (int)p->n;
}

static void m_block(pca *p, int r0, int rb)
{
	size_t ldt = round4(PCA_BLOCK);
	memset(p->buf, 0, (size_t)PCA_BLOCK * p->lds * sizeof *p->buf);
	memset(p->buft, 0, p->s * ldt * sizeof *p->buft);
	if (!p->gram) {
		for (int r = 0; r < rb; r++) {
			const float *xr = p->x + (size_t)(r0 + r) * (size_t)p->d;
			for (int c = 0; c < p->d; c++) {
				double v = (double)xr[c] - p->mu[c];
				p->buf[(size_t)r * p->lds + c] = v;
				p->buft[(size_t)c * ldt + r] = v;
			}
		}
	} else {
		const int *cl = p->cols + r0;
		for (size_t i = 0; i < p->n; i++) {
			const float *xr = p->x + i * (size_t)p->d;
			for (int r = 0; r < rb; r++) {
				double v = (double)xr[cl[r]] - p->mu[cl[r]];
				p->buf[(size_t)r * p->lds + i] = v;
				p->buft[i * ldt + r] = v;
			}
		}
	}
}

/* W (m, lds) = Q (m, lds) A with A = M^T M / (n - 1), explicit or by passes over M. */
static int apply_op(pca *p, const double *Q, int m, double *W)
{
	memset(W, 0, (size_t)m * p->lds * sizeof *W);
	if (p->S) {
		p->gemm(Q, p->lds, m, p->S, p->lds, (int)p->s, (int)p->lds, W, p->lds, 0);
		return 0;
	}
	size_t ldt = round4(PCA_BLOCK);
	double *Y = calloc((size_t)m * ldt, sizeof *Y);
	if (!Y)
		return -1;
	for (int r0 = 0; r0 < m_rows(p); r0 += PCA_BLOCK) {
		int rb = m_rows(p) - r0 < PCA_BLOCK ? m_rows(p) - r0 : PCA_BLOCK;
		m_block(p, r0, rb);
		memset(Y, 0, (size_t)m * ldt * sizeof *Y);
		// Y (m, rb) = Q (m, s) . B^T, B (rb, s); then W (m, s) += Y (m, rb) . B
		p->gemm(Q, p->lds, m, p->buf, p->lds, rb, (int)p->lds, Y, ldt, 0);
		p->gemm(Y, ldt, m, p->buft, ldt, (int)p->s, (int)ldt, W, p->lds, 0);
	}
	free(Y);
	double sc = 1.0 / ((double)p->n - 1.0);
	for (size_t i = 0; i < (size_t)m * p->lds; i++)
		W[i] *= sc;
	return 0;
}

static double dot(const double *a, const double *b, size_t n)
{
	double s = 0.0;
	for (size_t i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

/* Orthonormalises the m rows of Q (length s, stride lds) by modified Gram-Schmidt, twice; a row that vanishes is
 * replaced by a random one (fixed stream) and orthogonalised again. */
static void orth(double *Q, int m, size_t s, size_t lds, nn_rng *rng)
{
	for (int j = 0; j < m; j++) {
		double *q = Q + (size_t)j * lds;
		double n0 = sqrt(dot(q, q, s));
		for (int tries = 0; tries < 10; tries++) {
			for (int pass = 0; pass < 2; pass++)
				for (int i = 0; i < j; i++) {
					const double *qi = Q + (size_t)i * lds;
					double c = dot(qi, q, s);
					for (size_t t = 0; t < s; t++)
						q[t] -= c * qi[t];
				}
			double nn = sqrt(dot(q, q, s));
			if (nn > 1e-10 * n0 && nn > 0.0) {
				for (size_t t = 0; t < s; t++)
					q[t] /= nn;
				break;
			}
			for (size_t t = 0; t < s; t++)
				q[t] = nn_rng_uniform(rng) - 0.5;
			n0 = sqrt(dot(q, q, s));
		}
	}
}

static int broken_stick(const double *lam, int navail, int p, double total)
{
	int k = 0;
	for (int i = 1; i <= navail; i++) {
		double b = 0.0;
		for (int j = p; j >= i; j--)
			b += 1.0 / j;
		b /= p;
		if (!(lam[i - 1] / total > b))
			break;
		k = i;
	}
	return k;
}

/* Leading kk eigenpairs of the operator by block subspace iteration (block m >= kk) with Rayleigh-Ritz: val (m)
 * descending, Q (m, lds) the Ritz vectors. Converged when the kk Ritz values change by less than PCA_TOL relative to
 * the largest and the vectors that will be used (k, or those the broken-stick rule keeps when k = 0, given the
 * total variance and p) have residuals below PCA_TOL times the largest eigenvalue: noise axes past the cut, with
 * tiny gaps between them, need not converge. */
static int subspace(pca *p, int m, int kk, int k, double total, int np, double *val, double *Q)
{
	size_t s = p->s, lds = p->lds;
	double *W = calloc((size_t)m * lds, sizeof *W), *T = calloc((size_t)m * lds, sizeof *T);
	double *H = calloc((size_t)m * (size_t)m, sizeof *H), *prev = malloc((size_t)m * sizeof *prev);
	int rc = -1;
	if (!W || !T || !H || !prev)
		goto done;
	nn_rng rng;
	nn_rng_seed(&rng, PCA_SEED);
	memset(Q, 0, (size_t)m * lds * sizeof *Q);
	for (int j = 0; j < m; j++)
		for (size_t t = 0; t < s; t++)
			Q[(size_t)j * lds + t] = nn_rng_uniform(&rng) - 0.5;
	orth(Q, m, s, lds, &rng);
	for (int it = 0; it < PCA_MAXIT; it++) {
		if (apply_op(p, Q, m, W))
			goto done;
		for (int i = 0; i < m; i++)
			for (int j = 0; j <= i; j++)
				H[(size_t)i * m + j] = H[(size_t)j * m + i] =
					0.5 * (dot(Q + (size_t)i * lds, W + (size_t)j * lds, s) +
					       dot(Q + (size_t)j * lds, W + (size_t)i * lds, s));
		if (eig_sym(H, m, val))
			goto done;
		/* rotate: Q <- Z^T Q (Ritz vectors), W <- Z^T W (operator applied to them) */
		for (int pass = 0; pass < 2; pass++) {
			double *X = pass ? W : Q;
			memset(T, 0, (size_t)m * lds * sizeof *T);
			for (int i = 0; i < m; i++)
				for (int j = 0; j < m; j++) {
					double z = H[(size_t)i * m + j];
					const double *xj = X + (size_t)j * lds;
					double *ti = T + (size_t)i * lds;
					for (size_t t = 0; t < s; t++)
						ti[t] += z * xj[t];
				}
			memcpy(X, T, (size_t)m * lds * sizeof *X);
		}
		double res = 0.0, scale = fmax(val[0], 1e-300);
		int nvec = k ? k : broken_stick(val, kk < np ? kk : np, np, total) + 1;
		if (nvec > kk)
			nvec = kk;
		for (int i = 0; i < kk && it > 0; i++)
			res = fmax(res, fabs(val[i] - prev[i]) / scale);
		if (it == 0)
			res = INFINITY;
		memcpy(prev, val, (size_t)m * sizeof *prev);
		for (int i = 0; i < nvec; i++) {
			const double *q = Q + (size_t)i * lds, *w = W + (size_t)i * lds;
			double r2 = 0.0;
			for (size_t t = 0; t < s; t++)
				r2 += (w[t] - val[i] * q[t]) * (w[t] - val[i] * q[t]);
			res = fmax(res, sqrt(r2) / scale);
		}
		if (res <= PCA_TOL)
			break;
		memcpy(Q, W, (size_t)m * lds * sizeof *Q);
		orth(Q, m, s, lds, &rng);
	}
	rc = 0; /* not converged within PCA_MAXIT: the Ritz pairs are still the best estimates */
done:
	free(W);
	free(T);
	free(H);
	free(prev);
	return rc;
}

/* ---------------------------------------------------------------- fit */

int lc_pca_ae_fit(const float *x, size_t n, int d, int k, lc_net **out, int *k_out, double *explained,
		  lc_error *err)
{
	if (!x || !out || d < 1 || k < 0)
		return lc_error_set(err, LC_ERR_INVALID, "lc_pca_ae_fit: bad arguments (d = %d, k = %d)", d, k);
	if (n < 2)
		return lc_error_set(err, LC_ERR_INVALID, "PCA needs at least 2 rows (got %zu)", n);
	size_t pmax = (size_t)d < n - 1 ? (size_t)d : n - 1;
	if ((size_t)k > pmax)
		return lc_error_set(err, LC_ERR_INVALID, "PCA width k = %d exceeds min(d, n - 1) = %zu", k, pmax);
	for (size_t i = 0; i < n * (size_t)d; i++)
		if (!isfinite(x[i]))
			return lc_error_set(err, LC_ERR_INVALID, "PCA row %zu, input %d is not finite", i / (size_t)d,
					    (int)(i % (size_t)d));
	int p = (int)pmax, rc = LC_OK;
	pca P = { .x = x, .n = n, .d = d, .gram = n < (size_t)d, .gemm = dgemm_pick() };
	P.s = P.gram ? n : (size_t)d;
	P.lds = round4(P.s);
	double *mu = calloc((size_t)d, sizeof *mu), *var = calloc((size_t)d, sizeof *var);
	double *val = NULL, *vec = NULL, *axes = NULL;
	int *cols = NULL;
	lc_net *net = NULL;
	size_t ldt = round4(PCA_BLOCK);
	P.buf = calloc((size_t)PCA_BLOCK * P.lds, sizeof *P.buf);
	P.buft = calloc(P.s * ldt, sizeof *P.buft);
	if (!mu || !var || !P.buf || !P.buft)
		goto nomem;
	P.mu = mu;
	for (size_t r = 0; r < n; r++)
		for (int c = 0; c < d; c++)
			mu[c] += x[r * (size_t)d + c];
	for (int c = 0; c < d; c++)
		mu[c] /= (double)n;
	for (size_t r = 0; r < n; r++)
		for (int c = 0; c < d; c++) {
			double e = x[r * (size_t)d + c] - mu[c];
			var[c] += e * e;
		}
	double total = 0.0;
	for (int c = 0; c < d; c++)
		total += var[c] / ((double)n - 1.0);
	if (!(total > 0.0)) {
		rc = lc_error_set(err, LC_ERR_INVALID, "PCA: all %zu rows are identical (no variance)", n);
		goto done;
	}
	if (P.gram) {
		if (!(cols = malloc((size_t)d * sizeof *cols)))
			goto nomem;
		for (int c = 0; c < d; c++)
			if (var[c] > 0.0)
				cols[P.ncols++] = c;
		P.cols = cols;
	}

	/* the explicit matrix: S = M^T M / (n - 1), summed over panels of PCA_BLOCK rows of M */
	if (P.s <= (size_t)pca_explicit_max) {
		if (!(P.S = calloc(P.s * P.lds, sizeof *P.S)))
			goto nomem;
		for (int r0 = 0; r0 < m_rows(&P); r0 += PCA_BLOCK) {
			int rb = m_rows(&P) - r0 < PCA_BLOCK ? m_rows(&P) - r0 : PCA_BLOCK;
			m_block(&P, r0, rb);
			// S (s, s) += B^T B = buft (s, rb) . buft^T
			P.gemm(P.buft, ldt, (int)P.s, P.buft, ldt, (int)P.s, (int)ldt, P.S, P.lds, 1);
		}
		double sc = 1.0 / ((double)n - 1.0);
		for (size_t i = 0; i < P.s; i++)
			for (size_t j = i; j < P.s; j++)
				P.S[j * P.lds + i] = P.S[i * P.lds + j] *= sc;
	}

	/* eigenpairs: nv values in val, vectors as rows of vec (stride lds) in operator space */
	int nv, want = k ? k : (p < 16 ? p : 16);
	for (;;) {
		free(val);
		free(vec);
		val = vec = NULL;
		if (P.S && P.s <= (size_t)pca_direct_max) {
			nv = (int)P.s;
			val = malloc(P.s * sizeof *val);
			vec = calloc(P.s * P.lds, sizeof *vec);
			if (!val || !vec)
				goto nomem;
			double *a = malloc(P.s * P.s * sizeof *a);
			if (!a)
				goto nomem;
			for (size_t i = 0; i < P.s; i++)
				memcpy(a + i * P.s, P.S + i * P.lds, P.s * sizeof *a);
			int e = eig_sym(a, (int)P.s, val);
			for (size_t i = 0; i < P.s && e == 0; i++)
				memcpy(vec + i * P.lds, a + i * P.s, P.s * sizeof *a);
			free(a);
			if (e) {
				rc = lc_error_set(err, e == -2 ? LC_ERR_NOMEM : LC_ERR_INVALID,
						  "PCA: eigensolver did not converge");
				goto done;
			}
		} else {
			int m = want + (want / 2 > 8 ? want / 2 : 8);
			if ((size_t)m > P.s)
				m = (int)P.s;
			nv = want;
			val = malloc((size_t)m * sizeof *val);
			vec = calloc((size_t)m * P.lds, sizeof *vec);
			if (!val || !vec)
				goto nomem;
			if (subspace(&P, m, want, k, total, p, val, vec)) {
				rc = lc_error_set(err, LC_ERR_NOMEM, "PCA: out of memory in subspace iteration");
				goto done;
			}
		}
		if (k)
			break;
		int kb = broken_stick(val, nv < p ? nv : p, p, total);
		if (kb < nv || nv >= p) {
			k = kb > 0 ? kb : 1;
			break;
		}
		want = 2 * want < p ? 2 * want : p; /* every axis found passed: look further */
	}

	/* axes (k, d) in input space */
	if (!(axes = calloc((size_t)k * (size_t)d, sizeof *axes)))
		goto nomem;
	if (!P.gram) {
		for (int i = 0; i < k; i++)
			memcpy(axes + (size_t)i * d, vec + (size_t)i * P.lds, (size_t)d * sizeof *axes);
	} else {
		/* v_i = Xc^T u_i, normalised; Xc^T rows are M rows: v_i[c] = sum_r M[c][r] u_i[r] (0 where the input
		 * is constant) */
		for (int r0 = 0; r0 < P.ncols; r0 += PCA_BLOCK) {
			int rb = P.ncols - r0 < PCA_BLOCK ? P.ncols - r0 : PCA_BLOCK;
			m_block(&P, r0, rb);
			for (int i = 0; i < k; i++)
				for (int r = 0; r < rb; r++)
					axes[(size_t)i * d + cols[r0 + r]] = dot(P.buf + (size_t)r * P.lds,
										 vec + (size_t)i * P.lds, n);
		}
		nn_rng rng;
		nn_rng_seed(&rng, PCA_SEED + 1);
		orth(axes, k, (size_t)d, (size_t)d, &rng);
	}
	double kept = 0.0;
	for (int i = 0; i < k; i++) {
		double *v = axes + (size_t)i * d;
		int big = 0;
		for (int c = 1; c < d; c++)
			if (fabs(v[c]) > fabs(v[big]))
				big = c;
		if (v[big] < 0)
			for (int c = 0; c < d; c++)
				v[c] = -v[c];
		kept += fmax(val[i], 0.0);
	}

	int no[2] = { k, d }, act[2] = { LC_ACT_LINEAR, LC_ACT_LINEAR };
	if (!(net = lc_net_new(d, 2, no, act)))
		goto nomem;
	float *w0 = net->params + net->offset[0], *b0 = w0 + (size_t)k * d;
	float *w1 = net->params + net->offset[1], *b1 = w1 + (size_t)d * k;
	for (int i = 0; i < k; i++) {
		double s = 0.0;
		for (int c = 0; c < d; c++) {
			double v = axes[(size_t)i * d + c];
			w0[(size_t)i * d + c] = (float)v;
			w1[(size_t)c * k + i] = (float)v;
			s += v * mu[c];
		}
		b0[i] = (float)-s;
	}
	for (int c = 0; c < d; c++)
		b1[c] = (float)mu[c];
	*out = net;
	net = NULL;
	if (k_out)
		*k_out = k;
	if (explained)
		*explained = kept / total;
	goto done;
nomem:
	rc = lc_error_set(err, LC_ERR_NOMEM, "PCA: out of memory (n = %zu, d = %d)", n, d);
done:
	lc_net_free(net);
	free(mu);
	free(var);
	free(val);
	free(vec);
	free(axes);
	free(cols);
	free(P.buf);
	free(P.buft);
	free(P.S);
	return rc;
}
