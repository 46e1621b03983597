/* score.c — `lumicert score`: every LS of the model's ME scored; CSV out, scores recorded in the store, flagged and
 * passed LS as golden-style JSON. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *help =
	"usage: lumicert score DB MODEL -o SCORES.csv [--runs LIST] [--threads N] [--threshold X]\n"
	"                      [--flagged FLAGGED.json] [--passed PASSED.json]\n\n"
	"Scores every LS of the model's ME in DB (or in --runs). SCORES.csv has the columns\n"
	"  run,lumi,score,flagged,entries\n"
	"score is the reconstruction loss of the prepared LS (for --loss mse the mean squared error over the\n"
	"prepared bins); an LS with fewer entries than the model's minimum is not evaluable: empty score and\n"
	"flagged. flagged is 1 when score > threshold (the model's, or --threshold). For a model over several MEs\n"
	"(train --me A,B,...) the CSV adds one column score:PART per ME or channel. Scores are also recorded in DB.\n"
	"  --flagged FILE   write the flagged LS as golden-style JSON\n"
	"  --passed FILE    write the LS that passed (evaluable, not flagged) as golden-style JSON\n";

/* An output file written to a temporary name first and renamed into place once the store has the scores, so that a
 * failed command (a busy store, a full disk) leaves neither the store nor the outputs changed, and a killed one
 * leaves each output whole or absent. */
typedef struct output {
	const char *path;           /* final name (NULL: not requested) */
	char tmp[4096];             /* temporary name beside it ("" until written) */
	int (*fn)(FILE *, void *);  /* fills the file */
	void *ctx;
} output;

typedef struct scores {
	const lc_model *m;
	const lc_score_row *rows;
	const double *parts; /* (n, np): the score's parts of a model over several MEs, or NULL */
	size_t n;
	int np;
	double threshold;
} scores;

static int write_csv(FILE *f, void *ctx)
{
	scores *s = ctx;
	fprintf(f, "run,lumi,score,flagged,entries");
	for (int p = 0; p < s->np; p++)
		fprintf(f, ",score:%s", lc_model_part_name(s->m, p));
	fputc('\n', f);
	for (size_t i = 0; i < s->n; i++) {
		const lc_score_row *r = &s->rows[i];
		if (r->evaluable)
			fprintf(f, "%lld,%lld,%.9g,%d,%.17g", (long long)r->run, (long long)r->ls, r->score,
				r->score > s->threshold, r->count);
		else
			fprintf(f, "%lld,%lld,,,%.17g", (long long)r->run, (long long)r->ls, r->count);
		for (int p = 0; p < s->np; p++) {
			if (r->evaluable)
				fprintf(f, ",%.9g", s->parts[i * (size_t)s->np + p]);
			else
				fputc(',', f);
		}
		fputc('\n', f);
	}
	return ferror(f);
}

int cmd_score(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	const char *db = NULL, *model = NULL, *out = NULL, *runs = NULL, *flagged = NULL, *passed = NULL, *v;
	const char *thr = NULL;
	int threads = 1;
	for (int i = 1; i < argc; i++) {
		if (opt_value(argc, argv, &i, "-o", &v) || opt_value(argc, argv, &i, "--output", &v))
			out = v;
		else if (opt_value(argc, argv, &i, "--runs", &v))
			runs = v;
		else if (opt_value(argc, argv, &i, "--flagged", &v))
			flagged = v;
		else if (opt_value(argc, argv, &i, "--passed", &v))
			passed = v;
		else if (opt_value(argc, argv, &i, "--threshold", &v))
			thr = v;
		else if (opt_value(argc, argv, &i, "--threads", &v))
			threads = (int)opt_long("--threads", v, 1, 256);
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("score", "unknown option %s", argv[i]);
		else if (!db)
			db = argv[i];
		else if (!model)
			model = argv[i];
		else
			return usage_error("score", "unexpected argument '%s'", argv[i]);
	}
	if (!db || !model || !out)
		return usage_error("score", "expected DB MODEL -o SCORES.csv");
	lc_error err = {0};
	lc_runlist *rl = NULL;
	lc_model *m = NULL;
	lc_store *st = NULL;
	lc_score_row *rows = NULL;
	double *parts = NULL;
	lc_lsset *fl = lc_lsset_new(), *ok = lc_lsset_new();
	char *header = NULL;
	size_t n = 0, nflag = 0, nne = 0;
	int rc = runs ? lc_runlist_parse(runs, &rl, &err) : LC_OK;
	if (!rc && (!fl || !ok))
		rc = lc_error_set(&err, LC_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = lc_model_load(model, &m, &err);
	if (!rc)
		rc = lc_store_open(db, 0, &st, &err);
	if (!rc)
		rc = lc_model_score_parts(m, st, rl, threads, &rows, &n, &parts, &err);
	scores sc = {m, rows, parts, n, m ? lc_model_n_parts(m) : 0, m ? m->threshold : 0};
	if (!rc && thr)
		sc.threshold = opt_double("--threshold", thr);
	/* the flagged and passed sets (16 bytes per LS) are built only when they are written */
	for (size_t i = 0; !rc && i < n; i++) {
		int f = !rows[i].evaluable ? -1 : rows[i].score > sc.threshold;
		nflag += f == 1;
		nne += f == -1;
		if (f >= 0 && (f ? flagged : passed) && lc_lsset_add(f ? fl : ok, rows[i].run, rows[i].ls))
			rc = lc_error_set(&err, LC_ERR_NOMEM, "out of memory");
	}
	lc_lsset_finish(fl);
	lc_lsset_finish(ok);
	/* outputs to temporary names, then the store, then the outputs renamed into place: any failure before the
	 * renames changes nothing (the temporary files are removed) */
	output outs[3] = {{out, "", write_csv, &sc}, {flagged, "", put_lsset_json, fl}, {passed, "", put_lsset_json, ok}};
	for (int k = 0; k < 3; k++)
		if (!rc && outs[k].path)
			rc = write_tmp(outs[k].path, outs[k].tmp, sizeof outs[k].tmp, outs[k].fn, outs[k].ctx, &err);
	if (!rc && !(header = lc_model_header_json(m)))
		rc = lc_error_set(&err, LC_ERR_NOMEM, "out of memory");
	if (!rc && !(rc = lc_store_begin(st, &err))) {
		int64_t id;
		rc = lc_store_put_model(st, model, header, &id, &err);
		for (size_t i = 0; !rc && i < n; i++)
			rc = lc_store_put_score(st, id, rows[i].run, rows[i].ls, rows[i].evaluable, rows[i].score, &err);
		if (!rc)
			rc = lc_store_commit(st, &err);
		else
			lc_store_rollback(st);
	}
	for (int k = 0; k < 3; k++) {
		if (!outs[k].tmp[0])
			continue;
		if (rc)
			remove(outs[k].tmp);
		else if (rename(outs[k].tmp, outs[k].path) != 0)
			rc = lc_error_set(&err, LC_ERR_IO, "%s: cannot rename %s into place: %s (the scores are in the store)",
					  outs[k].path, outs[k].tmp, strerror(errno));
	}
	if (!rc && sc.np)
		printf("scored %zu LS with the %s model over %d parts: %zu evaluable, %zu flagged (score > %.6g), %zu not "
		       "evaluable -> %s\n", n, m->kind, sc.np, n - nne, nflag, sc.threshold, nne, out);
	else if (!rc)
		printf("scored %zu LS of '%s': %zu evaluable, %zu flagged (score > %.6g), %zu not evaluable -> %s\n", n,
		       m->me.name, n - nne, nflag, sc.threshold, nne, out);
	free(header);
	free(rows);
	free(parts);
	lc_lsset_free(fl);
	lc_lsset_free(ok);
	lc_store_close(st);
	lc_model_free(m);
	lc_runlist_free(rl);
	return rc ? fail("score", &err) : 0;
}
