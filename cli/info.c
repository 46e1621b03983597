/* info.c — `lumicert info DB`: what a store holds. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char *help = "usage: lumicert info DB\n\nLists the store's MEs (binning, LS count), runs, label sources and "
			  "models.\n";

int cmd_info(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	if (argc != 2)
		return usage_error("info", "expected DB");
	lc_error err = {0};
	if (!file_exists(argv[1])) {
		lc_error_set(&err, LC_ERR_NOTFOUND, "%s: no such store", argv[1]);
		return fail("info", &err);
	}
	lc_store *st = NULL;
	lc_me_info *mes = NULL;
	lc_label_source *src = NULL;
	size_t nme = 0, nsrc = 0;
	lc_store_summary sum;
	int rc = lc_store_open(argv[1], 0, &st, &err);
	if (!rc)
		rc = lc_store_summarize(st, &sum, &err);
	if (!rc)
		rc = lc_store_me_list(st, &mes, &nme, &err);
	if (!rc)
		rc = lc_store_label_sources(st, &src, &nsrc, &err);
	if (!rc) {
		printf("store %s: %lld runs (%lld-%lld), %lld LS, %lld histograms, %lld labels, %lld models, %lld scores\n",
		       argv[1], (long long)sum.n_runs, (long long)sum.run_lo, (long long)sum.run_hi, (long long)sum.n_ls,
		       (long long)sum.n_hist, (long long)sum.n_labels, (long long)sum.n_models, (long long)sum.n_scores);
		printf("\nMEs:\n");
		for (size_t i = 0; i < nme; i++) {
			lc_me_info *m = &mes[i];
			if (m->dim == 1)
				printf("  %s: 1D, %d bins on [%g, %g]%s, %lld LS\n", m->name, m->nx, m->xmin, m->xmax,
				       m->has_flow ? " + under/overflow" : "", (long long)m->n_ls);
			else
				printf("  %s: 2D, %dx%d bins on [%g, %g]x[%g, %g]%s, %lld LS\n", m->name, m->nx, m->ny,
				       m->xmin, m->xmax, m->ymin, m->ymax, m->has_flow ? " + flow cells" : "",
				       (long long)m->n_ls);
		}
		printf("\nlabel sources:\n");
		for (size_t i = 0; i < nsrc; i++)
			printf("  %s: %lld good, %lld bad (%s)\n", src[i].name, (long long)src[i].n_good,
			       (long long)src[i].n_bad, src[i].origin);
	}
	free(mes);
	free(src);
	lc_store_close(st);
	return rc ? fail("info", &err) : 0;
}
