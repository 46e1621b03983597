/* model.c — `lumicert model show MODEL`: the model file's self-description. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *help = "usage: lumicert model show MODEL\n\n"
			  "Prints the model's header as JSON: format version, kind, ME and binning, preparation,\n"
			  "architecture, training runs and label source, seed, threshold, metrics at training.\n";

int cmd_model(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "show"))
		return usage_error("model", "expected: model show MODEL");
	lc_error err = {0};
	lc_model *m = NULL;
	if (lc_model_load(argv[2], &m, &err)) {
		/* a certifier (train --kind xgb|mlp|knn) has its own payload */
		lc_clf_model *c = NULL;
		lc_error cerr = {0};
		if (err.code != LC_ERR_PARSE || lc_clf_model_load(argv[2], &c, &cerr))
			return fail("model", &err);
		char *s = lc_clf_model_header_json(c);
		if (s)
			printf("%s\n", s);
		free(s);
		lc_clf_model_free(c);
		return 0;
	}
	char *s = lc_model_header_json(m);
	if (s)
		printf("%s\n", s);
	free(s);
	lc_model_free(m);
	return 0;
}
