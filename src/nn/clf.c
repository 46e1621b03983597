/* clf.c — supervised classifiers p(good | x) for the grey zone: nearest neighbours (distance to the nearest good and
 * nearest bad LS), a multilayer perceptron on our dense-network kernels (weighted binary cross-entropy, Adam,
 * warm start), and gradient-boosted trees through XGBoost's C API. Cross-validated predictions for thresholds, and
 * serialisation to a buffer for the model file. */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <xgboost/c_api.h>

#include "internal.h"
#include "nn/nn.h"

struct lc_clf {
	int kind, d;
	int k; /* knn: neighbours averaged per class */
	/* knn: the remembered rows */
	float *x;
	int *y;
	size_t n;
	/* mlp: standardisation and network (output: one logit) */
	float *mu, *sd;
	lc_net *net;
	/* xgb */
	BoosterHandle bst;
};

const char *lc_clf_kind_name(int kind)
{
	return kind == LC_CLF_KNN ? "knn" : kind == LC_CLF_MLP ? "mlp" : kind == LC_CLF_XGB ? "xgb" : "?";
}

int lc_clf_kind_parse(const char *name)
{
	for (int k = 0; k < 3; k++)
		if (!strcmp(name, lc_clf_kind_name(k)))
			return k;
	return -1;
}

int lc_clf_kind(const lc_clf *c) { return c->kind; }

void lc_clf_opts_default(lc_clf_opts *o, int kind)
{
	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->k = 1;
	o->trees = 32;
	o->depth = 4;
	o->eta = 0.6;
	o->hist = 1;
	o->max_bin = 32;
	o->hidden = "32:relu";
	o->epochs = 60;
	o->batch = 64;
	o->lr = 3e-3;
	o->folds = 5;
	o->seed = 1;
	o->threads = 1;
	o->shared_cv = 1;
}

void lc_clf_free(lc_clf *c)
{
	if (!c)
		return;
	free(c->x);
	free(c->y);
	free(c->mu);
	free(c->sd);
	lc_net_free(c->net);
	if (c->bst)
		XGBoosterFree(c->bst);
	free(c);
}

static int check_rows(const int *y, size_t n, lc_error *err)
{
	size_t ng = 0;
	for (size_t i = 0; i < n; i++) {
		if (y[i] != 0 && y[i] != 1)
			return lc_error_set(err, LC_ERR_INVALID, "classifier: label of row %zu is %d, expected 1 or 0", i,
					    y[i]);
		ng += (size_t)y[i];
	}
	if (ng == 0 || ng == n)
		return lc_error_set(err, LC_ERR_INVALID, "classifier: one class only (%zu good, %zu bad): need both", ng,
				    n - ng);
	return LC_OK;
}

/* ---------------------------------------------------------------- k nearest neighbours */

static int knn_set(lc_clf *c, const float *x, const int *y, size_t n, lc_error *err)
{
	float *nx = malloc(n * (size_t)c->d * sizeof *nx);
	int *ny = malloc(n * sizeof *ny);
	if (!nx || !ny) {
		free(nx);
		free(ny);
		return lc_error_set(err, LC_ERR_NOMEM, "knn: out of memory for %zu rows", n);
	}
	memcpy(nx, x, n * (size_t)c->d * sizeof *nx);
	memcpy(ny, y, n * sizeof *ny);
	free(c->x);
	free(c->y);
	c->x = nx;
	c->y = ny;
	c->n = n;
	return LC_OK;
}

/* Keeps the k smallest values of best (ascending, k <= 16) when v is smaller than the largest. */
static void keep_smallest(double *best, int k, double v)
{
	if (v >= best[k - 1])
		return;
	int i = k - 1;
	while (i > 0 && best[i - 1] > v) {
		best[i] = best[i - 1];
		i--;
	}
	best[i] = v;
}

/* Mean of the square roots of the k smallest squared distances (fewer when fewer rows); DBL_MAX when none. */
static double mean_dist(const double *best, int k)
{
	double s = 0;
	int m = 0;
	for (int i = 0; i < k && best[i] < DBL_MAX; i++, m++)
		s += sqrt(best[i]);
	return m ? s / m : DBL_MAX;
}

/* p = d_bad / (d_good + d_bad), d the mean distance to the k nearest remembered good (bad) rows; leaves out row skip,
 * and every row of group skip_group when group is not NULL. */
static double knn_p(const lc_clf *c, int k, const float *q, size_t skip, const int64_t *group, int64_t skip_group)
{
	double bg[16], bb[16];
	for (int i = 0; i < k; i++)
		bg[i] = bb[i] = DBL_MAX;
	for (size_t j = 0; j < c->n; j++) {
		if (j == skip || (group && group[j] == skip_group))
			continue;
		const float *r = c->x + j * (size_t)c->d;
		float s[8] = {0}, t = 0;
		int u = 0;
		for (; u + 8 <= c->d; u += 8)
			for (int v = 0; v < 8; v++) {
				float e = q[u + v] - r[u + v];
				s[v] += e * e;
			}
		for (; u < c->d; u++)
			t += (q[u] - r[u]) * (q[u] - r[u]);
		double dd = t + ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
		keep_smallest(c->y[j] ? bg : bb, k, dd);
	}
	double g = mean_dist(bg, k), b = mean_dist(bb, k);
	if (g == DBL_MAX && b == DBL_MAX)
		return 0.5;
	if (g == DBL_MAX)
		return 0.0;
	if (b == DBL_MAX)
		return 1.0;
	if (g + b == 0.0)
		return 0.5;
	return b / (g + b);
}

/* ---------------------------------------------------------------- multilayer perceptron */

static int mlp_build(lc_clf *c, const lc_clf_opts *o, lc_error *err)
{
	int n_out[17], act[17], nl = 0;
	const char *p = o->hidden ? o->hidden : "";
	while (*p) {
		char *end;
		long w = strtol(p, &end, 10);
		if (end == p || w < 1 || w > 4096 || nl >= 16)
			return lc_error_set(err, LC_ERR_INVALID, "mlp: bad hidden layers \"%s\" (expected e.g. 32:relu,16:relu)",
					    o->hidden);
		int a = LC_ACT_RELU;
		p = end;
		if (*p == ':') {
			char name[32];
			size_t k = 0;
			p++;
			while (*p && *p != ',' && k + 1 < sizeof name)
				name[k++] = *p++;
			name[k] = 0;
			if ((a = lc_act_parse(name)) < 0)
				return lc_error_set(err, LC_ERR_INVALID, "mlp: unknown activation \"%s\" in \"%s\"", name,
						    o->hidden);
		}
		n_out[nl] = (int)w;
		act[nl++] = a;
		if (*p == ',')
			p++;
		else if (*p)
			return lc_error_set(err, LC_ERR_INVALID, "mlp: bad hidden layers \"%s\"", o->hidden);
	}
	n_out[nl] = 1;
	act[nl++] = LC_ACT_LINEAR;
	if (!(c->net = lc_net_new(c->d, nl, n_out, act)))
		return lc_error_set(err, LC_ERR_NOMEM, "mlp: out of memory");
	lc_net_init(c->net, o->seed);
	return LC_OK;
}

/* Standardised copy of rows x (n, d) with the classifier's mean and spread. */
static float *mlp_standardise(const lc_clf *c, const float *x, size_t n)
{
	float *s = malloc((n ? n : 1) * (size_t)c->d * sizeof *s);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < c->d; j++)
			s[i * (size_t)c->d + j] = (x[i * (size_t)c->d + j] - c->mu[j]) / c->sd[j];
	return s;
}

/* Adam on the weighted mean binary cross-entropy of sigmoid(logit) over mini-batches; the output layer is linear so
 * dL/dz = w (sigmoid(z) - y) / sum of the batch's weights. */
static int mlp_train(lc_clf *c, const lc_clf_opts *o, const float *x, const int *y, const double *w, size_t n,
		     lc_error *err)
{
	const nn_kern *k = nn_kern_best();
	lc_net *net = c->net;
	int L = net->n_layers, nb = nn_round_cols((size_t)(o->batch > 0 ? o->batch : 64));
	size_t np = net->n_params;
	float *xs = mlp_standardise(c, x, n), *g = nn_falloc(np), *m = nn_falloc(np), *v = nn_falloc(np);
	float *a[18] = {0}, *da[18] = {0};
	size_t *idx = malloc(n * sizeof *idx);
	int rc = LC_OK;
	int ok = xs && g && m && v && idx;
	for (int l = 0; l <= L && ok; l++) {
		int width = l == 0 ? net->n_in : net->n_out[l - 1];
		ok = (a[l] = nn_falloc((size_t)width * (size_t)nb)) && (da[l] = nn_falloc((size_t)width * (size_t)nb));
	}
	if (!ok) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "mlp: out of memory for %zu rows", n);
		goto done;
	}
	nn_rng rng;
	nn_rng_seed(&rng, o->seed ^ 0x6d6c70u);
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	long step = 0;
	for (int ep = 0; ep < o->epochs; ep++) {
		for (size_t i = n; i > 1; i--) {
			size_t j = (size_t)nn_rng_below(&rng, i), t = idx[i - 1];
			idx[i - 1] = idx[j];
			idx[j] = t;
		}
		for (size_t b0 = 0; b0 < n; b0 += (size_t)nb) {
			int bn = (int)(n - b0 < (size_t)nb ? n - b0 : (size_t)nb);
			k->load(a[0], nb, xs, net->n_in, idx + b0, bn);
			for (int l = 0; l < L; l++) {
				int n_in = l == 0 ? net->n_in : net->n_out[l - 1];
				const float *W = net->params + net->offset[l];
				k->forward(W, W + (size_t)net->n_out[l] * n_in, n_in, net->n_out[l], net->act[l], a[l],
					   a[l + 1], nb);
			}
			double wsum = 0;
			for (int col = 0; col < bn; col++)
				wsum += w ? w[idx[b0 + col]] : 1.0;
			float *z = a[L], *dz = da[L];
			for (int col = 0; col < nb; col++) {
				if (col >= bn || wsum <= 0) {
					dz[col] = 0;
					continue;
				}
				size_t r = idx[b0 + col];
				double pr = 1.0 / (1.0 + exp(-(double)z[col]));
				dz[col] = (float)((w ? w[r] : 1.0) * (pr - y[r]) / wsum);
			}
			for (int l = L - 1; l >= 0; l--) {
				int n_in = l == 0 ? net->n_in : net->n_out[l - 1];
				const float *W = net->params + net->offset[l];
				float *gW = g + net->offset[l];
				k->backward(W, n_in, net->n_out[l], l == L - 1 ? net->act[l] : LC_ACT_LINEAR, a[l], a[l + 1],
					    da[l + 1], gW, gW + (size_t)net->n_out[l] * n_in, l ? da[l] : NULL, nb,
					    l ? net->act[l - 1] : LC_ACT_LINEAR);
			}
			step++;
			double bc1 = 1.0 - pow(0.9, (double)step), bc2 = 1.0 - pow(0.999, (double)step);
			k->adam(net->params, m, v, g, np, 0.9f, 0.999f, 1e-8f, (float)(o->lr / bc1), (float)sqrt(bc2));
		}
	}
done:
	for (int l = 0; l <= L; l++) {
		free(a[l]);
		free(da[l]);
	}
	free(xs);
	free(g);
	free(m);
	free(v);
	free(idx);
	return rc;
}

static int mlp_fit(lc_clf *c, const lc_clf_opts *o, const float *x, const int *y, const double *w, size_t n,
		   lc_error *err)
{
	if (!(c->mu = malloc((size_t)c->d * sizeof *c->mu)) || !(c->sd = malloc((size_t)c->d * sizeof *c->sd)))
		return lc_error_set(err, LC_ERR_NOMEM, "mlp: out of memory");
	for (int j = 0; j < c->d; j++) {
		double s = 0, s2 = 0;
		for (size_t i = 0; i < n; i++) {
			double t = x[i * (size_t)c->d + j];
			s += t;
			s2 += t * t;
		}
		double mean = s / (double)n, var = s2 / (double)n - mean * mean;
		c->mu[j] = (float)mean;
		c->sd[j] = (float)(var > 1e-12 ? sqrt(var) : 1.0);
	}
	int rc = mlp_build(c, o, err);
	return rc ? rc : mlp_train(c, o, x, y, w, n, err);
}

/* ---------------------------------------------------------------- XGBoost */

static int xgb_err(lc_error *err, const char *what)
{
	return lc_error_set(err, LC_ERR_INVALID, "xgboost: %s: %s", what, XGBGetLastError());
}

static int xgb_matrix(const float *x, const int *y, const double *w, size_t n, int d, DMatrixHandle *dm,
		      lc_error *err)
{
	if (XGDMatrixCreateFromMat(x, (bst_ulong)n, (bst_ulong)d, NAN, dm))
		return xgb_err(err, "matrix");
	if (!y)
		return LC_OK;
	float *f = malloc(n * sizeof *f);
	if (!f) {
		XGDMatrixFree(*dm);
		return lc_error_set(err, LC_ERR_NOMEM, "xgboost: out of memory");
	}
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		f[i] = (float)y[i];
	bad |= XGDMatrixSetFloatInfo(*dm, "label", f, (bst_ulong)n);
	if (w) {
		for (size_t i = 0; i < n; i++)
			f[i] = (float)w[i];
		bad |= XGDMatrixSetFloatInfo(*dm, "weight", f, (bst_ulong)n);
	}
	free(f);
	if (bad) {
		XGDMatrixFree(*dm);
		return xgb_err(err, "labels");
	}
	return LC_OK;
}

/* A new booster with the settings of o for the matrix dm. */
static int xgb_booster(lc_clf *c, const lc_clf_opts *o, DMatrixHandle dm, lc_error *err)
{
	char depth[16], eta[32], seed[32], nthread[16], maxbin[16];
	snprintf(maxbin, sizeof maxbin, "%d", o->max_bin > 1 ? o->max_bin : 256);
	snprintf(depth, sizeof depth, "%d", o->depth);
	snprintf(eta, sizeof eta, "%.17g", o->eta);
	snprintf(seed, sizeof seed, "%llu", (unsigned long long)(o->seed & 0x7fffffff));
	snprintf(nthread, sizeof nthread, "%d", o->threads > 0 ? o->threads : 1);
	if (XGBoosterCreate(&dm, 1, &c->bst) || XGBoosterSetParam(c->bst, "objective", "binary:logistic") ||
	    XGBoosterSetParam(c->bst, "max_depth", depth) || XGBoosterSetParam(c->bst, "eta", eta) ||
	    XGBoosterSetParam(c->bst, "seed", seed) || XGBoosterSetParam(c->bst, "nthread", nthread) ||
	    XGBoosterSetParam(c->bst, "tree_method", o->hist ? "hist" : "exact") ||
	    XGBoosterSetParam(c->bst, "max_bin", maxbin) || XGBoosterSetParam(c->bst, "verbosity", "0"))
		return xgb_err(err, "booster");
	return LC_OK;
}

/* Boosts o->trees more rounds on the rows (a new booster when c has none). */
static int xgb_boost(lc_clf *c, const lc_clf_opts *o, const float *x, const int *y, const double *w, size_t n,
		     lc_error *err)
{
	DMatrixHandle dm;
	int rc = xgb_matrix(x, y, w, n, c->d, &dm, err);
	if (rc)
		return rc;
	if (!c->bst && (rc = xgb_booster(c, o, dm, err))) {
		XGDMatrixFree(dm);
		return rc;
	}
	int rounds = 0;
	if (XGBoosterBoostedRounds(c->bst, &rounds))
		rc = xgb_err(err, "rounds");
	for (int i = 0; !rc && i < o->trees; i++)
		if (XGBoosterUpdateOneIter(c->bst, rounds + i, dm))
			rc = xgb_err(err, "update");
	XGDMatrixFree(dm);
	return rc;
}

/* ---------------------------------------------------------------- common interface */

int lc_clf_fit(const lc_clf_opts *o, const float *x, const int *y, const double *w, size_t n, int d, lc_clf **out,
	       lc_error *err)
{
	*out = NULL;
	int rc = check_rows(y, n, err);
	if (rc)
		return rc;
	if (d < 1)
		return lc_error_set(err, LC_ERR_INVALID, "classifier: width %d", d);
	if (o->kind == LC_CLF_KNN && (o->k < 1 || o->k > 16))
		return lc_error_set(err, LC_ERR_INVALID, "knn: %d neighbours, expected 1 to 16", o->k);
	lc_clf *c = calloc(1, sizeof *c);
	if (!c)
		return lc_error_set(err, LC_ERR_NOMEM, "classifier: out of memory");
	c->kind = o->kind;
	c->d = d;
	c->k = o->k;
	if (o->kind == LC_CLF_KNN)
		rc = knn_set(c, x, y, n, err);
	else if (o->kind == LC_CLF_MLP)
		rc = mlp_fit(c, o, x, y, w, n, err);
	else if (o->kind == LC_CLF_XGB)
		rc = xgb_boost(c, o, x, y, w, n, err);
	else
		rc = lc_error_set(err, LC_ERR_INVALID, "classifier: unknown kind %d", o->kind);
	if (rc) {
		lc_clf_free(c);
		return rc;
	}
	*out = c;
	return LC_OK;
}

int lc_clf_update(lc_clf *c, const lc_clf_opts *o, const float *x, const int *y, const double *w, size_t n,
		  lc_error *err)
{
	int rc = check_rows(y, n, err);
	if (rc)
		return rc;
	if (c->kind == LC_CLF_KNN)
		return knn_set(c, x, y, n, err);
	if (c->kind == LC_CLF_MLP)
		return mlp_train(c, o, x, y, w, n, err);
	return xgb_boost(c, o, x, y, w, n, err);
}

int lc_clf_predict(const lc_clf *c, const float *x, size_t n, double *p, lc_error *err)
{
	if (n == 0)
		return LC_OK;
	if (c->kind == LC_CLF_KNN) {
		for (size_t i = 0; i < n; i++)
			p[i] = knn_p(c, c->k, x + i * (size_t)c->d, (size_t)-1, NULL, 0);
		return LC_OK;
	}
	if (c->kind == LC_CLF_MLP) {
		float *xs = mlp_standardise(c, x, n), *z = malloc(n * sizeof *z);
		int rc = xs && z ? lc_net_predict(c->net, xs, n, z, 1, err)
				 : lc_error_set(err, LC_ERR_NOMEM, "mlp: out of memory for %zu rows", n);
		for (size_t i = 0; !rc && i < n; i++)
			p[i] = 1.0 / (1.0 + exp(-(double)z[i]));
		free(xs);
		free(z);
		return rc;
	}
	DMatrixHandle dm;
	int rc = xgb_matrix(x, NULL, NULL, n, c->d, &dm, err);
	if (rc)
		return rc;
	bst_ulong len = 0;
	const float *res = NULL;
	if (XGBoosterPredict(c->bst, dm, 0, 0, 0, &len, &res) || len != n)
		rc = xgb_err(err, "predict");
	for (size_t i = 0; !rc && i < n; i++)
		p[i] = res[i];
	XGDMatrixFree(dm);
	return rc;
}

/* One cross-validation fold: trains on the rows of the other folds, predicts its own rows into p. The shared
 * scratch buffers (tx ...) are used only when the fold runs alone; side by side each fold allocates its own. */
typedef struct fold_job {
	const lc_clf_opts *o;
	const float *x;
	const int *y;
	const double *w;
	size_t n;
	int d;
	const int *fold;
	int f;
	double *p;
	float *tx, *vx;
	int *ty;
	double *tw, *vp;
	size_t *vi;
	int own; /* 1: allocate private buffers */
	int rc;
	lc_error err;
} fold_job;

static int fold_run(fold_job *j)
{
	size_t n = j->n, d = (size_t)j->d, nt = 0, nv = 0;
	float *tx = j->tx, *vx = j->vx;
	int *ty = j->ty;
	double *tw = j->tw, *vp = j->vp;
	size_t *vi = j->vi;
	if (j->own) {
		tx = malloc(n * d * sizeof *tx);
		vx = malloc(n * d * sizeof *vx);
		ty = malloc(n * sizeof *ty);
		tw = malloc(n * sizeof *tw);
		vp = malloc(n * sizeof *vp);
		vi = malloc(n * sizeof *vi);
	}
	int rc = LC_OK;
	if (!tx || !vx || !ty || !tw || !vp || !vi) {
		rc = lc_error_set(&j->err, LC_ERR_NOMEM, "cross-validation: out of memory for %zu rows", n);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		if (j->fold[i] == j->f) {
			memcpy(vx + nv * d, j->x + i * d, d * sizeof *vx);
			vi[nv++] = i;
		} else {
			memcpy(tx + nt * d, j->x + i * d, d * sizeof *tx);
			ty[nt] = j->y[i];
			tw[nt++] = j->w ? j->w[i] : 1.0;
		}
	}
	size_t tg = 0;
	for (size_t i = 0; i < nt; i++)
		tg += (size_t)ty[i];
	if (tg == 0 || tg == nt) { /* grouped folds can leave one class: the fold predicts that class */
		for (size_t i = 0; i < nv; i++)
			j->p[vi[i]] = tg ? 1.0 : 0.0;
		goto done;
	}
	lc_clf *c = NULL;
	if (!(rc = lc_clf_fit(j->o, tx, ty, tw, nt, j->d, &c, &j->err)) && !(rc = lc_clf_predict(c, vx, nv, vp, &j->err)))
		for (size_t i = 0; i < nv; i++)
			j->p[vi[i]] = vp[i];
	lc_clf_free(c);
done:
	if (j->own) {
		free(tx);
		free(vx);
		free(ty);
		free(tw);
		free(vp);
		free(vi);
	}
	j->rc = rc;
	return rc;
}

typedef struct pool_ctx {
	fold_job *jobs;
	int njobs, next;
	pthread_mutex_t lock;
} pool_ctx;

static void *pool_worker(void *arg)
{
	pool_ctx *pc = arg;
	for (;;) {
		pthread_mutex_lock(&pc->lock);
		int f = pc->next < pc->njobs ? pc->next++ : -1;
		pthread_mutex_unlock(&pc->lock);
		if (f < 0)
			return NULL;
		pc->jobs[f].own = 1;
		fold_run(&pc->jobs[f]);
	}
}

/* Number of distinct groups (n small enough for the quadratic count). */
static size_t n_groups(const int64_t *g, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < i && g[j] != g[i])
			j++;
		k += j == i;
	}
	return k;
}

/* Cross-validated XGBoost on one matrix of all n rows: the booster of fold f sees the rows of the other folds with
 * their weights and its own rows with weight 0 (nothing in gradients, hessians, leaf values or child weights), then
 * predicts its own rows. Each worker builds the matrix once, not once per fold; its histogram bins come from every
 * row with its weight (one boosting round before the folds), so the predictions do not depend on which worker ran
 * which fold. */
typedef struct xcv_ctx {
	const lc_clf_opts *o;
	const float *x;
	const int *y;
	const double *w;
	size_t n;
	int d, folds, next, rc;
	const int *fold;
	double *p;
	pthread_mutex_t lock;
	lc_error err;
} xcv_ctx;

static int xcv_fold(xcv_ctx *q, DMatrixHandle dm, float *fw, int f, lc_error *err)
{
	size_t n = q->n, nt = 0, tg = 0;
	for (size_t i = 0; i < n; i++) {
		int train = q->fold[i] != f;
		fw[i] = train ? (float)(q->w ? q->w[i] : 1.0) : 0.0f;
		nt += (size_t)train;
		tg += (size_t)(train && q->y[i]);
	}
	if (tg == 0 || tg == nt) { /* grouped folds can leave one class: the fold predicts that class */
		for (size_t i = 0; i < n; i++)
			if (q->fold[i] == f)
				q->p[i] = tg ? 1.0 : 0.0;
		return LC_OK;
	}
	if (XGDMatrixSetFloatInfo(dm, "weight", fw, (bst_ulong)n))
		return xgb_err(err, "weights");
	lc_clf c = {.kind = LC_CLF_XGB, .d = q->d};
	int rc = xgb_booster(&c, q->o, dm, err);
	for (int t = 0; !rc && t < q->o->trees; t++)
		if (XGBoosterUpdateOneIter(c.bst, t, dm))
			rc = xgb_err(err, "update");
	bst_ulong len = 0;
	const float *res = NULL;
	if (!rc && (XGBoosterPredict(c.bst, dm, 0, 0, 0, &len, &res) || len != n))
		rc = xgb_err(err, "predict");
	for (size_t i = 0; !rc && i < n; i++)
		if (q->fold[i] == f)
			q->p[i] = res[i];
	if (c.bst)
		XGBoosterFree(c.bst);
	return rc;
}

static void *xcv_worker(void *arg)
{
	xcv_ctx *q = arg;
	lc_error err = {0, ""};
	DMatrixHandle dm = NULL;
	float *fw = malloc(q->n * sizeof *fw);
	int rc = fw ? xgb_matrix(q->x, q->y, q->w, q->n, q->d, &dm, &err)
		    : lc_error_set(&err, LC_ERR_NOMEM, "cross-validation: out of memory for %zu rows", q->n);
	if (!rc) { /* the histogram index from every row: one round of a booster thrown away */
		lc_clf c = {.kind = LC_CLF_XGB, .d = q->d};
		if (!(rc = xgb_booster(&c, q->o, dm, &err)) && XGBoosterUpdateOneIter(c.bst, 0, dm))
			rc = xgb_err(&err, "update");
		if (c.bst)
			XGBoosterFree(c.bst);
	}
	for (;;) {
		pthread_mutex_lock(&q->lock);
		int f = rc || q->rc ? -1 : q->next < q->folds ? q->next++ : -1;
		pthread_mutex_unlock(&q->lock);
		if (f < 0)
			break;
		rc = xcv_fold(q, dm, fw, f, &err);
	}
	pthread_mutex_lock(&q->lock);
	if (rc && !q->rc) {
		q->rc = rc;
		q->err = err;
	}
	pthread_mutex_unlock(&q->lock);
	if (dm)
		XGDMatrixFree(dm);
	free(fw);
	return NULL;
}

static int xgb_cv_shared(const lc_clf_opts *o, int workers, const float *x, const int *y, const double *w, size_t n,
			 int d, const int *fold, int folds, double *p, lc_error *err)
{
	xcv_ctx q = {.o = o, .x = x, .y = y, .w = w, .n = n, .d = d, .folds = folds, .fold = fold, .p = p};
	pthread_mutex_init(&q.lock, NULL);
	pthread_t th[16];
	int started = 0;
	if (workers > 16)
		workers = 16;
	for (int t = 0; t < workers && workers > 1; t++)
		if (pthread_create(&th[t], NULL, xcv_worker, &q) == 0)
			started++;
	if (started == 0)
		xcv_worker(&q);
	for (int t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_destroy(&q.lock);
	if (q.rc)
		*err = q.err;
	return q.rc;
}

int lc_clf_cv(const lc_clf_opts *o, const float *x, const int *y, const double *w, const int64_t *group, size_t n,
	      int d, double *p, lc_error *err)
{
	int rc = check_rows(y, n, err);
	if (rc)
		return rc;
	if (group && n_groups(group, n) < 2)
		group = NULL;
	if (o->kind == LC_CLF_KNN) {
		if (o->k < 1 || o->k > 16)
			return lc_error_set(err, LC_ERR_INVALID, "knn: %d neighbours, expected 1 to 16", o->k);
		lc_clf c = {.kind = LC_CLF_KNN, .d = d, .k = o->k, .x = (float *)x, .y = (int *)y, .n = n};
		for (size_t i = 0; i < n; i++)
			p[i] = knn_p(&c, c.k, x + i * (size_t)d, i, group, group ? group[i] : 0);
		return LC_OK;
	}
	/* stratified folds: each class shuffled with the seed and dealt round-robin */
	size_t ng = 0;
	for (size_t i = 0; i < n; i++)
		ng += (size_t)y[i];
	size_t minority = ng < n - ng ? ng : n - ng;
	int folds = o->folds < 2 ? 2 : o->folds > 100 ? 100 : o->folds;
	if ((size_t)folds > minority)
		folds = (int)minority;
	if (folds < 2)
		return lc_error_set(err, LC_ERR_INVALID, "cross-validation: %zu LS of the smaller class, need 2", minority);
	int *fold = malloc(n * sizeof *fold);
	size_t *perm = malloc(n * sizeof *perm);
	float *tx = malloc(n * (size_t)d * sizeof *tx), *vx = malloc(n * (size_t)d * sizeof *vx);
	int *ty = malloc(n * sizeof *ty);
	double *tw = malloc(n * sizeof *tw), *vp = malloc(n * sizeof *vp);
	size_t *vi = malloc(n * sizeof *vi);
	if (!fold || !perm || !tx || !vx || !ty || !tw || !vp || !vi) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "cross-validation: out of memory for %zu rows", n);
		goto done;
	}
	nn_rng rng;
	nn_rng_seed(&rng, o->seed ^ 0x6376u);
	if (group) {
		/* whole groups to folds: the distinct groups in first-seen order, shuffled, dealt round-robin */
		size_t ng2 = 0;
		for (size_t i = 0; i < n; i++) {
			size_t j = 0;
			while (j < ng2 && group[perm[j]] != group[i])
				j++;
			if (j == ng2)
				perm[ng2++] = i;
		}
		if ((size_t)folds > ng2)
			folds = (int)ng2;
		for (size_t i = ng2; i > 1; i--) {
			size_t j = (size_t)nn_rng_below(&rng, i), t = perm[i - 1];
			perm[i - 1] = perm[j];
			perm[j] = t;
		}
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < ng2; j++)
				if (group[perm[j]] == group[i])
					fold[i] = (int)(j % (size_t)folds);
	}
	for (int cls = 0; cls < 2 && !group; cls++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (y[i] == cls)
				perm[m++] = i;
		for (size_t i = m; i > 1; i--) {
			size_t j = (size_t)nn_rng_below(&rng, i), t = perm[i - 1];
			perm[i - 1] = perm[j];
			perm[j] = t;
		}
		for (size_t i = 0; i < m; i++)
			fold[perm[i]] = (int)(i % (size_t)folds);
	}
	/* the folds are independent: with threads > 1 they run side by side (each fit single-threaded), results the
	 * same whatever the thread count */
	fold_job jobs[100];
	lc_clf_opts fo = *o;
	int workers = o->threads > 1 ? (o->threads < folds ? o->threads : folds) : 1;
	if (workers > 1)
		fo.threads = 1;
	for (int f = 0; f < folds; f++)
		jobs[f] = (fold_job){.o = &fo, .x = x, .y = y, .w = w, .n = n, .d = d, .fold = fold, .f = f, .p = p,
				     .tx = tx, .vx = vx, .ty = ty, .tw = tw, .vp = vp, .vi = vi};
	if (o->kind == LC_CLF_XGB && o->shared_cv)
		rc = xgb_cv_shared(&fo, workers, x, y, w, n, d, fold, folds, p, err);
	else if (workers == 1) {
		for (int f = 0; f < folds && !rc; f++)
			if ((rc = fold_run(&jobs[f])))
				*err = jobs[f].err;
	} else {
		pool_ctx pc = {.jobs = jobs, .njobs = folds};
		pthread_mutex_init(&pc.lock, NULL);
		pthread_t th[16];
		int started = 0;
		if (workers > 16)
			workers = 16;
		for (int t = 0; t < workers; t++)
			if (pthread_create(&th[t], NULL, pool_worker, &pc) == 0)
				started++;
		if (started == 0)
			pool_worker(&pc);
		for (int t = 0; t < started; t++)
			pthread_join(th[t], NULL);
		pthread_mutex_destroy(&pc.lock);
		for (int f = 0; f < folds && !rc; f++)
			if ((rc = jobs[f].rc))
				*err = jobs[f].err;
	}
done:
	free(fold);
	free(perm);
	free(tx);
	free(vx);
	free(ty);
	free(tw);
	free(vp);
	free(vi);
	return rc;
}

/* ---------------------------------------------------------------- serialisation (little-endian) */

/* Layout: "LCCLF1\n\0", u32 kind, u32 d, then per kind
 *   knn: u32 k, u64 n, n bytes labels, n*d float32 rows
 *   mlp: d float32 mean, d float32 spread, u32 layers, per layer u32 width and u32 activation, float32 params
 *   xgb: u64 length, XGBoost's UBJSON model */
typedef struct wbuf {
	unsigned char *p;
	size_t n, cap;
	int oom;
} wbuf;

static void wb_put(wbuf *b, const void *src, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n)
			cap *= 2;
		unsigned char *q = realloc(b->p, cap);
		if (!q) {
			b->oom = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, src, n);
	b->n += n;
}

static void wb_u32(wbuf *b, uint32_t v)
{
	unsigned char q[4] = {v & 255, (v >> 8) & 255, (v >> 16) & 255, v >> 24};
	wb_put(b, q, 4);
}

static void wb_u64(wbuf *b, uint64_t v)
{
	wb_u32(b, (uint32_t)v);
	wb_u32(b, (uint32_t)(v >> 32));
}

static void wb_floats(wbuf *b, const float *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, &f[i], 4);
		wb_u32(b, u);
	}
}

static const char clf_magic[8] = "LCCLF1\n";

/* A dense network: u32 n_in, u32 layers, per layer u32 width and u32 activation, float32 parameters. */
static void wb_net(wbuf *b, const lc_net *net)
{
	wb_u32(b, (uint32_t)net->n_in);
	wb_u32(b, (uint32_t)net->n_layers);
	for (int l = 0; l < net->n_layers; l++) {
		wb_u32(b, (uint32_t)net->n_out[l]);
		wb_u32(b, (uint32_t)net->act[l]);
	}
	wb_floats(b, net->params, net->n_params);
}

int lc_net_save_mem(const lc_net *net, unsigned char **buf, size_t *n, lc_error *err)
{
	wbuf b = {0};
	wb_net(&b, net);
	if (b.oom) {
		free(b.p);
		return lc_error_set(err, LC_ERR_NOMEM, "network: out of memory while saving");
	}
	*buf = b.p;
	*n = b.n;
	return LC_OK;
}

int lc_clf_save_mem(const lc_clf *c, unsigned char **buf, size_t *n, lc_error *err)
{
	wbuf b = {0};
	wb_put(&b, clf_magic, 8);
	wb_u32(&b, (uint32_t)c->kind);
	wb_u32(&b, (uint32_t)c->d);
	if (c->kind == LC_CLF_KNN) {
		wb_u32(&b, (uint32_t)c->k);
		wb_u64(&b, c->n);
		for (size_t i = 0; i < c->n; i++) {
			unsigned char v = (unsigned char)c->y[i];
			wb_put(&b, &v, 1);
		}
		wb_floats(&b, c->x, c->n * (size_t)c->d);
	} else if (c->kind == LC_CLF_MLP) {
		wb_floats(&b, c->mu, (size_t)c->d);
		wb_floats(&b, c->sd, (size_t)c->d);
		wb_u32(&b, (uint32_t)c->net->n_layers);
		for (int l = 0; l < c->net->n_layers; l++) {
			wb_u32(&b, (uint32_t)c->net->n_out[l]);
			wb_u32(&b, (uint32_t)c->net->act[l]);
		}
		wb_floats(&b, c->net->params, c->net->n_params);
	} else {
		bst_ulong len = 0;
		const char *raw = NULL;
		if (XGBoosterSaveModelToBuffer(c->bst, "{\"format\": \"ubj\"}", &len, &raw)) {
			free(b.p);
			return xgb_err(err, "save");
		}
		wb_u64(&b, len);
		wb_put(&b, raw, len);
	}
	if (b.oom) {
		free(b.p);
		return lc_error_set(err, LC_ERR_NOMEM, "classifier: out of memory while saving");
	}
	*buf = b.p;
	*n = b.n;
	return LC_OK;
}

typedef struct rbuf {
	const unsigned char *p;
	size_t n, at;
} rbuf;

static int rb_take(rbuf *b, void *dst, size_t n)
{
	if (n > b->n - b->at)
		return 0;
	memcpy(dst, b->p + b->at, n);
	b->at += n;
	return 1;
}

static int rb_u32(rbuf *b, uint32_t *v)
{
	unsigned char q[4];
	if (!rb_take(b, q, 4))
		return 0;
	*v = q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
	return 1;
}

static int rb_u64(rbuf *b, uint64_t *v)
{
	uint32_t lo, hi;
	if (!rb_u32(b, &lo) || !rb_u32(b, &hi))
		return 0;
	*v = lo | (uint64_t)hi << 32;
	return 1;
}

static int rb_floats(rbuf *b, float *f, size_t n)
{
	if (n > (b->n - b->at) / 4)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t u = 0;
		rb_u32(b, &u);
		memcpy(&f[i], &u, 4);
	}
	return 1;
}

int lc_net_load_mem(const unsigned char *buf, size_t n, size_t *used, lc_net **out, lc_error *err)
{
	*out = NULL;
	rbuf b = {buf, n, 0};
	uint32_t nin, L;
	int n_out[64], act[64];
	if (!rb_u32(&b, &nin) || !rb_u32(&b, &L) || nin < 1 || nin > (1u << 24) || L < 1 || L > 64)
		return lc_error_set(err, LC_ERR_PARSE, "network: bad width or layer count at byte 0");
	uint64_t np = 0, in = nin;
	for (uint32_t l = 0; l < L; l++) {
		uint32_t w, a;
		if (!rb_u32(&b, &w) || !rb_u32(&b, &a) || w < 1 || w > (1u << 24) || a > LC_ACT_LEAKY_RELU)
			return lc_error_set(err, LC_ERR_PARSE, "network: layer %u bad at byte %zu", l, b.at);
		n_out[l] = (int)w;
		act[l] = (int)a;
		np += (in + 1) * (uint64_t)w;
		in = w;
	}
	if (np > (b.n - b.at) / 4)
		return lc_error_set(err, LC_ERR_PARSE, "network: %llu parameters, the data ends at byte %zu",
				    (unsigned long long)np, b.n);
	lc_net *net = lc_net_new((int)nin, (int)L, n_out, act);
	if (!net)
		return lc_error_set(err, LC_ERR_NOMEM, "network: out of memory");
	rb_floats(&b, net->params, net->n_params);
	*used = b.at;
	*out = net;
	return LC_OK;
}

int lc_clf_load_mem(const unsigned char *buf, size_t n, lc_clf **out, lc_error *err)
{
	*out = NULL;
	rbuf b = {buf, n, 0};
	char magic[8];
	uint32_t kind, d;
	if (!rb_take(&b, magic, 8) || memcmp(magic, clf_magic, 8))
		return lc_error_set(err, LC_ERR_PARSE, "classifier: bad magic at byte 0");
	if (!rb_u32(&b, &kind) || !rb_u32(&b, &d) || kind > LC_CLF_XGB || d < 1 || d > (1u << 24))
		return lc_error_set(err, LC_ERR_PARSE, "classifier: bad kind or width at byte 8");
	lc_clf *c = calloc(1, sizeof *c);
	if (!c)
		return lc_error_set(err, LC_ERR_NOMEM, "classifier: out of memory");
	c->kind = (int)kind;
	c->d = (int)d;
	int rc = LC_OK;
	if (kind == LC_CLF_KNN) {
		uint64_t m;
		uint32_t k;
		if (!rb_u32(&b, &k) || k < 1 || k > 16) {
			rc = lc_error_set(err, LC_ERR_PARSE, "classifier: knn neighbours missing or outside 1..16 at byte %zu",
					  b.at);
			goto fail;
		}
		c->k = (int)k;
		if (!rb_u64(&b, &m) || m > (b.n - b.at) || m * (uint64_t)d > (b.n - b.at) / 4) {
			rc = lc_error_set(err, LC_ERR_PARSE, "classifier: knn row count at byte %zu exceeds the data", b.at);
			goto fail;
		}
		c->n = (size_t)m;
		c->y = malloc((c->n ? c->n : 1) * sizeof *c->y);
		c->x = malloc((c->n ? c->n : 1) * d * sizeof *c->x);
		if (!c->y || !c->x) {
			rc = lc_error_set(err, LC_ERR_NOMEM, "classifier: out of memory");
			goto fail;
		}
		for (size_t i = 0; i < c->n; i++) {
			unsigned char v = 0;
			rb_take(&b, &v, 1);
			if (v > 1) {
				rc = lc_error_set(err, LC_ERR_PARSE, "classifier: label %u at byte %zu", v, b.at - 1);
				goto fail;
			}
			c->y[i] = v;
		}
		rb_floats(&b, c->x, c->n * d);
	} else if (kind == LC_CLF_MLP) {
		uint32_t L;
		int n_out[17], act[17];
		if ((uint64_t)d * 8 > b.n - b.at) {
			rc = lc_error_set(err, LC_ERR_PARSE, "classifier: mlp standardisation of width %u exceeds the data", d);
			goto fail;
		}
		c->mu = malloc(d * sizeof *c->mu);
		c->sd = malloc(d * sizeof *c->sd);
		if (!c->mu || !c->sd) {
			rc = lc_error_set(err, LC_ERR_NOMEM, "classifier: out of memory");
			goto fail;
		}
		if (!rb_floats(&b, c->mu, d) || !rb_floats(&b, c->sd, d) || !rb_u32(&b, &L) || L < 1 || L > 17) {
			rc = lc_error_set(err, LC_ERR_PARSE, "classifier: mlp header truncated or bad at byte %zu", b.at);
			goto fail;
		}
		for (uint32_t l = 0; l < L; l++) {
			uint32_t wdt, a;
			if (!rb_u32(&b, &wdt) || !rb_u32(&b, &a) || wdt < 1 || wdt > 4096 || a > LC_ACT_LEAKY_RELU) {
				rc = lc_error_set(err, LC_ERR_PARSE, "classifier: mlp layer %u bad at byte %zu", l, b.at);
				goto fail;
			}
			n_out[l] = (int)wdt;
			act[l] = (int)a;
		}
		/* the parameters must be in the buffer before anything is allocated for them */
		uint64_t np = 0, in = d;
		for (uint32_t l = 0; l < L; l++) {
			np += (in + 1) * (uint64_t)n_out[l];
			in = (uint64_t)n_out[l];
		}
		if (np > (b.n - b.at) / 4) {
			rc = lc_error_set(err, LC_ERR_PARSE, "classifier: mlp needs %llu parameters, the data ends at byte %zu",
					  (unsigned long long)np, b.n);
			goto fail;
		}
		if (n_out[L - 1] != 1 || !(c->net = lc_net_new((int)d, (int)L, n_out, act)) ||
		    !rb_floats(&b, c->net->params, c->net->n_params)) {
			rc = lc_error_set(err, LC_ERR_PARSE, "classifier: mlp parameters truncated at byte %zu", b.at);
			goto fail;
		}
	} else {
		uint64_t len;
		if (!rb_u64(&b, &len) || len > b.n - b.at) {
			rc = lc_error_set(err, LC_ERR_PARSE, "classifier: xgboost model length at byte %zu exceeds the data",
					  b.at);
			goto fail;
		}
		if (XGBoosterCreate(NULL, 0, &c->bst) ||
		    XGBoosterLoadModelFromBuffer(c->bst, b.p + b.at, (bst_ulong)len)) {
			rc = xgb_err(err, "load");
			goto fail;
		}
		b.at += (size_t)len;
	}
	if (b.at != b.n) {
		rc = lc_error_set(err, LC_ERR_PARSE, "classifier: %zu trailing bytes at byte %zu", b.n - b.at, b.at);
		goto fail;
	}
	*out = c;
	return LC_OK;
fail:
	lc_clf_free(c);
	return rc;
}
