/* runlist.c — run lists as given on the command line ("297050,297178", "297047-297675,300000"): parsing with
 * messages that name the bad element, and membership tests. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Parses the run number in s[0..n) (surrounding blanks already removed) into *run. Returns 0 if s is not a string of
 * decimal digits (or overflows int64), 1 otherwise; the caller checks positivity. */
static int parse_run(const char *s, size_t n, int64_t *run)
{
	if (n == 0)
		return 0;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		int d = s[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*run = v;
	return 1;
}

/* Shrinks [*b, *e) past leading and trailing blanks. */
static void trim(const char **b, const char **e)
{
	while (*b < *e && isspace((unsigned char)**b))
		(*b)++;
	while (*e > *b && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

/* Parses one element [b, e) (the k-th, 1-based) of spec into [*lo, *hi]; fills err naming the element on failure. */
static int parse_element(const char *spec, int k, const char *b, const char *e, int64_t *lo, int64_t *hi,
			 lc_error *err)
{
	trim(&b, &e);
	int len = (int)(e - b);
	if (len == 0)
		return lc_error_set(err, LC_ERR_INVALID, "run list '%s': element %d is empty", spec, k);
	const char *dash = memchr(b, '-', (size_t)(e - b));
	const char *b2 = dash ? dash + 1 : b, *e1 = dash ? dash : e, *e2 = e, *b1 = b;
	trim(&b1, &e1);
	trim(&b2, &e2);
	if (!parse_run(b1, (size_t)(e1 - b1), lo) || !parse_run(b2, (size_t)(e2 - b2), hi))
		return lc_error_set(err, LC_ERR_INVALID, "run list '%s': element %d '%.*s' is not a run number%s", spec,
				    k, len, b, dash ? " range (expected FIRST-LAST)" : "");
	if (*lo <= 0 || *hi <= 0)
		return lc_error_set(err, LC_ERR_INVALID, "run list '%s': element %d '%.*s': run numbers must be positive",
				    spec, k, len, b);
	if (*lo > *hi)
		return lc_error_set(err, LC_ERR_INVALID,
				    "run list '%s': element %d '%.*s': first run %lld is greater than last run %lld", spec,
				    k, len, b, (long long)*lo, (long long)*hi);
	return LC_OK;
}

/* Parses a comma-separated list of runs and inclusive run ranges FIRST-LAST; blanks around numbers are allowed. */
int lc_runlist_parse(const char *spec, lc_runlist **out, lc_error *err)
{
	if (!spec || !out)
		return lc_error_set(err, LC_ERR_INVALID, "run list: no list given");
	const char *b = spec, *e = spec + strlen(spec);
	trim(&b, &e);
	if (b == e)
		return lc_error_set(err, LC_ERR_INVALID, "run list '%s' is empty", spec);
	size_t cap = 1;
	for (const char *p = spec; *p; p++)
		cap += *p == ',';
	lc_runlist *rl = calloc(1, sizeof *rl);
	if (!rl || !(rl->lo = malloc(cap * sizeof *rl->lo)) || !(rl->hi = malloc(cap * sizeof *rl->hi))) {
		lc_runlist_free(rl);
		return lc_error_set(err, LC_ERR_NOMEM, "run list: out of memory");
	}
	const char *p = spec;
	for (int k = 1;; k++) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		int rc = parse_element(spec, k, p, end, &rl->lo[rl->n], &rl->hi[rl->n], err);
		if (rc) {
			lc_runlist_free(rl);
			return rc;
		}
		rl->n++;
		if (!comma)
			break;
		p = comma + 1;
	}
	*out = rl;
	return LC_OK;
}

/* Releases a run list (NULL is fine). */
void lc_runlist_free(lc_runlist *rl)
{
	if (!rl)
		return;
	free(rl->lo);
	free(rl->hi);
	free(rl);
}

/* 1 if run lies in one of the ranges (lists are short, a linear scan suffices); a NULL list holds every run. */
int lc_runlist_has(const lc_runlist *rl, int64_t run)
{
	if (!rl)
		return 1;
	for (size_t i = 0; i < rl->n; i++)
		if (run >= rl->lo[i] && run <= rl->hi[i])
			return 1;
	return 0;
}
