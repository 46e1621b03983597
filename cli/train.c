/* train.c — `lumicert train`: an autoencoder on the good LS of an ME, saved as a model file and recorded in the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char *help =
	"usage: lumicert train DB -o MODEL --me NAME [--runs R1,R2-R3] [--good SOURCE] [options]\n"
	"       lumicert train DB -o MODEL --kind xgb|mlp|knn --me NAME --label SOURCE [--runs LIST] [--from MODEL]\n\n"
	"Trains an autoencoder (--kind ae, the default) on the evaluable good LS of one ME and writes MODEL\n"
	"(docs/model-format.md). --kind xgb|mlp|knn trains a certifier on the LS that SOURCE labels for\n"
	"`lumicert certify` (options: lumicert certify --help, docs/greyzone.md); --from MODEL continues an earlier\n"
	"certifier with the labels now in SOURCE (mlp: from its weights; xgb: more trees; knn: the new labels).\n\n"
	"  --me NAME          monitor element to model\n"
	"  --runs LIST        training runs: 297050,297178 or 297047-297675 (default: all)\n"
	"  --good SOURCE      train only on LS labelled good in SOURCE (default: every evaluable LS)\n"
	"  --hidden SPEC      'auto' (default): the optimal linear autoencoder, solved in closed form (PCA), its\n"
	"                     bottleneck width chosen by the broken-stick rule; or dense layers WIDTH:ACT,...\n"
	"                     e.g. 10:relu,2:relu,10:relu or 20:sigmoid,10:tanh,20:sigmoid (ACT: linear, sigmoid,\n"
	"                     tanh, relu, leaky_relu)\n"
	"  --output ACT       activation of the output layer (default sigmoid)\n"
	"  --normalize l1|none  divide each LS by its sum (default l1)\n"
	"  --flow keep|drop   use under/overflow cells (default drop)\n"
	"  --repr bins|sqrt|cdf  input representation (default bins)\n"
	"  --rebin N[,M]      merge N adjacent x bins (M along y)\n"
	"  --min-entries N    LS with fewer counts are not evaluable (default 100)\n"
	"  --loss mse|topk:K  training and scoring loss (default mse)\n"
	"  --epochs N --batch N --lr X   Adam settings (default 300, 128, 1e-3)\n"
	"  --patience N       early stopping after N epochs without validation improvement (default 0: off)\n"
	"  --val-frac F       fraction of good LS held out for validation and the threshold (default 0.2)\n"
	"  --fpr F            target false-alarm rate on held-out good LS that sets the threshold (default 0.01)\n"
	"  --seed N           seed (default 1); same seed and --threads give a bit-identical model on CPUs with the\n"
	"                     same kernel set (LC_NN_KERNEL=portable|avx2|avx512 forces one; docs/model-format.md)\n"
	"  --threads N        worker threads (default 1)\n"
	"  --quiet            no progress\n"
	"  --kind ae          the autoencoder (default); xgb, mlp, knn: certifiers (see above)\n"
	"Several MEs at once (--me A --me B, --kind multiae|ensemble|multihead, --channel NAME=PATTERN):\n"
	"  lumicert train --kind multihead --help, and docs/multi.md\n";

typedef struct progress {
	int tty;
} progress;

static void on_progress(void *ctx, int epoch, int epochs, double loss, double val_loss, double seconds)
{
	progress *p = ctx;
	if (!p->tty)
		return;
	double left = epoch > 0 ? seconds / epoch * (epochs - epoch) : 0;
	fprintf(stderr, "\repoch %d/%d  loss %.4g  val %.4g  %.1fs left   ", epoch, epochs, loss, val_loss, left);
	if (epoch == epochs)
		fputc('\n', stderr);
}

int cmd_train(int argc, char **argv)
{
	/* classifier kinds (certify) have their own options */
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--kind") && lc_clf_kind_parse(argv[i + 1]) >= 0)
			return cmd_train_clf(argc, argv);
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "--kind=", 7) && lc_clf_kind_parse(argv[i] + 7) >= 0)
			return cmd_train_clf(argc, argv);
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--from"))
			return cmd_train_clf(argc, argv);
	if (train_is_multi(argc, argv)) /* several MEs, --kind multiae|ensemble|multihead, --channel: cli/multi.c */
		return cmd_train_multi(argc, argv);
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	const char *db = NULL, *out = NULL, *runs = NULL, *v;
	lc_train_spec spec;
	memset(&spec, 0, sizeof spec);
	lc_prep_default(&spec.prep);
	lc_train_opts_default(&spec.opts);
	spec.hidden = "auto";
	spec.output_act = LC_ACT_SIGMOID;
	spec.val_frac = 0.2;
	spec.fpr = 0.01;
	int quiet = 0, rcu = 0;
	for (int i = 1; i < argc; i++) {
		if (opt_value(argc, argv, &i, "-o", &v) || opt_value(argc, argv, &i, "--output-model", &v))
			out = v;
		else if (opt_value(argc, argv, &i, "--me", &v))
			spec.me = v;
		else if (opt_value(argc, argv, &i, "--runs", &v))
			runs = v;
		else if (opt_value(argc, argv, &i, "--good", &v))
			spec.good_source = v;
		else if (opt_value(argc, argv, &i, "--hidden", &v))
			spec.hidden = v;
		else if (opt_value(argc, argv, &i, "--output", &v)) {
			if ((spec.output_act = lc_act_parse(v)) < 0)
				return usage_error("train", "--output: unknown activation '%s'", v);
		} else if (prep_train_option(argc, argv, &i, &spec.prep, &spec.opts, &rcu)) {
			if (rcu)
				return rcu;
		} else if (opt_value(argc, argv, &i, "--patience", &v))
			spec.opts.patience = (int)opt_long("--patience", v, 0, 10000000);
		else if (opt_value(argc, argv, &i, "--val-frac", &v))
			spec.val_frac = opt_double("--val-frac", v);
		else if (opt_value(argc, argv, &i, "--fpr", &v))
			spec.fpr = opt_double("--fpr", v);
		else if (opt_flag(argv, i, "--quiet"))
			quiet = 1;
		else if (opt_value(argc, argv, &i, "--kind", &v)) {
			if (strcmp(v, "ae"))
				return usage_error("train", "--kind must be ae, xgb, mlp or knn");
		}
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("train", "unknown option %s", argv[i]);
		else if (!db)
			db = argv[i];
		else
			return usage_error("train", "unexpected argument '%s'", argv[i]);
	}
	if (!db || !out || !spec.me)
		return usage_error("train", "expected DB, -o MODEL and --me NAME");
	if (!(spec.opts.lr > 0))
		return usage_error("train", "--lr must be positive");

	lc_error err = {0};
	lc_runlist *rl = NULL;
	if (runs && lc_runlist_parse(runs, &rl, &err))
		return fail("train", &err);
	spec.runs = rl;
	progress pr = {.tty = !quiet && isatty(2)};
	spec.opts.progress = on_progress;
	spec.opts.progress_ctx = &pr;

	lc_store *st = NULL;
	lc_model *m = NULL;
	int rc = lc_store_open(db, 0, &st, &err);
	if (!rc)
		rc = lc_model_train(st, &spec, &m, &err);
	if (!rc)
		rc = save_model(st, m, out, runs, spec.good_source, &err);
	if (!rc) {
		printf("trained %s on %lld good LS of '%s' (%lld held out, %lld not evaluable) in %.2fs: ", out,
		       (long long)m->n_train, m->me.name, (long long)m->n_val, (long long)m->n_not_evaluable,
		       m->train_seconds);
		if (!strcmp(m->hidden, "auto"))
			printf("linear AE, bottleneck %d (broken stick, %.1f%% of variance)", m->net->n_out[0],
			       100 * m->explained);
		else
			printf("%d epochs", m->epochs_run);
		printf(", train loss %.4g, validation loss %.4g, threshold %.4g (fpr %g)\n", m->train_loss, m->val_loss,
		       m->threshold, m->fpr);
	}
	lc_model_free(m);
	lc_store_close(st);
	lc_runlist_free(rl);
	return rc ? fail("train", &err) : 0;
}
