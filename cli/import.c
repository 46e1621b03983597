/* import.c — `lumicert import DB FILE...`: histograms and label columns into the store, all files in one transaction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *help =
	"usage: lumicert import DB FILE... [--label-columns COL,...] [--format auto|csv|dials]\n\n"
	"Imports per-lumisection histograms into the store DB (created if absent):\n"
	"  ML4DQM CSV, wide (bin_0..bin_N columns) or long (histo as a quoted list), 1D or 2D;\n"
	"  DIALS JSON records (run_number, ls_number, me, x_min, x_max, x_bin, entries, data; 2D with y_*).\n"
	"All cells are stored, under/overflow included (docs/store.md). Re-importing an LS replaces it.\n"
	"All files go in one transaction: on any error nothing is imported and the exit code is 1.\n\n"
	"  --label-columns COL,...  turn these CSV columns into label sources of the same name (1 good, 0 bad)\n"
	"  --format F               auto (default: .json is DIALS, else CSV), csv or dials\n";

typedef struct import_ctx {
	lc_store *st;
	const char *path;   /* file being imported */
	long n_hist;        /* histograms imported */
	long n_labels;      /* labels set */
	int64_t run_lo, run_hi;
} import_ctx;

static int on_hist(void *ctx, const lc_hist *h, const lc_label_value *labels, int nlabels, lc_error *err)
{
	import_ctx *c = ctx;
	int rc = lc_store_put_hist(c->st, h, err);
	if (rc)
		return rc;
	c->n_hist++;
	if (!c->run_lo || h->run < c->run_lo)
		c->run_lo = h->run;
	if (h->run > c->run_hi)
		c->run_hi = h->run;
	for (int i = 0; i < nlabels; i++) {
		char origin[512];
		snprintf(origin, sizeof origin, "column %s of %s", labels[i].source, c->path);
		if ((rc = lc_store_put_label(c->st, labels[i].source, origin, h->run, h->ls, labels[i].good, err)))
			return rc;
		c->n_labels++;
	}
	return LC_OK;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int cmd_import(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	const char *db = NULL, *labelcols = NULL, *format = "auto";
	const char **files = calloc((size_t)argc, sizeof *files);
	int nfiles = 0;
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (opt_value(argc, argv, &i, "--label-columns", &v))
			labelcols = v;
		else if (opt_value(argc, argv, &i, "--format", &v))
			format = v;
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			return usage_error("import", "unknown option %s", argv[i]);
		else if (!db)
			db = argv[i];
		else
			files[nfiles++] = argv[i];
	}
	if (!db || !nfiles)
		return usage_error("import", "expected DB and at least one FILE");
	if (strcmp(format, "auto") && strcmp(format, "csv") && strcmp(format, "dials"))
		return usage_error("import", "--format must be auto, csv or dials");

	/* label column names, split on commas */
	char *cols = labelcols ? strdup(labelcols) : NULL;
	const char *colv[64];
	int ncol = 0;
	for (char *p = cols ? strtok(cols, ",") : NULL; p; p = strtok(NULL, ","))
		if (ncol < 64)
			colv[ncol++] = p;

	lc_error err = {0};
	int existed = file_exists(db);
	lc_store *st = NULL;
	int rc = lc_store_open(db, 1, &st, &err);
	import_ctx c = {.st = st};
	if (!rc)
		rc = lc_store_begin(st, &err);
	for (int i = 0; !rc && i < nfiles; i++) {
		FILE *f = fopen(files[i], "rb");
		if (!f) {
			rc = lc_error_set(&err, LC_ERR_IO, "%s: cannot open: %s", files[i], strerror(errno));
			break;
		}
		c.path = files[i];
		int dials = !strcmp(format, "dials") || (!strcmp(format, "auto") && ends_with(files[i], ".json"));
		if (dials && ncol)
			rc = lc_error_set(&err, LC_ERR_INVALID, "%s: --label-columns applies to CSV files only", files[i]);
		else if (dials)
			rc = lc_dials_json_read(f, files[i], on_hist, &c, &err);
		else
			rc = lc_csv_read(f, files[i], colv, ncol, on_hist, &c, &err);
		fclose(f);
	}
	if (!rc)
		rc = lc_store_commit(st, &err);
	if (rc && st)
		lc_store_rollback(st);
	lc_store_close(st);
	free(cols);
	free(files);
	if (rc) {
		if (!existed)
			remove_new_store(db);
		return fail("import", &err);
	}
	printf("imported %ld histograms from %d file%s (runs %lld-%lld), %ld labels\n", c.n_hist, nfiles,
	       nfiles == 1 ? "" : "s", (long long)c.run_lo, (long long)c.run_hi, c.n_labels);
	return 0;
}
