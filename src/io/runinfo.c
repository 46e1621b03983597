/* runinfo.c — per-run information from CMS OMS tables: the recorded luminosity of each run (CSV with a header that
 * names run_number and recorded_lumi; other columns are ignored; fields hold no quoted commas; a run with an empty
 * recorded_lumi is left out, its luminosity unknown). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Splits line in place at commas into at most max fields; returns the count. */
static int split_fields(char *line, char **field, int max)
{
	int n = 0;
	char *p = line;
	while (n < max) {
		field[n++] = p;
		char *c = strchr(p, ',');
		if (!c)
			break;
		*c = 0;
		p = c + 1;
	}
	return n;
}

int lc_run_lumi_read(FILE *f, const char *path, int64_t **run_out, double **lumi_out, size_t *n_out, lc_error *err)
{
	*run_out = NULL;
	*lumi_out = NULL;
	*n_out = 0;
	char *line = NULL;
	size_t cap = 0, n = 0, alloc = 0;
	ssize_t len;
	long lineno = 0;
	int col_run = -1, col_lumi = -1, ncol = 0, rc = LC_OK;
	int64_t *run = NULL;
	double *lumi = NULL;
	char *field[256];
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (len == 0)
			continue;
		int nf = split_fields(line, field, 256);
		if (col_run < 0) {
			for (int i = 0; i < nf; i++) {
				if (!strcmp(field[i], "run_number"))
					col_run = i;
				else if (!strcmp(field[i], "recorded_lumi"))
					col_lumi = i;
			}
			if (col_run < 0 || col_lumi < 0) {
				rc = lc_error_set(err, LC_ERR_PARSE, "%s:%ld: expected a header with run_number and recorded_lumi",
						  path, lineno);
				goto done;
			}
			ncol = nf;
			continue;
		}
		if (nf != ncol) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s:%ld: %d fields, the header has %d", path, lineno, nf, ncol);
			goto done;
		}
		char *end;
		errno = 0;
		long long r = strtoll(field[col_run], &end, 10);
		if (end == field[col_run] || *end || errno || r <= 0) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s:%ld: run_number \"%s\" is not a positive integer", path,
					  lineno, field[col_run]);
			goto done;
		}
		if (!*field[col_lumi])
			continue; /* luminosity not recorded for this run: unknown, as if absent */
		double l = strtod(field[col_lumi], &end);
		if (end == field[col_lumi] || *end || !(l >= 0) || l > 1e12) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s:%ld: recorded_lumi \"%s\" is not a non-negative number", path,
					  lineno, field[col_lumi]);
			goto done;
		}
		if (n == alloc) {
			size_t a = alloc ? 2 * alloc : 64;
			int64_t *nr = realloc(run, a * sizeof *nr);
			if (nr)
				run = nr;
			double *nl = realloc(lumi, a * sizeof *nl);
			if (nl)
				lumi = nl;
			if (!nr || !nl) {
				rc = lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
				goto done;
			}
			alloc = a;
		}
		run[n] = r;
		lumi[n++] = l;
	}
	if (ferror(f))
		rc = lc_error_set(err, LC_ERR_IO, "%s: read error", path);
	else if (col_run < 0)
		rc = lc_error_set(err, LC_ERR_PARSE, "%s:1: empty file, expected a header with run_number and recorded_lumi",
				  path);
done:
	free(line);
	if (rc) {
		free(run);
		free(lumi);
		return rc;
	}
	*run_out = run;
	*lumi_out = lumi;
	*n_out = n;
	return LC_OK;
}
