/* certify.c — `lumicert certify`: a classifier trained on the labelled LS of a source certifies the other LS with a
 * grey zone: auto-good and auto-bad LS as golden-style JSON, the review list for humans, and a summary with the
 * expected rates and their bounds. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char *help =
	"usage: lumicert certify DB --me NAME --label SOURCE -o DIR [--runs LIST] [--train-runs LIST]\n"
	"                        [--max-loss 0.01] [--max-pollution 0.01] [--conf 0.5] [--kind xgb|knn|mlp]\n"
	"                        [--novelty 2] [--seed N] [--lumi OMS.csv] [--weight uniform|lumi]\n"
	"                        [--folds 5] [--trees 64] [--threads N]\n\n"
	"Trains a classifier on the LS of ME that SOURCE labels (in --train-runs when given) and certifies the LS of\n"
	"--runs (default: every LS that SOURCE does not label). Thresholds come from out-of-sample predictions grouped\n"
	"by run so that the --conf upper bounds of loss and pollution stay under the caps; LS that the autoencoder of\n"
	"the labelled good LS finds unusual and that of the labelled bad LS too are novel and go to humans, as do LS\n"
	"with too few entries (not evaluable). Writes, each file renamed into place when whole:\n"
	"  DIR/auto-good.json   LS certified good (golden-style JSON)\n"
	"  DIR/auto-bad.json    LS certified bad\n"
	"  DIR/review.csv       run,lumi,p_bad,reason for humans, most useful first: novel LS (most unusual first),\n"
	"                       then the grey zone (closest to p = 0.5 first), then not evaluable LS\n"
	"  DIR/summary.json     counts, thresholds, manual work, expected loss and pollution with their bounds\n"
	"Expert verdicts come back with `lumicert labels DB verdicts --source expert` and, combined with the source\n"
	"(labels --or), are learnt on the next run.\n";

typedef struct item {
	int64_t run, ls;
	double p, key;
	const char *reason;
} item;

static int by_key(const void *pa, const void *pb)
{
	const item *a = pa, *b = pb;
	return a->key < b->key ? -1 : a->key > b->key ? 1 : a->run != b->run ? (a->run < b->run ? -1 : 1)
										     : (a->ls < b->ls ? -1 : a->ls > b->ls);
}

/* Writes DIR/name through a temporary file renamed into place. */
static int write_in(const char *dir, const char *name, int (*fn)(FILE *, void *), void *ctx, lc_error *err)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%ld", dir, name, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
	int bad = fn(f, ctx) != 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) != 0) {
		remove(tmp);
		return lc_error_set(err, LC_ERR_IO, "%s: write failed", path);
	}
	return LC_OK;
}

static int put_set(FILE *f, void *ctx) { return lc_lsset_write_json(ctx, f); }

typedef struct review {
	item *v;
	size_t n;
} review;

static int put_review(FILE *f, void *ctx)
{
	review *r = ctx;
	fprintf(f, "run,lumi,p_bad,reason\n");
	for (size_t i = 0; i < r->n; i++) {
		if (isnan(r->v[i].p))
			fprintf(f, "%lld,%lld,,%s\n", (long long)r->v[i].run, (long long)r->v[i].ls, r->v[i].reason);
		else
			fprintf(f, "%lld,%lld,%.6f,%s\n", (long long)r->v[i].run, (long long)r->v[i].ls, 1.0 - r->v[i].p,
				r->v[i].reason);
	}
	return ferror(f);
}

static int put_text(FILE *f, void *ctx) { return fputs(ctx, f) < 0; }

int cmd_certify(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	const char *db = NULL, *me = NULL, *label = NULL, *runs = NULL, *train_runs = NULL, *lumi_csv = NULL;
	const char *dir = NULL, *v;
	double max_loss = 0.01, max_pol = 0.01, conf = 0.5, novelty = 2.0;
	int kind = LC_CLF_XGB, weight_lumi = 0;
	uint64_t seed = 7777;
	int folds = 5, threads = 1, trees = 64, neighbours = 1;
	for (int i = 1; i < argc; i++) {
		if (opt_value(argc, argv, &i, "--me", &v))
			me = v;
		else if (opt_value(argc, argv, &i, "--label", &v))
			label = v;
		else if (opt_value(argc, argv, &i, "--runs", &v))
			runs = v;
		else if (opt_value(argc, argv, &i, "--train-runs", &v))
			train_runs = v;
		else if (opt_value(argc, argv, &i, "-o", &v))
			dir = v;
		else if (opt_value(argc, argv, &i, "--max-loss", &v))
			max_loss = opt_double("--max-loss", v);
		else if (opt_value(argc, argv, &i, "--max-pollution", &v))
			max_pol = opt_double("--max-pollution", v);
		else if (opt_value(argc, argv, &i, "--conf", &v))
			conf = opt_double("--conf", v);
		else if (opt_value(argc, argv, &i, "--novelty", &v))
			novelty = opt_double("--novelty", v);
		else if (opt_value(argc, argv, &i, "--kind", &v)) {
			if (parse_clf_kind("certify", v, &kind))
				return 2;
		} else if (opt_value(argc, argv, &i, "--seed", &v))
			seed = (uint64_t)opt_long("--seed", v, 0, 0x7fffffffL);
		else if (opt_value(argc, argv, &i, "--neighbours", &v))
			neighbours = (int)opt_long("--neighbours", v, 1, 16);
		else if (opt_value(argc, argv, &i, "--folds", &v))
			folds = (int)opt_long("--folds", v, 2, 100);
		else if (opt_value(argc, argv, &i, "--threads", &v))
			threads = (int)opt_long("--threads", v, 1, 256);
		else if (opt_value(argc, argv, &i, "--trees", &v))
			trees = (int)opt_long("--trees", v, 1, 100000);
		else if (opt_value(argc, argv, &i, "--lumi", &v))
			lumi_csv = v;
		else if (opt_value(argc, argv, &i, "--weight", &v)) {
			if (strcmp(v, "uniform") && strcmp(v, "lumi"))
				return usage_error("certify", "--weight must be uniform or lumi");
			weight_lumi = !strcmp(v, "lumi");
		} else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("certify", "unknown option %s", argv[i]);
		else if (!db)
			db = argv[i];
		else
			return usage_error("certify", "unexpected argument '%s'", argv[i]);
	}
	if (!db || !me || !label || !dir)
		return usage_error("certify", "expected DB, --me NAME, --label SOURCE and -o DIR");
	if (!(max_loss >= 0 && max_loss < 1) || !(max_pol >= 0 && max_pol < 1))
		return usage_error("certify", "--max-loss and --max-pollution must lie in [0, 1)");
	if (!(conf >= 0 && conf < 1))
		return usage_error("certify", "--conf must lie in [0, 1)");
	if (weight_lumi && !lumi_csv)
		return usage_error("certify", "--weight lumi needs --lumi OMS.csv");

	lc_error err = {0};
	lc_runlist *rl = NULL, *trl = NULL;
	lc_store *st = NULL;
	gz_data g = {0};
	lc_clf *clf = NULL;
	lc_clf_opts o;
	lc_clf_opts_default(&o, kind);
	o.seed = seed;
	o.folds = folds;
	o.k = neighbours;
	o.threads = threads;
	o.trees = trees;
	lc_prep prep;
	gz_prep(&prep);
	float *lx = NULL, *gx = NULL;
	int *ly = NULL;
	double *lw = NULL, *cvp = NULL, *tp = NULL, *eg = NULL, *eb = NULL;
	int64_t *lg = NULL;
	size_t *tgt = NULL;
	item *rv = NULL;
	lc_lsset *good = lc_lsset_new(), *bad = lc_lsset_new();
	char *summary = NULL;
	lc_novelty ng = {0}, nb = {0};
	int rc = LC_OK;
	if (!good || !bad)
		rc = lc_error_set(&err, LC_ERR_NOMEM, "out of memory");
	if (!rc && runs)
		rc = lc_runlist_parse(runs, &rl, &err);
	if (!rc && train_runs)
		rc = lc_runlist_parse(train_runs, &trl, &err);
	if (!rc)
		rc = lc_store_open(db, 0, &st, &err);
	if (!rc)
		rc = gz_load(st, me, &prep, NULL, label, lumi_csv, &g, &err);
	if (rc)
		goto done;
	size_t n = g.rows.n, d = (size_t)g.rows.d, nl = 0, nt = 0, ngood = 0;
	lx = malloc((n ? n : 1) * d * sizeof *lx);
	gx = malloc((n ? n : 1) * d * sizeof *gx);
	ly = malloc((n ? n : 1) * sizeof *ly);
	lw = malloc((n ? n : 1) * sizeof *lw);
	lg = malloc((n ? n : 1) * sizeof *lg);
	cvp = malloc((n ? n : 1) * sizeof *cvp);
	tgt = malloc((n ? n : 1) * sizeof *tgt);
	if (!lx || !gx || !ly || !lw || !lg || !cvp || !tgt) {
		rc = lc_error_set(&err, LC_ERR_NOMEM, "out of memory for %zu LS", n);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t run = g.rows.run[i];
		if (g.y[i] >= 0 && lc_runlist_has(trl, run)) {
			memcpy(lx + nl * d, g.rows.x + i * d, d * sizeof *lx);
			ly[nl] = g.y[i];
			ngood += (size_t)g.y[i];
			lw[nl] = weight_lumi ? g.lumi[i] : 1.0;
			lg[nl++] = run;
		}
		if (runs ? lc_runlist_has(rl, run) : g.y[i] < 0)
			tgt[nt++] = i;
	}
	if (ngood < 2 || nl - ngood < 2) {
		rc = lc_error_set(&err, LC_ERR_INVALID,
				  "label source '%s' gives %zu good and %zu bad evaluable LS of '%s' to learn from: need at "
				  "least 2 of each (one class only cannot set both thresholds)",
				  label, ngood, nl - ngood, me);
		goto done;
	}
	double lo, hi;
	if ((rc = lc_clf_cv(&o, lx, ly, lw, lg, nl, (int)d, cvp, &err)) ||
	    (rc = lc_gz_thresholds(cvp, ly, lw, nl, max_loss, max_pol, conf, &lo, &hi, &err)) ||
	    (rc = lc_clf_fit(&o, lx, ly, lw, nl, (int)d, &clf, &err)))
		goto done;
	/* expected rates from the out-of-sample predictions at these thresholds */
	double cg = 0, cb = 0, cpol = 0, clost = 0, call = 0;
	for (size_t i = 0; i < nl; i++) {
		call += 1;
		cg += ly[i];
		if (cvp[i] >= hi) {
			cb += 1;
			cpol += !ly[i];
		} else if (cvp[i] < lo && ly[i])
			clost += 1;
	}
	/* gates */
	size_t ngx = 0, nbx = 0;
	for (size_t i = 0; i < nl; i++)
		if (ly[i])
			memcpy(gx + ngx++ * d, lx + i * d, d * sizeof *gx);
	for (size_t i = 0; i < nl; i++)
		if (!ly[i])
			memcpy(gx + (ngx + nbx++) * d, lx + i * d, d * sizeof *gx);
	float *tx = malloc((nt ? nt : 1) * d * sizeof *tx);
	tp = malloc((nt ? nt : 1) * sizeof *tp);
	eg = malloc((nt ? nt : 1) * sizeof *eg);
	eb = malloc((nt ? nt : 1) * sizeof *eb);
	rv = malloc((nt + (size_t)g.rows.n_not_evaluable + 1) * sizeof *rv);
	if (!tx || !tp || !eg || !eb || !rv) {
		free(tx);
		rc = lc_error_set(&err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < nt; i++)
		memcpy(tx + i * d, g.rows.x + tgt[i] * d, d * sizeof *tx);
	rc = lc_clf_predict(clf, tx, nt, tp, &err);
	if (!rc && novelty > 0 && !(rc = lc_novelty_fit(gx, ngx, (int)d, novelty, &ng, &err)) &&
	    !(rc = lc_novelty_fit(gx + ngx * d, nbx, (int)d, novelty, &nb, &err)) &&
	    !(rc = lc_novelty_errors(&ng, tx, nt, eg, &err)))
		rc = lc_novelty_errors(&nb, tx, nt, eb, &err);
	free(tx);
	if (rc)
		goto done;
	size_t nrv = 0, n_ag = 0, n_ab = 0, n_novel = 0, n_grey = 0;
	for (size_t i = 0; i < nt; i++) {
		int64_t run = g.rows.run[tgt[i]], ls = g.rows.ls[tgt[i]];
		int usual_good = novelty <= 0 || eg[i] <= ng.limit, usual_bad = novelty <= 0 || eb[i] <= nb.limit;
		item it = {run, ls, tp[i], 0, NULL};
		if (!usual_good && !usual_bad) {
			it.reason = "novel";
			it.key = -eg[i] / (ng.limit > 0 ? ng.limit : 1); /* most unusual first */
			n_novel++;
		} else if (tp[i] >= hi && usual_good) {
			if ((rc = lc_lsset_add(good, run, ls)))
				break;
			n_ag++;
			continue;
		} else if (tp[i] < lo && (novelty <= 0 || (!usual_good && usual_bad))) {
			if ((rc = lc_lsset_add(bad, run, ls)))
				break;
			n_ab++;
			continue;
		} else {
			it.reason = "grey";
			it.key = 1.0 + fabs(tp[i] - 0.5); /* after the novel ones, the most uncertain first */
			n_grey++;
		}
		rv[nrv++] = it;
	}
	if (rc) {
		rc = lc_error_set(&err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	qsort(rv, nrv, sizeof *rv, by_key);
	lc_lsset_finish(good);
	lc_lsset_finish(bad);
	/* the not evaluable LS of the targets: too few entries to say, humans decide */
	lc_lsrows all = {0};
	lc_prep none = prep;
	none.min_entries = 0;
	size_t n_ne = 0;
	if (g.rows.n_not_evaluable > 0) {
		if ((rc = lc_store_rows(st, me, &none, rl, &all, &err)))
			goto done;
		size_t j = 0;
		for (size_t i = 0; i < all.n; i++) {
			while (j < g.rows.n && (g.rows.run[j] < all.run[i] ||
						(g.rows.run[j] == all.run[i] && g.rows.ls[j] < all.ls[i])))
				j++;
			int evaluated = j < g.rows.n && g.rows.run[j] == all.run[i] && g.rows.ls[j] == all.ls[i];
			if (!evaluated && nrv < nt + (size_t)g.rows.n_not_evaluable + 1) {
				rv[nrv++] = (item){all.run[i], all.ls[i], NAN, 3.0, "not_evaluable"};
				n_ne++;
			}
		}
		lc_lsrows_free(&all);
	}
	double tot = (double)(nt + n_ne);
	char *js = NULL;
	size_t jn = 0;
	FILE *mf = open_memstream(&js, &jn);
	if (!mf) {
		rc = lc_error_set(&err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	fprintf(mf,
		"{\n  \"me\": \"%s\",\n  \"label_source\": \"%s\",\n  \"classifier\": \"%s\",\n  \"max_loss\": %g,\n"
		"  \"max_pollution\": %g,\n  \"confidence\": %g,\n  \"novelty\": %g,\n  \"threshold_low\": %.9g,\n"
		"  \"threshold_high\": %.9g,\n  \"labelled\": %zu,\n  \"labelled_good\": %zu,\n  \"certified\": %.0f,\n"
		"  \"auto_good\": %zu,\n  \"auto_bad\": %zu,\n  \"review\": %zu,\n  \"review_novel\": %zu,\n"
		"  \"review_grey\": %zu,\n  \"not_evaluable\": %zu,\n  \"manual_work\": %.6f,\n"
		"  \"expected_pollution\": %.6f,\n  \"expected_pollution_upper\": %.6f,\n  \"expected_loss\": %.6f,\n"
		"  \"expected_loss_upper\": %.6f,\n  \"bound_confidence\": %g\n}\n",
		me, label, lc_clf_kind_name(kind), max_loss, max_pol, conf, novelty, isfinite(lo) ? lo : -1.0,
		isfinite(hi) ? hi : 2.0, nl, ngood, tot, n_ag, n_ab, nrv, n_novel, n_grey, n_ne,
		tot > 0 ? (double)nrv / tot : 0.0, cb > 0 ? cpol / cb : 0.0, lc_binom_upper(cpol, cb, 0.9),
		cg > 0 ? clost / cg : 0.0, lc_binom_upper(clost, cg, 0.9), 0.9);
	if (fclose(mf)) {
		free(js);
		rc = lc_error_set(&err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	summary = js;
	if (mkdir(dir, 0777) && errno != EEXIST) {
		rc = lc_error_set(&err, LC_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
		goto done;
	}
	review r = {rv, nrv};
	if ((rc = write_in(dir, "auto-good.json", put_set, good, &err)) ||
	    (rc = write_in(dir, "auto-bad.json", put_set, bad, &err)) ||
	    (rc = write_in(dir, "review.csv", put_review, &r, &err)) ||
	    (rc = write_in(dir, "summary.json", put_text, summary, &err)))
		goto done;
	printf("certified %.0f LS of '%s' with %s trained on %zu LS labelled by '%s': auto-good %zu, auto-bad %zu, "
	       "to review %zu (novel %zu, grey zone %zu, not evaluable %zu): manual work %.3f; thresholds lo %.4g hi %.4g; "
	       "expected pollution %.4f (90%% bound %.4f), loss %.4f (90%% bound %.4f) -> %s/\n",
	       tot, me, lc_clf_kind_name(kind), nl, label, n_ag, n_ab, nrv, n_novel, n_grey, n_ne,
	       tot > 0 ? (double)nrv / tot : 0.0, lo, hi, cb > 0 ? cpol / cb : 0.0, lc_binom_upper(cpol, cb, 0.9),
	       cg > 0 ? clost / cg : 0.0, lc_binom_upper(clost, cg, 0.9), dir);
done:
	lc_novelty_free(&ng);
	lc_novelty_free(&nb);
	free(summary);
	free(lx);
	free(gx);
	free(ly);
	free(lw);
	free(lg);
	free(cvp);
	free(tp);
	free(eg);
	free(eb);
	free(tgt);
	free(rv);
	lc_lsset_free(good);
	lc_lsset_free(bad);
	lc_clf_free(clf);
	gz_free(&g);
	lc_store_close(st);
	lc_runlist_free(rl);
	lc_runlist_free(trl);
	return rc ? fail("certify", &err) : 0;
}
