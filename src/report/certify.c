/* certify.c — reads the decisions `lumicert certify` writes into a directory, for the report: auto-good.json and
 * auto-bad.json (golden-style JSON), review.csv (run,lumi,p_bad,reason: the grey zone) and optional summary.json. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

static int read_set(const char *dir, const char *name, lc_lsset **out, lc_error *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	int rc = lc_lsset_read(f, path, out, err);
	fclose(f);
	return rc;
}

static int by_run_ls(const void *a, const void *b)
{
	const review_row *x = a, *y = b;
	if (x->run != y->run)
		return x->run < y->run ? -1 : 1;
	return x->ls < y->ls ? -1 : x->ls > y->ls;
}

/* Parses an integer field [s, e) > 0; returns 0 on success. */
static int parse_pos(const char *s, const char *e, int64_t *v)
{
	if (s == e)
		return -1;
	int64_t x = 0;
	for (const char *p = s; p < e; p++) {
		if (*p < '0' || *p > '9' || x > (INT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (*p - '0');
	}
	if (x <= 0)
		return -1;
	*v = x;
	return 0;
}

/* review.csv: header run,lumi,p_bad,reason (reason optional, may be quoted with "" escapes). */
static int read_review(const char *dir, cert_data *c, lc_error *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/review.csv", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0, nalloc = 0;
	ssize_t len;
	int lineno = 0, rc = LC_OK;
	while (!rc && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (lineno == 1) {
			if (strncmp(line, "run,lumi,p_bad", 14) || (line[14] && strcmp(line + 14, ",reason")))
				rc = lc_error_set(err, LC_ERR_PARSE, "%s:1:1: expected the header 'run,lumi,p_bad,reason'",
						  path);
			continue;
		}
		if (!len)
			continue;
		char *f1 = strchr(line, ','), *f2 = f1 ? strchr(f1 + 1, ',') : NULL, *f3 = f2 ? strchr(f2 + 1, ',') : NULL;
		review_row r = {0, 0, NAN, NULL};
		if (!f1 || parse_pos(line, f1, &r.run)) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s:%d:1: expected a run number > 0", path, lineno);
			break;
		}
		char *end2 = f2 ? f2 : line + len;
		if (parse_pos(f1 + 1, end2, &r.ls)) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s:%d:%d: expected an LS number > 0", path, lineno,
					  (int)(f1 - line) + 2);
			break;
		}
		if (f2) {
			char *end3 = f3 ? f3 : line + len, *q;
			if (end3 > f2 + 1) {
				errno = 0;
				r.p_bad = strtod(f2 + 1, &q);
				if (q != end3 || errno || !(r.p_bad >= 0 && r.p_bad <= 1)) {
					rc = lc_error_set(err, LC_ERR_PARSE, "%s:%d:%d: expected p_bad in [0, 1] or empty",
							  path, lineno, (int)(f2 - line) + 2);
					break;
				}
			}
		}
		if (f3) {
			char *s = f3 + 1, *o;
			if (*s == '"') { /* quoted: "" stands for " */
				o = s;
				for (char *p = s + 1; *p; p++) {
					if (*p == '"' && p[1] == '"')
						*o++ = *p++;
					else if (*p == '"')
						break;
					else
						*o++ = *p;
				}
				*o = 0;
			}
			if (!(r.reason = strdup(s))) {
				rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
				break;
			}
		}
		if (c->nreview == nalloc) {
			size_t nn = nalloc ? 2 * nalloc : 64;
			review_row *p = realloc(c->review, nn * sizeof *p);
			if (!p) {
				free(r.reason);
				rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
				break;
			}
			c->review = p;
			nalloc = nn;
		}
		c->review[c->nreview++] = r;
	}
	if (!rc && ferror(f))
		rc = lc_error_set(err, LC_ERR_IO, "%s: read error", path);
	if (!rc && lineno == 0)
		rc = lc_error_set(err, LC_ERR_PARSE, "%s:1:1: empty file, expected the header 'run,lumi,p_bad,reason'",
				  path);
	free(line);
	fclose(f);
	if (!rc && c->nreview) {
		qsort(c->review, c->nreview, sizeof *c->review, by_run_ls);
		for (size_t i = 1; i < c->nreview; i++)
			if (!by_run_ls(&c->review[i - 1], &c->review[i]))
				return lc_error_set(err, LC_ERR_PARSE, "%s: run %lld LS %lld is listed twice", path,
						    (long long)c->review[i].run, (long long)c->review[i].ls);
	}
	return rc;
}

/* summary.json, optional: its top-level members as (key, text) pairs. */
static int read_summary(const char *dir, cert_data *c, lc_error *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/summary.json", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? LC_OK : lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	json_error_t je;
	json_t *root = json_loadf(f, 0, &je);
	fclose(f);
	if (!root)
		return lc_error_set(err, LC_ERR_PARSE, "%s:%d:%d: %s", path, je.line, je.column, je.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return lc_error_set(err, LC_ERR_PARSE, "%s:1:1: expected a JSON object", path);
	}
	c->has_summary = 1;
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v) {
		if (c->nsummary == sizeof c->summary / sizeof c->summary[0])
			break;
		char *text = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		char *k = strdup(key);
		if (!text || !k) {
			free(text);
			free(k);
			json_decref(root);
			return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		}
		c->summary[c->nsummary].key = k;
		c->summary[c->nsummary].text = text;
		c->nsummary++;
	}
	json_decref(root);
	return LC_OK;
}

int cert_read(const char *dir, cert_data *c, lc_error *err)
{
	memset(c, 0, sizeof *c);
	int rc = read_set(dir, "auto-good.json", &c->good, err);
	if (!rc)
		rc = read_set(dir, "auto-bad.json", &c->bad, err);
	if (!rc)
		rc = read_review(dir, c, err);
	if (!rc)
		rc = read_summary(dir, c, err);
	if (!rc) {
		lc_lsset *both = lc_lsset_and(c->good, c->bad);
		if (!both)
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		else if (both->n)
			rc = lc_error_set(err, LC_ERR_INVALID,
					  "%s: run %lld LS %lld is both in auto-good.json and in auto-bad.json", dir,
					  (long long)both->run[0], (long long)both->ls[0]);
		lc_lsset_free(both);
	}
	for (size_t i = 0; !rc && i < c->nreview; i++)
		if (lc_lsset_has(c->good, c->review[i].run, c->review[i].ls) ||
		    lc_lsset_has(c->bad, c->review[i].run, c->review[i].ls))
			rc = lc_error_set(err, LC_ERR_INVALID,
					  "%s/review.csv: run %lld LS %lld is also in auto-good.json or auto-bad.json", dir,
					  (long long)c->review[i].run, (long long)c->review[i].ls);
	if (rc)
		cert_free(c);
	return rc;
}

const review_row *cert_review(const cert_data *c, int64_t run, int64_t ls)
{
	review_row key = {run, ls, 0, NULL};
	return c->nreview ? bsearch(&key, c->review, c->nreview, sizeof key, by_run_ls) : NULL;
}

void cert_free(cert_data *c)
{
	lc_lsset_free(c->good);
	lc_lsset_free(c->bad);
	for (size_t i = 0; i < c->nreview; i++)
		free(c->review[i].reason);
	free(c->review);
	for (size_t i = 0; i < c->nsummary; i++) {
		free(c->summary[i].key);
		free(c->summary[i].text);
	}
	memset(c, 0, sizeof *c);
}
