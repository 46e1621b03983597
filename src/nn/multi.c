/* multi.c — the multi-head network of issue 6 (after "Deep learning for inferring cause of data anomalies", ACAT
 * 2017): one dense sub-network per channel, each ending in one logit z_i, f_i = sigmoid(z_i), combined into
 * F = p(good) by fuzzy AND, logistic or min; trained on the global label with L' = (1 - C) L + C mean_i L_i, C
 * decaying per epoch, plus l2 times the largest channel's sum of squared weights. Channels run on the panel kernels,
 * dealt to threads by channel, so the result is the same for any thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nn/multi.h"
#include "nn/nn.h"

const char *lc_comb_name(int comb)
{
	return comb == LC_COMB_FUZZY_AND ? "fuzzy-and" : comb == LC_COMB_LOGISTIC ? "logistic" : comb == LC_COMB_MIN ? "min" : "?";
}

int lc_comb_parse(const char *name)
{
	for (int c = 0; c < 3; c++)
		if (!strcmp(name, lc_comb_name(c)))
			return c;
	return -1;
}

mh_net *mh_new(int n_ch, const int *width, int nh, const int *hid, const int *hact, int comb)
{
	if (n_ch < 1 || n_ch > MH_MAX_CH || nh < 0 || nh > 16 || comb < 0 || comb > 2)
		return NULL;
	mh_net *net = calloc(1, sizeof *net);
	if (!net)
		return NULL;
	net->n_ch = n_ch;
	net->comb = comb;
	net->off = calloc((size_t)n_ch + 1, sizeof *net->off);
	net->ch = calloc((size_t)n_ch, sizeof *net->ch);
	int ok = net->off && net->ch;
	int n_out[17], act[17];
	for (int l = 0; l < nh; l++) {
		n_out[l] = hid[l];
		act[l] = hact[l];
	}
	n_out[nh] = 1;
	act[nh] = LC_ACT_LINEAR;
	for (int i = 0; ok && i < n_ch; i++) {
		if (width[i] < 1 || !(net->ch[i] = lc_net_new(width[i], nh + 1, n_out, act)))
			ok = 0;
		else
			net->off[i + 1] = net->off[i] + width[i];
	}
	if (ok) {
		net->d = net->off[n_ch];
		net->mu = calloc((size_t)net->d, sizeof *net->mu);
		net->sd = malloc((size_t)net->d * sizeof *net->sd);
		ok = net->mu && net->sd;
	}
	if (!ok) {
		mh_free(net);
		return NULL;
	}
	for (int j = 0; j < net->d; j++)
		net->sd[j] = 1.0f;
	return net;
}

void mh_free(mh_net *net)
{
	if (!net)
		return;
	for (int i = 0; net->ch && i < net->n_ch; i++)
		lc_net_free(net->ch[i]);
	free(net->ch);
	free(net->off);
	free(net->mu);
	free(net->sd);
	free(net);
}

void mh_init(mh_net *net, uint64_t seed)
{
	for (int i = 0; i < net->n_ch; i++)
		lc_net_init(net->ch[i], seed + 7919u * (uint64_t)i);
	memset(net->comb_p, 0, sizeof net->comb_p);
	if (net->comb == LC_COMB_LOGISTIC) {
		/* all channels good (f = 1): F = sigmoid(2); one channel bad (f = 0): F = sigmoid(-2) */
		for (int i = 0; i < net->n_ch; i++)
			net->comb_p[i] = 4.0f;
		net->comb_p[net->n_ch] = -4.0f * ((float)net->n_ch - 0.5f);
	}
}

size_t mh_n_params(const mh_net *net)
{
	size_t n = 0;
	for (int i = 0; i < net->n_ch; i++)
		n += net->ch[i]->n_params;
	return n + (net->comb == LC_COMB_LOGISTIC ? (size_t)net->n_ch + 1 : 0);
}

float *mh_param(mh_net *net, size_t j)
{
	for (int i = 0; i < net->n_ch; i++) {
		if (j < net->ch[i]->n_params)
			return net->ch[i]->params + j;
		j -= net->ch[i]->n_params;
	}
	return net->comb_p + j;
}

float mh_standardise(const mh_net *net, int j, float v)
{
	float z = (v - net->mu[j]) / net->sd[j];
	return z > MH_CLIP ? MH_CLIP : z < -MH_CLIP ? -MH_CLIP : z;
}

/* ---------------------------------------------------------------- combination and loss of one row */

static double sigm(double z) { return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z)); }
/* log(1 + exp(z)) without overflow */
static double softplus(double z) { return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)); }

double mh_comb(int comb, int K, const double *z, const float *cp, double *f)
{
	double s = 0, mn = 1;
	for (int i = 0; i < K; i++) {
		double fi = sigm(z[i]);
		if (f)
			f[i] = fi;
		if (comb == LC_COMB_FUZZY_AND)
			s += fi - 1.0;
		else if (comb == LC_COMB_LOGISTIC)
			s += (double)cp[i] * fi;
		else if (fi < mn)
			mn = fi;
	}
	if (comb == LC_COMB_FUZZY_AND)
		return exp(s);
	if (comb == LC_COMB_LOGISTIC)
		return sigm(s + (double)cp[K]);
	return mn;
}

#define MH_SMIN 1e-7 /* fuzzy AND: S = sum (f_i - 1) is kept <= -MH_SMIN so that log(1 - F) stays finite */

double mh_row_loss(int comb, int K, const double *z, const float *cp, int y, double C, double *dz, double *dcp)
{
	double f[MH_MAX_CH], li = 0;
	for (int i = 0; i < K; i++) {
		f[i] = sigm(z[i]);
		/* L_i = BCE(sigmoid(z_i), y): softplus(-z) for good, softplus(z) for bad; dL_i/dz_i = f_i - y */
		li += y ? softplus(-z[i]) : softplus(z[i]);
		dz[i] = C / K * (f[i] - y);
	}
	double L;
	if (comb == LC_COMB_FUZZY_AND) {
		double S = 0;
		for (int i = 0; i < K; i++)
			S += f[i] - 1.0;
		double Sc = S < -MH_SMIN ? S : -MH_SMIN;
		/* log F = S; log(1 - F) = log(-expm1(S)); dL/dS = -1 (good) or 1 / expm1(-S) (bad) */
		L = y ? -S : -log(-expm1(Sc));
		double dS = y ? -1.0 : (S < -MH_SMIN ? 1.0 / expm1(-S) : 0.0);
		for (int i = 0; i < K; i++)
			dz[i] += (1 - C) * dS * f[i] * (1 - f[i]);
	} else if (comb == LC_COMB_LOGISTIC) {
		double u = cp[K];
		for (int i = 0; i < K; i++)
			u += (double)cp[i] * f[i];
		L = y ? softplus(-u) : softplus(u);
		double du = (1 - C) * (sigm(u) - y);
		for (int i = 0; i < K; i++) {
			dz[i] += du * cp[i] * f[i] * (1 - f[i]);
			if (dcp)
				dcp[i] += du * f[i];
		}
		if (dcp)
			dcp[K] += du;
	} else {
		int k = 0;
		for (int i = 1; i < K; i++)
			if (f[i] < f[k])
				k = i;
		L = y ? softplus(-z[k]) : softplus(z[k]);
		dz[k] += (1 - C) * (f[k] - y);
	}
	return (1 - C) * L + C * li / K;
}

/* ---------------------------------------------------------------- reference: naive double forward */

static double act_d(int act, double z)
{
	switch (act) {
	case LC_ACT_SIGMOID: return sigm(z);
	case LC_ACT_TANH: return tanh(z);
	case LC_ACT_RELU: return z > 0 ? z : 0;
	case LC_ACT_LEAKY_RELU: return z > 0 ? z : 0.01 * z;
	default: return z;
	}
}

/* derivative from the activation's output y (and input sign for the relus) */
static double dact_d(int act, double y)
{
	switch (act) {
	case LC_ACT_SIGMOID: return y * (1 - y);
	case LC_ACT_TANH: return 1 - y * y;
	case LC_ACT_RELU: return y > 0 ? 1 : 0;
	case LC_ACT_LEAKY_RELU: return y > 0 ? 1 : 0.01;
	default: return 1;
	}
}

/* Naive forward of one input row x (net->n_in) through net in double; acts[l] receives layer l's outputs
 * (buffers of net->n_out[l] doubles) and the last layer's first output is returned. */
static double naive_forward(const lc_net *net, const float *x, double **acts)
{
	for (int l = 0; l < net->n_layers; l++) {
		int ni = l ? net->n_out[l - 1] : net->n_in, no = net->n_out[l];
		const float *W = net->params + net->offset[l], *b = W + (size_t)no * ni;
		for (int o = 0; o < no; o++) {
			double s = b[o];
			for (int j = 0; j < ni; j++)
				s += (double)W[(size_t)o * ni + j] * (l ? acts[l - 1][j] : (double)x[j]);
			acts[l][o] = act_d(net->act[l], s);
		}
	}
	return acts[net->n_layers - 1][0];
}

static double **acts_new(const lc_net *net)
{
	double **a = calloc((size_t)net->n_layers, sizeof *a);
	for (int l = 0; a && l < net->n_layers; l++)
		if (!(a[l] = malloc((size_t)net->n_out[l] * sizeof **a))) {
			for (int k = 0; k < l; k++)
				free(a[k]);
			free(a);
			return NULL;
		}
	return a;
}

static void acts_free(double **a, int n)
{
	for (int l = 0; a && l < n; l++)
		free(a[l]);
	free(a);
}

/* Sum of squared weights (biases excluded) of a channel. */
static double sq_weights(const lc_net *net)
{
	double s = 0;
	for (int l = 0; l < net->n_layers; l++) {
		int ni = l ? net->n_out[l - 1] : net->n_in;
		const float *W = net->params + net->offset[l];
		for (size_t j = 0; j < (size_t)net->n_out[l] * ni; j++)
			s += (double)W[j] * W[j];
	}
	return s;
}

/* The channel with the largest penalty (lowest index on ties) and that penalty. */
static int reg_argmax(const mh_net *net, double *val)
{
	int k = 0;
	double best = -1;
	for (int i = 0; i < net->n_ch; i++) {
		double s = sq_weights(net->ch[i]);
		if (s > best) {
			best = s;
			k = i;
		}
	}
	*val = best;
	return k;
}

double mh_ref_loss(const mh_net *net, const float *xs, const int *y, const double *w, size_t n, double C, double l2)
{
	int K = net->n_ch;
	double **acts[MH_MAX_CH] = {0}, z[MH_MAX_CH], dz[MH_MAX_CH], sum = 0, wsum = 0;
	int ok = 1;
	for (int i = 0; i < K; i++)
		ok &= (acts[i] = acts_new(net->ch[i])) != NULL;
	for (size_t r = 0; ok && r < n; r++) {
		for (int i = 0; i < K; i++)
			z[i] = naive_forward(net->ch[i], xs + r * (size_t)net->d + net->off[i], acts[i]);
		double wr = w ? w[r] : 1.0;
		sum += wr * mh_row_loss(net->comb, K, z, net->comb_p, y[r], C, dz, NULL);
		wsum += wr;
	}
	for (int i = 0; i < K; i++)
		acts_free(acts[i], net->ch[i]->n_layers);
	if (!ok)
		return NAN;
	double reg;
	reg_argmax(net, &reg);
	return (wsum > 0 ? sum / wsum : 0) + l2 * reg;
}

int mh_saliency(const mh_net *net, const float *x, int i, double *g)
{
	const lc_net *c = net->ch[i];
	int w = c->n_in, L = c->n_layers, o0 = net->off[i];
	float *xs = calloc((size_t)w, sizeof *xs);
	double **acts = acts_new(c);
	int maxw = w;
	for (int l = 0; l < L; l++)
		maxw = c->n_out[l] > maxw ? c->n_out[l] : maxw;
	double *d0 = malloc((size_t)maxw * sizeof *d0), *d1 = malloc((size_t)maxw * sizeof *d1);
	if (!xs || !acts || !d0 || !d1) {
		free(xs);
		acts_free(acts, L);
		free(d0);
		free(d1);
		return LC_ERR_NOMEM;
	}
	for (int j = 0; j < w; j++)
		xs[j] = mh_standardise(net, o0 + j, x[o0 + j]);
	naive_forward(c, xs, acts);
	d0[0] = 1.0; /* d z / d z */
	for (int l = L - 1; l >= 0; l--) {
		int ni = l ? c->n_out[l - 1] : w, no = c->n_out[l];
		const float *W = c->params + c->offset[l];
		for (int o = 0; o < no; o++)
			d0[o] *= dact_d(c->act[l], acts[l][o]);
		for (int j = 0; j < ni; j++) {
			double s = 0;
			for (int o = 0; o < no; o++)
				s += (double)W[(size_t)o * ni + j] * d0[o];
			d1[j] = s;
		}
		double *t = d0;
		d0 = d1;
		d1 = t;
	}
	for (int j = 0; j < w; j++)
		g[j] = d0[j] * xs[j];
	free(xs);
	acts_free(acts, L);
	free(d0);
	free(d1);
	return LC_OK;
}

/* ---------------------------------------------------------------- fast batch gradient on the panel kernels */

/* Per-channel panels for batches of up to nb rows. */
typedef struct mh_ws {
	int nb, K;
	float **a[MH_MAX_CH];  /* per channel: n_layers + 1 panels, a[0] input (width, nb) */
	float **da[MH_MAX_CH]; /* same shapes: deltas */
	float *g[MH_MAX_CH];   /* per channel: gradient (n_params) */
} mh_ws;

static void ws_free(mh_ws *ws, const mh_net *net)
{
	for (int i = 0; i < ws->K; i++) {
		for (int l = 0; ws->a[i] && l <= net->ch[i]->n_layers; l++) {
			free(ws->a[i][l]);
			free(ws->da[i][l]);
		}
		free(ws->a[i]);
		free(ws->da[i]);
		free(ws->g[i]);
	}
}

static int ws_init(mh_ws *ws, const mh_net *net, int nb)
{
	memset(ws, 0, sizeof *ws);
	ws->nb = nb;
	ws->K = net->n_ch;
	for (int i = 0; i < net->n_ch; i++) {
		const lc_net *c = net->ch[i];
		int L = c->n_layers;
		ws->a[i] = calloc((size_t)L + 1, sizeof *ws->a[i]);
		ws->da[i] = calloc((size_t)L + 1, sizeof *ws->da[i]);
		ws->g[i] = nn_falloc(c->n_params);
		if (!ws->a[i] || !ws->da[i] || !ws->g[i])
			return LC_ERR_NOMEM;
		for (int l = 0; l <= L; l++) {
			int width = l ? c->n_out[l - 1] : c->n_in;
			if (!(ws->a[i][l] = nn_falloc((size_t)width * (size_t)nb)) ||
			    !(ws->da[i][l] = nn_falloc((size_t)width * (size_t)nb)))
				return LC_ERR_NOMEM;
		}
	}
	return LC_OK;
}

typedef struct mh_job {
	const mh_net *net;
	const nn_kern *k;
	mh_ws *ws;
	float *const *xc;    /* per channel: rows (n, width) standardised */
	const size_t *rows;  /* batch rows */
	int bn;              /* rows in the batch */
	int back;            /* 0 forward, 1 backward */
	int threads;
} mh_job;

static void mh_job_fn(void *ctx, int t)
{
	mh_job *j = ctx;
	const mh_net *net = j->net;
	for (int i = t; i < net->n_ch; i += j->threads) {
		const lc_net *c = net->ch[i];
		float **a = j->ws->a[i], **da = j->ws->da[i];
		int L = c->n_layers, nb = j->ws->nb;
		if (!j->back) {
			j->k->load(a[0], nb, j->xc[i], c->n_in, j->rows, j->bn);
			for (int l = 0; l < L; l++) {
				int ni = l ? c->n_out[l - 1] : c->n_in;
				const float *W = c->params + c->offset[l];
				j->k->forward(W, W + (size_t)c->n_out[l] * ni, ni, c->n_out[l], c->act[l], a[l], a[l + 1], nb);
			}
		} else {
			for (int l = L - 1; l >= 0; l--) {
				int ni = l ? c->n_out[l - 1] : c->n_in;
				const float *W = c->params + c->offset[l];
				float *gW = j->ws->g[i] + c->offset[l];
				j->k->backward(W, ni, c->n_out[l], l == L - 1 ? c->act[l] : LC_ACT_LINEAR, a[l], a[l + 1],
					       da[l + 1], gW, gW + (size_t)c->n_out[l] * ni, l ? da[l] : NULL, nb,
					       l ? c->act[l - 1] : LC_ACT_LINEAR);
			}
		}
	}
}

/* Forward and backward of one batch (bn rows): the per-channel gradients of sum_r (w_r / wsum) L'_r land in ws->g,
 * the logistic weights' in dcp (K + 1, written); returns sum_r w_r L'_r / wsum (the regulariser is not included). */
static double batch_grad(mh_job *j, nn_pool *pool, const int *y, const double *w, double wsum, double C, double *dcp)
{
	const mh_net *net = j->net;
	int K = net->n_ch, nb = j->ws->nb;
	j->back = 0;
	nn_pool_run(pool, mh_job_fn, j);
	double z[MH_MAX_CH], dz[MH_MAX_CH], sum = 0;
	for (int i = 0; i <= K; i++)
		dcp[i] = 0;
	for (int c = 0; c < nb; c++) {
		if (c >= j->bn) {
			for (int i = 0; i < K; i++)
				j->ws->da[i][net->ch[i]->n_layers][c] = 0;
			continue;
		}
		size_t r = j->rows[c];
		double wr = (w ? w[r] : 1.0) / wsum, tmp[MH_MAX_CH + 1] = {0};
		for (int i = 0; i < K; i++)
			z[i] = j->ws->a[i][net->ch[i]->n_layers][c];
		sum += wr * mh_row_loss(net->comb, K, z, net->comb_p, y[r], C, dz, tmp);
		for (int i = 0; i < K; i++)
			j->ws->da[i][net->ch[i]->n_layers][c] = (float)(wr * dz[i]);
		for (int i = 0; i <= K; i++)
			dcp[i] += wr * tmp[i];
	}
	j->back = 1;
	nn_pool_run(pool, mh_job_fn, j);
	return sum;
}

/* Adds the regulariser's gradient 2 l2 W to the largest channel's gradient g (weights only); returns l2 * penalty. */
static double add_reg(const mh_net *net, float *const *g, double l2)
{
	if (l2 <= 0)
		return 0;
	double val;
	int k = reg_argmax(net, &val);
	const lc_net *c = net->ch[k];
	for (int l = 0; l < c->n_layers; l++) {
		int ni = l ? c->n_out[l - 1] : c->n_in;
		const float *W = c->params + c->offset[l];
		float *gW = g[k] + c->offset[l];
		for (size_t q = 0; q < (size_t)c->n_out[l] * ni; q++)
			gW[q] += (float)(2 * l2 * W[q]);
	}
	return l2 * val;
}

/* Per-channel copies of standardised rows: xc[i] (n, width_i). mu/sd of net applied. */
static int split_channels(const mh_net *net, const float *x, size_t n, int standardise, float **xc)
{
	for (int i = 0; i < net->n_ch; i++) {
		int w = net->ch[i]->n_in, o = net->off[i];
		if (!(xc[i] = malloc((n ? n : 1) * (size_t)w * sizeof *xc[i])))
			return LC_ERR_NOMEM;
		for (size_t r = 0; r < n; r++)
			for (int q = 0; q < w; q++) {
				float v = x[r * (size_t)net->d + o + q];
				xc[i][r * (size_t)w + q] = standardise ? mh_standardise(net, o + q, v) : v;
			}
	}
	return LC_OK;
}

static void free_channels(float **xc, int K)
{
	for (int i = 0; i < K; i++)
		free(xc[i]);
}

double mh_grad(const mh_net *net, const float *xs, const int *y, const double *w, size_t n, double C, double l2,
	       double *grad)
{
	int K = net->n_ch, nb = NN_COLS * 2;
	float *xc[MH_MAX_CH] = {0};
	size_t *rows = malloc((n ? n : 1) * sizeof *rows);
	mh_ws ws;
	int rc = ws_init(&ws, net, nb);
	if (!rc)
		rc = split_channels(net, xs, n, 0, xc);
	double loss = NAN;
	if (!rc && rows) {
		size_t np = mh_n_params(net), off = 0;
		memset(grad, 0, np * sizeof *grad);
		double wsum = 0, dcp[MH_MAX_CH + 1];
		for (size_t r = 0; r < n; r++) {
			rows[r] = r;
			wsum += w ? w[r] : 1.0;
		}
		mh_job j = {.net = net, .k = nn_kern_best(), .ws = &ws, .xc = xc, .threads = 1};
		loss = 0;
		for (size_t b0 = 0; b0 < n; b0 += (size_t)nb) {
			j.rows = rows + b0;
			j.bn = (int)(n - b0 < (size_t)nb ? n - b0 : (size_t)nb);
			loss += batch_grad(&j, NULL, y, w, wsum, C, dcp);
			off = 0;
			for (int i = 0; i < K; i++) {
				for (size_t q = 0; q < net->ch[i]->n_params; q++)
					grad[off + q] += ws.g[i][q];
				off += net->ch[i]->n_params;
			}
			if (net->comb == LC_COMB_LOGISTIC)
				for (int i = 0; i <= K; i++)
					grad[off + (size_t)i] += dcp[i];
		}
		for (int i = 0; i < K; i++)
			memset(ws.g[i], 0, net->ch[i]->n_params * sizeof *ws.g[i]);
		loss += add_reg(net, ws.g, l2);
		off = 0;
		for (int i = 0; i < K; i++) {
			for (size_t q = 0; q < net->ch[i]->n_params; q++)
				grad[off + q] += ws.g[i][q];
			off += net->ch[i]->n_params;
		}
	}
	free_channels(xc, K);
	free(rows);
	ws_free(&ws, net);
	return loss;
}

/* ---------------------------------------------------------------- training */

int mh_train(mh_net *net, const float *x, const int *y, size_t n, const lc_train_opts *o, double c0, double c_decay,
	     double l2, double *loss_out, lc_error *err)
{
	int K = net->n_ch, d = net->d;
	size_t ng = 0;
	for (size_t r = 0; r < n; r++) {
		if (y[r] != 0 && y[r] != 1)
			return lc_error_set(err, LC_ERR_INVALID, "multihead: label of row %zu is %d, expected 1 or 0", r, y[r]);
		ng += (size_t)y[r];
	}
	if (ng == 0 || ng == n)
		return lc_error_set(err, LC_ERR_INVALID,
				    "multihead: %zu good and %zu bad LS to train on: the global label needs both", ng, n - ng);
	for (size_t q = 0; q < n * (size_t)d; q++)
		if (!isfinite(x[q]))
			return lc_error_set(err, LC_ERR_INVALID, "multihead: row %zu, input %d is not finite", q / (size_t)d,
					    (int)(q % (size_t)d));
	/* standardisation from the training rows, two-pass; the floor on the spread is relative, since inputs such as
	 * squared residuals of L1-normalised maps are 1e-10 small; constant inputs keep sd 1 */
	for (int q = 0; q < d; q++) {
		double s = 0, s2 = 0;
		for (size_t r = 0; r < n; r++)
			s += x[r * (size_t)d + q];
		double mean = s / (double)n;
		for (size_t r = 0; r < n; r++) {
			double v = x[r * (size_t)d + q] - mean;
			s2 += v * v;
		}
		double var = s2 / (double)n;
		net->mu[q] = (float)mean;
		net->sd[q] = (float)(var > 1e-12 * mean * mean && var > 1e-60 ? sqrt(var) : 1.0);
	}
	int threads = o->threads < 1 ? 1 : o->threads > K ? K : o->threads;
	int nb = nn_round_cols((size_t)(o->batch > 0 ? o->batch : 128));
	float *xc[MH_MAX_CH] = {0}, *m[MH_MAX_CH + 1] = {0}, *v[MH_MAX_CH + 1] = {0};
	float gc[MH_MAX_CH + 1];
	double *wt = malloc(n * sizeof *wt);
	size_t *idx = malloc(n * sizeof *idx);
	nn_pool *pool = threads > 1 ? nn_pool_new(threads) : NULL;
	mh_ws ws;
	int rc = ws_init(&ws, net, nb);
	if (!rc)
		rc = split_channels(net, x, n, 1, xc);
	for (int i = 0; !rc && i <= K; i++) {
		size_t np = i < K ? net->ch[i]->n_params : (size_t)K + 1;
		if (!(m[i] = nn_falloc(np)) || !(v[i] = nn_falloc(np)))
			rc = LC_ERR_NOMEM;
	}
	if (rc || !wt || !idx || (threads > 1 && !pool)) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "multihead: out of memory for %zu rows", n);
		goto done;
	}
	/* class-balanced weights: each class carries half of the loss */
	for (size_t r = 0; r < n; r++) {
		wt[r] = y[r] ? (double)n / (2.0 * (double)ng) : (double)n / (2.0 * (double)(n - ng));
		idx[r] = r;
	}
	const nn_kern *k = nn_kern_best();
	nn_rng rng;
	nn_rng_seed(&rng, o->seed ^ 0x6d68u);
	mh_job j = {.net = net, .k = k, .ws = &ws, .xc = xc, .threads = threads};
	double t0 = nn_now(), ep_loss = 0;
	long step = 0;
	float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
	for (int ep = 0; ep < o->epochs; ep++) {
		double C = c0 * pow(c_decay, (double)ep);
		for (size_t i = n; i > 1; i--) {
			size_t q = (size_t)nn_rng_below(&rng, i), t = idx[i - 1];
			idx[i - 1] = idx[q];
			idx[q] = t;
		}
		ep_loss = 0;
		for (size_t b0 = 0; b0 < n; b0 += (size_t)nb) {
			j.rows = idx + b0;
			j.bn = (int)(n - b0 < (size_t)nb ? n - b0 : (size_t)nb);
			double wsum = 0, dcp[MH_MAX_CH + 1];
			for (int c = 0; c < j.bn; c++)
				wsum += wt[idx[b0 + (size_t)c]];
			double bl = batch_grad(&j, pool, y, wt, wsum, C, dcp);
			bl += add_reg(net, ws.g, l2);
			ep_loss += bl * j.bn;
			step++;
			double bc1 = 1.0 - pow(o->beta1, (double)step), bc2 = 1.0 - pow(o->beta2, (double)step);
			for (int i = 0; i < K; i++)
				k->adam(net->ch[i]->params, m[i], v[i], ws.g[i], net->ch[i]->n_params, b1, b2, eps,
					(float)(o->lr / bc1), (float)sqrt(bc2));
			if (net->comb == LC_COMB_LOGISTIC) {
				for (int i = 0; i <= K; i++)
					gc[i] = (float)dcp[i];
				k->adam(net->comb_p, m[K], v[K], gc, (size_t)K + 1, b1, b2, eps, (float)(o->lr / bc1),
					(float)sqrt(bc2));
			}
		}
		ep_loss /= (double)n;
		if (o->progress)
			o->progress(o->progress_ctx, ep + 1, o->epochs, ep_loss, NAN, nn_now() - t0);
	}
	if (loss_out)
		*loss_out = ep_loss;
done:
	free_channels(xc, K);
	for (int i = 0; i <= K; i++) {
		free(m[i]);
		free(v[i]);
	}
	free(wt);
	free(idx);
	nn_pool_free(pool);
	ws_free(&ws, net);
	return rc;
}

int mh_predict(const mh_net *net, const float *x, size_t n, double *F, double *f, int threads, lc_error *err)
{
	int K = net->n_ch;
	float *xc[MH_MAX_CH] = {0}, *z[MH_MAX_CH] = {0};
	int rc = split_channels(net, x, n, 1, xc);
	for (int i = 0; !rc && i < K; i++)
		if (!(z[i] = malloc((n ? n : 1) * sizeof *z[i])))
			rc = LC_ERR_NOMEM;
	if (rc)
		rc = lc_error_set(err, LC_ERR_NOMEM, "multihead: out of memory for %zu rows", n);
	for (int i = 0; !rc && i < K; i++)
		rc = lc_net_predict(net->ch[i], xc[i], n, z[i], threads, err);
	for (size_t r = 0; !rc && r < n; r++) {
		double zz[MH_MAX_CH], ff[MH_MAX_CH];
		for (int i = 0; i < K; i++)
			zz[i] = z[i][r];
		F[r] = mh_comb(net->comb, K, zz, net->comb_p, ff);
		if (f)
			memcpy(f + r * (size_t)K, ff, (size_t)K * sizeof *f);
	}
	free_channels(xc, K);
	free_channels(z, K);
	return rc;
}
