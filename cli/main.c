/* main.c — `lumicert`, git-style subcommands over the lumicert library. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *what;
} commands[] = {
	{"import", cmd_import, "import per-LS histograms (ML4DQM CSV wide/long, DIALS JSON) and label columns"},
	{"labels", cmd_labels, "add labels (golden/DCS JSON, run-ls lists), combine sources, export as JSON"},
	{"train", cmd_train, "train an autoencoder on the good LS of an ME"},
	{"score", cmd_score, "score every LS with a model; CSV, flagged/passed LS as JSON"},
	{"report", cmd_report, "an HTML report: scores per run, flagged LS against their reconstruction, curves"},
	{"evaluate", cmd_evaluate, "ROC AUC, average precision, precision at recall against a label source"},
	{"explain", cmd_explain, "the bins that contribute most to one LS's score"},
	{"model", cmd_model, "show a model file (model show MODEL)"},
	{"info", cmd_info, "what a store holds: MEs, runs, LS, label sources, models"},
	{"certify", cmd_certify, "certify LS with a classifier and a grey zone under caps on loss and pollution"},
	{"stream", cmd_stream, "replay grey-zone certification chunk by chunk in time order: manual work, loss, pollution"},
	{"root", cmd_root, "look into ROOT files: keys, trees, branch data, histograms (root ls|dump|hist)"},
	{"extract", cmd_extract, "per-LS features from ROOT event files, local or http(s):// (quantile particles, percentiles)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: lumicert COMMAND [ARGS]   (lumicert COMMAND --help for details)\n\n"
		   "Certifies per-lumisection detector data with machine learning (lumicert %s).\n\ncommands:\n",
		LC_VERSION);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\nA typical session:\n"
		   "  lumicert import lc.db data.csv --label-columns good,y\n"
		   "  lumicert train lc.db -o ae.lcm --me NAME --runs 297050,297178 --good y\n"
		   "  lumicert score lc.db ae.lcm -o scores.csv --flagged flagged.json\n"
		   "  lumicert evaluate scores.csv --labels lc.db --source y\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("lumicert %s\n", LC_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "lumicert: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
