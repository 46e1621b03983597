/* stream.c — `lumicert stream`: the grey-zone labelling loop replayed over the labelled LS of an ME in time order
 * (or shuffled, as the seed notebook did), printing manual work, rejection, loss and pollution per chunk and in total. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *help =
	"usage: lumicert stream DB --me NAME --label SOURCE [--runs LIST] [--chunks 10] [--first-manual 3]\n"
	"                       [--max-loss 0.01] [--max-pollution 0.01] [--conf 0.5] [--kind xgb|knn|mlp]\n"
	"                       [--novelty 2] [--shuffle] [--seed N] [--lumi OMS.csv] [--weight uniform|lumi]\n"
	"                       [--cv run|ls] [--inside on|off] [--folds 5] [--trees 32] [--max-bin 32]\n"
	"                       [--depth 4] [--eta 0.6] [--neighbours 1] [--threads N] [--refit 0]\n"
	"                       [--decisions FILE.csv] [--json]\n\n"
	"Replays certification with a grey zone over the LS of ME that SOURCE labels, in time order (run, then LS):\n"
	"the LS are cut into --chunks chunks; the first --first-manual are labelled by hand; for each later chunk a\n"
	"classifier trained on every label so far auto-certifies as good the LS with p(good) >= hi and as bad those with\n"
	"p(good) < lo, where lo and hi come from out-of-sample predictions on the labelled LS so that the upper\n"
	"--conf confidence bound of the loss (good LS certified bad, over all good) and of the pollution (bad LS among\n"
	"those certified good) stay under the caps. Everything humans saw joins the labels. Inputs: square roots of\n"
	"the L1-normalised bins without under/overflow (LS under 100 entries are not evaluable and left out). Rates are\n"
	"over the chunks after the first ones; --weight lumi weights training and rates by luminosity (from --lumi, an\n"
	"OMS runs table with run_number and recorded_lumi); rejection is always luminosity-weighted when --lumi is given.\n"
	"Out-of-sample predictions come from cross-validation grouped by run (--cv run, the default: drift between\n"
	"runs shows in them) or by LS (--cv ls: leave-one-out for knn, stratified folds otherwise).\n"
	"Novelty gates (--novelty F, 0: off): linear autoencoders of the labelled good and of the labelled bad LS, each\n"
	"with a limit of F times the 99th percentile of its own errors. An LS is auto-good only if the good one finds it\n"
	"usual, auto-bad only if the bad one finds it usual and the good one unusual; unusual to both, it is novel and\n"
	"goes to humans.\n"
	"With --cv run and --inside on (default), an LS inside the span of its run's labelled LS (a labelled LS of its\n"
	"run before it and one after it: shuffled chunks, never in time order) is also judged by cross-validation\n"
	"grouped by run and arrival chunk: auto-good above that upper threshold when the nearest labelled LS of its run\n"
	"before and after it are both good, else above both upper thresholds; auto-bad below that lower threshold\n"
	"(and, if the good autoencoder finds it usual, below the run-grouped one too).\n"
	"  --kind xgb   gradient-boosted trees (XGBoost, 32 trees of depth 4, learning rate 0.6, 32 bins; default)\n"
	"  --kind knn   nearest good vs nearest bad LS: p = d_bad / (d_good + d_bad) (fast)\n"
	"  --kind mlp   multilayer perceptron (32 relu units, warm-started from chunk to chunk)\n"
	"  --refit F    refit classifier, thresholds and gates only when the labels grew by more than F times their\n"
	"               number at the last fit (0: whenever a label was added; the same labels give the same fit)\n"
	"  --decisions  per LS: run, lumi, label, decision, chunk, p_good, inside\n"
	"  --json       print the totals as one JSON object\n";

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int cmd_stream(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	const char *db = NULL, *me = NULL, *label = NULL, *runs = NULL, *lumi_csv = NULL, *dec_csv = NULL, *v;
	lc_stream_spec s = {.chunks = 10, .first_manual = 3, .max_loss = 0.01, .max_pollution = 0.01, .conf = 0.5,
			    .novelty_factor = 2.0};
	int kind = LC_CLF_XGB, shuffle = 0, json = 0, weight_lumi = 0, by_run = 1, inside = 1;
	uint64_t seed = 7777;
	int folds = 5, threads = 1, trees = 0, neighbours = 1, max_bin = 0, depth = 0;
	double eta = 0;
	for (int i = 1; i < argc; i++) {
		if (opt_value(argc, argv, &i, "--me", &v))
			me = v;
		else if (opt_value(argc, argv, &i, "--label", &v))
			label = v;
		else if (opt_value(argc, argv, &i, "--runs", &v))
			runs = v;
		else if (opt_value(argc, argv, &i, "--chunks", &v))
			s.chunks = (int)opt_long("--chunks", v, 1, 1000000);
		else if (opt_value(argc, argv, &i, "--first-manual", &v))
			s.first_manual = (int)opt_long("--first-manual", v, 1, 1000000);
		else if (opt_value(argc, argv, &i, "--max-loss", &v))
			s.max_loss = opt_double("--max-loss", v);
		else if (opt_value(argc, argv, &i, "--max-pollution", &v))
			s.max_pollution = opt_double("--max-pollution", v);
		else if (opt_value(argc, argv, &i, "--conf", &v))
			s.conf = opt_double("--conf", v);
		else if (opt_value(argc, argv, &i, "--novelty", &v))
			s.novelty_factor = opt_double("--novelty", v);
		else if (opt_value(argc, argv, &i, "--kind", &v)) {
			if (parse_clf_kind("stream", v, &kind))
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
		else if (opt_value(argc, argv, &i, "--max-bin", &v))
			max_bin = (int)opt_long("--max-bin", v, 2, 65536);
		else if (opt_value(argc, argv, &i, "--depth", &v))
			depth = (int)opt_long("--depth", v, 1, 30);
		else if (opt_value(argc, argv, &i, "--eta", &v))
			eta = opt_double("--eta", v);
		else if (opt_value(argc, argv, &i, "--refit", &v))
			s.refit = opt_double("--refit", v);
		else if (opt_value(argc, argv, &i, "--lumi", &v))
			lumi_csv = v;
		else if (opt_value(argc, argv, &i, "--weight", &v)) {
			if (strcmp(v, "uniform") && strcmp(v, "lumi"))
				return usage_error("stream", "--weight must be uniform or lumi");
			weight_lumi = !strcmp(v, "lumi");
		} else if (opt_value(argc, argv, &i, "--decisions", &v))
			dec_csv = v;
		else if (opt_value(argc, argv, &i, "--cv", &v)) {
			if (strcmp(v, "run") && strcmp(v, "ls"))
				return usage_error("stream", "--cv must be run or ls");
			by_run = !strcmp(v, "run");
		} else if (opt_value(argc, argv, &i, "--inside", &v)) {
			if (strcmp(v, "on") && strcmp(v, "off"))
				return usage_error("stream", "--inside must be on or off");
			inside = !strcmp(v, "on");
		} else if (opt_flag(argv, i, "--shuffle"))
			shuffle = 1;
		else if (opt_flag(argv, i, "--json"))
			json = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("stream", "unknown option %s", argv[i]);
		else if (!db)
			db = argv[i];
		else
			return usage_error("stream", "unexpected argument '%s'", argv[i]);
	}
	if (!db || !me || !label)
		return usage_error("stream", "expected DB, --me NAME and --label SOURCE");
	if (!(s.max_loss >= 0 && s.max_loss < 1) || !(s.max_pollution >= 0 && s.max_pollution < 1))
		return usage_error("stream", "--max-loss and --max-pollution must lie in [0, 1)");
	if (!(s.conf >= 0 && s.conf < 1))
		return usage_error("stream", "--conf must lie in [0, 1)");
	if (!(s.refit >= 0))
		return usage_error("stream", "--refit must be >= 0");
	if (!(s.novelty_factor >= 0))
		return usage_error("stream", "--novelty must be >= 0");
	if (weight_lumi && !lumi_csv)
		return usage_error("stream", "--weight lumi needs --lumi OMS.csv");
	lc_clf_opts_default(&s.clf, kind);
	s.clf.seed = seed;
	s.clf.folds = folds;
	s.clf.k = neighbours;
	s.clf.threads = threads;
	if (trees)
		s.clf.trees = trees;
	if (max_bin)
		s.clf.max_bin = max_bin;
	if (depth)
		s.clf.depth = depth;
	if (eta > 0)
		s.clf.eta = eta;

	lc_error err = {0};
	lc_runlist *rl = NULL;
	lc_store *st = NULL;
	gz_data g = {0};
	float *x = NULL;
	int *y = NULL;
	double *w = NULL, *lumi = NULL;
	int64_t *grp = NULL, *lsn = NULL;
	size_t *order = NULL;
	signed char *dec = NULL;
	double *pg = NULL;
	unsigned char *pin = NULL;
	lc_stream_chunk *ch = NULL;
	lc_prep prep;
	gz_prep(&prep);
	int rc = runs ? lc_runlist_parse(runs, &rl, &err) : LC_OK;
	if (!rc)
		rc = lc_store_open(db, 0, &st, &err);
	if (!rc)
		rc = gz_load(st, me, &prep, rl, label, lumi_csv, &g, &err);
	if (rc)
		goto done;
	/* the labelled LS, in run/LS order */
	size_t n = 0, d = (size_t)g.rows.d;
	x = malloc((g.rows.n ? g.rows.n : 1) * d * sizeof *x);
	y = malloc((g.rows.n ? g.rows.n : 1) * sizeof *y);
	w = malloc((g.rows.n ? g.rows.n : 1) * sizeof *w);
	lumi = malloc((g.rows.n ? g.rows.n : 1) * sizeof *lumi);
	size_t *src = malloc((g.rows.n ? g.rows.n : 1) * sizeof *src);
	grp = malloc((g.rows.n ? g.rows.n : 1) * sizeof *grp);
	lsn = malloc((g.rows.n ? g.rows.n : 1) * sizeof *lsn);
	if (!x || !y || !w || !lumi || !src || !grp || !lsn) {
		free(src);
		rc = lc_error_set(&err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	size_t ngood = 0;
	for (size_t i = 0; i < g.rows.n; i++) {
		if (g.y[i] < 0)
			continue;
		memcpy(x + n * d, g.rows.x + i * d, d * sizeof *x);
		y[n] = g.y[i];
		ngood += (size_t)y[n];
		lumi[n] = g.lumi[i];
		w[n] = weight_lumi ? g.lumi[i] : 1.0;
		grp[n] = g.rows.run[i];
		src[n++] = i;
	}
	if (n == 0 || ngood == 0 || ngood == n) {
		free(src);
		rc = lc_error_set(&err, LC_ERR_INVALID, "label source '%s' gives %zu good and %zu bad evaluable LS of '%s': "
				  "need both classes", label, ngood, n - ngood, me);
		goto done;
	}
	if ((size_t)s.chunks > n) {
		free(src);
		rc = lc_error_set(&err, LC_ERR_INVALID, "%d chunks for %zu labelled LS", s.chunks, n);
		goto done;
	}
	order = malloc(n * sizeof *order);
	dec = malloc(n);
	pg = malloc(n * sizeof *pg);
	pin = malloc(n);
	ch = calloc((size_t)s.chunks, sizeof *ch);
	if (!order || !dec || !ch || !pg || !pin) {
		free(src);
		rc = lc_error_set(&err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	if (shuffle) {
		uint64_t st64 = seed;
		for (size_t i = n; i > 1; i--) {
			size_t j = (size_t)(splitmix(&st64) % i), t = order[i - 1];
			order[i - 1] = order[j];
			order[j] = t;
		}
	}
	for (size_t i = 0; i < n; i++)
		lsn[i] = g.rows.ls[src[i]];
	s.ls = inside ? lsn : NULL;
	s.p_out = pg;
	s.inside_out = pin;
	rc = lc_stream_run(&s, x, y, w, lumi, by_run ? grp : NULL, n, (int)d, order, dec, ch, &err);
	if (rc) {
		free(src);
		goto done;
	}
	/* totals over the chunks after the manual ones */
	size_t after = ch[s.first_manual].first;
	signed char *td = malloc(n);
	int *ty = malloc(n * sizeof *ty);
	double *tw = malloc(n * sizeof *tw), *tl = malloc(n * sizeof *tl);
	if (!td || !ty || !tw || !tl) {
		free(td);
		free(ty);
		free(tw);
		free(tl);
		free(src);
		rc = lc_error_set(&err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = after; i < n; i++) {
		size_t r = order[i];
		td[i - after] = dec[r];
		ty[i - after] = y[r];
		tw[i - after] = w[r];
		tl[i - after] = lumi[r];
	}
	lc_gz_rates t;
	lc_gz_rates_compute(td, ty, tw, lumi_csv ? tl : NULL, n - after, &t);
	free(td);
	free(ty);
	free(tw);
	free(tl);
	if (dec_csv) {
		FILE *f = fopen(dec_csv, "w");
		if (!f) {
			free(src);
			rc = lc_error_set(&err, LC_ERR_IO, "%s: cannot write", dec_csv);
			goto done;
		}
		fprintf(f, "run,lumi,label,decision,chunk,p_good,inside\n");
		for (int c = 0; c < s.chunks; c++)
			for (size_t i = ch[c].first; i < ch[c].first + ch[c].n; i++) {
				size_t r = order[i];
				fprintf(f, "%lld,%lld,%d,%s,%d,", (long long)g.rows.run[src[r]], (long long)g.rows.ls[src[r]], y[r],
					dec[r] == LC_GZ_GOOD ? "good" : dec[r] == LC_GZ_BAD ? "bad" : "review", c);
				if (isnan(pg[r]))
					fprintf(f, ",0\n");
				else
					fprintf(f, "%.6g,%d\n", pg[r], pin[r]);
			}
		if (fclose(f)) {
			free(src);
			rc = lc_error_set(&err, LC_ERR_IO, "%s: write failed", dec_csv);
			goto done;
		}
	}
	if (json) {
		printf("{\"manual_work\": %.6f, \"saved\": %.6f, \"rejection\": %.6f, \"loss\": %.6f, \"pollution\": %.6f, "
		       "\"ls\": %lld, \"auto_good\": %lld, \"auto_bad\": %lld, \"review\": %lld, \"polluted\": %lld, "
		       "\"lost\": %lld}\n",
		       t.manual_work, t.saved, t.rejection, t.loss, t.pollution, (long long)t.n, (long long)t.n_auto_good,
		       (long long)t.n_auto_bad, (long long)t.n_review, (long long)t.n_polluted, (long long)t.n_lost);
	} else {
		printf("%s: %zu labelled LS of '%s' by '%s' (%lld unlabelled, %lld not evaluable left out), %s, %s, "
		       "caps loss %g pollution %g at confidence %g, novelty x%g\n",
		       db, n, me, label, (long long)g.n_unlabelled, (long long)g.rows.n_not_evaluable,
		       lc_clf_kind_name(kind), shuffle ? "shuffled" : "time order", s.max_loss, s.max_pollution, s.conf,
		       s.novelty_factor);
		printf("%5s %-15s %5s %9s %8s %6s %5s %9s %9s %6s %9s %9s %7s %9s\n", "chunk", "runs", "LS", "auto_good",
		       "auto_bad", "review", "novel", "lo", "hi", "inside", "lo_in", "hi_in", "loss", "pollution");
		for (int c = 0; c < s.chunks; c++) {
			int64_t r0 = INT64_MAX, r1 = 0;
			for (size_t i = ch[c].first; i < ch[c].first + ch[c].n; i++) {
				int64_t r = g.rows.run[src[order[i]]];
				r0 = r < r0 ? r : r0;
				r1 = r > r1 ? r : r1;
			}
			char rr[40];
			snprintf(rr, sizeof rr, r0 == r1 ? "%lld" : "%lld-%lld", (long long)r0, (long long)r1);
			const lc_gz_rates *q = &ch[c].rates;
			printf("%5d %-15s %5zu %9lld %8lld %6lld %5lld %9.4g %9.4g %6lld %9.4g %9.4g %7.4f %9.4f%s\n", c,
			       shuffle ? "-" : rr, ch[c].n, (long long)q->n_auto_good, (long long)q->n_auto_bad,
			       (long long)q->n_review, (long long)ch[c].n_novel, ch[c].lo, ch[c].hi, (long long)ch[c].n_inside,
			       ch[c].lo_in, ch[c].hi_in, q->loss, q->pollution,
			       c < s.first_manual ? "  (labelled by hand)" : "");
		}
		printf("total after the first %d chunks: %lld LS, manual work %.3f, saved %.3f, rejection %.3f%s, "
		       "loss %.4f (%lld LS), pollution %.4f (%lld LS), auto-good %lld, auto-bad %lld\n",
		       s.first_manual, (long long)t.n, t.manual_work, t.saved, t.rejection,
		       lumi_csv ? " (luminosity-weighted)" : "", t.loss, (long long)t.n_lost, t.pollution,
		       (long long)t.n_polluted, (long long)t.n_auto_good, (long long)t.n_auto_bad);
	}
	free(src);
done:
	free(x);
	free(y);
	free(w);
	free(lumi);
	free(grp);
	free(lsn);
	free(order);
	free(dec);
	free(pg);
	free(pin);
	free(ch);
	gz_free(&g);
	lc_store_close(st);
	lc_runlist_free(rl);
	return rc ? fail("stream", &err) : 0;
}
