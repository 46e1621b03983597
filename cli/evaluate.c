/* evaluate.c — `lumicert evaluate`: detection metrics of a scores CSV against a label source of the store. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *help =
	"usage: lumicert evaluate SCORES.csv --labels DB --source NAME [--runs LIST] [--json]\n\n"
	"Compares scores (higher = more anomalous) with the labels of SOURCE; bad LS are the positive class.\n"
	"Prints ROC AUC (ties count one half), average precision, the best precision at recall 0.8, 0.9, 0.95,\n"
	"0.99, the fraction of bad LS among the 10 highest scores, and, when the CSV has a flagged column, the\n"
	"false-alarm and detection rates at the model's threshold. LS without a label and not-evaluable LS are\n"
	"counted and left out of the metrics.\n"
	"  --runs LIST   only these runs (e.g. the held-out runs)\n"
	"  --json        one JSON object instead of text\n";

typedef struct srow {
	int64_t run, ls;
	double score;  /* NaN: not evaluable */
	int flagged;   /* 1, 0, or -1 when absent */
} srow;

/* Reads SCORES.csv as written by lumicert score: a header with run, lumi and score columns (flagged optional). */
static int read_scores(const char *path, srow **out, size_t *n, int *has_flag, lc_error *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	char line[4096];
	int crun = -1, cls = -1, cscore = -1, cflag = -1, ncol = 0, rc = LC_OK;
	long lineno = 1;
	if (!fgets(line, sizeof line, f)) {
		fclose(f);
		return lc_error_set(err, LC_ERR_PARSE, "%s:1: empty file (expected a header run,lumi,score,...)", path);
	}
	line[strcspn(line, "\r\n")] = 0;
	for (char *p = strtok(line, ","); p; p = strtok(NULL, ","), ncol++) {
		if (!strcmp(p, "run"))
			crun = ncol;
		else if (!strcmp(p, "lumi") || !strcmp(p, "ls"))
			cls = ncol;
		else if (!strcmp(p, "score"))
			cscore = ncol;
		else if (!strcmp(p, "flagged"))
			cflag = ncol;
	}
	if (crun < 0 || cls < 0 || cscore < 0) {
		fclose(f);
		return lc_error_set(err, LC_ERR_PARSE, "%s:1: header lacks run, lumi or score", path);
	}
	srow *v = NULL;
	size_t k = 0, cap = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0])
			continue;
		if (k == cap) {
			cap = cap ? 2 * cap : 1024;
			srow *nv = realloc(v, cap * sizeof *v);
			if (!nv) {
				rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
				break;
			}
			v = nv;
		}
		srow r = {0, 0, NAN, -1};
		int col = 0;
		char *p = line;
		for (;; col++) {
			char *end = strchr(p, ',');
			if (end)
				*end = 0;
			char *e;
			if (col == crun || col == cls) {
				long long x = strtoll(p, &e, 10);
				if (e == p || *e || x <= 0) {
					rc = lc_error_set(err, LC_ERR_PARSE, "%s:%ld: column %d: expected a positive integer, found '%s'",
							  path, lineno, col + 1, p);
					break;
				}
				*(col == crun ? &r.run : &r.ls) = x;
			} else if (col == cscore && *p) {
				r.score = strtod(p, &e);
				if (*e || !isfinite(r.score)) {
					rc = lc_error_set(err, LC_ERR_PARSE, "%s:%ld: column %d: expected a score, found '%s'",
							  path, lineno, col + 1, p);
					break;
				}
			} else if (col == cflag && *p) {
				r.flagged = atoi(p) != 0;
			}
			if (!end)
				break;
			p = end + 1;
		}
		if (rc)
			break;
		if (col + 1 != ncol) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s:%ld: %d columns, the header has %d", path, lineno, col + 1,
					  ncol);
			break;
		}
		v[k++] = r;
	}
	fclose(f);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*n = k;
	*has_flag = cflag >= 0;
	return LC_OK;
}

int cmd_evaluate(int argc, char **argv)
{
	int multi_rc = evaluate_channels(argc, argv); /* --channels: cli/multi.c */
	if (multi_rc >= 0)
		return multi_rc;
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	const char *csv = NULL, *db = NULL, *source = NULL, *runs = NULL, *v;
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (opt_value(argc, argv, &i, "--labels", &v))
			db = v;
		else if (opt_value(argc, argv, &i, "--source", &v))
			source = v;
		else if (opt_value(argc, argv, &i, "--runs", &v))
			runs = v;
		else if (opt_flag(argv, i, "--json"))
			json = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("evaluate", "unknown option %s", argv[i]);
		else if (!csv)
			csv = argv[i];
		else
			return usage_error("evaluate", "unexpected argument '%s'", argv[i]);
	}
	if (!csv || !db || !source)
		return usage_error("evaluate", "expected SCORES.csv --labels DB --source NAME");
	lc_error err = {0};
	lc_runlist *rl = NULL;
	srow *rows = NULL;
	size_t n = 0;
	int has_flag = 0;
	lc_store *st = NULL;
	lc_lsset *good = NULL, *bad = NULL;
	int rc = runs ? lc_runlist_parse(runs, &rl, &err) : LC_OK;
	if (!rc)
		rc = read_scores(csv, &rows, &n, &has_flag, &err);
	if (!rc && !file_exists(db))
		rc = lc_error_set(&err, LC_ERR_NOTFOUND, "%s: no such store", db);
	if (!rc)
		rc = lc_store_open(db, 0, &st, &err);
	if (!rc)
		rc = lc_store_labels(st, source, &good, &bad, &err);
	double *s = malloc((n ? n : 1) * sizeof *s);
	int *y = malloc((n ? n : 1) * sizeof *y);
	size_t m = 0, n_unlab = 0, n_ne = 0, fa = 0, det = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		if (!lc_runlist_has(rl, rows[i].run))
			continue;
		int g = lc_lsset_has(good, rows[i].run, rows[i].ls), b = lc_lsset_has(bad, rows[i].run, rows[i].ls);
		if (!g && !b) {
			n_unlab++;
			continue;
		}
		if (isnan(rows[i].score)) {
			n_ne++;
			continue;
		}
		s[m] = rows[i].score;
		y[m++] = b;
		fa += g && rows[i].flagged == 1;
		det += b && rows[i].flagged == 1;
	}
	lc_metrics met;
	if (!rc)
		rc = lc_metrics_compute(s, y, m, &met, &err);
	if (!rc && json) {
		printf("{\"source\": \"%s\", \"n_bad\": %zu, \"n_good\": %zu, \"n_unlabelled\": %zu, \"n_not_evaluable\": %zu, "
		       "\"auc\": %.6f, \"ap\": %.6f, \"precision_at_recall\": {\"0.8\": %.6f, \"0.9\": %.6f, \"0.95\": %.6f, "
		       "\"0.99\": %.6f}, \"precision_top10\": %.6f",
		       source, met.n_pos, met.n_neg, n_unlab, n_ne, met.auc, met.ap, met.prec_at_recall[0],
		       met.prec_at_recall[1], met.prec_at_recall[2], met.prec_at_recall[3], met.prec_top10);
		if (has_flag)
			printf(", \"false_alarm_rate\": %.6f, \"detection_rate\": %.6f", (double)fa / (double)met.n_neg,
			       (double)det / (double)met.n_pos);
		printf("}\n");
	} else if (!rc) {
		printf("labels '%s': %zu bad, %zu good (%zu LS unlabelled, %zu labelled LS not evaluable)\n", source,
		       met.n_pos, met.n_neg, n_unlab, n_ne);
		printf("ROC AUC            %.4f\naverage precision  %.4f\n", met.auc, met.ap);
		printf("precision at recall 0.80 %.4f  0.90 %.4f  0.95 %.4f  0.99 %.4f\n", met.prec_at_recall[0],
		       met.prec_at_recall[1], met.prec_at_recall[2], met.prec_at_recall[3]);
		printf("precision top 10   %.4f\n", met.prec_top10);
		if (has_flag)
			printf("at the threshold:  false-alarm rate %.4f (%zu good flagged), detection rate %.4f (%zu bad "
			       "flagged)\n",
			       (double)fa / (double)met.n_neg, fa, (double)det / (double)met.n_pos, det);
	}
	free(s);
	free(y);
	free(rows);
	lc_lsset_free(good);
	lc_lsset_free(bad);
	lc_store_close(st);
	lc_runlist_free(rl);
	return rc ? fail("evaluate", &err) : 0;
}
