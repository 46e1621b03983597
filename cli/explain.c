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

/* Describes prepared input i of an ME (layout of lc_prep_dim) as a bin range on the ME's axes. */
static void bin_label(const lc_me_info *me, const lc_prep *p, int i, char *buf, size_t n)
{
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

/* The explanation of a model over several MEs (lc_model_explain_parts): the parts' scores, the part the anomaly is
 * most visible in, and its inputs that matter most. */
static int explain_parts(const lc_model *m, lc_store *st, long long run, long long ls, int top, int json,
			 lc_error *err)
{
	lc_explanation *e = NULL;
	int rc = lc_model_explain_parts(m, st, run, ls, &e, err);
	if (rc)
		return rc;
	int head = !strcmp(m->kind, "multihead");
	if (!e->evaluable) {
		printf("run %lld LS %lld is not evaluable by the %s model: missing from one of its MEs or too few entries\n",
		       run, ls, m->kind);
	} else {
		int np = e->n_parts, k = top < e->n ? top : e->n;
		const char *what = head ? "channel" : "ME";
		char lab[200];
		if (json) {
			printf("{\"run\": %lld, \"lumi\": %lld, \"kind\": ", run, ls);
			json_str(m->kind);
			printf(", \"score\": %.9g, \"threshold\": %.9g, \"flagged\": %s, \"parts\": {", e->score, e->threshold,
			       e->score > e->threshold ? "true" : "false");
			for (int p = 0; p < np; p++) {
				printf("%s", p ? ", " : "");
				json_str(lc_model_part_name(m, p));
				printf(": %.9g", e->part_score[p]);
			}
			printf("}, \"%s\": ", what);
			json_str(lc_model_part_name(m, e->part));
			printf(", \"bins\": [");
			for (int q = 0; q < k; q++) {
				int i = e->order[q];
				const lc_prep *pp;
				const lc_me_info *me = lc_model_multi_me(m, e->me[i], &pp);
				bin_label(me, pp, e->index[i], lab, sizeof lab);
				printf("%s{\"me\": ", q ? ", " : "");
				json_str(me->name);
				printf(", \"index\": %d, \"bin\": ", e->index[i]);
				json_str(lab);
				printf(", \"input\": %.9g", e->input[i]);
				if (!head)
					printf(", \"reconstruction\": %.9g", e->recon[i]);
				printf(", \"%s\": %.9g}", head ? "saliency" : "sqerr", e->contrib[i]);
			}
			printf("]}\n");
		} else {
			printf("run %lld LS %lld, %s model: score %.6g, threshold %.6g: %s\n", run, ls, m->kind, e->score,
			       e->threshold, e->score > e->threshold ? "FLAGGED" : "passes");
			printf("%s scores (higher = more anomalous):", what);
			for (int p = 0; p < np; p++)
				printf(" %s %.4g%s", lc_model_part_name(m, p), e->part_score[p], p == e->part ? " <-" : "");
			printf("\nthe anomaly is most visible in %s '%s'; its inputs %s:\n", what, lc_model_part_name(m, e->part),
			       head ? "that push it towards bad most (gradient times standardised input, most negative first)"
				    : "reconstructed worst");
			printf("%-32s %-36s %12s %12s %12s\n", "ME", "bin", "input", head ? "-" : "reco",
			       head ? "saliency" : "sq.error");
			for (int q = 0; q < k; q++) {
				int i = e->order[q];
				const lc_prep *pp;
				const lc_me_info *me = lc_model_multi_me(m, e->me[i], &pp);
				bin_label(me, pp, e->index[i], lab, sizeof lab);
				printf("%-32.32s %-36s %12.6g %12.6g %12.6g\n", me->name, lab, e->input[i], head ? NAN : e->recon[i],
				       e->contrib[i]);
			}
		}
	}
	lc_explanation_free(e);
	return LC_OK;
}

int cmd_explain(int argc, char **argv)
{
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
	if (!rc && !file_exists(db))
		rc = lc_error_set(&err, LC_ERR_NOTFOUND, "%s: no such store", db);
	if (!rc)
		rc = lc_store_open(db, 0, &st, &err);
	int parts = !rc && lc_model_n_parts(m) > 0; /* a model over several MEs */
	if (parts)
		rc = explain_parts(m, st, run, ls, top, json, &err);
	else if (!rc)
		rc = lc_model_explain(m, st, run, ls, &x, &y, &e, &d, &ev, &err);
	if (rc || parts) {
		/* done */
	} else if (!ev) {
		printf("run %lld LS %lld of '%s' is not evaluable (fewer than %g entries)\n", run, ls, m->me.name,
		       m->prep.min_entries);
	} else {
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
			printf("{\"run\": %lld, \"lumi\": %lld, \"me\": ", run, ls);
			json_str(m->me.name);
			printf(", \"score\": %.9g, \"threshold\": %.9g, \"flagged\": %s, \"bins\": [", score, m->threshold,
			       score > m->threshold ? "true" : "false");
			for (int k = 0; k < top; k++) {
				int i = idx[k];
				bin_label(&m->me, &m->prep, i, lab, sizeof lab);
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
				bin_label(&m->me, &m->prep, i, lab, sizeof lab);
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
