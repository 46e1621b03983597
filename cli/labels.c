/* labels.c — `lumicert labels`: label sources from golden/DCS JSON or run-LS lists, set operations between sources,
 * export of a source as golden-style JSON, and a listing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *help =
	"usage: lumicert labels DB FILE --source NAME [--bad] [--rest good|bad]\n"
	"       lumicert labels DB --source NAME (--and A,B | --or A,B | --minus A,B)\n"
	"       lumicert labels DB --export SOURCE [--bad] -o FILE.json\n"
	"       lumicert labels DB --list\n\n"
	"  FILE            golden or DCS JSON ({\"run\": [[first, last], ...]}), a list of 'run ls' lines, or expert\n"
	"                  verdicts: a CSV with the header run,lumi,verdict (good|bad|1|0) for LS of the store\n"
	"  --source NAME   label source to fill (created if new; existing labels of the same LS are replaced)\n"
	"  --bad           the listed LS are bad (default: good); with --export, export the bad LS\n"
	"  --rest L        also label every other LS of the store L (e.g. golden JSON: --rest bad)\n"
	"  --and/--or/--minus A,B  new source from two: good = A op B on good LS; labelled where both (and),\n"
	"                  either (or) or A (minus) are labelled, bad elsewhere in that domain\n"
	"  --export SOURCE write the good (or --bad) LS of SOURCE as golden-style JSON to -o FILE (or stdout)\n"
	"  --list          label sources with their counts of good and bad LS\n";

static int put_set(lc_store *st, const char *source, const char *origin, const lc_lsset *s, int good, lc_error *err)
{
	for (size_t i = 0; i < s->n; i++) {
		int rc = lc_store_put_label(st, source, origin, s->run[i], s->ls[i], good, err);
		if (rc)
			return rc;
	}
	return LC_OK;
}

/* Writes the set as JSON to path through a temporary file renamed into place (stdout when path is NULL or "-"). */
static int write_json(const lc_lsset *s, const char *path, lc_error *err)
{
	if (!path || !strcmp(path, "-"))
		return lc_lsset_write_json(s, stdout) ? lc_error_set(err, LC_ERR_IO, "stdout: write failed") : LC_OK;
	return write_atomic(path, put_lsset_json, (void *)s, err);
}

/* Combines two sources into a new one (op: 'a' and, 'o' or, 'm' minus). */
static int combine(lc_store *st, const char *name, char op, const char *spec, lc_error *err)
{
	char a[256], *comma;
	snprintf(a, sizeof a, "%s", spec);
	if (!(comma = strchr(a, ',')) || comma == a || !comma[1] || strchr(comma + 1, ','))
		return lc_error_set(err, LC_ERR_INVALID, "expected two label sources 'A,B', got '%s'", spec);
	*comma = 0;
	const char *b = comma + 1;
	lc_lsset *ga = NULL, *ba = NULL, *gb = NULL, *bb = NULL, *la = NULL, *lb = NULL, *dom = NULL, *g = NULL,
		 *gd = NULL, *bad = NULL;
	int rc = lc_store_labels(st, a, &ga, &ba, err);
	if (!rc)
		rc = lc_store_labels(st, b, &gb, &bb, err);
	if (!rc) {
		la = lc_lsset_or(ga, ba);
		lb = lc_lsset_or(gb, bb);
		dom = op == 'a' ? lc_lsset_and(la, lb) : op == 'o' ? lc_lsset_or(la, lb) : lc_lsset_or(la, la);
		g = op == 'a' ? lc_lsset_and(ga, gb) : op == 'o' ? lc_lsset_or(ga, gb) : lc_lsset_minus(ga, gb);
		gd = g && dom ? lc_lsset_and(g, dom) : NULL;
		bad = gd ? lc_lsset_minus(dom, gd) : NULL;
		if (!bad)
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	char origin[600];
	snprintf(origin, sizeof origin, "%s %s %s", a, op == 'a' ? "and" : op == 'o' ? "or" : "minus", b);
	if (!rc)
		rc = put_set(st, name, origin, gd, 1, err);
	if (!rc)
		rc = put_set(st, name, origin, bad, 0, err);
	if (!rc)
		printf("label source '%s' = %s: %zu good, %zu bad LS\n", name, origin, gd->n, bad->n);
	lc_lsset *all[] = {ga, ba, gb, bb, la, lb, dom, g, gd, bad};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		lc_lsset_free(all[i]);
	return rc;
}

/* Expert verdicts (run,lumi,verdict lines) into source: every LS must be in the store (a verdict for an LS that
 * was never imported is a mistake worth stopping for). */
static int verdicts(lc_store *st, FILE *f, const char *file, const char *source, const char *rest, lc_error *err)
{
	if (rest)
		return lc_error_set(err, LC_ERR_INVALID, "%s: --rest does not apply to a verdicts file", file);
	lc_lsset *good = NULL, *bad = NULL, *all = NULL;
	int rc = lc_verdicts_read(f, file, &good, &bad, err);
	if (!rc)
		rc = lc_store_all_ls(st, &all, err);
	for (int pass = 0; !rc && pass < 2; pass++) {
		const lc_lsset *s = pass ? bad : good;
		for (size_t i = 0; i < s->n; i++)
			if (!lc_lsset_has(all, s->run[i], s->ls[i])) {
				rc = lc_error_set(err, LC_ERR_INVALID, "%s: run %lld LS %lld is not in the store: verdicts "
						  "label imported LS only", file, (long long)s->run[i], (long long)s->ls[i]);
				break;
			}
	}
	char origin[4200];
	snprintf(origin, sizeof origin, "verdicts %s", file);
	if (!rc)
		rc = put_set(st, source, origin, good, 1, err);
	if (!rc)
		rc = put_set(st, source, origin, bad, 0, err);
	if (!rc)
		printf("label source '%s': %zu good and %zu bad verdicts from %s\n", source, good->n, bad->n, file);
	lc_lsset_free(good);
	lc_lsset_free(bad);
	lc_lsset_free(all);
	return rc;
}

int cmd_labels(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	const char *db = NULL, *file = NULL, *source = NULL, *rest = NULL, *export = NULL, *out = NULL, *opspec = NULL;
	int bad = 0, list = 0;
	char op = 0;
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (opt_value(argc, argv, &i, "--source", &v))
			source = v;
		else if (opt_value(argc, argv, &i, "--rest", &v))
			rest = v;
		else if (opt_value(argc, argv, &i, "--export", &v))
			export = v;
		else if (opt_value(argc, argv, &i, "-o", &v) || opt_value(argc, argv, &i, "--output", &v))
			out = v;
		else if (opt_value(argc, argv, &i, "--and", &v))
			op = 'a', opspec = v;
		else if (opt_value(argc, argv, &i, "--or", &v))
			op = 'o', opspec = v;
		else if (opt_value(argc, argv, &i, "--minus", &v))
			op = 'm', opspec = v;
		else if (opt_flag(argv, i, "--bad"))
			bad = 1;
		else if (opt_flag(argv, i, "--list"))
			list = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("labels", "unknown option %s", argv[i]);
		else if (!db)
			db = argv[i];
		else if (!file)
			file = argv[i];
		else
			return usage_error("labels", "unexpected argument '%s'", argv[i]);
	}
	if (!db)
		return usage_error("labels", "expected DB");
	int modes = !!file + !!export + !!op + list;
	if (modes != 1)
		return usage_error("labels", "give exactly one of FILE, --export, --and/--or/--minus, --list");
	if ((file || op) && !source)
		return usage_error("labels", "--source NAME is required");
	if (rest && strcmp(rest, "good") && strcmp(rest, "bad"))
		return usage_error("labels", "--rest must be good or bad");

	lc_error err = {0};
	int existed = file_exists(db);
	if ((export || list) && !existed) {
		lc_error_set(&err, LC_ERR_NOTFOUND, "%s: no such store", db);
		return fail("labels", &err);
	}
	lc_store *st = NULL;
	int rc = lc_store_open(db, file != NULL, &st, &err);
	if (!rc && export) {
		lc_lsset *g = NULL, *b = NULL;
		rc = lc_store_labels(st, export, &g, &b, &err);
		if (!rc)
			rc = write_json(bad ? b : g, out, &err);
		lc_lsset_free(g);
		lc_lsset_free(b);
	} else if (!rc && list) {
		lc_label_source *v = NULL;
		size_t n = 0;
		if (!(rc = lc_store_label_sources(st, &v, &n, &err))) {
			printf("%-24s %8s %8s  %s\n", "source", "good", "bad", "origin");
			for (size_t i = 0; i < n; i++)
				printf("%-24s %8lld %8lld  %s\n", v[i].name, (long long)v[i].n_good, (long long)v[i].n_bad,
				       v[i].origin);
		}
		free(v);
	} else if (!rc) {
		rc = lc_store_begin(st, &err);
		if (!rc && file) {
			FILE *f = fopen(file, "rb");
			lc_lsset *s = NULL;
			char head[64] = "";
			if (!f)
				rc = lc_error_set(&err, LC_ERR_IO, "%s: cannot open: %s", file, strerror(errno));
			else {
				size_t hn = fread(head, 1, sizeof head - 1, f);
				rewind(f);
				if (lc_verdicts_detect(head, hn))
					rc = verdicts(st, f, file, source, rest, &err);
				else
					rc = lc_lsset_read(f, file, &s, &err);
			}
			if (f)
				fclose(f);
			if (!rc && !s)
				goto verdicts_done;
			char origin[4200];
			snprintf(origin, sizeof origin, "%s%s", file, bad ? " (bad)" : "");
			if (!rc)
				rc = put_set(st, source, origin, s, !bad, &err);
			size_t nrest = 0;
			if (!rc && rest) {
				lc_lsset *all = NULL, *others = NULL;
				rc = lc_store_all_ls(st, &all, &err);
				if (!rc && !(others = lc_lsset_minus(all, s)))
					rc = lc_error_set(&err, LC_ERR_NOMEM, "out of memory");
				snprintf(origin, sizeof origin, "LS of the store not in %s", file);
				if (!rc)
					rc = put_set(st, source, origin, others, !strcmp(rest, "good"), &err);
				nrest = others ? others->n : 0;
				lc_lsset_free(all);
				lc_lsset_free(others);
			}
			if (!rc)
				printf("label source '%s': %zu LS %s from %s%s", source, s->n, bad ? "bad" : "good", file,
				       rest ? "" : "\n");
			if (!rc && rest)
				printf(", %zu other LS of the store %s\n", nrest, rest);
			lc_lsset_free(s);
		verdicts_done:;
		} else if (!rc) {
			rc = combine(st, source, op, opspec, &err);
		}
		if (!rc)
			rc = lc_store_commit(st, &err);
		if (rc)
			lc_store_rollback(st);
	}
	lc_store_close(st);
	if (rc) {
		if (!existed)
			remove_new_store(db);
		return fail("labels", &err);
	}
	return 0;
}
