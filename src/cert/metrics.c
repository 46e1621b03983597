/* metrics.c — how well anomaly scores separate bad LS (the positive class) from good ones: ROC AUC, average precision
 * and precision at fixed recall as scikit-learn defines them, precision among the 10 highest scores, and the score
 * threshold that gives a chosen false-alarm rate on good LS. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

/* Recall levels of lc_metrics.prec_at_recall. */
static const double recall_levels[4] = {0.8, 0.9, 0.95, 0.99};

/* One labelled score. */
typedef struct scored {
	double s; /* score, higher = more anomalous */
	int bad;  /* 1 bad (positive), 0 good */
} scored;

/* Orders by score, highest first (scores are finite here). */
static int by_score_desc(const void *pa, const void *pb)
{
	double a = ((const scored *)pa)->s, b = ((const scored *)pb)->s;
	return a > b ? -1 : a < b ? 1 : 0;
}

/* Sorts once by descending score, then walks the groups of tied scores (one group = one distinct threshold). With
 * tp, fp the bad and good counts at or above the group's score and P = tp / (tp + fp), R = tp / n_pos at each
 * threshold:
 *   AUC  = (sum over bad rows of #good scored strictly lower + 1/2 #good tied) / (n_pos n_neg)   (Mann-Whitney U)
 *   AP   = sum over thresholds of (R_k - R_{k-1}) P_k, R_0 = 0      (sklearn.metrics.average_precision_score)
 *   P@r  = max of P_k over thresholds with R_k >= r                  (points of sklearn's precision_recall_curve)
 *   top10 = bad among the min(10, n) highest scores / min(10, n), a group tied across the cut adding its bad
 *           fraction times the slots left. */
int lc_metrics_compute(const double *score, const int *is_bad, size_t n, lc_metrics *out, lc_error *err)
{
	size_t npos = 0, nneg = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(score[i]))
			return lc_error_set(err, LC_ERR_INVALID, "metrics: score of row %zu is not finite (%g)", i,
					    score[i]);
		if (is_bad[i] != 0 && is_bad[i] != 1)
			return lc_error_set(err, LC_ERR_INVALID, "metrics: label of row %zu is %d, expected 1 (bad) or 0 (good)",
					    i, is_bad[i]);
		npos += (size_t)is_bad[i];
	}
	nneg = n - npos;
	if (npos == 0)
		return lc_error_set(err, LC_ERR_INVALID, "metrics: no bad LS among the labelled ones (%zu good)", nneg);
	if (nneg == 0)
		return lc_error_set(err, LC_ERR_INVALID, "metrics: no good LS among the labelled ones (%zu bad)", npos);
	scored *v = malloc(n * sizeof *v);
	if (!v)
		return lc_error_set(err, LC_ERR_NOMEM, "metrics: out of memory for %zu scores", n);
	for (size_t i = 0; i < n; i++) {
		v[i].s = score[i];
		v[i].bad = is_bad[i];
	}
	qsort(v, n, sizeof *v, by_score_desc);

	lc_metrics m = {0};
	m.n_pos = npos;
	m.n_neg = nneg;
	size_t top = n < 10 ? n : 10;
	double u = 0, ap = 0, prev_recall = 0, top_bad = 0;
	size_t tp = 0, fp = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i, p = 0;
		while (j < n && v[j].s == v[i].s)
			p += (size_t)v[j++].bad;
		size_t q = (j - i) - p;
		/* bad rows of this group beat the good rows below it and tie with the q good rows in it */
		u += (double)p * ((double)(nneg - fp - q) + 0.5 * (double)q);
		if (i < top)
			top_bad += j <= top ? (double)p : (double)p / (double)(j - i) * (double)(top - i);
		tp += p;
		fp += q;
		double prec = (double)tp / (double)(tp + fp), recall = (double)tp / (double)npos;
		ap += (recall - prev_recall) * prec;
		prev_recall = recall;
		for (int k = 0; k < 4; k++)
			if (recall >= recall_levels[k] && prec > m.prec_at_recall[k])
				m.prec_at_recall[k] = prec;
		i = j;
	}
	free(v);
	m.auc = u / ((double)npos * (double)nneg);
	m.ap = ap;
	m.prec_top10 = top_bad / (double)top;
	*out = m;
	return LC_OK;
}

/* Orders doubles ascending (NaN last, so a stray NaN cannot break the sort). */
static int by_value_asc(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return a < b ? -1 : a > b ? 1 : 0;
}

/* The smallest t among the good scores such that the number of good scores strictly above t is at most fpr * n
 * (with 1e-9 slack so fpr = 0.29, n = 100 allows 29). fpr 0 gives the maximum score, fpr >= 1 the minimum. Returns NaN
 * when n is 0, fpr is negative or NaN, or memory runs out (the input is copied, never modified). */
double lc_threshold_for_fpr(const double *good, size_t n, double fpr)
{
	if (n == 0 || !(fpr >= 0))
		return NAN;
	double *v = malloc(n * sizeof *v);
	if (!v)
		return NAN;
	for (size_t i = 0; i < n; i++)
		v[i] = good[i];
	qsort(v, n, sizeof *v, by_value_asc);
	double allowed = fpr * (double)n + 1e-9, t = v[n - 1];
	/* candidates from the top down: after a group of equal values starting at i, n - i scores lie at or above */
	for (size_t i = n; i > 0;) {
		size_t g = i - 1;
		while (g > 0 && v[g - 1] == v[i - 1])
			g--;
		if ((double)(n - i) > allowed)
			break;
		t = v[g];
		i = g;
	}
	free(v);
	return t;
}
