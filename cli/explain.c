/* explain.c — `lumicert explain DB MODEL RUN:LS`: the prepared bins that contribute most to an LS's score. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *help =
	"usage: lumicert explain DB MODEL RUN:LS [--top N] [--json]\n\n"
	"Shows the LS's score against the model's threshold and the N bins (default 10) with the largest squared\n"
	"reconstruction error: bin, its range on the ME's axes, prepared input, reconstruction, error, share of the\n"
	"total error.\n";

/* Describes prepared input i (layout of lc_prep_dim) as a bin range on the ME's axes. */
static void bin_label(const lc_model *m, int i, char *buf, size_t n)
{
	const lc_me_info *me = &m->me;
	const lc_prep *p = &m->prep;
	int bx = me->nx / p->rebin_x;
	if (me->dim == 1) {
		if (p->flow && i == 0) {
			snprintf(buf, n, "underflow (x < %g)", me->xmin);
			return;
		}
		int k = i - (p->flow ? 1 : 0);
		if (k >= bx) {
			snprintf(buf, n, "overflow (x >= %g)", me->xmax);
			return;
		}
		double w = (me->xmax - me->xmin) / me->nx * p->rebin_x;
		snprintf(buf, n, "bin %d [%g, %g)", k + 1, me->xmin + k * w, me->xmin + (k + 1) * w);
		return;
	}
	int by = me->ny / p->rebin_y;
	if (i >= bx * by) {
		snprintf(buf, n, "flow cell %d", i - bx * by);
		return;
	}
	int ix = i % bx, iy = i / bx;
	double wx = (me->xmax - me->xmin) / me->nx * p->rebin_x, wy = (me->ymax - me->ymin) / me->ny * p->rebin_y;
	snprintf(buf, n, "bin (%d,%d) x [%g, %g) y [%g, %g)", ix + 1, iy + 1, me->xmin + ix * wx,
		 me->xmin + (ix + 1) * wx, me->ymin + iy * wy, me->ymin + (iy + 1) * wy);
}

static const float *sort_key;
static int by_err_desc(const void *a, const void *b)
{
	float x = sort_key[*(const int *)a], y = sort_key[*(const int *)b];
	return x < y ? 1 : x > y ? -1 : *(const int *)a - *(const int *)b;
}

int cmd_explain(int argc, char **argv)
{
	int multi_rc = explain_multi(argc, argv); /* a model over several MEs: cli/multi.c */
	if (multi_rc >= 0)
		return multi_rc;
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	const char *db = NULL, *model = NULL, *which = NULL, *v;
	int top = 10, json = 0;
	for (int i = 1; i < argc; i++) {
		if (opt_value(argc, argv, &i, "--top", &v))
			top = (int)opt_long("--top", v, 1, 100000000);
		else if (opt_flag(argv, i, "--json"))
			json = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("explain", "unknown option %s", argv[i]);
		else if (!db)
			db = argv[i];
		else if (!model)
			model = argv[i];
		else if (!which)
			which = argv[i];
		else
			return usage_error("explain", "unexpected argument '%s'", argv[i]);
	}
	long long run, ls;
	char tail;
	if (!db || !model || !which)
		return usage_error("explain", "expected DB MODEL RUN:LS");
	if (sscanf(which, "%lld:%lld%c", &run, &ls, &tail) != 2 || run <= 0 || ls <= 0)
		return usage_error("explain", "expected RUN:LS such as 297056:17, got '%s'", which);
	lc_error err = {0};
	lc_model *m = NULL;
	lc_store *st = NULL;
	float *x = NULL, *y = NULL, *e = NULL;
	int d = 0, ev = 0;
	int rc = lc_model_load(model, &m, &err);
	if (!rc)
		rc = lc_store_open(db, 0, &st, &err);
	if (!rc)
		rc = lc_model_explain(m, st, run, ls, &x, &y, &e, &d, &ev, &err);
	if (!rc && !ev) {
		printf("run %lld LS %lld of '%s' is not evaluable (fewer than %g entries)\n", run, ls, m->me.name,
		       m->prep.min_entries);
	} else if (!rc) {
		int *idx = malloc((size_t)d * sizeof *idx);
		double total = 0;
		for (int i = 0; i < d; i++)
			idx[i] = i, total += e[i];
		double score = total / d;
		if (m->loss == LC_LOSS_TOPK) {
			float *tmp = malloc((size_t)d * sizeof *tmp);
			double sc[1];
			lc_ae_errors(m->net, x, 1, m->loss, m->topk, sc, tmp, 1, NULL);
			score = sc[0];
			free(tmp);
		}
		sort_key = e;
		qsort(idx, (size_t)d, sizeof *idx, by_err_desc);
		if (top > d)
			top = d;
		char lab[160];
		if (json) {
			printf("{\"run\": %lld, \"lumi\": %lld, \"me\": \"%s\", \"score\": %.9g, \"threshold\": %.9g, "
			       "\"flagged\": %s, \"bins\": [",
			       run, ls, m->me.name, score, m->threshold, score > m->threshold ? "true" : "false");
			for (int k = 0; k < top; k++) {
				int i = idx[k];
				bin_label(m, i, lab, sizeof lab);
				printf("%s{\"index\": %d, \"bin\": \"%s\", \"input\": %.9g, \"reconstruction\": %.9g, "
				       "\"sqerr\": %.9g, \"share\": %.6f}",
				       k ? ", " : "", i, lab, x[i], y[i], e[i], total > 0 ? e[i] / total : 0);
			}
			printf("]}\n");
		} else {
			printf("run %lld LS %lld of '%s': score %.6g, threshold %.6g: %s\n", run, ls, m->me.name, score,
			       m->threshold, score > m->threshold ? "FLAGGED" : "passes");
			printf("%-40s %12s %12s %12s %7s\n", "bin", "input", "reco", "sq.error", "share");
			for (int k = 0; k < top; k++) {
				int i = idx[k];
				bin_label(m, i, lab, sizeof lab);
				printf("%-40s %12.6g %12.6g %12.6g %6.1f%%\n", lab, x[i], y[i], e[i],
				       total > 0 ? 100 * e[i] / total : 0);
			}
		}
		free(idx);
	}
	free(x);
	free(y);
	free(e);
	lc_store_close(st);
	lc_model_free(m);
	return rc ? fail("explain", &err) : 0;
}
