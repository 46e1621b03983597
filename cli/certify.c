/* certify.c — `lumicert certify`: a certifier (a classifier model trained with `lumicert train --kind xgb|mlp|knn`,
 * or trained here from a label source) certifies LS with a grey zone: auto-good and auto-bad LS as golden-style JSON,
 * the review list for humans, and a summary with the expected rates and their bounds. Also `train --kind xgb|...`. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char *help =
	"usage: lumicert certify DB MODEL -o DIR [--runs LIST]\n"
	"       lumicert certify DB --me NAME --label SOURCE -o DIR [--runs LIST] [--train-runs LIST] [--save MODEL]\n"
	"                        [TRAINING OPTIONS]\n\n"
	"Certifies LS with a grey zone. MODEL comes from `lumicert train DB -o MODEL --kind xgb|mlp|knn --me NAME\n"
	"--label SOURCE`; the second form trains one here on the LS that SOURCE labels (in --train-runs) and can --save\n"
	"it. LS certified: those of --runs, or by default every LS that the model's label source does not label.\n"
	"An LS is certified good when p(good) >= hi and the autoencoder of the labelled good LS finds it usual, bad\n"
	"when p(good) < lo and that autoencoder finds it unusual while the one of the labelled bad LS finds it usual;\n"
	"unusual to both it is novel; LS with too few entries are not evaluable; all these go to humans.\n"
	"Writes, each file renamed into place when whole:\n"
	"  DIR/auto-good.json   LS certified good (golden-style JSON)\n"
	"  DIR/auto-bad.json    LS certified bad\n"
	"  DIR/review.csv       run,lumi,p_bad,reason for humans, most useful first: novel LS (most unusual first),\n"
	"                       then the grey zone (closest to p = 0.5 first), then not evaluable LS\n"
	"  DIR/summary.json     counts, thresholds, manual work, expected loss and pollution with their 90% bounds\n"
	"Verdicts come back with `lumicert labels DB verdicts.csv --source expert` (run,lumi,verdict lines) and training\n"
	"continues from the model: `lumicert train DB -o NEW --from MODEL --label SOURCE`.\n\n"
	"TRAINING OPTIONS (also of train --kind xgb|mlp|knn):\n"
	"  --kind xgb|mlp|knn  classifier (default xgb: 32 trees of depth 4, learning rate 0.6)\n"
	"  --max-loss X --max-pollution Y   caps (0.01 each), in [0, 1)\n"
	"  --conf C            confidence of the Clopper-Pearson bounds under the caps (0.5; 0: plain rates)\n"
	"  --novelty F         gates at F times the 99th percentile of the labelled LS' own errors (2; 0: off)\n"
	"  --cv run|ls         out-of-sample predictions grouped by run (default) or by LS\n"
	"  --lumi OMS.csv --weight lumi   luminosity weights in training and rates\n"
	"  --folds N --trees N --neighbours K --hidden 32:relu --epochs N --seed N --threads N\n";

/* Training options shared by certify and train --kind; returns 1 if argv[*i] was one, 0 if not, 2 on a usage
 * error (already reported). */
int clf_option(const char *cmd, int argc, char **argv, int *i, lc_clf_spec *s, int *weight_lumi)
{
	const char *v;
	if (opt_value(argc, argv, i, "--kind", &v)) {
		int k;
		if (parse_clf_kind(cmd, v, &k))
			return 2;
		int seed = (int)s->clf.seed, threads = s->clf.threads;
		lc_clf_opts_default(&s->clf, k);
		s->clf.seed = (uint64_t)seed;
		s->clf.threads = threads;
	} else if (opt_value(argc, argv, i, "--max-loss", &v))
		s->max_loss = opt_double("--max-loss", v);
	else if (opt_value(argc, argv, i, "--max-pollution", &v))
		s->max_pollution = opt_double("--max-pollution", v);
	else if (opt_value(argc, argv, i, "--conf", &v))
		s->conf = opt_double("--conf", v);
	else if (opt_value(argc, argv, i, "--novelty", &v))
		s->novelty = opt_double("--novelty", v);
	else if (opt_value(argc, argv, i, "--cv", &v)) {
		if (strcmp(v, "run") && strcmp(v, "ls")) {
			usage_error(cmd, "--cv must be run or ls");
			return 2;
		}
		s->group_by_run = !strcmp(v, "run");
	} else if (opt_value(argc, argv, i, "--lumi", &v))
		s->lumi_csv = v;
	else if (opt_value(argc, argv, i, "--weight", &v)) {
		if (strcmp(v, "uniform") && strcmp(v, "lumi")) {
			usage_error(cmd, "--weight must be uniform or lumi");
			return 2;
		}
		*weight_lumi = !strcmp(v, "lumi");
	} else if (opt_value(argc, argv, i, "--folds", &v))
		s->clf.folds = (int)opt_long("--folds", v, 2, 100);
	else if (opt_value(argc, argv, i, "--trees", &v))
		s->clf.trees = (int)opt_long("--trees", v, 1, 100000);
	else if (opt_value(argc, argv, i, "--neighbours", &v))
		s->clf.k = (int)opt_long("--neighbours", v, 1, 16);
	else if (opt_value(argc, argv, i, "--hidden", &v))
		s->clf.hidden = v;
	else if (opt_value(argc, argv, i, "--epochs", &v))
		s->clf.epochs = (int)opt_long("--epochs", v, 1, 1000000);
	else if (opt_value(argc, argv, i, "--seed", &v))
		s->clf.seed = (uint64_t)opt_long("--seed", v, 0, 0x7fffffffL);
	else if (opt_value(argc, argv, i, "--threads", &v))
		s->clf.threads = (int)opt_long("--threads", v, 1, 256);
	else
		return 0;
	return 1;
}

/* Checks the shared options after parsing; returns 2 after reporting a usage error. */
int clf_check(const char *cmd, lc_clf_spec *s, int weight_lumi)
{
	if (!(s->max_loss >= 0 && s->max_loss < 1) || !(s->max_pollution >= 0 && s->max_pollution < 1))
		return usage_error(cmd, "--max-loss and --max-pollution must lie in [0, 1)");
	if (!(s->conf >= 0 && s->conf < 1))
		return usage_error(cmd, "--conf must lie in [0, 1)");
	if (!(s->novelty >= 0))
		return usage_error(cmd, "--novelty must be >= 0");
	if (weight_lumi && !s->lumi_csv)
		return usage_error(cmd, "--weight lumi needs --lumi OMS.csv");
	if (!weight_lumi)
		s->lumi_csv = NULL;
	return 0;
}

typedef struct item {
	const lc_cert_row *r;
	double key;
} item;

static int by_key(const void *pa, const void *pb)
{
	const item *a = pa, *b = pb;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->r->run != b->r->run)
		return a->r->run < b->r->run ? -1 : 1;
	return a->r->ls < b->r->ls ? -1 : a->r->ls > b->r->ls;
}

/* Writes DIR/name through a temporary file renamed into place. */
static int write_in(const char *dir, const char *name, int (*fn)(FILE *, void *), void *ctx, lc_error *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return write_atomic(path, fn, ctx, err);
}

static int put_text(FILE *f, void *ctx) { return fputs(ctx, f) < 0; }

typedef struct review {
	item *v;
	size_t n;
} review;

static int put_review(FILE *f, void *ctx)
{
	review *r = ctx;
	fprintf(f, "run,lumi,p_bad,reason\n");
	for (size_t i = 0; i < r->n; i++) {
		const lc_cert_row *c = r->v[i].r;
		if (isnan(c->p_good))
			fprintf(f, "%lld,%lld,,%s\n", (long long)c->run, (long long)c->ls, c->reason);
		else
			fprintf(f, "%lld,%lld,%.6f,%s\n", (long long)c->run, (long long)c->ls, 1.0 - c->p_good, c->reason);
	}
	return ferror(f);
}

/* Certifies and writes DIR's four files. */
static int certify(const lc_clf_model *m, lc_store *st, const lc_runlist *rl, const char *dir, lc_error *err)
{
	lc_cert_row *rows = NULL;
	size_t n = 0;
	lc_lsset *good = lc_lsset_new(), *bad = lc_lsset_new(), *known_g = NULL, *known_b = NULL;
	item *rv = NULL;
	char *summary = NULL;
	size_t slen = 0;
	int rc = good && bad ? LC_OK : lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = lc_clf_model_certify(m, st, rl, &rows, &n, err);
	/* without --runs: the LS the model's label source does not label */
	if (!rc && !rl && lc_store_labels(st, m->label_source, &known_g, &known_b, NULL) != LC_OK)
		known_g = known_b = NULL;
	if (!rc && !(rv = malloc((n ? n : 1) * sizeof *rv)))
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	size_t nrv = 0, total = 0, n_ag = 0, n_ab = 0, n_novel = 0, n_grey = 0, n_ne = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		const lc_cert_row *r = &rows[i];
		if (!rl && known_g && (lc_lsset_has(known_g, r->run, r->ls) || lc_lsset_has(known_b, r->run, r->ls)))
			continue;
		total++;
		if (r->decision == LC_GZ_GOOD) {
			rc = lc_lsset_add(good, r->run, r->ls);
			n_ag++;
		} else if (r->decision == LC_GZ_BAD) {
			rc = lc_lsset_add(bad, r->run, r->ls);
			n_ab++;
		} else if (!strcmp(r->reason, "novel")) {
			rv[nrv++] = (item){r, -r->unusual}; /* most unusual first */
			n_novel++;
		} else if (!strcmp(r->reason, "grey")) {
			rv[nrv++] = (item){r, 1.0 + fabs(r->p_good - 0.5)}; /* then the most uncertain */
			n_grey++;
		} else {
			rv[nrv++] = (item){r, 3.0};
			n_ne++;
		}
		if (rc)
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	if (rc)
		goto done;
	qsort(rv, nrv, sizeof *rv, by_key);
	lc_lsset_finish(good);
	lc_lsset_finish(bad);
	FILE *mf = open_memstream(&summary, &slen);
	if (!mf) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	double mw = total ? (double)nrv / (double)total : 0.0;
	fprintf(mf,
		"{\n  \"me\": \"%s\",\n  \"label_source\": \"%s\",\n  \"classifier\": \"%s\",\n  \"max_loss\": %g,\n"
		"  \"max_pollution\": %g,\n  \"confidence\": %g,\n  \"novelty\": %g,\n  \"threshold_low\": %.9g,\n"
		"  \"threshold_high\": %.9g,\n  \"labelled\": %lld,\n  \"labelled_good\": %lld,\n  \"certified\": %zu,\n"
		"  \"auto_good\": %zu,\n  \"auto_bad\": %zu,\n  \"review\": %zu,\n  \"review_novel\": %zu,\n"
		"  \"review_grey\": %zu,\n  \"not_evaluable\": %zu,\n  \"manual_work\": %.6f,\n"
		"  \"expected_pollution\": %.6f,\n  \"expected_pollution_upper\": %.6f,\n  \"expected_loss\": %.6f,\n"
		"  \"expected_loss_upper\": %.6f,\n  \"bound_confidence\": 0.9\n}\n",
		m->me.name, m->label_source, m->kind, m->max_loss, m->max_pollution, m->conf, m->novelty,
		isfinite(m->lo) ? m->lo : -1.0, isfinite(m->hi) ? m->hi : 2.0, (long long)m->n_labelled,
		(long long)m->n_good, total, n_ag, n_ab, nrv, n_novel, n_grey, n_ne, mw, m->exp_pollution,
		m->exp_pollution_upper, m->exp_loss, m->exp_loss_upper);
	if (fclose(mf)) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	if (mkdir(dir, 0777) && errno != EEXIST) {
		rc = lc_error_set(err, LC_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
		goto done;
	}
	review r = {rv, nrv};
	if ((rc = write_in(dir, "auto-good.json", put_lsset_json, good, err)) ||
	    (rc = write_in(dir, "auto-bad.json", put_lsset_json, bad, err)) ||
	    (rc = write_in(dir, "review.csv", put_review, &r, err)) ||
	    (rc = write_in(dir, "summary.json", put_text, summary, err)))
		goto done;
	printf("certified %zu LS of '%s' with %s trained on %lld LS labelled by '%s': auto-good %zu, auto-bad %zu, "
	       "to review %zu (novel %zu, grey zone %zu, not evaluable %zu): manual work %.3f; thresholds lo %.4g hi "
	       "%.4g; expected pollution %.4f (90%% bound %.4f), loss %.4f (90%% bound %.4f) -> %s/\n",
	       total, m->me.name, m->kind, (long long)m->n_labelled, m->label_source, n_ag, n_ab, nrv, n_novel, n_grey,
	       n_ne, mw, m->lo, m->hi, m->exp_pollution, m->exp_pollution_upper, m->exp_loss, m->exp_loss_upper, dir);
done:
	free(rows);
	free(rv);
	free(summary);
	lc_lsset_free(good);
	lc_lsset_free(bad);
	lc_lsset_free(known_g);
	lc_lsset_free(known_b);
	return rc;
}

int cmd_certify(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	const char *db = NULL, *model = NULL, *runs = NULL, *train_runs = NULL, *dir = NULL, *save = NULL, *v;
	lc_clf_spec s;
	lc_clf_spec_default(&s, LC_CLF_XGB);
	int weight_lumi = 0, any_training = 0;
	for (int i = 1; i < argc; i++) {
		int k = clf_option("certify", argc, argv, &i, &s, &weight_lumi);
		if (k == 2)
			return 2;
		if (k == 1) {
			any_training = 1;
			continue;
		}
		if (opt_value(argc, argv, &i, "--me", &v))
			s.me = v;
		else if (opt_value(argc, argv, &i, "--label", &v))
			s.label_source = v;
		else if (opt_value(argc, argv, &i, "--runs", &v))
			runs = v;
		else if (opt_value(argc, argv, &i, "--train-runs", &v))
			train_runs = v;
		else if (opt_value(argc, argv, &i, "--save", &v))
			save = v;
		else if (opt_value(argc, argv, &i, "-o", &v))
			dir = v;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("certify", "unknown option %s", argv[i]);
		else if (!db)
			db = argv[i];
		else if (!model)
			model = argv[i];
		else
			return usage_error("certify", "unexpected argument '%s'", argv[i]);
	}
	if (!db || !dir || (!model && (!s.me || !s.label_source)))
		return usage_error("certify", "expected DB MODEL -o DIR, or DB --me NAME --label SOURCE -o DIR");
	if (model && (s.me || s.label_source || any_training || train_runs || save))
		return usage_error("certify", "with MODEL, training options do not apply (train with lumicert train)");
	if (clf_check("certify", &s, weight_lumi))
		return 2;

	lc_error err = {0};
	lc_runlist *rl = NULL, *trl = NULL;
	lc_store *st = NULL;
	lc_clf_model *m = NULL;
	int rc = runs ? lc_runlist_parse(runs, &rl, &err) : LC_OK;
	if (!rc && train_runs)
		rc = lc_runlist_parse(train_runs, &trl, &err);
	if (!rc && model)
		rc = lc_clf_model_load(model, &m, &err);
	if (!rc)
		rc = lc_store_open(db, 0, &st, &err);
	if (!rc && !model) {
		s.runs = trl;
		rc = lc_clf_model_train(st, &s, NULL, &m, &err);
		if (!rc)
			snprintf(m->runs, sizeof m->runs, "%s", train_runs ? train_runs : "");
		if (!rc && save)
			rc = lc_clf_model_save(m, save, &err);
	}
	if (!rc)
		rc = certify(m, st, rl, dir, &err);
	lc_clf_model_free(m);
	lc_store_close(st);
	lc_runlist_free(rl);
	lc_runlist_free(trl);
	return rc ? fail("certify", &err) : 0;
}

/* `lumicert train DB -o MODEL --kind xgb|mlp|knn --me NAME --label SOURCE [--runs LIST] [--from MODEL]`. */
int cmd_train_clf(int argc, char **argv)
{
	const char *db = NULL, *out = NULL, *runs = NULL, *from = NULL, *v;
	lc_clf_spec s;
	lc_clf_spec_default(&s, LC_CLF_XGB);
	int weight_lumi = 0, quiet = 0;
	for (int i = 1; i < argc; i++) {
		int k = clf_option("train", argc, argv, &i, &s, &weight_lumi);
		if (k == 2)
			return 2;
		if (k == 1)
			continue;
		if (opt_value(argc, argv, &i, "--me", &v))
			s.me = v;
		else if (opt_value(argc, argv, &i, "--label", &v))
			s.label_source = v;
		else if (opt_value(argc, argv, &i, "--runs", &v))
			runs = v;
		else if (opt_value(argc, argv, &i, "--from", &v))
			from = v;
		else if (opt_value(argc, argv, &i, "-o", &v) || opt_value(argc, argv, &i, "--output-model", &v))
			out = v;
		else if (opt_flag(argv, i, "--quiet"))
			quiet = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("train", "unknown option %s (classifier kinds take the options of certify --help)",
					   argv[i]);
		else if (!db)
			db = argv[i];
		else
			return usage_error("train", "unexpected argument '%s'", argv[i]);
	}
	if (!db || !out || !s.label_source || (!s.me && !from))
		return usage_error("train", "expected DB, -o MODEL, --me NAME (or --from MODEL) and --label SOURCE");
	if (clf_check("train", &s, weight_lumi))
		return 2;
	lc_error err = {0};
	lc_runlist *rl = NULL;
	lc_store *st = NULL;
	lc_clf_model *warm = NULL, *m = NULL;
	char *header = NULL;
	int rc = runs ? lc_runlist_parse(runs, &rl, &err) : LC_OK;
	if (!rc && from && !(rc = lc_clf_model_load(from, &warm, &err))) {
		if (!s.me)
			s.me = warm->me.name;
		s.clf.kind = warm->opts.kind;
	}
	if (!rc)
		rc = lc_store_open(db, 0, &st, &err);
	if (!rc) {
		s.runs = rl;
		rc = lc_clf_model_train(st, &s, warm, &m, &err);
	}
	if (!rc) {
		snprintf(m->runs, sizeof m->runs, "%s", runs ? runs : "");
		rc = lc_clf_model_save(m, out, &err);
	}
	if (!rc) {
		header = lc_clf_model_header_json(m);
		rc = record_model(st, out, header, &err);
	}
	if (!rc && !quiet)
		printf("trained %s: %s on %lld LS labelled by '%s' (%lld good)%s in %.2fs: thresholds lo %.4g hi %.4g, "
		       "expected pollution %.4f (90%% bound %.4f), loss %.4f (90%% bound %.4f)\n",
		       out, m->kind, (long long)m->n_labelled, m->label_source, (long long)m->n_good,
		       warm ? ", continued from an earlier model" : "", m->train_seconds, m->lo, m->hi, m->exp_pollution,
		       m->exp_pollution_upper, m->exp_loss, m->exp_loss_upper);
	free(header);
	lc_clf_model_free(warm);
	lc_clf_model_free(m);
	lc_store_close(st);
	lc_runlist_free(rl);
	return rc ? fail("train", &err) : 0;
}
