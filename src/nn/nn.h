/* nn.h — internals of the dense networks shared by net.c, train.c, pca.c and the tests: our seeded RNG, the kernel
 * table (fast panel kernels per instruction set), naive reference kernels, per-thread workspaces, the batch
 * loss-and-gradient used by training (exposed so tests can check it) and a small spinning thread pool. */
#ifndef LC_NN_H
#define LC_NN_H

#include <stddef.h>
#include <stdint.h>

#include "lumicert.h"

/* ---------------------------------------------------------------- RNG: xoshiro256** seeded through splitmix64 */

typedef struct nn_rng {
	uint64_t s[4]; /* state, never all zero */
} nn_rng;

void nn_rng_seed(nn_rng *r, uint64_t seed);
uint64_t nn_rng_next(nn_rng *r);
/* Uniform double in [0, 1) with 53 random bits. */
double nn_rng_uniform(nn_rng *r);
/* Uniform integer in [0, n), n >= 1, without modulo bias. */
uint64_t nn_rng_below(nn_rng *r, uint64_t n);

/* ---------------------------------------------------------------- kernels */

#define NN_COLS 32   /* panel widths are multiples of this (a multiple of every lane count) */
#define NN_ALIGN 64  /* alignment of panels */

/* Fast kernels on feature-major panels (features, nb), nb a multiple of NN_COLS: column c is one data row. */
typedef struct nn_kern {
	const char *name; /* "sse2", "avx2" */
	int vl;           /* float lanes */
	int fused;        /* 1: the layer sums use fused multiply-add (as nn_naive_predict with fused = 1) */
	/* w is (n_out, n_in), b (n_out), x is (n_in, nb), y is (n_out, nb): y = act(w x + b) */
	void (*forward)(const float *w, const float *b, int n_in, int n_out, int act, const float *x, float *y, int nb);
	/* x (n_in, nb) layer input, y (n_out, nb) its output, dy (n_out, nb) dL/dy becomes dL/dz = dy act'(z) in place;
	 * dw (n_out, n_in) and db (n_out) are written; dx (n_in, nb) = (w^T dz) act_in'(x) unless NULL, act_in the
	 * activation whose output x is (dx is then the layer below's dL/dz: pass it on with act LC_ACT_LINEAR) or
	 * LC_ACT_LINEAR for plain dL/dx */
	void (*backward)(const float *w, int n_in, int n_out, int act, const float *x, const float *y, float *dy,
			 float *dw, float *db, float *dx, int nb, int act_in);
	/* y, t, e are (d, nb): v = y - t; colsum (nb) = per-column sum of v^2; e = v, or with s != 0
	 * e = (v s) act'(z) through y = act(z) */
	void (*sqerr)(const float *y, const float *t, int d, int nb, float *e, float *colsum, float s, int act);
	/* one Adam step over n parameters p with moments m, v and gradient g (torch.optim.Adam, float32) */
	void (*adam)(float *p, float *m, float *v, const float *g, size_t n, float b1, float b2, float eps,
		     float step, float bc2s);
	/* p (d, nbe) <- rows of x (x[rows[c]], or x + c*d when rows is NULL; row length d) transposed, columns
	 * nr..nbe zeroed */
	void (*load)(float *p, int nbe, const float *x, int d, const size_t *rows, int nr);
	/* forward pass and per-row MSE of an autoencoder on nr rows x (nr, d), tile by tile (at most NN_TILE rows at a
	 * time, all layers in L1, the output never stored): score (nr) unless NULL, each the mean over the d inputs of
	 * ((double)y - (double)x)^2 summed in ascending input order; buf holds nn_tile_floats(net) floats (NN_ALIGN
	 * aligned). Returns the sum of the scores in row order. */
	double (*ae_mse)(const lc_net *net, const float *x, size_t nr, double *score, float *buf);
} nn_kern;

#define NN_TILE 32 /* largest tile of ae_mse: 2 vectors of the widest instruction set */

/* Floats of the scratch buffer of nn_kern.ae_mse: NN_TILE * (n_in + widths of all hidden layers). */
size_t nn_tile_floats(const lc_net *net);

/* The fastest kernel set this CPU runs, or the one named by the environment variable LC_NN_KERNEL ("portable",
 * "avx2", "avx512") when set and available (for benchmarks and tests; results differ in the last bits). */
const nn_kern *nn_kern_best(void);
/* Kernel set i: 0 portable (SSE2 or plain C), 1 AVX2, 2 AVX-512F; NULL when i is unknown or the CPU lacks it. */
#define NN_N_KERNELS 3
const nn_kern *nn_kern_get(int i);

/* Activation of one value as the naive kernels compute it (libm expf/tanhf). */
float nn_act_ref(int act, float z);

/* Naive float forward of n rows, row by row with simple loops: x is (n, n_in), y is (n, n_out); with fused the
 * layer sums use fmaf, as the kernels with nn_kern.fused do. The reference the fast forward is tested against
 * (pre-activations are bit-identical; activations differ by the exp). */
void nn_naive_predict(const lc_net *net, const float *x, size_t n, float *y, int fused);

/* Naive double loss and gradient of rows x (n, d) for an autoencoder net with parameters p (n_params doubles, same
 * layout as net->params): returns the loss (mean over rows of the row loss), and the gradient in g (n_params) when g is
 * not NULL. Reference for gradient checks. */
double nn_naive_loss_grad(const lc_net *net, const double *p, const float *x, size_t n, int loss, int topk,
			  double *g);

/* Indices of the k largest of v[0..d) into idx[0..k) (idx has room for d), ties broken by the lower index. */
void nn_topk(const double *v, int d, int k, int *idx);

/* ---------------------------------------------------------------- workspaces and the batch gradient */

/* Per-thread buffers for up to nb rows at once. */
typedef struct nn_ws {
	int nb;          /* panel width (multiple of NN_COLS) */
	int n_layers;
	float **a;       /* n_layers + 1 panels: a[0] input (n_in, nb), a[l+1] output of layer l (n_out[l], nb) */
	float *d0, *d1;  /* two delta panels (max width, nb) */
	float *colsum;   /* nb */
	float *grad;     /* n_params, this thread's gradient */
	double *tk_v;    /* d, top-k values of one row */
	int *tk_i;       /* d, top-k indices */
} nn_ws;

nn_ws *nn_ws_new(const lc_net *net, int nb);
void nn_ws_free(nn_ws *ws);

/* Loads rows (nr <= ws->nb of them, x[rows[c]] or x + c*d when rows is NULL) into panel a[0], zero-padding the
 * remaining columns, and runs the forward pass: the output panel is ws->a[n_layers]. */
void nn_ws_forward(nn_ws *ws, const lc_net *net, const nn_kern *k, const float *x, const size_t *rows, int nr);

/* Forward and backward of nr rows as part of a batch of batch_n rows: writes ws->grad = gradient of the batch loss
 * restricted to these rows (sum over the threads of a batch = gradient of the whole batch) and returns the sum over
 * these rows of the row losses (float-accumulated per row, double across rows). */
double nn_ws_grad(nn_ws *ws, const lc_net *net, const nn_kern *k, const float *x, const size_t *rows, int nr,
		  size_t batch_n, int loss, int topk);

/* Row losses of the nr rows loaded by nn_ws_forward, in double: score[c] (nr) and, unless NULL, bins (nr, d) squared
 * errors. Returns their sum. */
double nn_ws_scores(nn_ws *ws, const lc_net *net, int nr, int loss, int topk, double *score, float *bins);

/* ---------------------------------------------------------------- PCA */

/* Test hook: size limits of lc_pca_ae_fit's full eigensolver (default 512) and of the explicit covariance / Gram
 * matrix (default 4096); 0 restores a default. Not thread-safe: tests only. */
void nn_pca_set_limits(int direct_max, int explicit_max);

/* ---------------------------------------------------------------- thread pool */

typedef struct nn_pool nn_pool;
typedef void (*nn_job_fn)(void *ctx, int tid);

/* A pool of threads - 1 workers (the caller is thread 0). NULL when out of memory or a thread cannot start. */
nn_pool *nn_pool_new(int threads);
/* Runs fn(ctx, t) for t = 0..threads-1 (t = 0 on the calling thread) and waits for all. pool may be NULL: then only
 * fn(ctx, 0) runs. */
void nn_pool_run(nn_pool *p, nn_job_fn fn, void *ctx);
void nn_pool_free(nn_pool *p);

/* Aligned allocation of n floats (zeroed), released with free(). */
float *nn_falloc(size_t n);
/* n rounded up to a multiple of NN_COLS. */
int nn_round_cols(size_t n);
/* Wall-clock seconds (monotonic). */
double nn_now(void);

#endif
