/* verdicts.c — expert verdicts as they come back from review: a CSV with the header run,lumi,verdict (or run,ls,
 * verdict) and one LS a line, verdict good|bad|1|0 (extra columns such as who or when are ignored). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* 1 if the text starts (after blanks) with a verdicts header. */
int lc_verdicts_detect(const char *buf, size_t n)
{
	size_t i = 0;
	while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	return (n - i >= 16 && !strncmp(buf + i, "run,lumi,verdict", 16)) ||
	       (n - i >= 14 && !strncmp(buf + i, "run,ls,verdict", 14));
}

static int parse_i64(const char *s, const char *e, int64_t *v)
{
	if (s == e || e - s > 18)
		return 0;
	int64_t x = 0;
	for (const char *p = s; p < e; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		x = 10 * x + (*p - '0');
	}
	*v = x;
	return x > 0;
}

int lc_verdicts_read(FILE *f, const char *path, lc_lsset **good_out, lc_lsset **bad_out, lc_error *err)
{
	*good_out = *bad_out = NULL;
	lc_lsset *good = lc_lsset_new(), *bad = lc_lsset_new();
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int header = 0, rc = LC_OK;
	if (!good || !bad) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
		goto done;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (len == 0 || line[0] == '#')
			continue;
		if (!header) {
			if (!lc_verdicts_detect(line, (size_t)len)) {
				rc = lc_error_set(err, LC_ERR_PARSE, "%s:%ld: expected the header run,lumi,verdict", path, lineno);
				goto done;
			}
			header = 1;
			continue;
		}
		char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
		if (!c1 || !c2) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s:%ld: expected run,lumi,verdict", path, lineno);
			goto done;
		}
		char *end = strchr(c2 + 1, ',');
		if (!end)
			end = line + len;
		int64_t run, ls;
		if (!parse_i64(line, c1, &run) || !parse_i64(c1 + 1, c2, &ls)) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s:%ld:1: run and lumi must be positive integers", path, lineno);
			goto done;
		}
		size_t vl = (size_t)(end - (c2 + 1));
		const char *v = c2 + 1;
		int g = (vl == 4 && !strncmp(v, "good", 4)) || (vl == 1 && *v == '1');
		int b = (vl == 3 && !strncmp(v, "bad", 3)) || (vl == 1 && *v == '0');
		if (!g && !b) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s:%ld:%ld: verdict '%.*s', expected good, bad, 1 or 0", path,
					  lineno, (long)(v - line) + 1, (int)(vl > 20 ? 20 : vl), v);
			goto done;
		}
		if (lc_lsset_add(g ? good : bad, run, ls)) {
			rc = lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
			goto done;
		}
	}
	if (ferror(f)) {
		rc = lc_error_set(err, LC_ERR_IO, "%s: read error", path);
		goto done;
	}
	if (!header) {
		rc = lc_error_set(err, LC_ERR_PARSE, "%s:1: empty file, expected the header run,lumi,verdict", path);
		goto done;
	}
	lc_lsset_finish(good);
	lc_lsset_finish(bad);
	lc_lsset *both = lc_lsset_and(good, bad);
	if (!both) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
		goto done;
	}
	if (both->n)
		rc = lc_error_set(err, LC_ERR_PARSE, "%s: run %lld LS %lld has both a good and a bad verdict", path,
				  (long long)both->run[0], (long long)both->ls[0]);
	lc_lsset_free(both);
done:
	free(line);
	if (rc) {
		lc_lsset_free(good);
		lc_lsset_free(bad);
		return rc;
	}
	*good_out = good;
	*bad_out = bad;
	return LC_OK;
}
