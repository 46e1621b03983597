/* greyzone.c — certification with a grey zone (Borisyak et al. 2017): thresholds on p(good) that keep pollution
 * (bad LS among auto-good) and loss (good LS auto-bad) under caps with a stated confidence, the rates of a set of
 * decisions, autoencoder novelty gates, and the labelling loop replayed chunk by chunk in time order. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---------------------------------------------------------------- binomial bound */

/* Continued fraction of the regularised incomplete beta function I_x(a, b) (modified Lentz), valid for
 * x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
	if (fabs(d) < tiny)
		d = tiny;
	d = 1.0 / d;
	double h = d;
	for (int m = 1; m <= 500; m++) {
		double m2 = 2.0 * m;
		double aa = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
		d = 1.0 + aa * d;
		c = 1.0 + aa / c;
		d = fabs(d) < tiny ? 1.0 / tiny : 1.0 / d;
		if (fabs(c) < tiny)
			c = tiny;
		h *= d * c;
		aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
		d = 1.0 + aa * d;
		c = 1.0 + aa / c;
		d = fabs(d) < tiny ? 1.0 / tiny : 1.0 / d;
		if (fabs(c) < tiny)
			c = tiny;
		double del = d * c;
		h *= del;
		if (fabs(del - 1.0) < 1e-15)
			break;
	}
	return h;
}

/* I_x(a, b) for a, b > 0, x in [0, 1]. */
static double beta_inc(double a, double b, double x)
{
	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	double lf = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
	if (x < (a + 1.0) / (a + b + 2.0))
		return exp(lf) * beta_cf(a, b, x) / a;
	return 1.0 - exp(lf) * beta_cf(b, a, 1.0 - x) / b;
}

/* The upper bound p solves P(X <= k | n, p) = 1 - conf, i.e. I_p(k + 1, n - k) = conf; bisection to 1e-12. */
double lc_binom_upper(double k, double n, double conf)
{
	if (n <= 0.0 || k >= n)
		return 1.0;
	if (k < 0.0)
		k = 0.0;
	if (conf <= 0.0)
		return k / n;
	double lo = k / n, hi = 1.0;
	for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
		double mid = 0.5 * (lo + hi);
		if (beta_inc(k + 1.0, n - k, mid) < conf)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/* ---------------------------------------------------------------- thresholds under caps */

typedef struct pw {
	double p, w;
	int y;
} pw;

static int by_p_desc(const void *pa, const void *pb)
{
	double a = ((const pw *)pa)->p, b = ((const pw *)pb)->p;
	return a > b ? -1 : a < b ? 1 : 0;
}

/* Whether the upper bound lc_binom_upper(k, n, conf) is at most cap, in one evaluation of the incomplete beta
 * function instead of a bisection: the bound p_u solves I_p(k + 1, n - k) = conf and I_p grows with p, so
 * p_u <= cap exactly when I_cap(k + 1, n - k) >= conf. */
static int binom_upper_within(double k, double n, double conf, double cap)
{
	if (n <= 0.0 || k >= n)
		return 1.0 <= cap;
	if (k < 0.0)
		k = 0.0;
	if (conf <= 0.0)
		return k / n <= cap;
	if (cap >= 1.0)
		return 1;
	if (cap <= 0.0)
		return 0;
	return beta_inc(k + 1.0, n - k, cap) >= conf;
}

/* Whether the upper bound of a weighted rate num/den is at most cap: with Kish's effective size
 * m = (sum w)^2 / sum w^2 and k = rate * m (the plain counts when the weights are equal). */
static int weighted_within(double num, double den, double den_w2, double conf, double cap)
{
	if (den <= 0.0)
		return 1.0 <= cap;
	double rate = num / den;
	if (conf <= 0.0)
		return rate <= cap;
	double m = den * den / den_w2;
	return binom_upper_within(rate * m, m, conf, cap);
}

int lc_gz_thresholds(const double *p, const int *y, const double *w, size_t n, double max_loss, double max_pollution,
		     double conf, double *lo, double *hi, lc_error *err)
{
	*lo = -INFINITY;
	*hi = INFINITY;
	if (!(max_loss >= 0.0 && max_loss < 1.0) || !(max_pollution >= 0.0 && max_pollution < 1.0))
		return lc_error_set(err, LC_ERR_INVALID, "caps must lie in [0, 1): loss %g, pollution %g", max_loss,
				    max_pollution);
	if (!(conf >= 0.0 && conf < 1.0))
		return lc_error_set(err, LC_ERR_INVALID, "confidence must lie in [0, 1), got %g", conf);
	if (n == 0)
		return LC_OK;
	pw *v = malloc(n * sizeof *v);
	if (!v)
		return lc_error_set(err, LC_ERR_NOMEM, "thresholds: out of memory for %zu rows", n);
	double good_w = 0.0, good_w2 = 0.0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(p[i])) {
			free(v);
			return lc_error_set(err, LC_ERR_INVALID, "thresholds: prediction %zu is not finite", i);
		}
		v[i].p = p[i];
		v[i].w = w ? w[i] : 1.0;
		v[i].y = y[i];
		if (y[i] == 1) {
			good_w += v[i].w;
			good_w2 += v[i].w * v[i].w;
		}
	}
	qsort(v, n, sizeof *v, by_p_desc);

	/* auto-good: the largest top set {p >= v[j].p} whose pollution bound holds */
	double all_w = 0, all_w2 = 0, bad_w = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && v[j].p == v[i].p) {
			all_w += v[j].w;
			all_w2 += v[j].w * v[j].w;
			if (v[j].y != 1)
				bad_w += v[j].w;
			j++;
		}
		if (weighted_within(bad_w, all_w, all_w2, conf, max_pollution))
			*hi = v[i].p;
		i = j;
	}
	/* auto-bad: the largest bottom set {p < t} whose loss bound holds; t is the next higher distinct value */
	double lost_w = 0;
	for (size_t e = n; e > 0;) {
		size_t s = e;
		while (s > 0 && v[s - 1].p == v[e - 1].p) {
			s--;
			if (v[s].y == 1)
				lost_w += v[s].w;
		}
		/* the loss bound counts good LS lost among all good ones: k = lost share of the effective good size */
		double m = good_w > 0 ? good_w * good_w / good_w2 : 0.0;
		if (good_w <= 0 || binom_upper_within(lost_w / good_w * m, m, conf, max_loss))
			*lo = nextafter(v[s].p, INFINITY); /* just above the highest p of the set: the gap is grey */
		else
			break; /* the loss only grows with the set */
		e = s;
	}
	free(v);
	if (*lo > *hi)
		*lo = *hi;
	return LC_OK;
}

/* ---------------------------------------------------------------- rates */

void lc_gz_rates_compute(const signed char *dec, const int *y, const double *w, const double *lumi, size_t n,
			 lc_gz_rates *r)
{
	memset(r, 0, sizeof *r);
	double all = 0, review = 0, good = 0, lost = 0, ag = 0, polluted = 0, lall = 0, lreview = 0;
	for (size_t i = 0; i < n; i++) {
		double wi = w ? w[i] : 1.0, li = lumi ? lumi[i] : wi;
		r->n++;
		all += wi;
		lall += li;
		if (y[i] == 1) {
			r->n_good++;
			good += wi;
		}
		if (dec[i] == LC_GZ_REVIEW) {
			r->n_review++;
			review += wi;
			lreview += li;
		} else if (dec[i] == LC_GZ_GOOD) {
			r->n_auto_good++;
			ag += wi;
			if (y[i] != 1) {
				r->n_polluted++;
				polluted += wi;
			}
		} else {
			r->n_auto_bad++;
			if (y[i] == 1) {
				r->n_lost++;
				lost += wi;
			}
		}
	}
	r->manual_work = all > 0 ? review / all : 0.0;
	r->saved = 1.0 - r->manual_work;
	r->rejection = lall > 0 ? lreview / lall : 0.0;
	r->loss = good > 0 ? lost / good : 0.0;
	r->pollution = ag > 0 ? polluted / ag : 0.0;
}

/* ---------------------------------------------------------------- the loop in time order */

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return a < b ? -1 : a > b ? 1 : 0;
}

/* q-quantile (linear interpolation, numpy's default) of v (n > 0); sorts v. */
static double quantile(double *v, size_t n, double q)
{
	qsort(v, n, sizeof *v, cmp_double);
	double h = q * (double)(n - 1);
	size_t i = (size_t)h;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (h - (double)i) * (v[i + 1] - v[i]);
}

int lc_novelty_fit(const float *x, size_t n, int d, double factor, lc_novelty *nv, lc_error *err)
{
	nv->ae = NULL;
	nv->limit = INFINITY;
	if (n < 3)
		return LC_OK; /* too few good LS to say what is usual: nothing is novel yet */
	double *e = malloc(n * sizeof *e);
	if (!e)
		return lc_error_set(err, LC_ERR_NOMEM, "novelty: out of memory");
	int rc = lc_pca_ae_fit(x, n, d, 0, &nv->ae, NULL, NULL, err);
	if (!rc)
		rc = lc_ae_errors(nv->ae, x, n, LC_LOSS_MSE, 0, e, NULL, 1, err);
	if (!rc)
		nv->limit = factor * quantile(e, n, 0.99);
	free(e);
	return rc;
}

int lc_novelty_errors(const lc_novelty *nv, const float *x, size_t n, double *e, lc_error *err)
{
	if (!nv->ae) {
		for (size_t i = 0; i < n; i++)
			e[i] = 0.0;
		return LC_OK;
	}
	return lc_ae_errors(nv->ae, x, n, LC_LOSS_MSE, 0, e, NULL, 1, err);
}

void lc_novelty_free(lc_novelty *nv)
{
	lc_net_free(nv->ae);
	nv->ae = NULL;
}

int lc_stream_run(const lc_stream_spec *s, const float *x, const int *y, const double *w, const double *lumi,
		  const int64_t *group, size_t n, int d, const size_t *order, signed char *dec, lc_stream_chunk *chunks,
		  lc_error *err)
{
	if (s->chunks < 1 || (size_t)s->chunks > n)
		return lc_error_set(err, LC_ERR_INVALID, "chunks must lie in [1, %zu], got %d", n, s->chunks);
	if (s->first_manual < 1 || s->first_manual >= s->chunks)
		return lc_error_set(err, LC_ERR_INVALID, "first manual chunks must lie in [1, %d], got %d",
				    s->chunks - 1, s->first_manual);
	if (!(s->max_loss >= 0 && s->max_loss < 1) || !(s->max_pollution >= 0 && s->max_pollution < 1))
		return lc_error_set(err, LC_ERR_INVALID, "caps must lie in [0, 1): loss %g, pollution %g", s->max_loss,
				    s->max_pollution);
	if (!(s->refit >= 0))
		return lc_error_set(err, LC_ERR_INVALID, "refit fraction must be >= 0, got %g", s->refit);
	for (size_t i = 0; i < n; i++)
		if (y[i] != 0 && y[i] != 1)
			return lc_error_set(err, LC_ERR_INVALID, "stream: LS %zu has no label (%d)", i, y[i]);
	int rc = LC_OK;
	size_t cap = n;
	float *lx = malloc(cap * (size_t)d * sizeof *lx), *cx = malloc(cap * (size_t)d * sizeof *cx);
	int *ly = malloc(cap * sizeof *ly);
	double *lw = malloc(cap * sizeof *lw), *cvp = malloc(cap * sizeof *cvp), *pp = malloc(cap * sizeof *pp);
	double *nd = malloc(cap * sizeof *nd), *eb = malloc(cap * sizeof *eb);
	float *gx = malloc(cap * (size_t)d * sizeof *gx);
	int64_t *lg = malloc(cap * sizeof *lg), *cg = malloc(cap * sizeof *cg);
	/* arrival chunk and LS number of the labelled LS, LS numbers of the chunk, inside flags, arrival groups */
	int64_t *la = malloc(cap * sizeof *la), *ll = malloc(cap * sizeof *ll), *cls = malloc(cap * sizeof *cls);
	int64_t *ga = malloc(cap * sizeof *ga);
	unsigned char *ins = malloc(cap);
	int *cy = malloc(cap * sizeof *cy);
	double *cw = malloc(cap * sizeof *cw), *cl = malloc(cap * sizeof *cl);
	signed char *cd = malloc(cap);
	lc_clf *clf = NULL;
	/* the last fit: labelled LS it saw, thresholds (run-grouped, and run-and-arrival-grouped once needed), gates */
	size_t nl_fit = 0;
	int fitted = 0, have_in = 0;
	double f_lo = -INFINITY, f_hi = INFINITY, f_lo_in = -INFINITY, f_hi_in = INFINITY;
	lc_novelty gg = {0}, gb = {0};
	gg.limit = gb.limit = INFINITY;
	if (!lx || !cx || !ly || !lw || !cvp || !pp || !nd || !eb || !gx || !lg || !cg || !cy || !cw || !cl || !cd || !la ||
	    !ll || !cls || !ga || !ins) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "stream: out of memory for %zu LS", n);
		goto done;
	}
	size_t nl = 0, first = 0;
	size_t base = n / (size_t)s->chunks, extra = n % (size_t)s->chunks;
	for (int c = 0; c < s->chunks; c++) {
		size_t m = base + ((size_t)c < extra);
		lc_stream_chunk *ch = &chunks[c];
		memset(ch, 0, sizeof *ch);
		ch->first = first;
		ch->n = m;
		ch->lo = ch->lo_in = -INFINITY;
		ch->hi = ch->hi_in = INFINITY;
		for (size_t i = 0; i < m; i++) {
			size_t r = order[first + i];
			memcpy(cx + i * (size_t)d, x + r * (size_t)d, (size_t)d * sizeof *cx);
			cy[i] = y[r];
			cw[i] = w ? w[r] : 1.0;
			cl[i] = lumi ? lumi[r] : cw[i];
			cg[i] = group ? group[r] : 0;
			cls[i] = s->ls ? s->ls[r] : 0;
			ins[i] = 0;
			cd[i] = LC_GZ_REVIEW;
		}
		int scored = 0;
		if (c >= s->first_manual) {
			size_t ng = 0;
			for (size_t i = 0; i < nl; i++)
				ng += (size_t)ly[i];
			size_t minority = ng < nl - ng ? ng : nl - ng;
			/* the classifier, its thresholds and the gates are refitted when the labels have grown by more
			 * than refit times what they were at the last fit (refit 0: whenever a label was added), and kept
			 * otherwise: the same labels give the same fit */
			int refit = minority >= 2 && (!fitted || (double)(nl - nl_fit) > s->refit * (double)nl_fit);
			if (refit) {
				if ((rc = lc_clf_cv(&s->clf, lx, ly, lw, group ? lg : NULL, nl, d, cvp, err)) ||
				    (rc = lc_gz_thresholds(cvp, ly, lw, nl, s->max_loss, s->max_pollution, s->conf, &f_lo,
							   &f_hi, err)))
					goto done;
				if (clf && s->clf.kind == LC_CLF_MLP)
					rc = lc_clf_update(clf, &s->clf, lx, ly, lw, nl, err);
				else {
					lc_clf_free(clf);
					clf = NULL;
					rc = lc_clf_fit(&s->clf, lx, ly, lw, nl, d, &clf, err);
				}
				if (rc)
					goto done;
				/* two gates: an LS is auto-good only if the autoencoder of the labelled good LS finds it
				 * usual, and auto-bad only if that one finds it unusual while the autoencoder of the
				 * labelled bad LS finds it usual (like bad LS seen before); like neither: novel, to humans */
				lc_novelty_free(&gg);
				lc_novelty_free(&gb);
				gg.limit = gb.limit = INFINITY;
				if (s->novelty_factor > 0) {
					size_t ngx = 0, nbx = 0;
					for (size_t i = 0; i < nl; i++)
						if (ly[i])
							memcpy(gx + ngx++ * (size_t)d, lx + i * (size_t)d, (size_t)d * sizeof *gx);
					for (size_t i = 0; i < nl; i++)
						if (!ly[i])
							memcpy(gx + (ngx + nbx++) * (size_t)d, lx + i * (size_t)d, (size_t)d * sizeof *gx);
					if ((rc = lc_novelty_fit(gx, ngx, d, s->novelty_factor, &gg, err)) ||
					    (rc = lc_novelty_fit(gx + ngx * (size_t)d, nbx, d, s->novelty_factor, &gb, err)))
						goto done;
				}
				nl_fit = nl;
				fitted = 1;
				have_in = 0;
			}
			if (fitted) {
				ch->lo = f_lo;
				ch->hi = f_hi;
				/* LS inside the span of their run's labelled LS (those the fit saw): in time order none (the
				 * labelled LS of a run came before), shuffled most. Their situation is that of a labelled LS
				 * when whole arrival chunks of its run are held out, not whole runs: thresholds from
				 * cross-validation grouped by run and arrival chunk */
				if (group && s->ls) {
					for (size_t i = 0; i < m; i++) {
						/* the nearest labelled LS of its run before and after it, and their labels */
						int64_t pb = INT64_MIN, pa = INT64_MAX;
						int yb = 0, ya = 0;
						for (size_t j = 0; j < nl_fit; j++)
							if (lg[j] == cg[i]) {
								if (ll[j] < cls[i] && ll[j] > pb)
									pb = ll[j], yb = ly[j];
								if (ll[j] > cls[i] && ll[j] < pa)
									pa = ll[j], ya = ly[j];
							}
						/* 1 inside, 2 inside between two good neighbours */
						ins[i] = (unsigned char)(pb == INT64_MIN || pa == INT64_MAX ? 0 : yb && ya ? 2 : 1);
						ch->n_inside += ins[i] != 0;
					}
					if (ch->n_inside && !have_in) {
						for (size_t i = 0; i < nl_fit; i++)
							ga[i] = lg[i] * (int64_t)s->chunks + la[i];
						if ((rc = lc_clf_cv(&s->clf, lx, ly, lw, ga, nl_fit, d, cvp, err)) ||
						    (rc = lc_gz_thresholds(cvp, ly, lw, nl_fit, s->max_loss, s->max_pollution,
									   s->conf, &f_lo_in, &f_hi_in, err)))
							goto done;
						have_in = 1;
					}
					if (ch->n_inside) {
						ch->lo_in = f_lo_in;
						ch->hi_in = f_hi_in;
					}
				}
				if ((rc = lc_clf_predict(clf, cx, m, pp, err)))
					goto done;
				scored = 1;
				for (size_t i = 0; i < m; i++)
					nd[i] = eb[i] = 0.0;
				if (s->novelty_factor > 0 &&
				    ((rc = lc_novelty_errors(&gg, cx, m, nd, err)) || (rc = lc_novelty_errors(&gb, cx, m, eb, err))))
					goto done;
				for (size_t i = 0; i < m; i++) {
					int usual_good = nd[i] <= gg.limit, usual_bad = eb[i] <= gb.limit;
					if (!usual_good && !usual_bad) {
						ch->n_novel++;
						continue;
					}
					/* inside, certified good only above both upper thresholds; certified bad below the inside
					 * lower threshold when the good autoencoder finds it unusual, or below both lower
					 * thresholds when it finds it usual */
					double lo = ins[i] ? ch->lo_in : ch->lo;
					double hi = ins[i] == 2 ? ch->hi_in : ins[i] ? fmax(ch->hi_in, ch->hi) : ch->hi;
					int bad_shape = !usual_good || (ins[i] && pp[i] < ch->lo);
					if (pp[i] >= hi && usual_good)
						cd[i] = LC_GZ_GOOD;
					else if (pp[i] < lo && (s->novelty_factor <= 0 || (bad_shape && usual_bad)))
						cd[i] = LC_GZ_BAD;
				}
			}
		}
		/* what humans looked at joins the labelled set */
		for (size_t i = 0; i < m; i++) {
			dec[order[first + i]] = cd[i];
			if (s->p_out)
				s->p_out[order[first + i]] = scored ? pp[i] : NAN;
			if (s->inside_out)
				s->inside_out[order[first + i]] = scored && ins[i];
			if (cd[i] != LC_GZ_REVIEW)
				continue;
			memcpy(lx + nl * (size_t)d, cx + i * (size_t)d, (size_t)d * sizeof *lx);
			ly[nl] = cy[i];
			lw[nl] = cw[i];
			lg[nl] = cg[i];
			la[nl] = c;
			ll[nl] = cls[i];
			nl++;
		}
		lc_gz_rates_compute(cd, cy, cw, cl, m, &ch->rates);
		first += m;
	}
done:
	lc_clf_free(clf);
	lc_novelty_free(&gg);
	lc_novelty_free(&gb);
	free(lx);
	free(cx);
	free(ly);
	free(lw);
	free(cvp);
	free(la);
	free(ll);
	free(cls);
	free(ga);
	free(ins);
	free(pp);
	free(nd);
	free(eb);
	free(gx);
	free(lg);
	free(cg);
	free(cy);
	free(cw);
	free(cl);
	free(cd);
	return rc;
}

/* ---------------------------------------------------------------- inputs */

typedef struct collect {
	const lc_prep *prep;
	const lc_me_info *me;
	const lc_lsset *keep; /* only these LS (NULL: all) */
	lc_lsrows *r;
	size_t cap;
} collect;

static int collect_add(void *ctx, const lc_hist *h, lc_error *err)
{
	collect *c = ctx;
	lc_lsrows *r = c->r;
	if (c->keep && !lc_lsset_has(c->keep, h->run, h->ls))
		return LC_OK;
	if (r->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		float *x = realloc(r->x, cap * (size_t)r->d * sizeof *x);
		if (x)
			r->x = x;
		int64_t *run = realloc(r->run, cap * sizeof *run);
		if (run)
			r->run = run;
		int64_t *ls = realloc(r->ls, cap * sizeof *ls);
		if (ls)
			r->ls = ls;
		double *cnt = realloc(r->count, cap * sizeof *cnt);
		if (cnt)
			r->count = cnt;
		if (!x || !run || !ls || !cnt)
			return lc_error_set(err, LC_ERR_NOMEM, "out of memory (%zu LS)", cap);
		c->cap = cap;
	}
	double count = 0;
	int ev = lc_prep_apply(c->prep, c->me, h->cells, r->x + r->n * (size_t)r->d, &count);
	if (ev < 0)
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	if (!ev) {
		r->n_not_evaluable++;
		return LC_OK;
	}
	r->run[r->n] = h->run;
	r->ls[r->n] = h->ls;
	r->count[r->n] = count;
	r->n++;
	return LC_OK;
}

void lc_lsrows_free(lc_lsrows *r)
{
	free(r->x);
	free(r->run);
	free(r->ls);
	free(r->count);
	memset(r, 0, sizeof *r);
}

int store_rows_keep(lc_store *st, const char *me, const lc_prep *prep, const lc_runlist *runs, const lc_lsset *keep,
		    lc_lsrows *out, lc_error *err)
{
	memset(out, 0, sizeof *out);
	lc_me_info info;
	int rc = lc_store_me(st, me, &info, err);
	if (rc || (rc = lc_prep_check(prep, &info, err)))
		return rc;
	out->d = lc_prep_dim(prep, &info);
	collect c = {.prep = prep, .me = &info, .keep = keep, .r = out};
	if ((rc = lc_store_each_hist(st, me, runs, collect_add, &c, err)))
		lc_lsrows_free(out);
	return rc;
}

int lc_store_rows(lc_store *st, const char *me, const lc_prep *prep, const lc_runlist *runs, lc_lsrows *out,
		  lc_error *err)
{
	return store_rows_keep(st, me, prep, runs, NULL, out, err);
}
