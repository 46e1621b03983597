/* pipeline.c — joins store, preparation and networks: trains an autoencoder model on the good LS of an ME, scores
 * LS with it, and explains one LS bin by bin. The only module that knows all three layers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "nn/multi.h"

int hidden_parse(const char *spec, int *n_out, int *act, int max, int *nl, lc_error *err)
{
	int k = 0;
	const char *p = spec;
	while (*p) {
		char *end;
		long w = strtol(p, &end, 10);
		if (end == p || w < 1 || w > 100000)
			return lc_error_set(err, LC_ERR_INVALID, "--hidden '%s': layer %d: expected a width >= 1 at '%s'",
					    spec, k + 1, p);
		p = end;
		int a = LC_ACT_RELU;
		if (*p == ':') {
			const char *q = ++p;
			while (*p && *p != ',')
				p++;
			char name[32];
			size_t len = (size_t)(p - q) < sizeof name ? (size_t)(p - q) : sizeof name - 1;
			memcpy(name, q, len);
			name[len] = 0;
			if ((a = lc_act_parse(name)) < 0)
				return lc_error_set(err, LC_ERR_INVALID,
						    "--hidden '%s': layer %d: unknown activation '%s' (linear, sigmoid, "
						    "tanh, relu, leaky_relu)",
						    spec, k + 1, name);
		}
		if (k == max)
			return lc_error_set(err, LC_ERR_INVALID, "--hidden '%s': more than %d layers", spec, max);
		n_out[k] = (int)w;
		act[k++] = a;
		if (*p == ',')
			p++;
		else if (*p)
			return lc_error_set(err, LC_ERR_INVALID, "--hidden '%s': unexpected '%s'", spec, p);
	}
	*nl = k;
	return LC_OK;
}

/* Splits rows into training and validation: a seeded shuffle, the first nval rows validate. */
static void split(size_t n, uint64_t seed, size_t *order)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	uint64_t s = seed * 0x9E3779B97F4A7C15ull + 0xD1B54A32D192ED03ull;
	for (size_t i = n; i > 1; i--) {
		/* xorshift64*: only for this split, independent of the training RNG */
		s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
		uint64_t r = s * 2685821657736338717ull;
		size_t j = (size_t)(r % i);
		size_t t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int lc_model_train(lc_store *st, const lc_train_spec *spec, lc_model **out, lc_error *err)
{
	lc_me_info me;
	int rc = lc_store_me(st, spec->me, &me, err);
	if (rc)
		return rc;
	if ((rc = lc_prep_check(&spec->prep, &me, err)))
		return rc;
	if (!(spec->val_frac >= 0 && spec->val_frac < 1))
		return lc_error_set(err, LC_ERR_INVALID, "validation fraction %g outside [0, 1)", spec->val_frac);
	if (!(spec->fpr >= 0 && spec->fpr < 1))
		return lc_error_set(err, LC_ERR_INVALID, "false-alarm rate %g outside [0, 1)", spec->fpr);
	int auto_arch = !spec->hidden || strcmp(spec->hidden, "auto") == 0;
	int n_out[66], act[66], nl = 0;
	if (!auto_arch && (rc = hidden_parse(spec->hidden, n_out, act, 64, &nl, err)))
		return rc;
	if (!auto_arch && nl == 0)
		return lc_error_set(err, LC_ERR_INVALID, "--hidden '%s': no layers", spec->hidden);
	if (auto_arch && spec->opts.loss != LC_LOSS_MSE)
		return lc_error_set(err, LC_ERR_INVALID,
				    "--hidden auto solves the MSE autoencoder in closed form; give --hidden for --loss topk");

	lc_lsset *good = NULL;
	if (spec->good_source && (rc = lc_store_labels(st, spec->good_source, &good, NULL, err)))
		return rc;
	lc_lsrows r;
	rc = store_rows_keep(st, spec->me, &spec->prep, spec->runs, good, &r, err);
	lc_lsset_free(good);
	if (rc)
		return rc;
	int d = r.d;
	size_t nval = (size_t)floor(spec->val_frac * (double)r.n + 0.5);
	if (r.n < 2 || r.n - nval < 2) {
		lc_lsrows_free(&r);
		return lc_error_set(err, LC_ERR_INVALID,
				    "ME '%s': %zu evaluable good LS in the training runs (%lld not evaluable); need at "
				    "least 2 to train%s",
				    spec->me, r.n, (long long)r.n_not_evaluable,
				    spec->good_source ? " (check --good and --runs)" : "");
	}
	size_t ntr = r.n - nval;
	size_t *order = malloc(r.n * sizeof *order);
	float *xtr = malloc(ntr * (size_t)d * sizeof *xtr);
	float *xval = malloc((nval ? nval : 1) * (size_t)d * sizeof *xval);
	double *sval = malloc((r.n) * sizeof *sval);
	lc_model *m = calloc(1, sizeof *m);
	if (!order || !xtr || !xval || !sval || !m) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	/* the validation rows are a seeded random sample; the training rows keep their time order */
	split(r.n, spec->opts.seed, order);
	{
		char *isval = calloc(r.n, 1);
		if (!isval) {
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			goto done;
		}
		for (size_t i = 0; i < nval; i++)
			isval[order[i]] = 1;
		size_t a = 0, b = 0;
		for (size_t i = 0; i < r.n; i++) {
			float *dst = isval[i] ? xval + b++ * (size_t)d : xtr + a++ * (size_t)d;
			memcpy(dst, r.x + i * (size_t)d, (size_t)d * sizeof *dst);
		}
		free(isval);
	}

	/* train_seconds measures the fit alone, as a peer that starts from an in-memory matrix would */
	double t0 = now_seconds(), fit_seconds = 0;
	lc_train_result res = {0};
	res.val_loss = NAN;
	m->explained = NAN;
	if (auto_arch) {
		int k = 0;
		if ((rc = lc_pca_ae_fit(xtr, ntr, d, 0, &m->net, &k, &m->explained, err)))
			goto done;
		res.best_epoch = 0;
		res.epochs_run = 0;
		fit_seconds = now_seconds() - t0;
	} else {
		n_out[nl] = d;
		act[nl] = spec->output_act;
		if (!(m->net = lc_net_new(d, nl + 1, n_out, act))) {
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			goto done;
		}
		lc_net_init(m->net, spec->opts.seed);
		if ((rc = lc_ae_train(m->net, xtr, ntr, nval ? xval : NULL, nval, &spec->opts, &res, err)))
			goto done;
	}
	/* losses of the kept parameters, and the threshold from held-out good LS (training LS when none held out) */
	{
		double *s = sval;
		if ((rc = lc_ae_errors(m->net, xtr, ntr, spec->opts.loss, spec->opts.topk, s, NULL, spec->opts.threads,
				       err)))
			goto done;
		double sum = 0;
		for (size_t i = 0; i < ntr; i++)
			sum += s[i];
		m->train_loss = sum / (double)ntr;
		m->val_loss = NAN;
		if (nval) {
			if ((rc = lc_ae_errors(m->net, xval, nval, spec->opts.loss, spec->opts.topk, s, NULL,
					       spec->opts.threads, err)))
				goto done;
			sum = 0;
			for (size_t i = 0; i < nval; i++)
				sum += s[i];
			m->val_loss = sum / (double)nval;
		}
		m->threshold = lc_threshold_for_fpr(s, nval ? nval : ntr, spec->fpr);
	}
	m->train_seconds = auto_arch ? fit_seconds : res.seconds;
	str_copy(m->kind, "ae", sizeof m->kind);
	m->me = me;
	m->me.id = 0;
	m->me.n_ls = 0;
	m->prep = spec->prep;
	str_copy(m->hidden, auto_arch ? "auto" : spec->hidden, sizeof m->hidden);
	m->loss = spec->opts.loss;
	m->topk = spec->opts.loss == LC_LOSS_TOPK ? spec->opts.topk : 0;
	m->seed = spec->opts.seed;
	m->threads = spec->opts.threads;
	m->epochs = auto_arch ? 0 : spec->opts.epochs;
	m->batch = auto_arch ? 0 : spec->opts.batch;
	m->lr = auto_arch ? 0 : spec->opts.lr;
	m->fpr = spec->fpr;
	m->n_train = (int64_t)ntr;
	m->n_val = (int64_t)nval;
	m->n_not_evaluable = r.n_not_evaluable;
	m->epochs_run = res.epochs_run;
	utc_now(m->created, sizeof m->created);
	str_copy(m->tool_version, LC_VERSION, sizeof m->tool_version);
	*out = m;
	m = NULL;
done:
	lc_model_free(m);
	free(order);
	free(xtr);
	free(xval);
	free(sval);
	lc_lsrows_free(&r);
	return rc;
}

/* Scoring state: rows are prepared in blocks and scored a block at a time, so memory stays bounded. */
typedef struct scorer {
	const lc_model *m;
	int dim, threads;
	size_t block;           /* rows per block */
	float *x;               /* (block, dim) prepared rows */
	double *s;              /* block scores */
	size_t nb;              /* rows in the current block */
	lc_score_row *out;      /* all rows so far */
	size_t n, cap;
	size_t *pending;        /* indices in out of the block's rows */
} scorer;

static int flush_block(scorer *sc, lc_error *err)
{
	if (!sc->nb)
		return LC_OK;
	int rc = lc_ae_errors(sc->m->net, sc->x, sc->nb, sc->m->loss, sc->m->topk, sc->s, NULL, sc->threads, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < sc->nb; i++)
		sc->out[sc->pending[i]].score = sc->s[i];
	sc->nb = 0;
	return LC_OK;
}

static int score_one(void *ctx, const lc_hist *h, lc_error *err)
{
	scorer *sc = ctx;
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? 2 * sc->cap : 1024;
		lc_score_row *o = realloc(sc->out, cap * sizeof *o);
		if (!o)
			return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		sc->out = o;
		sc->cap = cap;
	}
	lc_score_row *row = &sc->out[sc->n];
	row->run = h->run;
	row->ls = h->ls;
	row->score = NAN;
	int ev = lc_prep_apply(&sc->m->prep, &sc->m->me, h->cells, sc->x + sc->nb * (size_t)sc->dim, &row->count);
	if (ev < 0)
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	row->evaluable = ev;
	if (ev)
		sc->pending[sc->nb++] = sc->n;
	sc->n++;
	return sc->nb == sc->block ? flush_block(sc, err) : LC_OK;
}

/* Checks that the store's ME has the binning the model was trained on. */
static int check_me(const lc_model *m, lc_store *st, lc_me_info *me, lc_error *err)
{
	int rc = lc_store_me(st, m->me.name, me, err);
	if (rc)
		return rc;
	if (me->dim != m->me.dim || me->nx != m->me.nx || me->ny != m->me.ny || me->xmin != m->me.xmin ||
	    me->xmax != m->me.xmax)
		return lc_error_set(err, LC_ERR_INVALID,
				    "ME '%s': the store has %dD %dx%d bins on [%g, %g], the model was trained on %dD %dx%d "
				    "on [%g, %g]",
				    m->me.name, me->dim, me->nx, me->ny, me->xmin, me->xmax, m->me.dim, m->me.nx, m->me.ny,
				    m->me.xmin, m->me.xmax);
	if (m->prep.flow && !me->has_flow)
		return lc_error_set(err, LC_ERR_INVALID,
				    "ME '%s': the model uses under/overflow cells, but some LS in the store have none",
				    m->me.name);
	return LC_OK;
}

int lc_model_score(const lc_model *m, lc_store *st, const lc_runlist *runs, int threads, lc_score_row **rows_out,
		   size_t *n, lc_error *err)
{
	if (m->multi) /* kinds over several MEs: cert/multi.c */
		return multi_model_score(m, st, runs, threads, rows_out, n, NULL, err);
	lc_me_info me;
	int rc = check_me(m, st, &me, err);
	if (rc)
		return rc;
	scorer sc = {.m = m, .dim = lc_prep_dim(&m->prep, &m->me), .threads = threads < 1 ? 1 : threads};
	sc.block = 4096;
	while (sc.block > 64 && sc.block * (size_t)sc.dim > (1u << 24))
		sc.block /= 2; /* keep a block under 64 MiB of floats for large 2D MEs */
	sc.x = malloc(sc.block * (size_t)sc.dim * sizeof *sc.x);
	sc.s = malloc(sc.block * sizeof *sc.s);
	sc.pending = malloc(sc.block * sizeof *sc.pending);
	/* The result rows (40 bytes per LS, the only memory that grows with the LS scored) get the ME's LS count at
	 * once rather than by doubling, whose copy briefly held 1.5x the rows; pages beyond the LS actually scored (with
	 * --runs) are never touched, so they cost no memory. score_one still grows the array if an import added LS
	 * meanwhile. */
	if (me.n_ls > 0 && (uint64_t)me.n_ls < SIZE_MAX / sizeof *sc.out) {
		sc.cap = (size_t)me.n_ls;
		sc.out = malloc(sc.cap * sizeof *sc.out);
		if (!sc.out)
			sc.cap = 0;
	}
	if (!sc.x || !sc.s || !sc.pending)
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = lc_store_each_hist(st, m->me.name, runs, score_one, &sc, err);
	if (!rc)
		rc = flush_block(&sc, err);
	free(sc.x);
	free(sc.s);
	free(sc.pending);
	if (rc) {
		free(sc.out);
		return rc;
	}
	*rows_out = sc.out;
	*n = sc.n;
	return LC_OK;
}

int lc_model_explain(const lc_model *m, lc_store *st, int64_t run, int64_t ls, float **input, float **recon,
		     float **sqerr, int *dim, int *evaluable, lc_error *err)
{
	if (m->multi)
		return lc_error_set(err, LC_ERR_UNSUPPORTED, "model kind '%s' spans several MEs: see lc_model_explain_parts",
				    m->kind);
	lc_me_info me;
	int rc = check_me(m, st, &me, err);
	if (rc)
		return rc;
	lc_hist h;
	double *cells = NULL;
	if ((rc = lc_store_get_hist(st, m->me.name, run, ls, &h, &cells, err)))
		return rc;
	int d = lc_prep_dim(&m->prep, &m->me);
	float *x = malloc((size_t)d * sizeof *x), *y = malloc((size_t)d * sizeof *y), *e = malloc((size_t)d * sizeof *e);
	int ev = 0;
	if (!x || !y || !e) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	} else if ((ev = lc_prep_apply(&m->prep, &m->me, cells, x, NULL)) < 0) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	} else if (!(rc = lc_net_predict(m->net, x, 1, y, 1, err))) {
		for (int i = 0; i < d; i++)
			e[i] = (y[i] - x[i]) * (y[i] - x[i]);
	}
	free(cells);
	if (rc) {
		free(x);
		free(y);
		free(e);
		return rc;
	}
	*input = x;
	*recon = y;
	*sqerr = e;
	*dim = d;
	*evaluable = ev;
	return LC_OK;
}
