/* report.h — private pieces of the HTML report shared between its files and its unit tests: the certify directory
 * reader and the label-based rates (pollution, loss, grey-zone band). */
#ifndef LC_REPORT_REPORT_H
#define LC_REPORT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include "lumicert_report.h"

/* One row of review.csv. */
typedef struct review_row {
	int64_t run, ls;
	double p_bad;  /* NaN when empty */
	char *reason;  /* owned; NULL when the column is absent */
} review_row;

/* The decisions of a certify directory. */
typedef struct cert_data {
	lc_lsset *good;       /* auto-good.json */
	lc_lsset *bad;        /* auto-bad.json */
	review_row *review;   /* review.csv rows, sorted by run then LS */
	size_t nreview;
	int has_summary;      /* 1 if summary.json was there */
	struct {
		char *key, *text; /* member name and its value as text (strings unquoted, others as compact JSON) */
	} summary[64];
	size_t nsummary;
} cert_data;

/* Reads dir/auto-good.json, dir/auto-bad.json, dir/review.csv and dir/summary.json (optional). Errors name the file
 * and line; an LS in two of the three lists is an error. */
int cert_read(const char *dir, cert_data *c, lc_error *err);
/* The review row of (run, ls), or NULL. */
const review_row *cert_review(const cert_data *c, int64_t run, int64_t ls);
void cert_free(cert_data *c);

/* Labelled scores sorted ascending, with cumulative counts: the basis of every label-based rate. An LS passes
 * (is certified good) at threshold t when score <= t. */
typedef struct rates {
	size_t n;        /* labelled evaluable LS */
	double *s;       /* n scores, ascending */
	size_t *nbad;    /* n + 1 entries: nbad[k] = bad LS among the k lowest scores */
	size_t n_bad, n_good;
} rates;

/* Builds r from n scores and is_bad flags (1 bad, 0 good). */
int rates_init(rates *r, const double *score, const int *is_bad, size_t n);
void rates_free(rates *r);
/* Pollution when the k lowest scores pass: bad among them / k (0 when k = 0). */
double rates_pollution(const rates *r, size_t k);
/* Loss when the k lowest scores pass: good LS among the others / all good LS (0 when there are no good LS). */
double rates_loss(const rates *r, size_t k);
/* Number of LS that pass at threshold t (score <= t). */
size_t rates_count_le(const rates *r, double t);
/* The grey-zone band (lo, hi] around threshold thr for the caps (NaN: no cap): lo = min(thr, the largest score
 * threshold whose pollution is <= max_pollution, -inf when only passing nothing meets it), hi = max(thr, the
 * smallest score threshold whose loss is <= max_loss). */
void rates_grey(const rates *r, double thr, double max_pollution, double max_loss, double *lo, double *hi);

#endif
