/* lsset.c — sets of (run, LS) pairs: building, lookup and set operations, reading golden/DCS JSON and "run ls" lists
 * with a small hand-written parser whose every message names path:line:column, and writing the CMS JSON layout. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Limits against hostile files: the ranges of one file may cover at most LSSET_MAX_LS lumisections in total (counted
 * before overlaps merge; sets are stored expanded, 16 bytes a pair, so this bounds memory at 160 MB), and
 * lc_lsset_read reads at most LSSET_MAX_FILE bytes. A whole LHC year is a few 10^5 LS. */
#define LSSET_MAX_LS 10000000LL
#define LSSET_MAX_FILE ((size_t)256 << 20)

/* ---------------------------------------------------------------- the set */

/* A new empty set (empty counts as finished). NULL when out of memory. */
lc_lsset *lc_lsset_new(void)
{
	lc_lsset *s = calloc(1, sizeof *s);
	if (s)
		s->sorted = 1;
	return s;
}

/* Releases a set (NULL is fine). */
void lc_lsset_free(lc_lsset *s)
{
	if (!s)
		return;
	free(s->run);
	free(s->ls);
	free(s);
}

/* Makes room for at least need pairs. Returns LC_OK or LC_ERR_NOMEM (the set is unchanged then). */
static int lsset_reserve(lc_lsset *s, size_t need)
{
	if (need <= s->cap)
		return LC_OK;
	if (need > SIZE_MAX / 2 / sizeof(int64_t))
		return LC_ERR_NOMEM;
	int64_t *run = realloc(s->run, need * sizeof *run);
	if (!run)
		return LC_ERR_NOMEM;
	s->run = run;
	int64_t *ls = realloc(s->ls, need * sizeof *ls);
	if (!ls)
		return LC_ERR_NOMEM; /* run keeps the larger block; cap stays valid for both */
	s->ls = ls;
	s->cap = need;
	return LC_OK;
}

/* Appends (run, ls). The set stays "sorted" while pairs arrive in increasing order (readers and the store add in
 * order, so finish is then free); a repeat of the last pair is dropped. */
int lc_lsset_add(lc_lsset *s, int64_t run, int64_t ls)
{
	if (s->n > 0 && s->sorted) {
		int64_t r0 = s->run[s->n - 1], l0 = s->ls[s->n - 1];
		if (run == r0 && ls == l0)
			return LC_OK;
		if (run < r0 || (run == r0 && ls < l0))
			s->sorted = 0;
	}
	if (s->n == s->cap && lsset_reserve(s, s->cap < 64 ? 64 : s->cap * 2))
		return LC_ERR_NOMEM;
	s->run[s->n] = run;
	s->ls[s->n] = ls;
	s->n++;
	return LC_OK;
}

/* Pair i < pair j in (run, ls) order. */
static int pair_less(const lc_lsset *s, size_t i, size_t j)
{
	return s->run[i] < s->run[j] || (s->run[i] == s->run[j] && s->ls[i] < s->ls[j]);
}

/* Swaps pairs i and j. */
static void pair_swap(lc_lsset *s, size_t i, size_t j)
{
	int64_t t = s->run[i];
	s->run[i] = s->run[j];
	s->run[j] = t;
	t = s->ls[i];
	s->ls[i] = s->ls[j];
	s->ls[j] = t;
}

/* Restores the max-heap property below node i of the heap s[0..n). */
static void sift_down(lc_lsset *s, size_t i, size_t n)
{
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && pair_less(s, c, c + 1))
			c++;
		if (!pair_less(s, i, c))
			return;
		pair_swap(s, i, c);
		i = c;
	}
}

/* Sorts by (run, ls) with an in-place heap sort — it allocates nothing, so finish cannot fail — then drops
 * duplicates. Already finished sets are left alone. */
void lc_lsset_finish(lc_lsset *s)
{
	if (s->sorted)
		return;
	size_t n = s->n;
	for (size_t i = n / 2; i-- > 0;)
		sift_down(s, i, n);
	for (size_t end = n; end-- > 1;) {
		pair_swap(s, 0, end);
		sift_down(s, 0, end);
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && s->run[k - 1] == s->run[i] && s->ls[k - 1] == s->ls[i])
			continue;
		s->run[k] = s->run[i];
		s->ls[k] = s->ls[i];
		k++;
	}
	s->n = k;
	s->sorted = 1;
}

/* Binary search in a finished set; an unfinished one (a caller's mistake) is scanned linearly rather than answered
 * wrongly. */
int lc_lsset_has(const lc_lsset *s, int64_t run, int64_t ls)
{
	if (!s)
		return 0;
	if (!s->sorted) {
		for (size_t i = 0; i < s->n; i++)
			if (s->run[i] == run && s->ls[i] == ls)
				return 1;
		return 0;
	}
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->run[mid] < run || (s->run[mid] == run && s->ls[mid] < ls))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->run[lo] == run && s->ls[lo] == ls;
}

/* Compares pair i of a with pair j of b: negative, 0 or positive. */
static int pair_cmp2(const lc_lsset *a, size_t i, const lc_lsset *b, size_t j)
{
	if (a->run[i] != b->run[j])
		return a->run[i] < b->run[j] ? -1 : 1;
	if (a->ls[i] != b->ls[j])
		return a->ls[i] < b->ls[j] ? -1 : 1;
	return 0;
}

enum { OP_AND, OP_OR, OP_MINUS };

/* One linear merge of two finished sets computing a AND/OR/MINUS b; result is finished. NULL when out of memory. */
static lc_lsset *lsset_merge(const lc_lsset *a, const lc_lsset *b, int op)
{
	assert(a && b && a->sorted && b->sorted);
	lc_lsset *r = lc_lsset_new();
	size_t need = op == OP_OR ? a->n + b->n : op == OP_AND ? (a->n < b->n ? a->n : b->n) : a->n;
	if (!r || lsset_reserve(r, need ? need : 1)) {
		lc_lsset_free(r);
		return NULL;
	}
	size_t i = 0, j = 0;
	while (i < a->n || j < b->n) {
		int c = i >= a->n ? 1 : j >= b->n ? -1 : pair_cmp2(a, i, b, j);
		if (c < 0) { /* only in a */
			if (op != OP_AND) {
				r->run[r->n] = a->run[i];
				r->ls[r->n++] = a->ls[i];
			}
			i++;
		} else if (c > 0) { /* only in b */
			if (op == OP_OR) {
				r->run[r->n] = b->run[j];
				r->ls[r->n++] = b->ls[j];
			}
			j++;
		} else { /* in both */
			if (op != OP_MINUS) {
				r->run[r->n] = a->run[i];
				r->ls[r->n++] = a->ls[i];
			}
			i++;
			j++;
		}
	}
	return r;
}

/* Intersection of two finished sets. */
lc_lsset *lc_lsset_and(const lc_lsset *a, const lc_lsset *b)
{
	return lsset_merge(a, b, OP_AND);
}

/* Union of two finished sets. */
lc_lsset *lc_lsset_or(const lc_lsset *a, const lc_lsset *b)
{
	return lsset_merge(a, b, OP_OR);
}

/* Pairs of a not in b (both finished). */
lc_lsset *lc_lsset_minus(const lc_lsset *a, const lc_lsset *b)
{
	return lsset_merge(a, b, OP_MINUS);
}

/* ---------------------------------------------------------------- reading */

/* An inclusive LS range of one run, as read (before overlaps merge). */
typedef struct ls_range {
	int64_t run, first, last;
} ls_range;

/* Reader state: the buffer, the position with its line and column, and the ranges read so far. */
typedef struct reader {
	const char *p, *end;    /* next byte, end of input */
	const char *line_start; /* first byte of the current line (column = p - line_start + 1) */
	int line;               /* current line, 1-based */
	const char *path;       /* for messages */
	lc_error *err;
	ls_range *rg;           /* ranges read */
	size_t n, cap;
	long long total;        /* LS covered by the ranges (overlaps counted twice), checked against LSSET_MAX_LS */
} reader;

/* A position saved for a message about a token that started there. */
typedef struct pos {
	int line, col;
} pos;

/* The current position. */
static pos here(const reader *r)
{
	pos q = {r->line, (int)(r->p - r->line_start) + 1};
	return q;
}

/* Describes the byte at the current position for messages: 'x', byte 0x00 or end of file. */
static const char *found(const reader *r, char *buf, size_t n)
{
	if (r->p >= r->end)
		return "end of file";
	unsigned char c = (unsigned char)*r->p;
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, n, "'%c'", c);
	else if (c == '\n')
		snprintf(buf, n, "end of line");
	else
		snprintf(buf, n, "byte 0x%02x", c);
	return buf;
}

/* Fails with LC_ERR_PARSE at q: "path:line:col: what". */
static int fail_at(const reader *r, pos q, const char *what)
{
	return lc_error_set(r->err, LC_ERR_PARSE, "%s:%d:%d: %s", r->path, q.line, q.col, what);
}

/* Fails at the current position: "expected X, found Y". */
static int fail_expected(const reader *r, const char *expected)
{
	char buf[32], msg[256];
	snprintf(msg, sizeof msg, "expected %s, found %s", expected, found(r, buf, sizeof buf));
	return fail_at(r, here(r), msg);
}

/* Skips JSON whitespace (space, tab, CR, LF), counting lines. */
static void skip_ws(reader *r)
{
	while (r->p < r->end) {
		char c = *r->p;
		if (c == '\n') {
			r->p++;
			r->line++;
			r->line_start = r->p;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			r->p++;
		} else {
			break;
		}
	}
}

/* Skips blanks inside a list line (space, tab, CR). */
static void skip_blanks(reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

/* Consumes the character c or fails with "expected <what>". */
static int expect(reader *r, char c, const char *what)
{
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return LC_OK;
	}
	return fail_expected(r, what);
}

/* Reads an optionally negative decimal integer; what ("first LS", ...) names it in messages. Fractions and exponents
 * are refused. */
static int read_int(reader *r, const char *what, int64_t *v)
{
	pos q = here(r);
	int neg = 0;
	if (r->p < r->end && *r->p == '-') {
		neg = 1;
		r->p++;
	}
	if (r->p >= r->end || *r->p < '0' || *r->p > '9') {
		char exp[96];
		r->p -= neg;
		snprintf(exp, sizeof exp, "an integer %s", what);
		return fail_expected(r, exp);
	}
	int64_t x = 0;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		int d = *r->p - '0';
		if (x > (INT64_MAX - d) / 10) {
			char msg[128];
			snprintf(msg, sizeof msg, "%s is too large", what);
			return fail_at(r, q, msg);
		}
		x = x * 10 + d;
		r->p++;
	}
	if (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E')) {
		char msg[128];
		snprintf(msg, sizeof msg, "%s must be an integer", what);
		return fail_at(r, q, msg);
	}
	*v = neg ? -x : x;
	return LC_OK;
}

/* Checks and records the range [first, last] of run that started at q. */
static int add_range(reader *r, pos q, int64_t run, int64_t first, int64_t last)
{
	char msg[256];
	if (first < 1 || last < 1) {
		snprintf(msg, sizeof msg, "run %lld: LS %lld is less than 1", (long long)run,
			 (long long)(first < 1 ? first : last));
		return fail_at(r, q, msg);
	}
	if (first > last) {
		snprintf(msg, sizeof msg, "run %lld: range [%lld, %lld] has first > last", (long long)run,
			 (long long)first, (long long)last);
		return fail_at(r, q, msg);
	}
	if (last - first >= LSSET_MAX_LS - r->total) {
		snprintf(msg, sizeof msg, "the file covers more than %lld lumisections (the limit of one label file)",
			 LSSET_MAX_LS);
		lc_error_set(r->err, LC_ERR_UNSUPPORTED, "%s:%d:%d: %s", r->path, q.line, q.col, msg);
		return LC_ERR_UNSUPPORTED;
	}
	r->total += last - first + 1;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		ls_range *rg = realloc(r->rg, cap * sizeof *rg);
		if (!rg)
			return lc_error_set(r->err, LC_ERR_NOMEM, "%s: out of memory", r->path);
		r->rg = rg;
		r->cap = cap;
	}
	ls_range x = {run, first, last};
	r->rg[r->n++] = x;
	return LC_OK;
}

/* Reads a run key "297046" (a JSON string of digits, value > 0) into *run. */
static int read_run_key(reader *r, int64_t *run)
{
	pos q = here(r);
	int rc = expect(r, '"', "'\"' starting a run number key");
	if (rc)
		return rc;
	const char *b = r->p;
	while (r->p < r->end && *r->p != '"' && *r->p != '\n')
		r->p++;
	if (r->p >= r->end || *r->p != '"')
		return fail_expected(r, "'\"' closing the run number key");
	const char *e = r->p++;
	int64_t v = 0;
	int ok = b < e;
	for (const char *c = b; ok && c < e; c++) {
		if (*c < '0' || *c > '9' || v > (INT64_MAX - (*c - '0')) / 10)
			ok = 0;
		else
			v = v * 10 + (*c - '0');
	}
	if (!ok || v <= 0) {
		char key[48], msg[128];
		size_t k = 0;
		for (const char *c = b; c < e && k < 40; c++)
			key[k++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
		key[k] = 0;
		snprintf(msg, sizeof msg, "run key \"%s%s\" is not a positive integer", key, e - b > 40 ? "..." : "");
		return fail_at(r, q, msg);
	}
	*run = v;
	return LC_OK;
}

/* Reads one range [first, last] of run. */
static int read_json_range(reader *r, int64_t run)
{
	pos q = here(r);
	int64_t first, last;
	int rc;
	if ((rc = expect(r, '[', "'[' starting an LS range [first, last]")))
		return rc;
	skip_ws(r);
	if ((rc = read_int(r, "first LS", &first)))
		return rc;
	skip_ws(r);
	if ((rc = expect(r, ',', "',' between first and last LS of a range")))
		return rc;
	skip_ws(r);
	if ((rc = read_int(r, "last LS", &last)))
		return rc;
	skip_ws(r);
	if ((rc = expect(r, ']', "']' closing the LS range (a range has exactly two numbers)")))
		return rc;
	return add_range(r, q, run, first, last);
}

/* Parses a golden/DCS JSON object {"run": [[first, last], ...], ...}; duplicate run keys merge. */
static int read_json(reader *r)
{
	int rc;
	skip_ws(r);
	if ((rc = expect(r, '{', "'{'")))
		return rc;
	skip_ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
	} else {
		for (;;) {
			int64_t run = 0;
			skip_ws(r);
			if ((rc = read_run_key(r, &run)))
				return rc;
			skip_ws(r);
			if ((rc = expect(r, ':', "':' after the run number key")))
				return rc;
			skip_ws(r);
			if ((rc = expect(r, '[', "'[' starting the list of LS ranges")))
				return rc;
			skip_ws(r);
			if (r->p < r->end && *r->p == ']') {
				r->p++;
			} else {
				for (;;) {
					skip_ws(r);
					if ((rc = read_json_range(r, run)))
						return rc;
					skip_ws(r);
					if (r->p < r->end && *r->p == ',') {
						r->p++;
						continue;
					}
					if ((rc = expect(r, ']', "',' or ']' after an LS range")))
						return rc;
					break;
				}
			}
			skip_ws(r);
			if (r->p < r->end && *r->p == ',') {
				r->p++;
				continue;
			}
			if ((rc = expect(r, '}', "',' or '}' after the ranges of a run")))
				return rc;
			break;
		}
	}
	skip_ws(r);
	if (r->p < r->end)
		return fail_expected(r, "nothing after the closing '}'");
	return LC_OK;
}

/* Parses a "run ls" list: one pair a line separated by blanks and/or one comma, '#' comments, blank lines. */
static int read_list(reader *r)
{
	int rc;
	while (r->p < r->end) {
		skip_blanks(r);
		if (r->p < r->end && *r->p != '\n' && *r->p != '#') {
			pos q = here(r);
			int64_t run, ls;
			if ((rc = read_int(r, "run number", &run)))
				return rc;
			if (run <= 0) {
				char msg[96];
				snprintf(msg, sizeof msg, "run %lld is not a positive run number", (long long)run);
				return fail_at(r, q, msg);
			}
			const char *sep = r->p;
			skip_blanks(r);
			if (r->p < r->end && *r->p == ',')
				r->p++;
			skip_blanks(r);
			if (r->p == sep)
				return fail_expected(r, "a space, tab or comma after the run number");
			pos ql = here(r);
			if ((rc = read_int(r, "LS number", &ls)))
				return rc;
			skip_blanks(r);
			if (r->p < r->end && *r->p != '\n' && *r->p != '#')
				return fail_expected(r, "end of line after 'run ls'");
			if ((rc = add_range(r, ql, run, ls, ls)))
				return rc;
		}
		while (r->p < r->end && *r->p != '\n')
			r->p++; /* rest of a comment */
		if (r->p < r->end) {
			r->p++;
			r->line++;
			r->line_start = r->p;
		}
	}
	return LC_OK;
}

/* Orders ranges by run, then first LS. */
static int range_cmp(const void *pa, const void *pb)
{
	const ls_range *a = pa, *b = pb;
	if (a->run != b->run)
		return a->run < b->run ? -1 : 1;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return 0;
}

/* Sorts and merges the ranges, then expands them in order into a new finished set (added in order, so no sort of
 * the pairs is needed). */
static int ranges_to_set(reader *r, lc_lsset **out)
{
	if (r->n)
		qsort(r->rg, r->n, sizeof *r->rg, range_cmp);
	size_t k = 0, total = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (k > 0 && r->rg[k - 1].run == r->rg[i].run && r->rg[i].first <= r->rg[k - 1].last) {
			if (r->rg[i].last > r->rg[k - 1].last) {
				total += (size_t)(r->rg[i].last - r->rg[k - 1].last);
				r->rg[k - 1].last = r->rg[i].last;
			}
			continue;
		}
		r->rg[k++] = r->rg[i];
		total += (size_t)(r->rg[i].last - r->rg[i].first + 1);
	}
	lc_lsset *s = lc_lsset_new();
	if (!s || lsset_reserve(s, total ? total : 1)) {
		lc_lsset_free(s);
		return lc_error_set(r->err, LC_ERR_NOMEM, "%s: out of memory for %zu lumisections", r->path, total);
	}
	for (size_t i = 0; i < k; i++)
		for (int64_t ls = r->rg[i].first; ls <= r->rg[i].last; ls++) {
			s->run[s->n] = r->rg[i].run;
			s->ls[s->n++] = ls;
		}
	s->sorted = 1;
	*out = s;
	return LC_OK;
}

/* Reads a label set from memory: JSON when the first non-blank byte is '{', else a "run ls" list. */
int lc_lsset_read_mem(const char *buf, size_t n, const char *path, lc_lsset **out, lc_error *err)
{
	reader r = {buf, buf + n, buf, 1, path ? path : "(memory)", err, NULL, 0, 0, 0};
	if (n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) /* a UTF-8 byte order mark */
		r.p += 3, r.line_start = r.p;
	const char *c = r.p;
	while (c < r.end && (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n'))
		c++;
	if (c >= r.end)
		return lc_error_set(err, LC_ERR_PARSE, "%s: empty label file", r.path);
	if (*c != '{' && *c != '#' && *c != '-' && (*c < '0' || *c > '9')) {
		skip_ws(&r); /* stops at c, counting lines for the message */
		return fail_expected(&r, "'{' (golden JSON) or a 'run ls' line");
	}
	int rc = *c == '{' ? read_json(&r) : read_list(&r);
	if (rc == LC_OK)
		rc = ranges_to_set(&r, out);
	free(r.rg);
	return rc;
}

/* Reads all of f (at most LSSET_MAX_FILE bytes) and parses it with lc_lsset_read_mem. */
int lc_lsset_read(FILE *f, const char *path, lc_lsset **out, lc_error *err)
{
	if (!path)
		path = "(stream)";
	size_t n = 0, cap = 65536;
	char *buf = malloc(cap);
	if (!buf)
		return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
	for (;;) {
		if (n == cap) {
			if (cap >= LSSET_MAX_FILE) {
				free(buf);
				return lc_error_set(err, LC_ERR_UNSUPPORTED, "%s: label file larger than %zu MB", path,
						    LSSET_MAX_FILE >> 20);
			}
			char *b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
			}
			buf = b;
			cap *= 2;
		}
		size_t k = fread(buf + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;
		free(buf);
		return lc_error_set(err, LC_ERR_IO, "%s: read error: %s", path, e ? strerror(e) : "unknown");
	}
	int rc = lc_lsset_read_mem(buf, n, path, out, err);
	free(buf);
	return rc;
}

/* ---------------------------------------------------------------- writing */

/* Width of the CMS layout: a run whose line (trailing comma included) would be longer is written one range a line. */
#define LSSET_JSON_WIDTH 80

/* Number of decimal digits of v >= 0 (a minus sign counts for negative values). */
static int ndigits(int64_t v)
{
	int k = v < 0 ? 2 : 1;
	while (v >= 10 || v <= -10) {
		v /= 10;
		k++;
	}
	return k;
}

/* Index one past the last LS of the range of consecutive LS that starts at pair i. */
static size_t range_end(const lc_lsset *s, size_t i)
{
	size_t j = i + 1;
	while (j < s->n && s->run[j] == s->run[i] && s->ls[j] == s->ls[j - 1] + 1)
		j++;
	return j;
}

/* Writes the CMS golden JSON layout (as CMS certification files and bad_pixel.json): "{\n", then per run
 * `  "run": [[a, b], [c, d]]` joined by ",\n", then "\n}\n"; consecutive LS merge into ranges. A run whose line,
 * trailing comma included, would exceed 80 columns is written `  "run": [\n    [a, b],\n    [c, d]\n  ]`. An empty
 * set writes "{}\n". */
int lc_lsset_write_json(const lc_lsset *s, FILE *f)
{
	if (!s || !s->sorted)
		return LC_ERR_INVALID;
	if (s->n == 0)
		return fputs("{}\n", f) < 0 ? LC_ERR_IO : LC_OK;
	int bad = fputs("{\n", f) < 0;
	size_t i = 0;
	while (i < s->n && !bad) {
		int64_t run = s->run[i];
		size_t end = i; /* one past the run's pairs */
		while (end < s->n && s->run[end] == run)
			end++;
		/* width of `  "run": [` + ranges `[a, b]` joined by ", " + `]` + `,` unless last */
		size_t width = 2 + (size_t)ndigits(run) + 5 + 1 + (end < s->n);
		for (size_t k = i; k < end && width <= LSSET_JSON_WIDTH;) {
			size_t j = range_end(s, k);
			width += (size_t)(ndigits(s->ls[k]) + ndigits(s->ls[j - 1])) + 4 + (k > i ? 2 : 0);
			k = j;
		}
		int wrap = width > LSSET_JSON_WIDTH;
		bad |= fprintf(f, "%s  \"%lld\": [", i ? ",\n" : "", (long long)run) < 0;
		for (size_t k = i; k < end;) {
			size_t j = range_end(s, k);
			const char *sep = wrap ? (k > i ? ",\n    " : "\n    ") : (k > i ? ", " : "");
			bad |= fprintf(f, "%s[%lld, %lld]", sep, (long long)s->ls[k], (long long)s->ls[j - 1]) < 0;
			k = j;
		}
		bad |= fputs(wrap ? "\n  ]" : "]", f) < 0;
		i = end;
	}
	bad |= fputs("\n}\n", f) < 0;
	return bad || ferror(f) ? LC_ERR_IO : LC_OK;
}
