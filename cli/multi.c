/* multi.c — the command-line side of models over several MEs (issue 6): `lumicert train` with several --me, --kind
 * multiae|ensemble|multihead and --channel, and `lumicert evaluate --channels` (ROC AUC of every channel against
 * every per-subsystem label source, and which channel catches the anomalies of one subsystem only). `score` and
 * `explain` handle these kinds in cli/score.c and cli/explain.c. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define MAX_ARGS 256

static const char *train_help =
	"usage: lumicert train DB -o MODEL --kind multiae|ensemble|multihead --me NAME [--me NAME ...]\n"
	"                      [--channel NAME=PATTERN ...] [--label SOURCE] [--good SOURCE] [options]\n\n"
	"Models over several MEs (docs/multi.md). Each ME is prepared on its own; LS are joined on (run, LS): an LS\n"
	"missing from one ME or not evaluable in one is not evaluable. --me takes a name or a glob ('*PXLayer_*').\n"
	"  --kind multiae     one autoencoder over the joined MEs (the default with several --me); score:<ME> is each\n"
	"                     ME's share of the mean squared error\n"
	"  --kind ensemble    one autoencoder per ME; each score becomes a p-value against held-out good LS, combined\n"
	"                     across MEs by Simes (Benjamini-Hochberg); flagged when the combined p-value < --fpr\n"
	"  --kind multihead   one sub-network per channel trained on the global label --label SOURCE; score:<channel>\n"
	"                     is 1 - the channel's p(good), score is 1 - the combined p(good)\n"
	"  --channel N=P      multihead channel N: the MEs matching P (comma-separated names or globs); every --me\n"
	"                     not in a channel is a channel of its own\n"
	"  --comb fuzzy-and|logistic|min   combination of the channels (default fuzzy-and: exp(sum(f_i - 1)))\n"
	"  --c0 C --c-decay G loss (1 - C) L + C mean(L_i), C = C0 * G^epoch (default 1, 0.9)\n"
	"  --l2 X             X times the largest channel's sum of squared weights (default 1e-4)\n"
	"  --inputs bins|residual|sqerr  multihead: channels see the prepared bins (default), or each ME's residuals\n"
	"                     r = x - AE(x) under a linear autoencoder of the good training LS (closed form, saved in\n"
	"                     MODEL), or r^2: an anomaly anywhere in an ME then looks alike to its channel\n"
	"  --hidden SPEC      autoencoders: 'auto' (default) or layers; multihead: each channel's layers (default\n"
	"                     32:relu; the seed: 150:relu,50:relu,20:relu)\n"
	"  --runs, --good, --output, --normalize, --flow, --repr, --rebin N[,M] (M: 2D MEs only), --min-entries,\n"
	"  --loss, --epochs, --batch, --lr, --val-frac, --fpr, --seed, --threads, --quiet: as for one ME\n";

int train_is_multi(int argc, char **argv)
{
	int nme = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--me") || !strncmp(a, "--me=", 5))
			nme++;
		if (!strcmp(a, "--channel") || !strncmp(a, "--channel=", 10) || !strcmp(a, "--label") ||
		    !strncmp(a, "--label=", 8))
			return 1;
		if ((!strcmp(a, "--kind") && i + 1 < argc && strcmp(argv[i + 1], "ae")) ||
		    (!strncmp(a, "--kind=", 7) && strcmp(a + 7, "ae")))
			return 1;
	}
	return nme > 1;
}

static void on_progress(void *ctx, int epoch, int epochs, double loss, double val_loss, double seconds)
{
	(void)val_loss;
	if (!*(int *)ctx)
		return;
	fprintf(stderr, "\repoch %d/%d  loss %.4g  %.1fs   ", epoch, epochs, loss, seconds);
	if (epoch == epochs)
		fputc('\n', stderr);
}

int cmd_train_multi(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(train_help, stdout);
		return 0;
	}
	const char *db = NULL, *out = NULL, *runs = NULL, *v;
	const char *mes[MAX_ARGS];
	lc_channel_spec ch[MAX_ARGS];
	char *chbuf[MAX_ARGS];
	int nme = 0, nch = 0, quiet = 0, rcu = 0;
	lc_multi_spec s;
	lc_multi_spec_default(&s);
	s.kind = NULL;
	for (int i = 1; i < argc && !rcu; i++) {
		if (opt_value(argc, argv, &i, "-o", &v) || opt_value(argc, argv, &i, "--output-model", &v))
			out = v;
		else if (opt_value(argc, argv, &i, "--me", &v)) {
			if (nme == MAX_ARGS)
				rcu = usage_error("train", "more than %d --me", MAX_ARGS);
			else
				mes[nme++] = v;
		} else if (opt_value(argc, argv, &i, "--channel", &v)) {
			const char *eq = strchr(v, '=');
			if (!eq || eq == v || !eq[1])
				rcu = usage_error("train", "--channel '%s': expected NAME=PATTERN, e.g. muons='muons_*'", v);
			else if (nch == MAX_ARGS)
				rcu = usage_error("train", "more than %d --channel", MAX_ARGS);
			else {
				chbuf[nch] = strndup(v, (size_t)(eq - v));
				ch[nch].name = chbuf[nch];
				ch[nch++].pattern = eq + 1;
			}
		} else if (opt_value(argc, argv, &i, "--kind", &v))
			s.kind = v;
		else if (opt_value(argc, argv, &i, "--runs", &v))
			runs = v;
		else if (opt_value(argc, argv, &i, "--good", &v))
			s.good_source = v;
		else if (opt_value(argc, argv, &i, "--label", &v))
			s.label_source = v;
		else if (opt_value(argc, argv, &i, "--hidden", &v))
			s.hidden = v;
		else if (opt_value(argc, argv, &i, "--comb", &v)) {
			if ((s.comb = lc_comb_parse(v)) < 0)
				rcu = usage_error("train", "--comb must be fuzzy-and, logistic or min");
		} else if (opt_value(argc, argv, &i, "--c0", &v))
			s.c0 = opt_double("--c0", v);
		else if (opt_value(argc, argv, &i, "--c-decay", &v))
			s.c_decay = opt_double("--c-decay", v);
		else if (opt_value(argc, argv, &i, "--l2", &v))
			s.l2 = opt_double("--l2", v);
		else if (opt_value(argc, argv, &i, "--inputs", &v)) {
			if (strcmp(v, "bins") && strcmp(v, "residual") && strcmp(v, "sqerr"))
				rcu = usage_error("train", "--inputs must be bins, residual or sqerr");
			s.residual = !strcmp(v, "residual") ? 1 : !strcmp(v, "sqerr") ? 2 : 0;
		}
		else if (opt_value(argc, argv, &i, "--output", &v)) {
			if ((s.output_act = lc_act_parse(v)) < 0)
				rcu = usage_error("train", "--output: unknown activation '%s'", v);
		} else if (prep_train_option(argc, argv, &i, &s.prep, &s.opts, &rcu))
			continue; /* rcu set on a bad value ends the loop */
		else if (opt_value(argc, argv, &i, "--val-frac", &v))
			s.val_frac = opt_double("--val-frac", v);
		else if (opt_value(argc, argv, &i, "--fpr", &v))
			s.fpr = opt_double("--fpr", v);
		else if (opt_flag(argv, i, "--quiet"))
			quiet = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			rcu = usage_error("train", "unknown option %s", argv[i]);
		else if (!db)
			db = argv[i];
		else
			rcu = usage_error("train", "unexpected argument '%s'", argv[i]);
	}
	if (!rcu && (!db || !out || (!nme && !nch)))
		rcu = usage_error("train", "expected DB, -o MODEL and --me NAME (or --channel NAME=PATTERN)");
	if (!rcu && !s.kind)
		s.kind = nch || s.label_source ? "multihead" : "multiae";
	if (!rcu && !(s.opts.lr > 0))
		rcu = usage_error("train", "--lr must be positive");
	if (rcu) {
		for (int c = 0; c < nch; c++)
			free(chbuf[c]);
		return rcu;
	}
	s.mes = mes;
	s.n_mes = nme;
	s.channels = ch;
	s.n_channels = nch;
	lc_error err = {0};
	lc_runlist *rl = NULL;
	lc_store *st = NULL;
	lc_model *m = NULL;
	int tty = !quiet && isatty(2);
	s.opts.progress = on_progress;
	s.opts.progress_ctx = &tty;
	int rc = runs ? lc_runlist_parse(runs, &rl, &err) : LC_OK;
	s.runs = rl;
	if (!rc && !file_exists(db))
		rc = lc_error_set(&err, LC_ERR_NOTFOUND, "%s: no such store", db);
	if (!rc)
		rc = lc_store_open(db, 0, &st, &err);
	if (!rc)
		rc = lc_multi_train(st, &s, &m, &err);
	if (!rc)
		rc = save_model(st, m, out, runs, s.good_source, &err);
	if (!rc) {
		int np = lc_model_n_parts(m);
		printf("trained %s (%s) on %lld LS (%lld held out, %lld not evaluable) in %.2fs, %d parts:", out, m->kind,
		       (long long)m->n_train, (long long)m->n_val, (long long)m->n_not_evaluable, m->train_seconds, np);
		for (int p = 0; p < np; p++)
			printf(" %s", lc_model_part_name(m, p));
		printf("; train loss %.4g, validation loss %.4g, threshold %.4g (fpr %g)\n", m->train_loss, m->val_loss,
		       m->threshold, m->fpr);
	}
	for (int c = 0; c < nch; c++)
		free(chbuf[c]);
	lc_model_free(m);
	lc_store_close(st);
	lc_runlist_free(rl);
	return rc ? fail("train", &err) : 0;
}

/* ---------------------------------------------------------------- evaluate --channels */

/* A scores CSV with score:<part> columns: rows and part scores (NaN when empty). */
typedef struct ptable {
	size_t n;
	int np;
	char **name;     /* np part names */
	int64_t *run, *ls;
	double *score;   /* n */
	double *part;    /* (n, np) */
} ptable;

static void ptable_free(ptable *t)
{
	for (int p = 0; p < t->np; p++)
		free(t->name[p]);
	free(t->name);
	free(t->run);
	free(t->ls);
	free(t->score);
	free(t->part);
	memset(t, 0, sizeof *t);
}

static int read_ptable(const char *path, ptable *t, lc_error *err)
{
	memset(t, 0, sizeof *t);
	FILE *f = fopen(path, "r");
	if (!f)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	size_t cap = 0, llen = 0;
	char *line = NULL;
	ssize_t got = getline(&line, &llen, f);
	int rc = LC_OK, ncol = 0, crun = -1, cls = -1, cscore = -1, colpart[1024];
	long lineno = 1;
	if (got <= 0) {
		rc = lc_error_set(err, LC_ERR_PARSE, "%s:1: empty file (expected a header run,lumi,score,score:<part>...)", path);
		goto done;
	}
	line[strcspn(line, "\r\n")] = 0;
	t->name = calloc(1024, sizeof *t->name);
	if (!t->name) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (char *p = strtok(line, ","); p && ncol < 1024; p = strtok(NULL, ","), ncol++) {
		colpart[ncol] = -1;
		if (!strcmp(p, "run"))
			crun = ncol;
		else if (!strcmp(p, "lumi") || !strcmp(p, "ls"))
			cls = ncol;
		else if (!strcmp(p, "score"))
			cscore = ncol;
		else if (!strncmp(p, "score:", 6) && p[6]) {
			colpart[ncol] = t->np;
			t->name[t->np++] = strdup(p + 6);
		}
	}
	if (crun < 0 || cls < 0 || cscore < 0) {
		rc = lc_error_set(err, LC_ERR_PARSE, "%s:1: header lacks run, lumi or score", path);
		goto done;
	}
	if (t->np < 1) {
		rc = lc_error_set(err, LC_ERR_PARSE,
				  "%s:1: no score:<channel> columns: --channels needs the scores of a multi-ME model", path);
		goto done;
	}
	while ((got = getline(&line, &llen, f)) > 0) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0])
			continue;
		if (t->n == cap) {
			cap = cap ? 2 * cap : 1024;
			int64_t *r = realloc(t->run, cap * sizeof *r), *l = r ? realloc(t->ls, cap * sizeof *l) : NULL;
			if (r)
				t->run = r;
			if (l)
				t->ls = l;
			double *s = l ? realloc(t->score, cap * sizeof *s) : NULL;
			if (s)
				t->score = s;
			double *pp = s ? realloc(t->part, cap * (size_t)t->np * sizeof *pp) : NULL;
			if (pp)
				t->part = pp;
			if (!pp) {
				rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
				break;
			}
		}
		int col = 0;
		char *p = line, *e;
		t->score[t->n] = NAN;
		for (;; col++) {
			char *end = strchr(p, ',');
			if (end)
				*end = 0;
			if (col == crun || col == cls) {
				long long x = strtoll(p, &e, 10);
				if (e == p || *e || x <= 0) {
					rc = lc_error_set(err, LC_ERR_PARSE, "%s:%ld: column %d: expected a positive integer, found '%s'",
							  path, lineno, col + 1, p);
					break;
				}
				*(col == crun ? &t->run[t->n] : &t->ls[t->n]) = x;
			} else if ((col == cscore || (col < ncol && colpart[col] >= 0))) {
				double x = NAN;
				if (*p) {
					x = strtod(p, &e);
					if (*e || !isfinite(x)) {
						rc = lc_error_set(err, LC_ERR_PARSE, "%s:%ld: column %d: expected a score, found '%s'",
								  path, lineno, col + 1, p);
						break;
					}
				}
				if (col == cscore)
					t->score[t->n] = x;
				else
					t->part[t->n * (size_t)t->np + colpart[col]] = x;
			}
			if (!end)
				break;
			p = end + 1;
		}
		if (rc)
			break;
		if (col + 1 != ncol) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s:%ld: %d columns, the header has %d", path, lineno, col + 1, ncol);
			break;
		}
		t->n++;
	}
done:
	free(line);
	fclose(f);
	if (rc)
		ptable_free(t);
	return rc;
}

int evaluate_channels(int argc, char **argv)
{
	int want = 0;
	for (int i = 1; i < argc; i++)
		want |= !strcmp(argv[i], "--channels");
	if (!want || wants_help(argc, argv))
		return -1;
	const char *csv = NULL, *db = NULL, *runs = NULL, *v;
	char *src[64];
	int nsrc = 0, json = 0, rcu = 0;
	for (int i = 1; i < argc && !rcu; i++) {
		if (opt_value(argc, argv, &i, "--labels", &v))
			db = v;
		else if (opt_value(argc, argv, &i, "--source", &v)) {
			/* several --source, or one comma-separated list */
			char *dup = strdup(v), *save = NULL;
			for (char *p = dup ? strtok_r(dup, ",", &save) : NULL; p; p = strtok_r(NULL, ",", &save))
				if (nsrc < 64)
					src[nsrc++] = strdup(p);
			free(dup);
		} else if (opt_value(argc, argv, &i, "--runs", &v))
			runs = v;
		else if (opt_flag(argv, i, "--channels"))
			continue;
		else if (opt_flag(argv, i, "--json"))
			json = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			rcu = usage_error("evaluate", "unknown option %s", argv[i]);
		else if (!csv)
			csv = argv[i];
		else
			rcu = usage_error("evaluate", "unexpected argument '%s'", argv[i]);
	}
	if (!rcu && (!csv || !db || !nsrc))
		rcu = usage_error("evaluate", "expected SCORES.csv --channels --labels DB --source SUBSYSTEM[,SUBSYSTEM...]");
	if (!rcu && nsrc > 64)
		rcu = usage_error("evaluate", "more than 64 label sources");
	if (rcu) {
		for (int s = 0; s < nsrc; s++)
			free(src[s]);
		return rcu;
	}
	lc_error err = {0};
	lc_runlist *rl = NULL;
	lc_store *st = NULL;
	ptable t = {0};
	lc_lsset *good[64] = {0}, *bad[64] = {0};
	int rc = runs ? lc_runlist_parse(runs, &rl, &err) : LC_OK;
	if (!rc)
		rc = read_ptable(csv, &t, &err);
	if (!rc && !file_exists(db))
		rc = lc_error_set(&err, LC_ERR_NOTFOUND, "%s: no such store", db);
	if (!rc)
		rc = lc_store_open(db, 0, &st, &err);
	for (int s = 0; !rc && s < nsrc; s++)
		rc = lc_store_labels(st, src[s], &good[s], &bad[s], &err);
	int P = t.np;
	double *sc = malloc((t.n ? t.n : 1) * sizeof *sc), *auc = calloc((size_t)(P + 1) * (size_t)nsrc, sizeof *auc);
	int *y = malloc((t.n ? t.n : 1) * sizeof *y);
	size_t *nbad = calloc((size_t)nsrc, sizeof *nbad), *ngood = calloc((size_t)nsrc, sizeof *ngood);
	size_t *nexc = calloc((size_t)nsrc, sizeof *nexc), *caught = calloc((size_t)nsrc * (size_t)P, sizeof *caught);
	if (!rc && (!sc || !auc || !y || !nbad || !ngood || !nexc || !caught))
		rc = lc_error_set(&err, LC_ERR_NOMEM, "out of memory");
	/* AUC of each channel (and the global score, row P) against each subsystem: bad in it = positive, good = negative */
	for (int s = 0; !rc && s < nsrc; s++)
		for (int p = 0; !rc && p <= P; p++) {
			size_t m = 0;
			for (size_t i = 0; i < t.n; i++) {
				double x = p < P ? t.part[i * (size_t)P + p] : t.score[i];
				if (!lc_runlist_has(rl, t.run[i]) || isnan(x))
					continue;
				int b = lc_lsset_has(bad[s], t.run[i], t.ls[i]), g = lc_lsset_has(good[s], t.run[i], t.ls[i]);
				if (!b && !g)
					continue;
				sc[m] = x;
				y[m++] = b;
			}
			lc_metrics met;
			lc_error e2 = {0};
			auc[(size_t)p * nsrc + s] = lc_metrics_compute(sc, y, m, &met, &e2) ? NAN : met.auc;
			if (p == 0) {
				nbad[s] = 0;
				for (size_t i = 0; i < m; i++)
					nbad[s] += (size_t)y[i];
				ngood[s] = m - nbad[s];
			}
		}
	/* exclusive anomalies: bad in exactly one subsystem; caught by the channel with the highest score */
	for (size_t i = 0; !rc && i < t.n; i++) {
		if (!lc_runlist_has(rl, t.run[i]) || isnan(t.score[i]))
			continue;
		int which = -1, k = 0;
		for (int s = 0; s < nsrc; s++)
			if (lc_lsset_has(bad[s], t.run[i], t.ls[i])) {
				which = s;
				k++;
			}
		if (k != 1)
			continue;
		int best = 0;
		for (int p = 1; p < P; p++)
			if (t.part[i * (size_t)P + p] > t.part[i * (size_t)P + best])
				best = p;
		nexc[which]++;
		caught[(size_t)which * P + best]++;
	}
	if (!rc && json) {
		printf("{\"channels\": [");
		for (int p = 0; p < P; p++) {
			printf("%s", p ? ", " : "");
			json_str(t.name[p]);
		}
		printf("], \"subsystems\": [");
		for (int s = 0; s < nsrc; s++) {
			printf("%s", s ? ", " : "");
			json_str(src[s]);
		}
		printf("], \"auc\": [");
		for (int p = 0; p <= P; p++) {
			printf("%s[", p ? ", " : "");
			for (int s = 0; s < nsrc; s++) {
				double a = auc[(size_t)p * nsrc + s];
				if (isnan(a))
					printf("%snull", s ? ", " : "");
				else
					printf("%s%.6f", s ? ", " : "", a);
			}
			printf("]");
		}
		printf("], \"exclusive\": [");
		for (int s = 0; s < nsrc; s++) {
			printf("%s{\"n\": %zu, \"caught\": [", s ? ", " : "", nexc[s]);
			for (int p = 0; p < P; p++)
				printf("%s%.6f", p ? ", " : "", nexc[s] ? (double)caught[(size_t)s * P + p] / (double)nexc[s] : 0.0);
			printf("]}");
		}
		printf("]}\n");
	} else if (!rc) {
		printf("ROC AUC of each channel score (rows; last row: the global score) against each subsystem's labels\n");
		printf("%-24s", "");
		for (int s = 0; s < nsrc; s++)
			printf(" %14.14s", src[s]);
		printf("\n%-24s", "(bad / good LS)");
		for (int s = 0; s < nsrc; s++) {
			char b[32];
			snprintf(b, sizeof b, "%zu/%zu", nbad[s], ngood[s]);
			printf(" %14s", b);
		}
		printf("\n");
		for (int p = 0; p <= P; p++) {
			printf("%-24.24s", p < P ? t.name[p] : "(global score)");
			for (int s = 0; s < nsrc; s++) {
				double a = auc[(size_t)p * nsrc + s];
				if (isnan(a))
					printf(" %14s", "n/a");
				else
					printf(" %14.4f", a);
			}
			printf("\n");
		}
		printf("\nexclusive anomalies (bad in one subsystem only): share whose highest channel score is each channel\n");
		printf("%-24s %8s", "subsystem", "n");
		for (int p = 0; p < P; p++)
			printf(" %12.12s", t.name[p]);
		printf("\n");
		for (int s = 0; s < nsrc; s++) {
			printf("%-24.24s %8zu", src[s], nexc[s]);
			for (int p = 0; p < P; p++) {
				if (nexc[s])
					printf(" %12.4f", (double)caught[(size_t)s * P + p] / (double)nexc[s]);
				else
					printf(" %12s", "n/a");
			}
			printf("\n");
		}
	}
	free(sc);
	free(auc);
	free(y);
	free(nbad);
	free(ngood);
	free(nexc);
	free(caught);
	for (int s = 0; s < nsrc; s++) {
		lc_lsset_free(good[s]);
		lc_lsset_free(bad[s]);
		free(src[s]);
	}
	ptable_free(&t);
	lc_store_close(st);
	lc_runlist_free(rl);
	return rc ? fail("evaluate", &err) : 0;
}
