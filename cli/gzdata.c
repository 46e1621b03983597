/* gzdata.c — inputs of the grey-zone commands (certify, stream): prepared rows of an ME with the labels of a source
 * and per-LS luminosity from an OMS runs table. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void gz_prep(lc_prep *p)
{
	lc_prep_default(p);
	p->repr = LC_REPR_SQRT; /* Hellinger geometry: distances between sqrt of L1-normalised bins */
}

int gz_load(lc_store *st, const char *me, const lc_prep *prep, const lc_runlist *runs, const char *source,
	    const char *lumi_csv, gz_data *g, lc_error *err)
{
	memset(g, 0, sizeof *g);
	int rc = lc_store_rows(st, me, prep, runs, &g->rows, err);
	if (rc)
		return rc;
	size_t n = g->rows.n;
	g->y = malloc((n ? n : 1) * sizeof *g->y);
	g->lumi = malloc((n ? n : 1) * sizeof *g->lumi);
	if (!g->y || !g->lumi)
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory for %zu LS", n);
	for (size_t i = 0; i < n; i++)
		g->y[i] = -1;
	if (source) {
		lc_lsset *good = NULL, *bad = NULL;
		if ((rc = lc_store_labels(st, source, &good, &bad, err)))
			return rc;
		for (size_t i = 0; i < n; i++) {
			if (lc_lsset_has(good, g->rows.run[i], g->rows.ls[i]))
				g->y[i] = 1;
			else if (lc_lsset_has(bad, g->rows.run[i], g->rows.ls[i]))
				g->y[i] = 0;
			else
				g->n_unlabelled++;
		}
		lc_lsset_free(good);
		lc_lsset_free(bad);
	}
	for (size_t i = 0; i < n; i++)
		g->lumi[i] = 1.0;
	if (!lumi_csv)
		return LC_OK;
	/* per-LS luminosity: the run's recorded luminosity shared equally among its LS in the store */
	FILE *f = fopen(lumi_csv, "r");
	if (!f)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", lumi_csv, strerror(errno));
	int64_t *run = NULL;
	double *lumi = NULL;
	size_t nr = 0;
	rc = lc_run_lumi_read(f, lumi_csv, &run, &lumi, &nr, err);
	fclose(f);
	if (rc)
		return rc;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && g->rows.run[j] == g->rows.run[i])
			j++;
		double l = NAN;
		for (size_t k = 0; k < nr; k++)
			if (run[k] == g->rows.run[i])
				l = lumi[k];
		if (isnan(l)) {
			g->n_no_lumi += (int64_t)(j - i);
			l = 0.0;
		}
		for (size_t k = i; k < j; k++)
			g->lumi[k] = l / (double)(j - i);
		i = j;
	}
	free(run);
	free(lumi);
	return LC_OK;
}

void gz_free(gz_data *g)
{
	lc_lsrows_free(&g->rows);
	free(g->y);
	free(g->lumi);
	memset(g, 0, sizeof *g);
}

int parse_clf_kind(const char *cmd, const char *v, int *kind)
{
	if ((*kind = lc_clf_kind_parse(v)) < 0)
		return usage_error(cmd, "--kind must be knn, mlp or xgb");
	return 0;
}
