/* test_nn.c — dense networks, training and the PCA autoencoder: gradient checks of every parameter, fast kernels
 * against the naive ones, determinism across runs and thread counts, early stopping, hand-computed scores, PCA on
 * data with known axes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lumicert.h"
#include "nn/nn.h"
#include "t.h"

static float *rand_rows(size_t n, int d, uint64_t seed, double lo, double hi)
{
	nn_rng r;
	nn_rng_seed(&r, seed);
	float *x = malloc(n * (size_t)d * sizeof *x);
	for (size_t i = 0; i < n * (size_t)d; i++)
		x[i] = (float)(lo + (hi - lo) * nn_rng_uniform(&r));
	return x;
}

static void test_names(void)
{
	for (int a = LC_ACT_LINEAR; a <= LC_ACT_LEAKY_RELU; a++)
		CHECK(lc_act_parse(lc_act_name(a)) == a);
	CHECK(strcmp(lc_act_name(LC_ACT_LEAKY_RELU), "leaky_relu") == 0);
	CHECK(lc_act_parse("gelu") == -1);
	CHECK(lc_act_parse(NULL) == -1);
}

static void test_new_init(void)
{
	int no[3] = { 4, 2, 5 }, act[3] = { LC_ACT_RELU, LC_ACT_TANH, LC_ACT_SIGMOID };
	lc_net *net = lc_net_new(5, 3, no, act);
	CHECK(net != NULL);
	if (!net)
		return;
	CHECK(net->n_params == (size_t)(4 * 5 + 4 + 2 * 4 + 2 + 5 * 2 + 5));
	CHECK(net->offset[0] == 0 && net->offset[1] == 24 && net->offset[2] == 34);
	CHECK(lc_net_n_out(net) == 5);
	int zero = 1;
	for (size_t i = 0; i < net->n_params; i++)
		zero &= net->params[i] == 0.0f;
	CHECK(zero);
	int bad_no[2] = { 3, 0 }, bad_act[2] = { 0, 9 };
	CHECK(lc_net_new(0, 3, no, act) == NULL);
	CHECK(lc_net_new(5, 0, no, act) == NULL);
	CHECK(lc_net_new(5, 2, bad_no, act) == NULL);
	CHECK(lc_net_new(5, 2, no, bad_act) == NULL);

	lc_net_init(net, 42);
	lc_net *c = lc_net_clone(net);
	CHECK(c && memcmp(c->params, net->params, net->n_params * sizeof(float)) == 0);
	lc_net_init(c, 42);
	CHECK(c && memcmp(c->params, net->params, net->n_params * sizeof(float)) == 0);
	lc_net_init(c, 43);
	CHECK(c && memcmp(c->params, net->params, net->n_params * sizeof(float)) != 0);
	/* Glorot bound, zero biases, weights not all tiny */
	int ok = 1;
	double maxw = 0.0;
	int prev = 5;
	for (int l = 0; l < 3; l++) {
		double lim = sqrt(6.0 / (prev + no[l]));
		const float *w = net->params + net->offset[l];
		for (int i = 0; i < no[l] * prev; i++) {
			ok &= fabs(w[i]) <= lim;
			if (fabs(w[i]) / lim > maxw)
				maxw = fabs(w[i]) / lim;
		}
		for (int i = 0; i < no[l]; i++)
			ok &= w[no[l] * prev + i] == 0.0f;
		prev = no[l];
	}
	CHECK(ok);
	CHECK(maxw > 0.5);
	lc_net_free(c);
	lc_net_free(net);
	lc_net_free(NULL);
}

static void test_topk(void)
{
	double v[9] = { 3, 1, 4, 1, 5, 9, 2, 6, 5 };
	int idx[9];
	nn_topk(v, 9, 3, idx);
	int got[3] = { idx[0], idx[1], idx[2] }, seen[9] = { 0 };
	for (int j = 0; j < 3; j++)
		seen[got[j]] = 1;
	CHECK(seen[5] && seen[7] && (seen[4] ^ seen[8]));
	CHECK(seen[4]); /* tie 5 vs 5: the lower index wins */
	/* random with ties: the selected set equals the first k of a full stable sort by value desc */
	nn_rng r;
	nn_rng_seed(&r, 5);
	int good = 1;
	for (int trial = 0; trial < 50; trial++) {
		int d = 1 + (int)nn_rng_below(&r, 60), k = 1 + (int)nn_rng_below(&r, (uint64_t)d);
		double a[60];
		int ix[60], sel[60] = { 0 };
		for (int i = 0; i < d; i++)
			a[i] = (double)nn_rng_below(&r, 7);
		nn_topk(a, d, k, ix);
		for (int j = 0; j < k; j++)
			sel[ix[j]] = 1;
		for (int i = 0; i < d; i++)
			for (int j = 0; j < d; j++)
				if (sel[i] && !sel[j] && (a[j] > a[i] || (a[j] == a[i] && j < i)))
					good = 0;
	}
	CHECK(good);
}

/* Fast forward (every kernel set) against the naive float kernel, for every activation. */
static void test_forward_kernels(void)
{
	int d = 37, n = 45;
	float *x = rand_rows((size_t)n, d, 3, -1.0, 1.0);
	for (int a = LC_ACT_LINEAR; a <= LC_ACT_LEAKY_RELU; a++) {
		int no[3] = { 13, 6, d }, act[3] = { a, a, a };
		lc_net *net = lc_net_new(d, 3, no, act);
		lc_net_init(net, 7);
		for (size_t i = 0; i < net->n_params; i++)
			net->params[i] *= 2.0f;
		net->params[net->offset[1] + 6 * 13] = 0.3f; /* a non-zero bias */
		float *ref = malloc((size_t)n * d * sizeof *ref), *y = malloc((size_t)n * d * sizeof *y);
		for (int ki = 0; ki < NN_N_KERNELS; ki++) {
			const nn_kern *k = nn_kern_get(ki);
			if (!k)
				continue;
			nn_naive_predict(net, x, (size_t)n, ref, k->fused);
			nn_ws *ws = nn_ws_new(net, n);
			nn_ws_forward(ws, net, k, x, NULL, n);
			int nbe = nn_round_cols((size_t)n);
			double maxd = 0.0;
			int exact = 1;
			for (int r = 0; r < n; r++)
				for (int i = 0; i < d; i++) {
					float f = ws->a[3][(size_t)i * nbe + r], g = ref[(size_t)r * d + i];
					exact &= f == g;
					if (fabs(f - g) > maxd)
						maxd = fabs(f - g);
				}
			CHECK(maxd < 2e-6);
			if (a == LC_ACT_LINEAR || a == LC_ACT_RELU || a == LC_ACT_LEAKY_RELU)
				CHECK(exact); /* same summation order as the naive kernel */
			nn_ws_free(ws);
		}
		/* the public entry point, with threads and a row count that splits unevenly */
		nn_naive_predict(net, x, (size_t)n, ref, nn_kern_best()->fused);
		CHECK(lc_net_predict(net, x, (size_t)n, y, 3, NULL) == LC_OK);
		double maxd = 0.0;
		for (int i = 0; i < n * d; i++)
			if (fabs(y[i] - ref[i]) > maxd)
				maxd = fabs(y[i] - ref[i]);
		CHECK(maxd < 2e-6);
		free(ref);
		free(y);
		lc_net_free(net);
	}
	free(x);
}

/* The fused tile scorer (ae_mse) of every kernel set against the panel forward + nn_ws_scores of the same set: the
 * same pre-activation sums and activations, so the same bits; row counts that leave partial tiles, widths with
 * remainder rows, every activation in the hidden and the output layers; and against a double MSE of the naive
 * forward. */
static void test_fused_scores(void)
{
	int d = 37;
	for (int a = LC_ACT_LINEAR; a <= LC_ACT_LEAKY_RELU; a++) {
		int no[4] = { 13, 6, 10, d }, act[4] = { a, (a + 1) % 5, (a + 2) % 5, a };
		lc_net *net = lc_net_new(d, 4, no, act);
		lc_net_init(net, 11);
		for (size_t i = 0; i < net->n_params; i++)
			net->params[i] *= 2.0f;
		net->params[net->offset[3] + (size_t)d * 10 + 3] = 0.4f; /* a non-zero output bias */
		for (int n = 1; n <= 100; n += 33) {
			float *x = rand_rows((size_t)n, d, 5 + (uint64_t)n, 0.0, 1.0), *ref = malloc((size_t)n * d * sizeof *ref);
			double *s0 = malloc((size_t)n * sizeof *s0), *s1 = malloc((size_t)n * sizeof *s1);
			for (int ki = 0; ki < NN_N_KERNELS; ki++) {
				const nn_kern *k = nn_kern_get(ki);
				if (!k)
					continue;
				nn_naive_predict(net, x, (size_t)n, ref, k->fused);
				nn_ws *ws = nn_ws_new(net, n);
				float *buf = nn_falloc(nn_tile_floats(net));
				nn_ws_forward(ws, net, k, x, NULL, n);
				double sum0 = nn_ws_scores(ws, net, n, LC_LOSS_MSE, 0, s0, NULL);
				double sum1 = k->ae_mse(net, x, (size_t)n, s1, buf), sumn = k->ae_mse(net, x, (size_t)n, NULL, buf);
				CHECK(memcmp(s0, s1, (size_t)n * sizeof *s0) == 0);
				CHECK_NEAR(sum1, sum0, 1e-12 * fabs(sum0));
				CHECK(sum1 == sumn);
				double worst = 0.0, tot = 0.0;
				for (int r = 0; r < n; r++) {
					double m = 0.0;
					for (int i = 0; i < d; i++) {
						double e = (double)ref[(size_t)r * d + i] - (double)x[(size_t)r * d + i];
						m += e * e;
					}
					m /= d;
					tot += s1[r];
					if (fabs(s1[r] - m) > worst)
						worst = fabs(s1[r] - m);
				}
				CHECK(worst < 4e-6); /* activations within 2e-6 of libm, errors below 1 */
				CHECK(sum1 == tot);  /* row order */
				free(buf);
				nn_ws_free(ws);
			}
			free(x);
			free(ref);
			free(s0);
			free(s1);
		}
		lc_net_free(net);
	}
}

/* Central differences of every parameter (naive double loss) against the fast float gradient of each kernel set and
 * the naive double gradient, for every activation and both losses. Weights x3 so the activations are non-linear. */
static void test_gradients(void)
{
	int d = 6, n = 7;
	float *x = rand_rows((size_t)n, d, 11, 0.0, 1.0);
	for (int loss = LC_LOSS_MSE; loss <= LC_LOSS_TOPK; loss++)
		for (int a = LC_ACT_LINEAR; a <= LC_ACT_LEAKY_RELU; a++) {
			int no[3] = { 5, 3, d }, act[3] = { a, a == LC_ACT_LINEAR ? LC_ACT_TANH : a, a };
			lc_net *net = lc_net_new(d, 3, no, act);
			lc_net_init(net, 100 + (uint64_t)a);
			for (size_t i = 0; i < net->n_params; i++)
				net->params[i] *= 3.0f;
			for (int l = 0; l < 3; l++) /* non-zero biases too */
				for (int i = 0; i < no[l]; i++)
					net->params[net->offset[l] + (size_t)no[l] * (l ? no[l - 1] : d) + i] =
						0.1f * (float)(i % 3) - 0.05f;
			size_t np = net->n_params;
			double *p = malloc(np * sizeof *p), *gn = malloc(np * sizeof *gn), *num = malloc(np * sizeof *num);
			for (size_t i = 0; i < np; i++)
				p[i] = net->params[i];
			nn_naive_loss_grad(net, p, x, (size_t)n, loss, 2, gn);
			double gmax = 0.0, worst_naive = 0.0;
			for (size_t i = 0; i < np; i++) {
				double h = 1e-6, s = p[i];
				p[i] = s + h;
				double lp = nn_naive_loss_grad(net, p, x, (size_t)n, loss, 2, NULL);
				p[i] = s - h;
				double lm = nn_naive_loss_grad(net, p, x, (size_t)n, loss, 2, NULL);
				p[i] = s;
				num[i] = (lp - lm) / (2 * h);
				if (fabs(num[i]) > gmax)
					gmax = fabs(num[i]);
			}
			CHECK(gmax > 1e-3); /* an all-zero gradient cannot pass */
			for (size_t i = 0; i < np; i++) {
				double rel = fabs(gn[i] - num[i]) / fmax(fabs(gn[i]) + fabs(num[i]), 1e-4 * gmax);
				if (rel > worst_naive)
					worst_naive = rel;
			}
			CHECK(worst_naive < 1e-4);
			for (int ki = 0; ki < NN_N_KERNELS; ki++) {
				const nn_kern *k = nn_kern_get(ki);
				if (!k)
					continue;
				nn_ws *ws = nn_ws_new(net, n);
				double lsum = nn_ws_grad(ws, net, k, x, NULL, n, (size_t)n, loss, 2);
				double lref = nn_naive_loss_grad(net, p, x, (size_t)n, loss, 2, NULL);
				CHECK_NEAR(lsum / n, lref, 1e-5 * fabs(lref) + 1e-7);
				double worst = 0.0;
				size_t wi = 0;
				for (size_t i = 0; i < np; i++) {
					double rel = fabs(ws->grad[i] - num[i]) / fmax(fabs(ws->grad[i]) + fabs(num[i]),
											 1e-3 * gmax);
					if (rel > worst) {
						worst = rel;
						wi = i;
					}
				}
				if (worst >= 1e-2)
					fprintf(stderr, "grad %s act %s loss %d param %zu: fast %g numeric %g\n", k->name,
						lc_act_name(a), loss, wi, ws->grad[wi], num[wi]);
				CHECK(worst < 1e-2);
				nn_ws_free(ws);
			}
			free(p);
			free(gn);
			free(num);
			lc_net_free(net);
		}
	free(x);
}

/* A dataset with 2-dimensional structure in d = 8 plus noise. */
static float *structured(size_t n, uint64_t seed)
{
	nn_rng r;
	nn_rng_seed(&r, seed);
	float *x = malloc(n * 8 * sizeof *x);
	for (size_t i = 0; i < n; i++) {
		double u = nn_rng_uniform(&r), v = nn_rng_uniform(&r);
		for (int j = 0; j < 8; j++)
			x[i * 8 + j] = (float)(0.5 + 0.3 * sin(j * 0.7) * (u - 0.5) + 0.3 * cos(j * 1.3) * (v - 0.5) +
					       0.01 * (nn_rng_uniform(&r) - 0.5));
	}
	return x;
}

static double mean_loss(const lc_net *net, const float *x, size_t n)
{
	double *s = malloc(n * sizeof *s), m = 0.0;
	lc_ae_errors(net, x, n, LC_LOSS_MSE, 0, s, NULL, 1, NULL);
	for (size_t i = 0; i < n; i++)
		m += s[i];
	free(s);
	return m / (double)n;
}

static lc_net *small_ae(uint64_t seed)
{
	int no[3] = { 6, 3, 8 }, act[3] = { LC_ACT_TANH, LC_ACT_TANH, LC_ACT_SIGMOID };
	lc_net *net = lc_net_new(8, 3, no, act);
	lc_net_init(net, seed);
	return net;
}

static void test_training(void)
{
	size_t n = 300;
	float *x = structured(n, 1);
	lc_train_opts o;
	lc_train_opts_default(&o);
	CHECK(o.epochs == 300 && o.batch == 128 && o.eps == 1e-8 && o.topk == 10 && o.threads == 1);
	o.epochs = 150;
	o.batch = 32;
	o.lr = 1e-2;
	lc_net *net = small_ae(3);
	double before = mean_loss(net, x, n);
	lc_train_result res;
	lc_error err = { 0 };
	CHECK(lc_ae_train(net, x, n, NULL, 0, &o, &res, &err) == LC_OK);
	double after = mean_loss(net, x, n);
	CHECK(after < 0.2 * before);
	CHECK_NEAR(res.train_loss, after, 1e-12);
	CHECK(res.epochs_run == 150 && res.best_epoch == 150 && isnan(res.val_loss) && res.seconds >= 0.0);

	/* determinism: same seed and threads => same bits; threads 1 vs 2 reach similar losses */
	lc_net *nets[4];
	double loss[4];
	for (int i = 0; i < 4; i++) {
		nets[i] = small_ae(3);
		o.threads = i < 2 ? 1 : 2;
		lc_ae_train(nets[i], x, n, NULL, 0, &o, &res, NULL);
		loss[i] = res.train_loss;
	}
	CHECK(memcmp(nets[0]->params, net->params, net->n_params * sizeof(float)) == 0);
	CHECK(memcmp(nets[0]->params, nets[1]->params, net->n_params * sizeof(float)) == 0);
	CHECK(memcmp(nets[2]->params, nets[3]->params, net->n_params * sizeof(float)) == 0);
	CHECK(loss[0] == loss[1] && loss[2] == loss[3]);
	CHECK(fabs(loss[0] - loss[2]) < 0.1 * loss[0]);
	for (int i = 0; i < 4; i++)
		lc_net_free(nets[i]);

	/* top-k training runs and reduces the top-k loss */
	lc_net *tk = small_ae(4);
	o.threads = 2;
	o.loss = LC_LOSS_TOPK;
	o.topk = 3;
	double *s = malloc(n * sizeof *s);
	lc_ae_errors(tk, x, n, LC_LOSS_TOPK, 3, s, NULL, 2, NULL);
	double tb = 0.0;
	for (size_t i = 0; i < n; i++)
		tb += s[i];
	CHECK(lc_ae_train(tk, x, n, NULL, 0, &o, &res, NULL) == LC_OK);
	CHECK(res.train_loss < 0.3 * tb / n);
	free(s);
	lc_net_free(tk);

	/* errors */
	o.topk = 9;
	CHECK(lc_ae_train(net, x, n, NULL, 0, &o, &res, &err) == LC_ERR_INVALID);
	o.topk = 3;
	o.lr = -1;
	CHECK(lc_ae_train(net, x, n, NULL, 0, &o, &res, &err) == LC_ERR_INVALID);
	o.lr = 1e-3;
	x[17] = NAN;
	CHECK(lc_ae_train(net, x, n, NULL, 0, &o, &res, &err) == LC_ERR_INVALID);
	CHECK(strstr(err.msg, "row 2") != NULL);
	int no[1] = { 5 }, act[1] = { 0 };
	lc_net *nae = lc_net_new(8, 1, no, act);
	CHECK(lc_ae_train(nae, x, n, NULL, 0, &o, &res, &err) == LC_ERR_INVALID);
	lc_net_free(nae);
	lc_net_free(net);
	free(x);
}

typedef struct vlog {
	double val[400];
	int n;
} vlog;

static void log_val(void *ctx, int epoch, int epochs, double loss, double val, double seconds)
{
	vlog *v = ctx;
	(void)epochs;
	(void)loss;
	(void)seconds;
	if (epoch - 1 < 400)
		v->val[epoch - 1] = val;
	v->n = epoch;
}

static void test_early_stopping(void)
{
	size_t n = 200, nv = 60;
	float *x = structured(n, 2), *xv = structured(nv, 9);
	for (size_t i = 0; i < nv * 8; i += 3)
		xv[i] += 0.2f; /* validation rows differ: the fit to training noise stops helping */
	lc_train_opts o;
	lc_train_opts_default(&o);
	o.epochs = 400;
	o.batch = 16;
	o.lr = 3e-2;
	o.patience = 5;
	o.threads = 2;
	vlog vl = { { 0 }, 0 };
	o.progress = log_val;
	o.progress_ctx = &vl;
	lc_net *net = small_ae(5);
	lc_train_result res;
	CHECK(lc_ae_train(net, x, n, xv, nv, &o, &res, NULL) == LC_OK);
	CHECK(vl.n == res.epochs_run);
	int arg = 0;
	for (int i = 1; i < vl.n; i++)
		if (vl.val[i] < vl.val[arg])
			arg = i;
	CHECK(res.best_epoch == arg + 1);
	CHECK(res.val_loss == vl.val[arg]); /* the best parameters were restored */
	CHECK(res.epochs_run < 400);
	CHECK(res.epochs_run - res.best_epoch == 5);
	lc_net_free(net);
	free(x);
	free(xv);
}

static void test_errors_hand(void)
{
	int no[1] = { 3 }, act[1] = { LC_ACT_LINEAR };
	lc_net *net = lc_net_new(3, 1, no, act);
	float *b = net->params + 9;
	b[0] = 0.5f;
	b[1] = 0.0f;
	b[2] = -1.0f;
	float x[6] = { 1, 0, 0, 0.5f, 2, 1 };
	double s[2];
	float bins[6];
	CHECK(lc_ae_errors(net, x, 2, LC_LOSS_MSE, 0, s, bins, 1, NULL) == LC_OK);
	CHECK(s[0] == 1.25 / 3 && s[1] == 8.0 / 3);
	CHECK(bins[0] == 0.25f && bins[1] == 0.0f && bins[2] == 1.0f && bins[3] == 0.0f && bins[4] == 4.0f &&
	      bins[5] == 4.0f);
	CHECK(lc_ae_errors(net, x, 2, LC_LOSS_TOPK, 2, s, NULL, 2, NULL) == LC_OK);
	CHECK(s[0] == 0.625 && s[1] == 4.0);
	CHECK(lc_ae_errors(net, x, 2, LC_LOSS_TOPK, 1, s, NULL, 1, NULL) == LC_OK);
	CHECK(s[0] == 1.0 && s[1] == 4.0);
	CHECK(lc_ae_errors(net, x, 2, LC_LOSS_TOPK, 4, s, NULL, 1, NULL) == LC_ERR_INVALID);
	lc_net_free(net);
}


/* A random rotation (d x d, orthonormal rows) by Gram-Schmidt of random vectors. */
static void rotation(double *r, int d, uint64_t seed)
{
	nn_rng g;
	nn_rng_seed(&g, seed);
	for (int i = 0; i < d; i++) {
		double *v = r + i * d;
		for (int j = 0; j < d; j++)
			v[j] = nn_rng_uniform(&g) - 0.5;
		for (int p = 0; p < 2; p++)
			for (int q = 0; q < i; q++) {
				double c = 0.0;
				for (int j = 0; j < d; j++)
					c += v[j] * r[q * d + j];
				for (int j = 0; j < d; j++)
					v[j] -= c * r[q * d + j];
			}
		double nn = 0.0;
		for (int j = 0; j < d; j++)
			nn += v[j] * v[j];
		for (int j = 0; j < d; j++)
			v[j] /= sqrt(nn);
	}
}

/* Rows x = mu + sum_i s_i h_i(r) axis_i with h_i the columns 1..5 of the 8 x 8 Sylvester Hadamard matrix: exactly
 * centred and orthogonal, so the sample covariance is exactly sum_i s_i^2 8/7 axis_i axis_i^T. */
static void test_pca_known(void)
{
	enum { D = 5, N = 8 };
	const double s[D] = { 3, 2, 1, 0.5, 0.25 }, mu[D] = { 1, -2, 0.5, 3, 0 };
	double r[D * D];
	rotation(r, D, 77);
	float x[N * D];
	for (int row = 0; row < N; row++)
		for (int j = 0; j < D; j++) {
			double v = mu[j];
			for (int i = 0; i < D; i++) {
				int h = __builtin_popcount((unsigned)(row & (i + 1))) & 1 ? -1 : 1;
				v += s[i] * h * r[i * D + j];
			}
			x[row * D + j] = (float)v;
		}
	/* lambda_i = s_i^2 8/7; fractions of the total 14.3125 * 8/7: .6288, .2795, .0699, .0175, .0044.
	 * Broken stick with p = 5: b_1 = (1 + 1/2 + 1/3 + 1/4 + 1/5)/5 = .4567, b_2 = .2567, b_3 = .1567:
	 * f_1 > b_1, f_2 > b_2, f_3 < b_3  =>  k = 2. */
	lc_net *net = NULL;
	int k = -1;
	double ex = 0.0;
	lc_error err = { 0 };
	CHECK(lc_pca_ae_fit(x, N, D, 0, &net, &k, &ex, &err) == LC_OK);
	CHECK(k == 2);
	CHECK_NEAR(ex, 13.0 / 14.3125, 1e-6);
	lc_net_free(net);
	double tot = 14.3125, cum = 0.0;
	for (int kk = 1; kk <= D; kk++) {
		cum += s[kk - 1] * s[kk - 1];
		net = NULL;
		CHECK(lc_pca_ae_fit(x, N, D, kk, &net, &k, &ex, NULL) == LC_OK);
		CHECK(k == kk && net && net->n_out[0] == kk && net->n_out[1] == D);
		CHECK_NEAR(ex, cum / tot, 1e-6);
		if (!net)
			continue;
		/* encoder rows are the axes (up to sign, fixed so that the largest component is positive) */
		for (int i = 0; i < kk; i++) {
			const float *w = net->params + (size_t)i * D;
			double c = 0.0;
			int big = 0;
			for (int j = 0; j < D; j++) {
				c += w[j] * r[i * D + j];
				if (fabs(w[j]) > fabs(w[big]))
					big = j;
			}
			CHECK_NEAR(fabs(c), 1.0, 1e-5);
			CHECK(w[big] > 0);
		}
		if (kk == 2) {
			/* a point in the span is reconstructed exactly; one outside loses its off-span part */
			float p[2 * D], y[2 * D];
			for (int j = 0; j < D; j++) {
				p[j] = (float)(mu[j] + 0.7 * r[j] - 1.3 * r[D + j]);
				p[D + j] = (float)(mu[j] + 0.7 * r[j] + 2.0 * r[2 * D + j]);
			}
			CHECK(lc_net_predict(net, p, 2, y, 1, NULL) == LC_OK);
			double e0 = 0.0, e1 = 0.0;
			for (int j = 0; j < D; j++) {
				e0 = fmax(e0, fabs(y[j] - p[j]));
				e1 += (y[D + j] - p[D + j]) * (y[D + j] - p[D + j]);
			}
			CHECK(e0 < 1e-5);
			CHECK_NEAR(e1, 4.0, 1e-4);
		}
		lc_net_free(net);
	}
	/* the same rows padded to 12 inputs with 7 constant ones: n < d takes the Gram path, which must give the same
	 * axes (zero on the constant inputs) */
	float x12[N * 12];
	lc_net *n5 = NULL, *n12 = NULL;
	for (int row = 0; row < N; row++)
		for (int j = 0; j < 12; j++)
			x12[row * 12 + j] = j % 2 == 0 && j / 2 < D ? x[row * D + j / 2] : 0.25f * j;
	CHECK(lc_pca_ae_fit(x, N, D, 3, &n5, &k, &ex, NULL) == LC_OK);
	double ex12 = 0.0;
	CHECK(lc_pca_ae_fit(x12, N, 12, 3, &n12, &k, &ex12, NULL) == LC_OK);
	CHECK_NEAR(ex12, ex, 1e-9);
	if (n5 && n12) {
		double m = 0.0;
		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 12; j++) {
				double want = j % 2 == 0 && j / 2 < D ? n5->params[i * D + j / 2] : 0.0;
				m = fmax(m, fabs(n12->params[i * 12 + j] - want));
			}
		CHECK(m < 1e-6);
	}
	lc_net_free(n5);
	lc_net_free(n12);
	net = NULL;
	CHECK(lc_pca_ae_fit(x, N, D, 6, &net, &k, &ex, &err) == LC_ERR_INVALID);
	CHECK(lc_pca_ae_fit(x, 1, D, 1, &net, &k, &ex, &err) == LC_ERR_INVALID);
	float same[3 * D] = { 0 };
	CHECK(lc_pca_ae_fit(same, 3, D, 1, &net, &k, &ex, &err) == LC_ERR_INVALID);
	CHECK(net == NULL);
}

/* Low-rank data (4 directions with variances 5, 3, 2, 1 plus small noise). */
static float *lowrank(size_t n, int d, uint64_t seed)
{
	nn_rng g;
	nn_rng_seed(&g, seed);
	double *ax = malloc(4 * (size_t)d * sizeof *ax);
	for (int i = 0; i < 4 * d; i++)
		ax[i] = nn_rng_uniform(&g) - 0.5;
	float *x = malloc(n * (size_t)d * sizeof *x);
	const double sd[4] = { sqrt(5.0), sqrt(3.0), sqrt(2.0), 1.0 };
	for (size_t r = 0; r < n; r++) {
		double z[4];
		for (int i = 0; i < 4; i++)
			z[i] = sd[i] * sqrt(12.0) * (nn_rng_uniform(&g) - 0.5);
		for (int j = 0; j < d; j++) {
			double v = 0.1 * j / d + 0.01 * (nn_rng_uniform(&g) - 0.5);
			for (int i = 0; i < 4; i++)
				v += z[i] * ax[i * d + j] / sqrt(d / 12.0);
			x[r * (size_t)d + j] = (float)v;
		}
	}
	free(ax);
	return x;
}

static void pca_same(const lc_net *a, const lc_net *b, double tol)
{
	CHECK(a && b && a->n_params == b->n_params);
	if (!a || !b || a->n_params != b->n_params)
		return;
	double m = 0.0;
	for (size_t i = 0; i < a->n_params; i++)
		m = fmax(m, fabs(a->params[i] - b->params[i]));
	if (m > tol)
		fprintf(stderr, "pca paths differ by %g\n", m);
	CHECK(m <= tol);
}

/* The same data through every path: direct eigensolver, explicit subspace iteration, implicit subspace iteration,
 * for the Gram space (n < d) and the covariance space (n > d). */
static void test_pca_paths(void)
{
	struct { size_t n; int d; } cs[2] = { { 300, 2000 }, { 700, 150 } };
	for (int c = 0; c < 2; c++) {
		float *x = lowrank(cs[c].n, cs[c].d, 31 + (uint64_t)c);
		lc_net *net[3] = { NULL, NULL, NULL };
		int k[3] = { 0, 0, 0 };
		double ex[3] = { 0, 0, 0 };
		int lim[3][2] = { { 0, 0 }, { 16, 0 }, { 16, 16 } };
		for (int p = 0; p < 3; p++) {
			nn_pca_set_limits(lim[p][0], lim[p][1]);
			double t0 = nn_now();
			CHECK(lc_pca_ae_fit(x, cs[c].n, cs[c].d, 0, &net[p], &k[p], &ex[p], NULL) == LC_OK);
			(void)t0;
		}
		nn_pca_set_limits(0, 0);
		CHECK(k[0] == 4 && k[1] == 4 && k[2] == 4);
		CHECK(ex[0] > 0.99);
		CHECK_NEAR(ex[1], ex[0], 1e-9);
		CHECK_NEAR(ex[2], ex[0], 1e-9);
		pca_same(net[0], net[1], 2e-5);
		pca_same(net[0], net[2], 2e-5);
		for (int p = 0; p < 3; p++)
			lc_net_free(net[p]);
		free(x);
	}
}

int main(void)
{
	test_names();
	test_new_init();
	test_topk();
	test_forward_kernels();
	test_fused_scores();
	test_gradients();
	test_training();
	test_early_stopping();
	test_errors_hand();
	test_pca_known();
	test_pca_paths();
	T_DONE();
}
