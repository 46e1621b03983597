/* rates.c — label-based rates of a score threshold for the report: pollution (bad LS among those that pass),
 * loss (good LS flagged, over all good LS) and the grey-zone band that keeps both under their caps. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

typedef struct pair {
	double s;
	int bad;
} pair;

static int by_score(const void *a, const void *b)
{
	const pair *x = a, *y = b;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	return x->bad - y->bad;
}

int rates_init(rates *r, const double *score, const int *is_bad, size_t n)
{
	memset(r, 0, sizeof *r);
	pair *p = malloc((n ? n : 1) * sizeof *p);
	r->s = malloc((n ? n : 1) * sizeof *r->s);
	r->nbad = malloc((n + 1) * sizeof *r->nbad);
	if (!p || !r->s || !r->nbad) {
		free(p);
		rates_free(r);
		return LC_ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		p[i].s = score[i];
		p[i].bad = is_bad[i] != 0;
	}
	qsort(p, n, sizeof *p, by_score);
	r->n = n;
	r->nbad[0] = 0;
	for (size_t i = 0; i < n; i++) {
		r->s[i] = p[i].s;
		r->nbad[i + 1] = r->nbad[i] + (size_t)p[i].bad;
	}
	r->n_bad = r->nbad[n];
	r->n_good = n - r->n_bad;
	free(p);
	return LC_OK;
}

void rates_free(rates *r)
{
	free(r->s);
	free(r->nbad);
	memset(r, 0, sizeof *r);
}

double rates_pollution(const rates *r, size_t k)
{
	return k ? (double)r->nbad[k] / (double)k : 0;
}

double rates_loss(const rates *r, size_t k)
{
	size_t good_passed = k - r->nbad[k];
	return r->n_good ? (double)(r->n_good - good_passed) / (double)r->n_good : 0;
}

size_t rates_count_le(const rates *r, double t)
{
	size_t lo = 0, hi = r->n; /* first index with s > t */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->s[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* 1 if k LS passing is reachable by a threshold (k = 0, k = n, or a boundary between distinct scores). */
static int cut_ok(const rates *r, size_t k)
{
	return k == 0 || k == r->n || r->s[k] > r->s[k - 1];
}

void rates_grey(const rates *r, double thr, double max_pollution, double max_loss, double *lo, double *hi)
{
	*lo = *hi = thr;
	if (!r->n)
		return;
	if (!isnan(max_pollution)) {
		size_t best = 0;
		for (size_t k = 1; k <= r->n; k++)
			if (cut_ok(r, k) && rates_pollution(r, k) <= max_pollution)
				best = k;
		double t = best ? r->s[best - 1] : -INFINITY;
		if (t < *lo)
			*lo = t;
	}
	if (!isnan(max_loss)) {
		size_t k = 0;
		while (!(cut_ok(r, k) && rates_loss(r, k) <= max_loss))
			k++; /* ends at k = n at the latest, where the loss is 0 */
		double t = k ? r->s[k - 1] : -INFINITY;
		if (t > *hi)
			*hi = t;
	}
}
