/* train.c — autoencoder training (Adam on seeded mini-batches, MSE or top-k MSE, validation with early stopping and
 * best-parameter restore, a fixed thread split for bit-identical results) and per-row reconstruction scores. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nn/nn.h"

void lc_train_opts_default(lc_train_opts *o)
{
	memset(o, 0, sizeof *o);
	o->epochs = 300;
	o->batch = 128;
	o->lr = 1e-3;
	o->beta1 = 0.9;
	o->beta2 = 0.999;
	o->eps = 1e-8; /* PyTorch's Adam default (Keras uses 1e-7); the header comment says 1e-7 */
	o->seed = 1;
	o->threads = 1;
	o->loss = LC_LOSS_MSE;
	o->topk = 10;
	o->patience = 0;
}

/* One job for the pool: either the gradient of a mini-batch split in fixed row chunks, or row scores of a row range
 * split the same way. */
typedef struct job {
	const lc_net *net;
	const nn_kern *k;
	nn_ws **ws;         /* one per thread */
	int loss, topk;
	/* gradient */
	const float *x;     /* (n, d) training rows */
	const size_t *rows; /* batch row indices */
	size_t bn;          /* rows in this batch */
	size_t per;         /* rows per thread */
	double *lsum;       /* per thread: sum of row losses */
	int *nrows;         /* per thread: rows done */
	/* scores */
	int eval;           /* 1: score rows instead */
	double **tscore;    /* per thread: ws->nb doubles used when score is NULL */
	float **tile;       /* per thread: nn_tile_floats scratch of the fused MSE scorer */
	double *score;      /* (n) or NULL */
	float *bins;        /* (n, d) or NULL */
} job;

static void job_fn(void *ctx, int t)
{
	job *j = ctx;
	size_t r0 = (size_t)t * j->per, r1 = r0 + j->per < j->bn ? r0 + j->per : j->bn;
	j->lsum[t] = 0.0;
	j->nrows[t] = 0;
	if (r0 >= r1)
		return;
	if (!j->eval) {
		j->nrows[t] = (int)(r1 - r0);
		j->lsum[t] = nn_ws_grad(j->ws[t], j->net, j->k, j->x, j->rows + r0, (int)(r1 - r0), j->bn, j->loss,
					j->topk);
		return;
	}
	int d = j->net->n_in;
	double s = 0.0;
	if (!j->bins && (j->loss == LC_LOSS_MSE || j->topk >= d)) { /* plain MSE: the fused tile scorer */
		j->lsum[t] = j->k->ae_mse(j->net, j->x + r0 * (size_t)d, r1 - r0, j->score ? j->score + r0 : NULL,
					   j->tile[t]);
		j->nrows[t] = (int)(r1 - r0);
		return;
	}
	int nb = j->ws[t]->nb;
	for (size_t r = r0; r < r1; r += (size_t)nb) {
		int nr = (int)(r1 - r < (size_t)nb ? r1 - r : (size_t)nb);
		nn_ws_forward(j->ws[t], j->net, j->k, j->x + r * (size_t)d, NULL, nr);
		s += nn_ws_scores(j->ws[t], j->net, nr, j->loss, j->topk, j->score ? j->score + r : j->tscore[t],
				  j->bins ? j->bins + r * (size_t)d : NULL);
	}
	j->lsum[t] = s;
	j->nrows[t] = (int)(r1 - r0);
}

/* Mean row loss of x (n, d) with threads threads of the pool; score/bins optional. */
static double eval_rows(job *j, nn_pool *pool, int threads, const float *x, size_t n, double *score, float *bins)
{
	j->eval = 1;
	j->x = x;
	j->bn = n;
	j->per = (n + (size_t)threads - 1) / (size_t)threads;
	j->score = score;
	j->bins = bins;
	nn_pool_run(pool, job_fn, j);
	double s = 0.0;
	for (int t = 0; t < threads; t++)
		s += j->lsum[t];
	return s / (double)n;
}

static int check_rows(const float *x, size_t n, int d, const char *what, lc_error *err)
{
	for (size_t i = 0; i < n * (size_t)d; i++)
		if (!isfinite(x[i]))
			return lc_error_set(err, LC_ERR_INVALID, "%s row %zu, input %d is not finite", what,
					    i / (size_t)d, (int)(i % (size_t)d));
	return LC_OK;
}

static int check_loss(const lc_net *net, int loss, int topk, lc_error *err)
{
	if (loss != LC_LOSS_MSE && loss != LC_LOSS_TOPK)
		return lc_error_set(err, LC_ERR_INVALID, "unknown loss %d (expected mse or top-k)", loss);
	if (loss == LC_LOSS_TOPK && (topk < 1 || topk > net->n_in))
		return lc_error_set(err, LC_ERR_INVALID, "top-k loss: k = %d must be in [1, %d] (the input width)",
				    topk, net->n_in);
	return LC_OK;
}

/* Trains from net's current parameters (callers initialise with lc_net_init(net, o->seed)); o NULL means defaults.
 * Each mini-batch is split into fixed row chunks of ceil(batch / threads) rows, one per thread; the per-thread
 * gradients are summed in thread order, so the result depends on the seed and thread count only. */
int lc_ae_train(lc_net *net, const float *x, size_t n, const float *xval, size_t nval, const lc_train_opts *o,
		lc_train_result *res, lc_error *err)
{
	lc_train_opts def;
	if (!o) {
		lc_train_opts_default(&def);
		o = &def;
	}
	if (!net || !x || n == 0)
		return lc_error_set(err, LC_ERR_INVALID, "lc_ae_train: no network or no training rows");
	int d = net->n_in;
	if (lc_net_n_out(net) != d)
		return lc_error_set(err, LC_ERR_INVALID, "autoencoder needs n_out (%d) = n_in (%d)", lc_net_n_out(net),
				    d);
	if (nval > 0 && !xval)
		return lc_error_set(err, LC_ERR_INVALID, "lc_ae_train: %zu validation rows but no buffer", nval);
	if (o->epochs < 1 || o->batch < 1 || !(o->lr > 0.0) || !(o->beta1 >= 0.0 && o->beta1 < 1.0) ||
	    !(o->beta2 >= 0.0 && o->beta2 < 1.0) || !(o->eps > 0.0) || o->threads < 1 || o->patience < 0)
		return lc_error_set(err, LC_ERR_INVALID,
				    "training options: need epochs >= 1, batch >= 1, lr > 0, 0 <= beta < 1, eps > 0, "
				    "threads >= 1, patience >= 0 (got %d, %d, %g, %g/%g, %g, %d, %d)",
				    o->epochs, o->batch, o->lr, o->beta1, o->beta2, o->eps, o->threads, o->patience);
	int rc = check_loss(net, o->loss, o->topk, err);
	if (rc == LC_OK)
		rc = check_rows(x, n, d, "training", err);
	if (rc == LC_OK && nval > 0)
		rc = check_rows(xval, nval, d, "validation", err);
	if (rc != LC_OK)
		return rc;

	double t0 = nn_now();
	size_t batch = (size_t)o->batch < n ? (size_t)o->batch : n;
	int threads = (size_t)o->threads < batch ? o->threads : (int)batch;
	size_t per = (batch + (size_t)threads - 1) / (size_t)threads;
	size_t np = net->n_params;
	const nn_kern *k = nn_kern_best();

	nn_pool *pool = NULL;
	size_t *perm = malloc(n * sizeof *perm);
	float *m = calloc(np, sizeof *m), *v = calloc(np, sizeof *v);
	float *best = nval > 0 ? malloc(np * sizeof *best) : NULL;
	nn_ws **ws = calloc((size_t)threads, sizeof *ws);
	double *lsum = calloc((size_t)threads, sizeof *lsum);
	int *nrows = calloc((size_t)threads, sizeof *nrows);
	double **tscore = calloc((size_t)threads, sizeof *tscore);
	float **tile = calloc((size_t)threads, sizeof *tile);
	if (!perm || !m || !v || (nval > 0 && !best) || !ws || !lsum || !nrows || !tscore || !tile)
		goto nomem;
	for (int t = 0; t < threads; t++)
		if (!(ws[t] = nn_ws_new(net, (int)per)) || !(tscore[t] = malloc((size_t)ws[t]->nb * sizeof **tscore)) ||
		    !(tile[t] = nn_falloc(nn_tile_floats(net))))
			goto nomem;
	if (threads > 1 && !(pool = nn_pool_new(threads))) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "cannot start %d training threads", threads);
		goto done;
	}

	job j = { .net = net, .k = k, .ws = ws, .loss = o->loss, .topk = o->topk, .lsum = lsum, .nrows = nrows,
		  .tscore = tscore, .tile = tile };
	nn_rng rng;
	nn_rng_seed(&rng, o->seed ^ 0x53485546464C4531ull); /* a stream apart from lc_net_init's */
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	const float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
	double best_val = INFINITY, val = NAN;
	int best_epoch = 0, since = 0, epoch = 0;
	long step = 0;
	float *g = ws[0]->grad, *p = net->params;
	while (epoch < o->epochs) {
		for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
			size_t r = (size_t)nn_rng_below(&rng, (uint64_t)i + 1), t = perm[i];
			perm[i] = perm[r];
			perm[r] = t;
		}
		double esum = 0.0;
		for (size_t b0 = 0; b0 < n; b0 += batch) {
			j.eval = 0;
			j.x = x;
			j.rows = perm + b0;
			j.bn = n - b0 < batch ? n - b0 : batch;
			j.per = per;
			nn_pool_run(pool, job_fn, &j);
			esum += lsum[0];
			for (int t = 1; t < threads; t++) { /* fixed order: bit-identical for a thread count */
				if (!nrows[t])
					continue;
				esum += lsum[t];
				const float *gt = ws[t]->grad;
				for (size_t i = 0; i < np; i++)
					g[i] += gt[i];
			}
			/* Adam as torch.optim.Adam (float32 state, bias corrections in double) */
			step++;
			double bc1 = 1.0 - pow(o->beta1, (double)step), bc2 = 1.0 - pow(o->beta2, (double)step);
			k->adam(p, m, v, g, np, b1, b2, eps, (float)(o->lr / bc1), (float)sqrt(bc2));
		}
		epoch++;
		double eloss = esum / (double)n;
		if (!isfinite(eloss)) {
			rc = lc_error_set(err, LC_ERR_INVALID, "training diverged: loss %g at epoch %d (lower the learning "
					  "rate)", eloss, epoch);
			goto done;
		}
		if (nval > 0) {
			val = eval_rows(&j, pool, threads, xval, nval, NULL, NULL);
			if (val < best_val) {
				best_val = val;
				best_epoch = epoch;
				since = 0;
				memcpy(best, p, np * sizeof *p);
			} else {
				since++;
			}
		} else {
			best_epoch = epoch;
		}
		if (o->progress)
			o->progress(o->progress_ctx, epoch, o->epochs, eloss, val, nn_now() - t0);
		if (nval > 0 && o->patience > 0 && since >= o->patience)
			break;
	}
	if (nval > 0 && best_epoch > 0)
		memcpy(p, best, np * sizeof *p);
	if (res) {
		res->epochs_run = epoch;
		res->best_epoch = best_epoch;
		res->train_loss = eval_rows(&j, pool, threads, x, n, NULL, NULL);
		res->val_loss = nval > 0 ? eval_rows(&j, pool, threads, xval, nval, NULL, NULL) : NAN;
		res->seconds = nn_now() - t0;
	}
	goto done;
nomem:
	rc = lc_error_set(err, LC_ERR_NOMEM, "lc_ae_train: out of memory");
done:
	nn_pool_free(pool);
	if (ws)
		for (int t = 0; t < threads; t++)
			nn_ws_free(ws[t]);
	if (tscore)
		for (int t = 0; t < threads; t++)
			free(tscore[t]);
	free(tscore);
	if (tile)
		for (int t = 0; t < threads; t++)
			free(tile[t]);
	free(tile);
	free(ws);
	free(lsum);
	free(nrows);
	free(perm);
	free(m);
	free(v);
	free(best);
	return rc;
}

#define SCORE_BLOCK 256

int lc_ae_errors(const lc_net *net, const float *x, size_t n, int loss, int topk, double *score, float *err_bins,
		 int threads, lc_error *err)
{
	if (!net || (n > 0 && (!x || !score)))
		return lc_error_set(err, LC_ERR_INVALID, "lc_ae_errors: NULL network or buffers");
	if (lc_net_n_out(net) != net->n_in)
		return lc_error_set(err, LC_ERR_INVALID, "autoencoder needs n_out (%d) = n_in (%d)", lc_net_n_out(net),
				    net->n_in);
	int rc = check_loss(net, loss, topk, err);
	if (rc != LC_OK || n == 0)
		return rc;
	if (threads < 1)
		threads = 1;
	size_t maxt = (n + SCORE_BLOCK - 1) / SCORE_BLOCK;
	if ((size_t)threads > maxt)
		threads = (int)maxt;
	int nws = threads, fused = !err_bins && (loss == LC_LOSS_MSE || topk >= net->n_in);
	nn_pool *pool = NULL;
	nn_ws **ws = calloc((size_t)nws, sizeof *ws);
	float **tile = calloc((size_t)nws, sizeof *tile);
	double *lsum = calloc((size_t)nws, sizeof *lsum);
	int *nrows = calloc((size_t)nws, sizeof *nrows);
	if (!ws || !tile || !lsum || !nrows)
		goto nomem;
	/* the fused MSE scorer needs only a small tile buffer; the panel workspaces serve top-k and err_bins */
	for (int t = 0; t < nws; t++)
		if (fused ? !(tile[t] = nn_falloc(nn_tile_floats(net))) : !(ws[t] = nn_ws_new(net, SCORE_BLOCK)))
			goto nomem;
	if (threads > 1 && !(pool = nn_pool_new(threads)))
		threads = 1; /* scores do not depend on the thread count */
	job j = { .net = net, .k = nn_kern_best(), .ws = ws, .loss = loss, .topk = topk, .lsum = lsum, .nrows = nrows,
		  .tile = tile };
	eval_rows(&j, pool, threads, x, n, score, err_bins);
	goto done;
nomem:
	rc = lc_error_set(err, LC_ERR_NOMEM, "lc_ae_errors: out of memory");
done:
	nn_pool_free(pool);
	if (ws)
		for (int t = 0; t < nws; t++)
			nn_ws_free(ws[t]);
	if (tile)
		for (int t = 0; t < nws; t++)
			free(tile[t]);
	free(ws);
	free(tile);
	free(lsum);
	free(nrows);
	return rc;
}
