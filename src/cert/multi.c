/* multi.c — models over several MEs (issue 6): MEs chosen by name or glob and grouped into parts (MEs, or the
 * channels of a multi-head network), each prepared on its own and joined on (run, LS) — an LS missing from one ME or
 * not evaluable in one is not evaluable —, then trained ("multiae": one autoencoder over the joined row; "ensemble":
 * one autoencoder per ME, each score turned into a p-value against held-out good LS and the p-values combined by
 * Simes / Benjamini-Hochberg across MEs; "multihead": one sub-network per channel on the global label), scored with
 * every part's share, and explained part first, then bins. */
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "nn/multi.h"

void lc_multi_spec_default(lc_multi_spec *s)
{
	memset(s, 0, sizeof *s);
	s->kind = "multihead";
	s->comb = LC_COMB_FUZZY_AND;
	s->c0 = 1.0;
	s->c_decay = 0.9;
	s->l2 = 1e-4;
	s->val_frac = 0.2;
	s->fpr = 0.01;
	s->output_act = LC_ACT_SIGMOID;
	lc_prep_default(&s->prep);
	lc_train_opts_default(&s->opts);
}

int lc_model_n_parts(const lc_model *m) { return m->multi ? m->multi->n_parts : 0; }

const char *lc_model_part_name(const lc_model *m, int i)
{
	return m->multi && i >= 0 && i < m->multi->n_parts ? m->multi->part[i] : NULL;
}

const lc_me_info *lc_model_multi_me(const lc_model *m, int i, const lc_prep **prep)
{
	if (!m->multi || i < 0 || i >= m->multi->n_me)
		return NULL;
	if (prep)
		*prep = &m->multi->prep[i];
	return &m->multi->me[i];
}

void lc_explanation_free(lc_explanation *e)
{
	if (!e)
		return;
	free(e->part_score);
	free(e->me);
	free(e->index);
	free(e->input);
	free(e->recon);
	free(e->contrib);
	free(e->order);
	free(e);
}

/* ---------------------------------------------------------------- MEs and parts */

/* 1 if name matches one of the comma-separated names or globs of list. */
static int matches(const char *list, const char *name)
{
	const char *p = list;
	while (*p) {
		const char *q = strchr(p, ',');
		size_t len = q ? (size_t)(q - p) : strlen(p);
		char pat[512];
		if (len < sizeof pat) {
			memcpy(pat, p, len);
			pat[len] = 0;
			if (len && fnmatch(pat, name, 0) == 0)
				return 1;
		}
		if (!q)
			break;
		p = q + 1;
	}
	return 0;
}

/* Resolves the spec's MEs and channels against the store into mu (me, prep, off, part_of, part, pattern). */
static int resolve(lc_store *st, const lc_multi_spec *s, int kind, struct lc_multi *mu, lc_error *err)
{
	lc_me_info *all = NULL;
	size_t nall = 0;
	int rc = lc_store_me_list(st, &all, &nall, err);
	if (rc)
		return rc;
	int nparts = (kind == LC_MULTI_HEAD ? s->n_channels : 0);
	/* each --me entry: a plain name must exist (the store's message lists close names); a glob must match */
	int *part_of_all = malloc((nall ? nall : 1) * sizeof *part_of_all);
	char (*pname)[128] = calloc((size_t)s->n_channels + 1 + nall, sizeof *pname);
	char (*ppat)[256] = calloc((size_t)s->n_channels + 1 + nall, sizeof *ppat);
	if (!part_of_all || !pname || !ppat) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (size_t e = 0; e < nall; e++)
		part_of_all[e] = -1;
	for (int c = 0; c < nparts; c++) {
		const lc_channel_spec *ch = &s->channels[c];
		if (!ch->name || !*ch->name || !ch->pattern || !*ch->pattern) {
			rc = lc_error_set(err, LC_ERR_INVALID, "channel %d: expected NAME=PATTERN", c + 1);
			goto done;
		}
		for (int q = 0; q < c; q++)
			if (!strcmp(pname[q], ch->name)) {
				rc = lc_error_set(err, LC_ERR_INVALID, "channel '%s' is defined twice", ch->name);
				goto done;
			}
		str_copy(pname[c], ch->name, sizeof pname[c]);
		str_copy(ppat[c], ch->pattern, sizeof ppat[c]);
		int hit = 0;
		for (size_t e = 0; e < nall; e++) {
			if (!matches(ch->pattern, all[e].name))
				continue;
			if (part_of_all[e] >= 0) {
				rc = lc_error_set(err, LC_ERR_INVALID, "ME '%s' is in channels '%s' and '%s': a channel's MEs must be its own",
						  all[e].name, pname[part_of_all[e]], ch->name);
				goto done;
			}
			part_of_all[e] = c;
			hit++;
		}
		if (!hit) {
			rc = lc_error_set(err, LC_ERR_NOTFOUND, "channel '%s': '%s' matches no ME of the store (%zu MEs%s%s)",
					  ch->name, ch->pattern, nall, nall ? ", e.g. " : "", nall ? all[0].name : "");
			goto done;
		}
	}
	for (int i = 0; i < s->n_mes; i++) {
		const char *pat = s->mes[i];
		int glob = strpbrk(pat, "*?[") != NULL, hit = 0;
		if (!glob) {
			lc_me_info tmp;
			if ((rc = lc_store_me(st, pat, &tmp, err)))
				goto done;
		}
		for (size_t e = 0; e < nall; e++) {
			if (glob ? fnmatch(pat, all[e].name, 0) != 0 : strcmp(pat, all[e].name) != 0)
				continue;
			hit++;
			if (part_of_all[e] >= 0) {
				if (kind != LC_MULTI_HEAD)
					continue; /* named twice: once is enough */
				rc = lc_error_set(err, LC_ERR_INVALID, "ME '%s' is given by --me and is in channel '%s'", all[e].name,
						  pname[part_of_all[e]]);
				goto done;
			}
			part_of_all[e] = nparts;
			str_copy(pname[nparts], all[e].name, sizeof pname[nparts]);
			ppat[nparts][0] = 0;
			nparts++;
		}
		if (!hit) {
			rc = lc_error_set(err, LC_ERR_NOTFOUND, "--me '%s' matches no ME of the store", pat);
			goto done;
		}
	}
	int nme = 0;
	for (size_t e = 0; e < nall; e++)
		nme += part_of_all[e] >= 0;
	if (nme < 1 || nparts < 1) {
		rc = lc_error_set(err, LC_ERR_INVALID, "no ME chosen: give --me NAME (or --channel NAME=PATTERN)");
		goto done;
	}
	if (kind == LC_MULTI_HEAD && nparts > MH_MAX_CH) {
		rc = lc_error_set(err, LC_ERR_INVALID, "%d channels: at most %d", nparts, MH_MAX_CH);
		goto done;
	}
	mu->n_me = nme;
	mu->n_parts = nparts;
	mu->me = calloc((size_t)nme, sizeof *mu->me);
	mu->prep = calloc((size_t)nme, sizeof *mu->prep);
	mu->off = calloc((size_t)nme + 1, sizeof *mu->off);
	mu->part_of = calloc((size_t)nme, sizeof *mu->part_of);
	mu->part = calloc((size_t)nparts, sizeof *mu->part);
	mu->pattern = calloc((size_t)nparts, sizeof *mu->pattern);
	if (!mu->me || !mu->prep || !mu->off || !mu->part_of || !mu->part || !mu->pattern) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	memcpy(mu->part, pname, (size_t)nparts * sizeof *pname);
	memcpy(mu->pattern, ppat, (size_t)nparts * sizeof *ppat);
	int k = 0;
	for (int p = 0; p < nparts; p++) /* grouped by part, by name within a part (the store's order) */
		for (size_t e = 0; e < nall; e++) {
			if (part_of_all[e] != p)
				continue;
			mu->me[k] = all[e];
			mu->me[k].id = 0;
			mu->me[k].n_ls = 0;
			mu->prep[k] = s->prep;
			if (all[e].dim == 1)
				mu->prep[k].rebin_y = 1;
			if ((rc = lc_prep_check(&mu->prep[k], &all[e], err)))
				goto done;
			mu->part_of[k] = p;
			mu->off[k + 1] = mu->off[k] + lc_prep_dim(&mu->prep[k], &all[e]);
			k++;
		}
done:
	free(all);
	free(part_of_all);
	free(pname);
	free(ppat);
	return rc;
}

/* ---------------------------------------------------------------- rows joined on (run, LS) */

typedef struct mecol {
	const lc_me_info *me;
	const lc_prep *prep;
	int d;
	int64_t *run, *ls;
	char *ev;        /* n: evaluable */
	double *count;   /* n: used-cell sums */
	float *x;        /* (n, d) prepared (zeros when not evaluable) */
	const lc_lsset *keep;
	size_t n, cap;
} mecol;

static int mecol_add(void *ctx, const lc_hist *h, lc_error *err)
{
	mecol *c = ctx;
	if (c->keep && !lc_lsset_has(c->keep, h->run, h->ls))
		return LC_OK;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		int64_t *run = realloc(c->run, cap * sizeof *run);
		if (run)
			c->run = run;
		int64_t *ls = realloc(c->ls, cap * sizeof *ls);
		if (ls)
			c->ls = ls;
		char *ev = realloc(c->ev, cap);
		if (ev)
			c->ev = ev;
		double *cnt = realloc(c->count, cap * sizeof *cnt);
		if (cnt)
			c->count = cnt;
		float *x = realloc(c->x, cap * (size_t)c->d * sizeof *x);
		if (x)
			c->x = x;
		if (!run || !ls || !ev || !cnt || !x)
			return lc_error_set(err, LC_ERR_NOMEM, "out of memory (%zu LS of '%s')", cap, c->me->name);
		c->cap = cap;
	}
	int ev = lc_prep_apply(c->prep, c->me, h->cells, c->x + c->n * (size_t)c->d, &c->count[c->n]);
	if (ev < 0)
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	c->run[c->n] = h->run;
	c->ls[c->n] = h->ls;
	c->ev[c->n] = (char)ev;
	c->n++;
	return LC_OK;
}

static void mecol_free(mecol *c)
{
	free(c->run);
	free(c->ls);
	free(c->ev);
	free(c->count);
	free(c->x);
}

/* Every LS of any of the MEs (in runs, and in keep when given), run/LS order. */
typedef struct joined {
	size_t n;          /* LS */
	int64_t *run, *ls; /* n */
	char *ev;          /* n: present and evaluable in every ME */
	double *count;     /* n: sum over MEs of the used cells */
	size_t *row;       /* n: row of x for evaluable LS */
	size_t n_ev;
	int d;
	float *x;          /* (n_ev, d) joined rows */
} joined;

static void joined_free(joined *j)
{
	free(j->run);
	free(j->ls);
	free(j->ev);
	free(j->count);
	free(j->row);
	free(j->x);
	memset(j, 0, sizeof *j);
}

static int cmp_rl(int64_t r1, int64_t l1, int64_t r2, int64_t l2)
{
	return r1 != r2 ? (r1 < r2 ? -1 : 1) : l1 != l2 ? (l1 < l2 ? -1 : 1) : 0;
}

static int join(lc_store *st, const struct lc_multi *mu, const lc_runlist *runs, const lc_lsset *keep, joined *j,
		lc_error *err)
{
	int K = mu->n_me, rc = LC_OK;
	memset(j, 0, sizeof *j);
	j->d = mu->off[K];
	mecol *col = calloc((size_t)K, sizeof *col);
	size_t *at = calloc((size_t)K, sizeof *at);
	if (!col || !at) {
		free(col);
		free(at);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	for (int e = 0; !rc && e < K; e++) {
		col[e] = (mecol){.me = &mu->me[e], .prep = &mu->prep[e], .d = mu->off[e + 1] - mu->off[e], .keep = keep};
		rc = lc_store_each_hist(st, mu->me[e].name, runs, mecol_add, &col[e], err);
	}
	size_t cap = 0;
	for (int e = 0; !rc && e < K; e++)
		cap += col[e].n;
	if (!rc) {
		j->run = malloc((cap ? cap : 1) * sizeof *j->run);
		j->ls = malloc((cap ? cap : 1) * sizeof *j->ls);
		j->ev = malloc(cap ? cap : 1);
		j->count = malloc((cap ? cap : 1) * sizeof *j->count);
		j->row = malloc((cap ? cap : 1) * sizeof *j->row);
		if (!j->run || !j->ls || !j->ev || !j->count || !j->row)
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	/* first pass: the union and who is evaluable */
	while (!rc) {
		int first = -1;
		for (int e = 0; e < K; e++)
			if (at[e] < col[e].n &&
			    (first < 0 || cmp_rl(col[e].run[at[e]], col[e].ls[at[e]], col[first].run[at[first]],
						 col[first].ls[at[first]]) < 0))
				first = e;
		if (first < 0)
			break;
		int64_t r = col[first].run[at[first]], l = col[first].ls[at[first]];
		int ev = 1;
		double cnt = 0;
		for (int e = 0; e < K; e++) {
			if (at[e] < col[e].n && col[e].run[at[e]] == r && col[e].ls[at[e]] == l) {
				ev &= col[e].ev[at[e]];
				cnt += col[e].count[at[e]];
				at[e]++;
			} else {
				ev = 0;
			}
		}
		j->run[j->n] = r;
		j->ls[j->n] = l;
		j->ev[j->n] = (char)ev;
		j->count[j->n] = cnt;
		j->row[j->n] = ev ? j->n_ev++ : (size_t)-1;
		j->n++;
	}
	/* second pass: copy the evaluable rows */
	if (!rc && !(j->x = malloc((j->n_ev ? j->n_ev : 1) * (size_t)j->d * sizeof *j->x)))
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory for %zu joined rows of %d values", j->n_ev, j->d);
	for (int e = 0; !rc && e < K; e++) {
		size_t q = 0;
		int w = col[e].d;
		for (size_t i = 0; i < j->n; i++) {
			while (q < col[e].n && cmp_rl(col[e].run[q], col[e].ls[q], j->run[i], j->ls[i]) < 0)
				q++;
			if (j->ev[i])
				memcpy(j->x + j->row[i] * (size_t)j->d + mu->off[e], col[e].x + q * (size_t)w,
				       (size_t)w * sizeof *j->x);
		}
	}
	for (int e = 0; e < K; e++)
		mecol_free(&col[e]);
	free(col);
	free(at);
	if (rc)
		joined_free(j);
	return rc;
}

/* ---------------------------------------------------------------- training */

/* Seeded split: isval[i] = 1 for a random nval of the n rows. */
static void pick_val(size_t n, size_t nval, uint64_t seed, char *isval)
{
	size_t *o = malloc((n ? n : 1) * sizeof *o);
	memset(isval, 0, n);
	if (!o)
		return;
	for (size_t i = 0; i < n; i++)
		o[i] = i;
	uint64_t s = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
	for (size_t i = n; i > 1; i--) {
		s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
		size_t r = (size_t)((s * 2685821657736338717ull) % i), t = o[i - 1];
		o[i - 1] = o[r];
		o[r] = t;
	}
	for (size_t i = 0; i < nval; i++)
		isval[o[i]] = 1;
	free(o);
}

/* Columns [c0, c1) of rows (n, d) into a new (n, c1 - c0) array. */
static float *columns(const float *x, size_t n, int d, int c0, int c1)
{
	int w = c1 - c0;
	float *y = malloc((n ? n : 1) * (size_t)w * sizeof *y);
	for (size_t i = 0; y && i < n; i++)
		memcpy(y + i * (size_t)w, x + i * (size_t)d + c0, (size_t)w * sizeof *y);
	return y;
}

/* An autoencoder of width d on rows x (n, d): closed-form linear for hidden "auto", else dense layers. */
static int fit_ae(const lc_multi_spec *s, int auto_arch, const int *hid, const int *hact, int nh, const float *x,
		  size_t n, int d, lc_net **out, lc_train_result *res, lc_error *err)
{
	memset(res, 0, sizeof *res);
	if (auto_arch)
		return lc_pca_ae_fit(x, n, d, 0, out, NULL, NULL, err);
	int n_out[66], act[66];
	memcpy(n_out, hid, (size_t)nh * sizeof *n_out);
	memcpy(act, hact, (size_t)nh * sizeof *act);
	n_out[nh] = d;
	act[nh] = s->output_act;
	lc_net *net = lc_net_new(d, nh + 1, n_out, act);
	if (!net)
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	lc_net_init(net, s->opts.seed);
	int rc = lc_ae_train(net, x, n, NULL, 0, &s->opts, res, err);
	if (rc) {
		lc_net_free(net);
		return rc;
	}
	*out = net;
	return LC_OK;
}

/* Residual inputs of a multihead model: x (n, d) -> r = x - AE_e(x) per ME (residual 1) or r^2 (residual 2), into a
 * new array. */
static float *residuals(const struct lc_multi *mu, const float *x, size_t n, int threads, lc_error *err)
{
	int d = mu->off[mu->n_me];
	float *r = malloc((n ? n : 1) * (size_t)d * sizeof *r);
	if (!r) {
		lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (int e = 0; e < mu->n_me; e++) {
		int w = mu->off[e + 1] - mu->off[e];
		float *xe = columns(x, n, d, mu->off[e], mu->off[e + 1]), *ye = malloc((n ? n : 1) * (size_t)w * sizeof *ye);
		int rc = xe && ye ? lc_net_predict(mu->nets[e], xe, n, ye, threads, err) : lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		for (size_t i = 0; !rc && i < n; i++)
			for (int q = 0; q < w; q++)
			{
				float t = xe[i * (size_t)w + q] - ye[i * (size_t)w + q];
				r[i * (size_t)d + mu->off[e] + q] = mu->residual == 2 ? t * t : t;
			}
		free(xe);
		free(ye);
		if (rc) {
			free(r);
			return NULL;
		}
	}
	return r;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return x < y ? -1 : x > y;
}

static int score_rows(const lc_model *m, const float *x, size_t n, int threads, double *score, double *parts,
		      int is_residual, lc_error *err);

int lc_multi_train(lc_store *st, const lc_multi_spec *s, lc_model **out, lc_error *err)
{
	int kind = s->kind ? lc_multi_kind_parse(s->kind) : 0;
	if (!kind)
		return lc_error_set(err, LC_ERR_INVALID, "--kind '%s': expected ae (one ME), multiae, ensemble or multihead",
				    s->kind ? s->kind : "");
	if (!(s->val_frac >= 0 && s->val_frac < 1))
		return lc_error_set(err, LC_ERR_INVALID, "validation fraction %g outside [0, 1)", s->val_frac);
	if (!(s->fpr > 0 && s->fpr < 1))
		return lc_error_set(err, LC_ERR_INVALID, "false-alarm rate %g outside (0, 1)", s->fpr);
	if (kind == LC_MULTI_HEAD && (!s->label_source || !*s->label_source))
		return lc_error_set(err, LC_ERR_INVALID, "--kind multihead learns the global good/bad label: give --label SOURCE");
	if (kind == LC_MULTI_HEAD &&
	    (!(s->c0 >= 0 && s->c0 <= 1) || !(s->c_decay >= 0 && s->c_decay <= 1) || !(s->l2 >= 0) || !isfinite(s->l2)))
		return lc_error_set(err, LC_ERR_INVALID, "--c0 and --c-decay must be in [0, 1], --l2 >= 0");
	if (kind == LC_MULTI_HEAD && (s->comb < 0 || s->comb > 2))
		return lc_error_set(err, LC_ERR_INVALID, "unknown combination %d", s->comb);
	if (kind != LC_MULTI_HEAD && s->n_channels)
		return lc_error_set(err, LC_ERR_INVALID, "--channel is for --kind multihead");
	if (kind == LC_MULTI_ENSEMBLE && s->val_frac <= 0)
		return lc_error_set(err, LC_ERR_INVALID, "--kind ensemble calibrates on held-out good LS: --val-frac must be > 0");
	const char *hidden = s->hidden ? s->hidden : kind == LC_MULTI_HEAD ? "32:relu" : "auto";
	int auto_arch = !strcmp(hidden, "auto"), hid[66], hact[66], nh = 0, rc;
	if (auto_arch && kind == LC_MULTI_HEAD)
		return lc_error_set(err, LC_ERR_INVALID, "--hidden auto is for autoencoders; give the channels' layers, e.g. 150:relu,50:relu,20:relu");
	if (!auto_arch && (rc = hidden_parse(hidden, hid, hact, kind == LC_MULTI_HEAD ? 16 : 64, &nh, err)))
		return rc;
	if (!auto_arch && nh == 0 && kind != LC_MULTI_HEAD)
		return lc_error_set(err, LC_ERR_INVALID, "--hidden '%s': no layers", hidden);
	if (auto_arch && s->opts.loss != LC_LOSS_MSE)
		return lc_error_set(err, LC_ERR_INVALID, "--hidden auto solves the MSE autoencoder; give --hidden for --loss topk");

	lc_model *m = calloc(1, sizeof *m);
	struct lc_multi *mu = calloc(1, sizeof *mu);
	lc_lsset *good = NULL, *bad = NULL, *keep = NULL;
	joined j = {0};
	float *xtr = NULL, *xval = NULL;
	int *ytr = NULL, *yv = NULL;
	double *sv = NULL;
	char *isval = NULL;
	if (!m || !mu) {
		free(m);
		free(mu);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	m->multi = mu;
	mu->kind = kind;
	if ((rc = resolve(st, s, kind, mu, err)))
		goto done;
	if (kind == LC_MULTI_HEAD) {
		if ((rc = lc_store_labels(st, s->label_source, &good, &bad, err)))
			goto done;
		if (!(keep = lc_lsset_or(good, bad))) {
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			goto done;
		}
	} else if (s->good_source) {
		if ((rc = lc_store_labels(st, s->good_source, &keep, NULL, err)))
			goto done;
	}
	if ((rc = join(st, mu, s->runs, keep, &j, err)))
		goto done;
	int d = j.d;
	size_t n = j.n_ev, nval = (size_t)floor(s->val_frac * (double)n + 0.5);
	if (n < 2 || n - nval < 2 || (kind == LC_MULTI_ENSEMBLE && nval < 1)) {
		rc = lc_error_set(err, LC_ERR_INVALID,
				  "%zu LS evaluable in all %d MEs in the training runs (%zu not evaluable: missing from an ME "
				  "or too few entries); need at least 2 to train%s",
				  n, mu->n_me, j.n - n, kind == LC_MULTI_HEAD ? " (check --label and --runs)" : s->good_source ? " (check --good and --runs)" : "");
		goto done;
	}
	size_t ntr = n - nval;
	xtr = malloc(ntr * (size_t)d * sizeof *xtr);
	xval = malloc((nval ? nval : 1) * (size_t)d * sizeof *xval);
	ytr = malloc(ntr * sizeof *ytr);
	yv = malloc((nval ? nval : 1) * sizeof *yv);
	sv = malloc((n ? n : 1) * (mu->n_parts + 1) * sizeof *sv);
	isval = malloc(n);
	if (!xtr || !xval || !ytr || !yv || !sv || !isval) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory for %zu rows of %d values", n, d);
		goto done;
	}
	pick_val(n, nval, s->opts.seed, isval);
	{
		size_t a = 0, b = 0;
		for (size_t i = 0; i < j.n; i++) {
			if (!j.ev[i])
				continue;
			size_t r = j.row[i];
			int lab = kind == LC_MULTI_HEAD ? lc_lsset_has(good, j.run[i], j.ls[i]) : 1;
			if (isval[r]) {
				memcpy(xval + b * (size_t)d, j.x + r * (size_t)d, (size_t)d * sizeof *xval);
				yv[b++] = lab;
			} else {
				memcpy(xtr + a * (size_t)d, j.x + r * (size_t)d, (size_t)d * sizeof *xtr);
				ytr[a++] = lab;
			}
		}
	}
	lc_train_result res = {0};
	struct timespec t_a, t_b;
	clock_gettime(CLOCK_MONOTONIC, &t_a); /* the fit alone, as lc_model_train measures it */
	if (kind == LC_MULTI_AE) {
		if ((rc = fit_ae(s, auto_arch, hid, hact, nh, xtr, ntr, d, &m->net, &res, err)))
			goto done;
	} else if (kind == LC_MULTI_ENSEMBLE) {
		mu->nets = calloc((size_t)mu->n_me, sizeof *mu->nets);
		mu->cal = calloc((size_t)mu->n_me, sizeof *mu->cal);
		mu->n_cal = calloc((size_t)mu->n_me, sizeof *mu->n_cal);
		if (!mu->nets || !mu->cal || !mu->n_cal) {
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			goto done;
		}
		for (int e = 0; e < mu->n_me; e++) {
			int w = mu->off[e + 1] - mu->off[e];
			float *xe = columns(xtr, ntr, d, mu->off[e], mu->off[e + 1]);
			float *ve = columns(xval, nval, d, mu->off[e], mu->off[e + 1]);
			double *se = malloc(nval * sizeof *se);
			mu->cal[e] = malloc(nval * sizeof *mu->cal[e]);
			if (!xe || !ve || !se || !mu->cal[e])
				rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			lc_train_result r1;
			if (!rc)
				rc = fit_ae(s, auto_arch, hid, hact, nh, xe, ntr, w, &mu->nets[e], &r1, err);
			if (!rc)
				rc = lc_ae_errors(mu->nets[e], ve, nval, s->opts.loss, s->opts.topk, se, NULL, s->opts.threads, err);
			for (size_t i = 0; !rc && i < nval; i++)
				mu->cal[e][i] = (float)se[i];
			if (!rc) {
				qsort(mu->cal[e], nval, sizeof *mu->cal[e], cmp_float);
				mu->n_cal[e] = (int64_t)nval;
				res.epochs_run = r1.epochs_run;
			}
			free(xe);
			free(ve);
			free(se);
			if (rc)
				goto done;
		}
	} else {
		int widths[MH_MAX_CH] = {0};
		for (int e = 0; e < mu->n_me; e++)
			widths[mu->part_of[e]] += mu->off[e + 1] - mu->off[e];
		if (!(mu->mh = mh_new(mu->n_parts, widths, nh, hid, hact, s->comb))) {
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			goto done;
		}
		mh_init(mu->mh, s->opts.seed);
		if (s->residual == 1 || s->residual == 2) {
			/* a linear AE per ME on the good training rows; then every row becomes its residuals */
			size_t ng = 0;
			for (size_t i = 0; i < ntr; i++)
				ng += (size_t)ytr[i];
			float *xg = malloc((ng ? ng : 1) * (size_t)d * sizeof *xg), *rt = NULL, *rv = NULL;
			mu->nets = calloc((size_t)mu->n_me, sizeof *mu->nets);
			if (!xg || !mu->nets) {
				free(xg);
				rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
				goto done;
			}
			for (size_t i = 0, k = 0; i < ntr; i++)
				if (ytr[i])
					memcpy(xg + k++ * (size_t)d, xtr + i * (size_t)d, (size_t)d * sizeof *xg);
			mu->residual = s->residual;
			for (int e = 0; !rc && e < mu->n_me; e++) {
				float *xe = columns(xg, ng, d, mu->off[e], mu->off[e + 1]);
				rc = xe ? lc_pca_ae_fit(xe, ng, mu->off[e + 1] - mu->off[e], 0, &mu->nets[e], NULL, NULL, err)
					: lc_error_set(err, LC_ERR_NOMEM, "out of memory");
				free(xe);
			}
			free(xg);
			if (!rc && !(rt = residuals(mu, xtr, ntr, s->opts.threads, err)))
				rc = err ? err->code : LC_ERR_NOMEM;
			if (!rc && !(rv = residuals(mu, xval, nval, s->opts.threads, err)))
				rc = err ? err->code : LC_ERR_NOMEM;
			if (rc) {
				free(rt);
				free(rv);
				goto done;
			}
			free(xtr);
			free(xval);
			xtr = rt;
			xval = rv;
		}
		mu->c0 = s->c0;
		mu->c_decay = s->c_decay;
		mu->l2 = s->l2;
		str_copy(mu->label_source, s->label_source, sizeof mu->label_source);
		if ((rc = mh_train(mu->mh, xtr, ytr, ntr, &s->opts, s->c0, s->c_decay, s->l2, &m->train_loss, err)))
			goto done;
		res.epochs_run = s->opts.epochs;
	}
	clock_gettime(CLOCK_MONOTONIC, &t_b);
	res.seconds = (double)(t_b.tv_sec - t_a.tv_sec) + 1e-9 * (double)(t_b.tv_nsec - t_a.tv_nsec);
	/* common fields, then losses and the threshold from held-out good LS */
	str_copy(m->kind, lc_multi_kind_name(kind), sizeof m->kind);
	m->me = mu->me[0];
	m->prep = mu->prep[0];
	str_copy(m->hidden, hidden, sizeof m->hidden);
	m->loss = s->opts.loss;
	m->topk = s->opts.loss == LC_LOSS_TOPK ? s->opts.topk : 0;
	m->seed = s->opts.seed;
	m->threads = s->opts.threads;
	m->epochs = auto_arch ? 0 : s->opts.epochs;
	m->batch = auto_arch ? 0 : s->opts.batch;
	m->lr = auto_arch ? 0 : s->opts.lr;
	m->fpr = s->fpr;
	m->n_train = (int64_t)ntr;
	m->n_val = (int64_t)nval;
	m->n_not_evaluable = (int64_t)(j.n - j.n_ev);
	m->epochs_run = res.epochs_run;
	m->train_seconds = res.seconds;
	m->explained = NAN;
	m->val_loss = NAN;
	utc_now(m->created, sizeof m->created);
	str_copy(m->tool_version, LC_VERSION, sizeof m->tool_version);
	{
		/* scores of the held-out rows (training rows when none are held out): good ones set the threshold */
		const float *xs = nval ? xval : xtr;
		const int *ys = nval ? yv : ytr;
		size_t ns = nval ? nval : ntr, ng = 0;
		if ((rc = score_rows(m, xs, ns, s->opts.threads, sv, NULL, mu->residual, err)))
			goto done;
		double sum = 0;
		for (size_t i = 0; i < ns; i++) {
			if (kind == LC_MULTI_HEAD) { /* BCE of F = 1 - score */
				double F = 1 - sv[i];
				F = F < 1e-12 ? 1e-12 : F > 1 - 1e-12 ? 1 - 1e-12 : F;
				sum += ys[i] ? -log(F) : -log(1 - F);
			} else {
				sum += sv[i];
			}
			if (ys[i])
				sv[ng++] = sv[i];
		}
		if (kind != LC_MULTI_HEAD || nval)
			*(nval ? &m->val_loss : &m->train_loss) = sum / (double)ns;
		if (kind == LC_MULTI_ENSEMBLE)
			m->threshold = -log10(s->fpr); /* flagged when the Simes p-value is below fpr */
		else
			m->threshold = ng ? lc_threshold_for_fpr(sv, ng, s->fpr) : NAN;
		if (kind != LC_MULTI_HEAD && nval) {
			if ((rc = score_rows(m, xtr, ntr, s->opts.threads, sv, NULL, 0, err)))
				goto done;
			sum = 0;
			for (size_t i = 0; i < ntr; i++)
				sum += sv[i];
			m->train_loss = sum / (double)ntr;
		}
	}
	*out = m;
	m = NULL;
done:
	lc_model_free(m);
	lc_lsset_free(good);
	lc_lsset_free(bad);
	lc_lsset_free(keep);
	joined_free(&j);
	free(xtr);
	free(xval);
	free(ytr);
	free(yv);
	free(sv);
	free(isval);
	return rc;
}

/* ---------------------------------------------------------------- scoring */

/* p-value of score s against the sorted calibration scores c (n): (1 + #{c >= s}) / (1 + n). */
double multi_pvalue(const float *c, int64_t n, double s)
{
	int64_t lo = 0, hi = n; /* first index with c >= s */
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if ((double)c[mid] < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (double)(1 + n - lo) / (double)(1 + n);
}

/* Simes' combination of K p-values: min_k K p_(k) / k (<= 1); p is sorted in place. */
double multi_simes(double *p, int K)
{
	for (int a = 1; a < K; a++) /* insertion sort: K is small */
		for (int b = a; b > 0 && p[b] < p[b - 1]; b--) {
			double t = p[b];
			p[b] = p[b - 1];
			p[b - 1] = t;
		}
	double best = 1;
	for (int k = 0; k < K; k++) {
		double v = (double)K * p[k] / (k + 1);
		if (v < best)
			best = v;
	}
	return best;
}

#define SCORE_BLOCK 256

/* Scores of joined rows x (n, d): score (n) and, unless NULL, parts (n, n_parts). is_residual: x already holds the
 * residual inputs of a residual multihead model. */
static int score_rows(const lc_model *m, const float *x, size_t n, int threads, double *score, double *parts,
		      int is_residual, lc_error *err)
{
	const struct lc_multi *mu = m->multi;
	int d = mu->off[mu->n_me], P = mu->n_parts, rc = LC_OK;
	if (threads < 1)
		threads = 1;
	if (mu->kind == LC_MULTI_HEAD) {
		double *f = malloc((n ? n : 1) * (size_t)P * sizeof *f);
		float *r = mu->residual && !is_residual ? residuals(mu, x, n, threads, err) : NULL;
		if (!f || (mu->residual && !is_residual && !r)) {
			free(f);
			free(r);
			return r || !mu->residual || is_residual ? lc_error_set(err, LC_ERR_NOMEM, "out of memory") : err ? err->code : LC_ERR_NOMEM;
		}
		rc = mh_predict(mu->mh, r ? r : x, n, score, f, threads, err);
		free(r);
		for (size_t i = 0; !rc && i < n; i++) {
			score[i] = 1 - score[i];
			for (int p = 0; parts && p < P; p++)
				parts[i * (size_t)P + p] = 1 - f[i * (size_t)P + p];
		}
		free(f);
		return rc;
	}
	if (mu->kind == LC_MULTI_AE) {
		float *bins = parts ? malloc((size_t)SCORE_BLOCK * (size_t)d * sizeof *bins) : NULL;
		if (parts && !bins)
			return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		for (size_t b0 = 0; !rc && b0 < n; b0 += SCORE_BLOCK) {
			size_t bn = n - b0 < SCORE_BLOCK ? n - b0 : SCORE_BLOCK;
			rc = lc_ae_errors(m->net, x + b0 * (size_t)d, bn, m->loss, m->topk, score + b0, bins, threads, err);
			for (size_t i = 0; !rc && parts && i < bn; i++)
				for (int e = 0; e < mu->n_me; e++) {
					double s = 0;
					for (int q = mu->off[e]; q < mu->off[e + 1]; q++)
						s += bins[i * (size_t)d + q];
					parts[(b0 + i) * (size_t)P + mu->part_of[e]] = s / d;
				}
		}
		free(bins);
		return rc;
	}
	/* ensemble: per-ME p-values, Simes across MEs */
	double *pv = malloc((n ? n : 1) * (size_t)mu->n_me * sizeof *pv), *se = malloc((n ? n : 1) * sizeof *se);
	if (!pv || !se) {
		free(pv);
		free(se);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	for (int e = 0; !rc && e < mu->n_me; e++) {
		float *xe = columns(x, n, d, mu->off[e], mu->off[e + 1]);
		rc = xe ? lc_ae_errors(mu->nets[e], xe, n, m->loss, m->topk, se, NULL, threads, err)
			: lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		for (size_t i = 0; !rc && i < n; i++)
			pv[i * (size_t)mu->n_me + e] = multi_pvalue(mu->cal[e], mu->n_cal[e], se[i]);
		free(xe);
	}
	for (size_t i = 0; !rc && i < n; i++) {
		double *p = pv + i * (size_t)mu->n_me;
		for (int e = 0; parts && e < mu->n_me; e++)
			parts[i * (size_t)P + e] = p[e] >= 1 ? 0.0 : -log10(p[e]);
		double sp = multi_simes(p, mu->n_me);
		score[i] = sp >= 1 ? 0.0 : -log10(sp);
	}
	free(pv);
	free(se);
	return rc;
}

int multi_model_score(const lc_model *m, lc_store *st, const lc_runlist *runs, int threads, lc_score_row **rows,
		      size_t *n_out, double **parts_out, lc_error *err)
{
	const struct lc_multi *mu = m->multi;
	for (int e = 0; e < mu->n_me; e++) {
		lc_me_info me;
		int rc = lc_store_me(st, mu->me[e].name, &me, err);
		if (rc)
			return rc;
		if (me.dim != mu->me[e].dim || me.nx != mu->me[e].nx || me.ny != mu->me[e].ny || me.xmin != mu->me[e].xmin ||
		    me.xmax != mu->me[e].xmax)
			return lc_error_set(err, LC_ERR_INVALID,
					    "ME '%s': the store has %dD %dx%d bins on [%g, %g], the model was trained on %dD %dx%d on [%g, %g]",
					    me.name, me.dim, me.nx, me.ny, me.xmin, me.xmax, mu->me[e].dim, mu->me[e].nx,
					    mu->me[e].ny, mu->me[e].xmin, mu->me[e].xmax);
		if (mu->prep[e].flow && !me.has_flow)
			return lc_error_set(err, LC_ERR_INVALID,
					    "ME '%s': the model uses under/overflow cells, but some LS in the store have none", me.name);
	}
	joined j;
	int rc = join(st, mu, runs, NULL, &j, err), P = mu->n_parts;
	if (rc)
		return rc;
	lc_score_row *rows_ = malloc((j.n ? j.n : 1) * sizeof *rows_);
	double *s = malloc((j.n_ev ? j.n_ev : 1) * sizeof *s);
	double *pe = parts_out ? malloc((j.n_ev ? j.n_ev : 1) * (size_t)P * sizeof *pe) : NULL;
	double *parts = parts_out ? malloc((j.n ? j.n : 1) * (size_t)P * sizeof *parts) : NULL;
	if (!rows_ || !s || (parts_out && (!pe || !parts)))
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = score_rows(m, j.x, j.n_ev, threads, s, pe, 0, err);
	for (size_t i = 0; !rc && i < j.n; i++) {
		rows_[i] = (lc_score_row){.run = j.run[i], .ls = j.ls[i], .evaluable = j.ev[i], .count = j.count[i],
					  .score = j.ev[i] ? s[j.row[i]] : NAN};
		for (int p = 0; parts && p < P; p++)
			parts[i * (size_t)P + p] = j.ev[i] ? pe[j.row[i] * (size_t)P + p] : NAN;
	}
	free(s);
	free(pe);
	size_t n = j.n;
	joined_free(&j);
	if (rc) {
		free(rows_);
		free(parts);
		return rc;
	}
	*rows = rows_;
	*n_out = n;
	if (parts_out)
		*parts_out = parts;
	return LC_OK;
}

int lc_model_score_parts(const lc_model *m, lc_store *st, const lc_runlist *runs, int threads, lc_score_row **rows,
			 size_t *n, double **parts, lc_error *err)
{
	if (!m->multi) {
		int rc = lc_model_score(m, st, runs, threads, rows, n, err);
		if (!rc)
			*parts = NULL;
		return rc;
	}
	return multi_model_score(m, st, runs, threads, rows, n, parts, err);
}

/* ---------------------------------------------------------------- explanation */

typedef struct keyed {
	double key;
	int i;
} keyed;

static int by_key_desc(const void *a, const void *b)
{
	const keyed *x = a, *y = b;
	return x->key < y->key ? 1 : x->key > y->key ? -1 : x->i - y->i;
}

int lc_model_explain_parts(const lc_model *m, lc_store *st, int64_t run, int64_t ls, lc_explanation **out,
			   lc_error *err)
{
	const struct lc_multi *mu = m->multi;
	if (!mu)
		return lc_error_set(err, LC_ERR_INVALID, "model kind '%s' has no parts: use lc_model_explain", m->kind);
	int d = mu->off[mu->n_me], P = mu->n_parts, rc = LC_OK, present = 0, ev = 1;
	lc_explanation *e = calloc(1, sizeof *e);
	float *x = calloc((size_t)d, sizeof *x);
	if (!e || !x) {
		free(e);
		free(x);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	for (int k = 0; !rc && k < mu->n_me; k++) {
		lc_hist h;
		double *cells = NULL;
		lc_error e2 = {0};
		int r = lc_store_get_hist(st, mu->me[k].name, run, ls, &h, &cells, &e2);
		if (r == LC_ERR_NOTFOUND) {
			ev = 0;
			continue;
		}
		if (r) {
			rc = lc_error_set(err, r, "%s", e2.msg);
			break;
		}
		present++;
		int v = lc_prep_apply(&mu->prep[k], &mu->me[k], cells, x + mu->off[k], NULL);
		free(cells);
		if (v < 0)
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		ev &= v == 1;
	}
	if (!rc && !present)
		rc = lc_error_set(err, LC_ERR_NOTFOUND, "run %lld LS %lld: in none of the model's %d MEs", (long long)run,
				  (long long)ls, mu->n_me);
	e->evaluable = ev;
	e->n_parts = P;
	e->threshold = m->threshold;
	e->score = NAN;
	if (!rc && ev) {
		e->part_score = malloc((size_t)P * sizeof *e->part_score);
		if (!e->part_score)
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		if (!rc)
			rc = score_rows(m, x, 1, 1, &e->score, e->part_score, 0, err);
	}
	if (!rc && ev) {
		int best = 0;
		for (int p = 1; p < P; p++)
			if (e->part_score[p] > e->part_score[best])
				best = p;
		e->part = best;
		int n = 0;
		for (int k = 0; k < mu->n_me; k++)
			if (mu->part_of[k] == best)
				n += mu->off[k + 1] - mu->off[k];
		e->n = n;
		e->me = malloc((size_t)n * sizeof *e->me);
		e->index = malloc((size_t)n * sizeof *e->index);
		e->input = malloc((size_t)n * sizeof *e->input);
		e->recon = malloc((size_t)n * sizeof *e->recon);
		e->contrib = malloc((size_t)n * sizeof *e->contrib);
		e->order = malloc((size_t)n * sizeof *e->order);
		float *y = malloc((size_t)d * sizeof *y);
		double *g = malloc((size_t)d * sizeof *g);
		keyed *key = malloc((size_t)(n ? n : 1) * sizeof *key);
		if (!e->me || !e->index || !e->input || !e->recon || !e->contrib || !e->order || !y || !g || !key)
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		if (!rc && mu->kind == LC_MULTI_AE)
			rc = lc_net_predict(m->net, x, 1, y, 1, err);
		for (int k = 0; !rc && mu->kind == LC_MULTI_ENSEMBLE && k < mu->n_me; k++)
			if (mu->part_of[k] == best)
				rc = lc_net_predict(mu->nets[k], x + mu->off[k], 1, y + mu->off[k], 1, err);
		if (!rc && mu->kind == LC_MULTI_HEAD) {
			/* the saliency of the network's own input: the residuals for a residual model */
			float *r = mu->residual ? residuals(mu, x, 1, 1, err) : NULL;
			if (mu->residual && !r)
				rc = err ? err->code : LC_ERR_NOMEM;
			else if (mh_saliency(mu->mh, r ? r : x, best, g))
				rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			free(r);
		}
		int q = 0, cq = 0; /* q: input of the part; cq: column within the channel */
		for (int k = 0; !rc && k < mu->n_me; k++) {
			if (mu->part_of[k] != best)
				continue;
			for (int c = mu->off[k]; c < mu->off[k + 1]; c++, q++, cq++) {
				e->me[q] = k;
				e->index[q] = c - mu->off[k];
				e->input[q] = x[c];
				if (mu->kind == LC_MULTI_HEAD) {
					e->recon[q] = NAN;
					e->contrib[q] = g[cq];
					key[q] = (keyed){-g[cq], q}; /* inputs that push the channel's logit towards bad first */
				} else {
					e->recon[q] = y[c];
					e->contrib[q] = ((double)y[c] - x[c]) * ((double)y[c] - x[c]);
					key[q] = (keyed){e->contrib[q], q};
				}
			}
		}
		if (!rc) {
			qsort(key, (size_t)n, sizeof *key, by_key_desc);
			for (int i = 0; i < n; i++)
				e->order[i] = key[i].i;
		}
		free(y);
		free(g);
		free(key);
	}
	free(x);
	if (rc) {
		lc_explanation_free(e);
		return rc;
	}
	*out = e;
	return LC_OK;
}
