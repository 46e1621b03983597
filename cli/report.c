/* report.c — `lumicert report`: one self-contained HTML page to read a model's verdicts: scores per run, flagged and
 * grey-zone LS against their reconstruction, curves against labels, the model card. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lumicert_report.h"

static const char *help =
	"usage: lumicert report DB [--model MODEL] [--runs LIST] [--labels SOURCE] [--certify DIR]\n"
	"                       [--max-loss X] [--max-pollution Y] [--threshold X] [--details N] [--threads N]\n"
	"                       -o REPORT.html\n\n"
	"Writes one self-contained HTML file (inline SVG and CSS, no network needed): a summary table per run, the\n"
	"score of every LS against LS number per run, the flagged and grey-zone LS with their histogram against\n"
	"the reconstruction and the per-bin error, score distributions, ROC, pollution/loss and manual-work curves\n"
	"against the labels, and the model card. See docs/report.md.\n"
	"  --model MODEL      model to score with (default: the model last recorded in DB by `lumicert score`)\n"
	"  --runs LIST        runs to report, e.g. 297047-297675 (default: all runs of the model's ME)\n"
	"  --labels SOURCE    label source for label marks, score distributions and curves\n"
	"  --certify DIR      decisions of `lumicert certify` (auto-good.json, auto-bad.json, review.csv,\n"
	"                     summary.json): LS in review.csv are the grey zone, auto-bad LS are flagged\n"
	"  --max-loss X       cap on loss (good LS flagged / good LS), in [0, 1)\n"
	"  --max-pollution Y  cap on pollution (bad LS among those passed), in [0, 1); with --labels and a cap\n"
	"                     and without --certify, the grey zone is the band of scores between the threshold\n"
	"                     and the scores at which the caps are met on the labelled LS\n"
	"  --threshold X      score threshold instead of the model's\n"
	"  --details N        at most N flagged and grey-zone LS shown with their histograms (default 40)\n"
	"  --threads N        scoring threads (default 1)\n";

int cmd_report(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	const char *db = NULL, *model = NULL, *out = NULL, *runs = NULL, *v;
	lc_report_opts o;
	lc_report_opts_default(&o);
	for (int i = 1; i < argc; i++) {
		if (opt_value(argc, argv, &i, "-o", &v) || opt_value(argc, argv, &i, "--output", &v))
			out = v;
		else if (opt_value(argc, argv, &i, "--model", &v))
			model = v;
		else if (opt_value(argc, argv, &i, "--runs", &v))
			runs = v;
		else if (opt_value(argc, argv, &i, "--labels", &v))
			o.labels = v;
		else if (opt_value(argc, argv, &i, "--certify", &v))
			o.certify_dir = v;
		else if (opt_value(argc, argv, &i, "--max-loss", &v))
			o.max_loss = opt_double("--max-loss", v);
		else if (opt_value(argc, argv, &i, "--max-pollution", &v))
			o.max_pollution = opt_double("--max-pollution", v);
		else if (opt_value(argc, argv, &i, "--threshold", &v))
			o.threshold = opt_double("--threshold", v);
		else if (opt_value(argc, argv, &i, "--details", &v))
			o.max_details = (int)opt_long("--details", v, 0, 100000);
		else if (opt_value(argc, argv, &i, "--threads", &v))
			o.threads = (int)opt_long("--threads", v, 1, 256);
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("report", "unknown option %s", argv[i]);
		else if (!db)
			db = argv[i];
		else
			return usage_error("report", "unexpected argument '%s'", argv[i]);
	}
	if (!db || !out)
		return usage_error("report", "expected DB -o REPORT.html");
	if ((!isnan(o.max_loss) && !(o.max_loss >= 0 && o.max_loss < 1)) ||
	    (!isnan(o.max_pollution) && !(o.max_pollution >= 0 && o.max_pollution < 1)))
		return usage_error("report", "--max-loss and --max-pollution must lie in [0, 1)");
	if (!file_exists(db)) {
		fprintf(stderr, "lumicert report: %s: no such store\n", db);
		return 1;
	}
	lc_error err = {0};
	lc_runlist *rl = NULL;
	lc_model *m = NULL;
	lc_store *st = NULL;
	lc_report_stats s;
	char latest[4096];
	int rc = runs ? lc_runlist_parse(runs, &rl, &err) : LC_OK;
	if (!rc && !model && !(rc = lc_report_latest_model(db, latest, sizeof latest, &err)))
		model = latest;
	if (!rc)
		rc = lc_model_load(model, &m, &err);
	if (!rc)
		rc = lc_store_open(db, 0, &st, &err);
	o.runs = rl;
	o.store_name = db;
	o.model_name = model;
	if (!rc)
		rc = lc_report_save(st, m, &o, out, &s, &err);
	if (!rc)
		printf("report of %zu LS in %zu runs of '%s': %zu good, %zu grey zone, %zu flagged, %zu not evaluable; "
		       "%zu LS in detail (%zu omitted) -> %s (%.1f kB)\n",
		       s.n_ls, s.n_runs, m->me.name, s.n_good, s.n_grey, s.n_flagged, s.n_not_evaluable, s.n_details,
		       s.n_omitted, out, s.bytes / 1e3);
	lc_store_close(st);
	lc_model_free(m);
	lc_runlist_free(rl);
	return rc ? fail("report", &err) : 0;
}
