/* csv.c — reader of ML4DQM per-lumisection histogram CSV files, wide (bin_0..bin_N columns) and long (histo as a
 * quoted list string "[0, 1, ...]"), 1D or 2D. The file is streamed through one growable buffer, fields are views into
 * it and numbers go through a hand-written fast path, so the reader allocates nothing per row or cell. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CSV_BUF_INIT ((size_t)64 << 10)   /* first size of the read buffer: small inputs stay cheap */
#define CSV_BUF_BIG ((size_t)4 << 20)     /* the buffer doubles on each refill up to this (4 MB) */
#define CSV_REC_MAX ((size_t)1 << 30)     /* longest record (line) accepted, in bytes */
#define CSV_MAX_CELLS 10000000            /* most cells of one histogram, flow included (same cap as DIALS JSON) */
#define CSV_MAX_COLS (CSV_MAX_CELLS + 64) /* most columns of a header */

/* What a header column holds. */
enum {
	COL_RUN,
	COL_LS,
	COL_ME,
	COL_METYPE,
	COL_ENTRIES,
	COL_XMIN,
	COL_XMAX,
	COL_XBINS,
	COL_YMIN,
	COL_YMAX,
	COL_YBINS,
	COL_HISTO,
	COL_NROLES
};

/* Accepted column names (compared case-insensitively) and the role each gives. */
static const struct {
	const char *name;
	int role;
} col_alias[] = {
	{"run", COL_RUN},         {"fromrun", COL_RUN},    {"run_number", COL_RUN}, {"ls", COL_LS},
	{"lumi", COL_LS},         {"fromlumi", COL_LS},    {"ls_number", COL_LS},   {"lumisection", COL_LS},
	{"me", COL_ME},           {"hname", COL_ME},       {"name", COL_ME},        {"metype", COL_METYPE},
	{"entries", COL_ENTRIES}, {"xmin", COL_XMIN},      {"xmax", COL_XMAX},      {"xbins", COL_XBINS},
	{"ymin", COL_YMIN},       {"ymax", COL_YMAX},      {"ybins", COL_YBINS},    {"histo", COL_HISTO},
};

/* How each required role is described in "missing column" messages. */
static const char *const role_names[COL_NROLES] = {
	"run (or fromrun, run_number)", "lumi (or ls, fromlumi, ls_number, lumisection)", "hname (or me, name)",
	"metype", "entries", "xmin", "xmax", "xbins", "ymin", "ymax", "ybins", "histo",
};

/* One field of the current record: a view into the read buffer, without the surrounding quotes. */
typedef struct field {
	const char *s, *e; /* contents [s, e) */
	int esc;           /* 1 if quoted and holding "" escapes (then the contents still need unescaping) */
} field;

/* Per-ME facts remembered across rows: every row of one ME must have the same number of cells. */
typedef struct me_ent {
	char *name;     /* ME name (malloc'd); NULL marks a free slot */
	size_t ncells;  /* cells of its first row, as given */
	int64_t line;   /* line of its first row */
} me_ent;

/* The reader's state. */
typedef struct csv {
	FILE *f;                /* input (never closed here) */
	const char *path;       /* for messages */
	lc_error *err;          /* where errors go */
	char *buf;              /* read buffer, cap + 1 bytes (buf[end] is a NUL sentinel) */
	size_t cap, beg, end;   /* buffer size; unread data is buf[beg, end) */
	int eof;                /* 1 once fread reported end of file */
	int nfill;              /* refills so far */
	int64_t line;           /* line number of buf[beg] */
	const char *rs, *re;    /* current record contents [rs, re), line end excluded */
	int64_t rline;          /* line on which the current record starts */
	field *fld;             /* fields of the current record */
	int nfld, fldcap;       /* fields used and allocated */
	int ncols;              /* columns of the header */
	char **colname;         /* ncols header names, unescaped and trimmed */
	int role[COL_NROLES];   /* column of each role, -1 when absent */
	int *bincol;            /* wide layout: column of bin_k for k in [0, nbins) */
	int nbins;              /* wide layout: number of bin_k columns; 0 for the long layout */
	int *labcol;            /* column of each requested label */
	const char *const *labname; /* requested label column names, as the caller spelled them */
	int nlab;               /* number of requested labels */
	lc_label_value *labels; /* labels of the current row */
	double *cells;          /* cells of the current row */
	size_t cellcap;         /* doubles allocated in cells */
	char *name;             /* ME name of the current row (NUL-terminated) */
	size_t namecap;         /* bytes allocated in name */
	me_ent *mes;            /* open-addressing table of the MEs seen */
	size_t nmes, mescap;    /* entries used and slots (a power of two) */
	size_t lastme;          /* slot of the last ME looked up: rows of one ME usually follow each other */
} csv;

/* ---------------------------------------------------------------- messages */

/* Line and 1-based byte column of p inside the current record. Only used on errors, so it may scan. */
static void csv_pos(const csv *c, const char *p, int64_t *line, int64_t *col)
{
	int64_t l = c->rline;
	const char *ls = c->rs;
	for (const char *q = c->rs; q < p; q++)
		if (*q == '\n') {
			l++;
			ls = q + 1;
		}
	*line = l;
	*col = (int64_t)(p - ls) + 1;
}

/* Records LC_ERR_PARSE with "path:line:column: " and the formatted message, p pointing into the current record. */
static int csv_fail(const csv *c, const char *p, const char *fmt, ...) LC_PRINTF(3, 4);
static int csv_fail(const csv *c, const char *p, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	int64_t line, col;
	csv_pos(c, p, &line, &col);
	return lc_error_set(c->err, LC_ERR_PARSE, "%s:%lld:%lld: %s", c->path, (long long)line, (long long)col, msg);
}

/* Writes a printable excerpt of [s, e) into out: 'text' (cut at 40 bytes, control bytes shown as '?'), or "nothing"
 * for an empty field. */
static const char *show(char *out, size_t n, const char *s, const char *e)
{
	if (s >= e) {
		str_copy(out, "nothing", n);
		return out;
	}
	size_t k = 0, len = (size_t)(e - s), lim = len > 40 ? 40 : len;
	out[k++] = '\'';
	for (size_t i = 0; i < lim && k + 6 < n; i++)
		out[k++] = ((unsigned char)s[i] < 32 || s[i] == 127) ? '?' : s[i];
	if (lim < len && k + 6 < n) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k++] = '\'';
	out[k] = 0;
	return out;
}

/* ---------------------------------------------------------------- numbers */

/* Exact powers of ten: 10^k is a double without rounding for k <= 22. */
static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
				       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* 1 if ch may appear in a number handed to strtod (the slow path). */
static int num_char(char ch)
{
	return (ch >= '0' && ch <= '9') || ch == '.' || ch == 'e' || ch == 'E' || ch == '+' || ch == '-';
}

/* Parses a decimal number starting at p (not beyond e) into *out and returns a pointer past it, or NULL if there is
 * no finite number there. Fast path: [sign] digits [. digits] with a mantissa of at most 19 digits below 2^53 and at
 * most 22 decimals is m / 10^k of two exact doubles, which IEEE division rounds once: the result equals strtod's
 * correctly rounded one. Anything else (exponents, long mantissas) goes through strtod. inf and nan are refused. */
static inline const char *num_parse(const char *p, const char *e, double *out)
{
	const char *s = p;
	int neg = 0;
	if (p < e && (*p == '-' || *p == '+')) {
		neg = *p == '-';
		p++;
	}
	uint64_t m = 0;
	const char *d0 = p;
	while (p < e && (unsigned)(*p - '0') < 10u)
		m = m * 10 + (uint64_t)(*p++ - '0');
	ptrdiff_t nd = p - d0, frac = 0;
	if (p < e && *p == '.') {
		const char *f0 = ++p;
		while (p < e && (unsigned)(*p - '0') < 10u)
			m = m * 10 + (uint64_t)(*p++ - '0');
		frac = p - f0;
		nd += frac;
	}
	if (nd == 0)
		return NULL;
	if ((p < e && (*p == 'e' || *p == 'E')) || nd > 19 || m > ((uint64_t)1 << 53) || frac > 22)
		goto slow;
	double v = (double)m;
	if (frac)
		v /= pow10_exact[frac];
	*out = neg ? -v : v;
	return p;
slow:;
	const char *q = s;
	while (q < e && num_char(*q))
		q++;
	char tmp[128];
	size_t n = (size_t)(q - s);
	if (n == 0 || n >= sizeof tmp)
		return NULL;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	char *end;
	errno = 0;
	double w = strtod(tmp, &end);
	if (end != tmp + n || !isfinite(w))
		return NULL;
	*out = w;
	return q;
}

/* 1 for the blanks allowed around numbers and list items. */
static inline int blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* ---------------------------------------------------------------- records */

/* Reads more input into the buffer: moves the unread part to the front, grows the buffer when it is full of one
 * record (and on every refill until it reaches CSV_BUF_BIG), and sets eof at end of input. */
static int csv_fill(csv *c)
{
	if (c->beg > 0) {
		memmove(c->buf, c->buf + c->beg, c->end - c->beg);
		c->end -= c->beg;
		c->beg = 0;
	}
	if (c->end == c->cap || (c->nfill++ > 0 && c->cap < CSV_BUF_BIG)) {
		if (c->cap >= CSV_REC_MAX)
			return lc_error_set(c->err, LC_ERR_PARSE, "%s:%lld: record longer than %zu bytes", c->path,
					    (long long)c->line, CSV_REC_MAX);
		char *nb = realloc(c->buf, c->cap * 2 + 1);
		if (!nb)
			return lc_error_set(c->err, LC_ERR_NOMEM, "%s: out of memory for a %zu-byte record", c->path,
					    c->cap * 2);
		c->buf = nb;
		c->cap *= 2;
	}
	size_t want = c->cap - c->end;
	size_t n = fread(c->buf + c->end, 1, want, c->f);
	c->end += n;
	c->buf[c->end] = 0; /* sentinel: every field is followed by a readable non-digit */
	if (n < want) {
		if (ferror(c->f))
			return lc_error_set(c->err, LC_ERR_IO, "%s:%lld: read error", c->path, (long long)c->line);
		c->eof = 1;
	}
	return LC_OK;
}

/* Finds the next non-blank record and sets rs, re (line end and a CR before it excluded) and rline. A record ends at
 * the first newline outside quotes. Quotes are checked here so that the field splitter can trust them: a quote opens
 * only at the start of a field, "" inside quotes is a quote, and a closing quote is followed by ',' or the line end.
 * Returns 1 with a record, 0 at end of input, or an error. */
static int csv_next(csv *c)
{
	for (;;) {
		char *b = c->buf + c->beg, *e = c->buf + c->end, *p = b, *nl;
		int64_t inner = 0; /* newlines inside quoted fields */
		int need = 0;      /* 1 when the record goes past the buffered data */
		c->rs = b;
		c->rline = c->line;
		for (;;) {
			nl = memchr(p, '\n', (size_t)(e - p));
			char *lim = nl ? nl : e;
			char *q = memchr(p, '"', (size_t)(lim - p));
			if (!q)
				break;
			if (q != b && q[-1] != ',') {
				c->re = e;
				return csv_fail(c, q, "expected '\"' only at the start of a field, found it inside an "
						      "unquoted field");
			}
			char *s = q + 1, *q2;
			for (;;) {
				q2 = memchr(s, '"', (size_t)(e - s));
				if (!q2 || q2 + 1 == e || q2[1] != '"')
					break;
				s = q2 + 2;
			}
			if (!q2 || (q2 + 1 == e && !c->eof)) {
				if (c->eof) {
					c->re = e;
					return csv_fail(c, q, "expected a closing '\"' for the quoted field starting here, "
							      "found the end of the file");
				}
				need = 1;
				break;
			}
			if (q2 + 1 < e && q2[1] != ',' && q2[1] != '\n' && q2[1] != '\r') {
				char tmp[64];
				c->re = e;
				return csv_fail(c, q2 + 1, "expected ',' or the end of the line after a closing '\"', found %s",
						show(tmp, sizeof tmp, q2 + 1, q2 + 2));
			}
			if (nl && nl < q2)
				for (char *t = nl; t && t < q2; t = memchr(t + 1, '\n', (size_t)(q2 - t - 1)))
					inner++;
			p = q2 + 1;
		}
		if (!need && !nl && !c->eof)
			need = 1;
		if (need) {
			int r = csv_fill(c);
			if (r)
				return r;
			continue;
		}
		if (!nl) {
			if (b == e)
				return 0;
			nl = e; /* last line without a newline */
		}
		char *re = nl;
		if (re > b && re[-1] == '\r')
			re--;
		c->re = re;
		c->line += 1 + inner;
		c->beg = nl == e ? c->end : (size_t)(nl + 1 - c->buf);
		if (re > b)
			return 1;
	}
}

/* Splits the current record into fields (views), at most maxf of them. */
static int csv_split(csv *c, int maxf)
{
	const char *p = c->rs, *e = c->re;
	int n = 0;
	for (;;) {
		if (n == maxf)
			return csv_fail(c, p - 1, "expected %d columns as in the header, found more", c->ncols);
		if (n == c->fldcap) {
			int nc = c->fldcap ? c->fldcap * 2 : 64;
			field *nf = realloc(c->fld, (size_t)nc * sizeof *nf);
			if (!nf)
				return lc_error_set(c->err, LC_ERR_NOMEM, "%s: out of memory", c->path);
			c->fld = nf;
			c->fldcap = nc;
		}
		field *f = &c->fld[n++];
		if (p < e && *p == '"') {
			const char *s = p + 1, *q;
			f->esc = 0;
			for (;;) {
				q = memchr(s, '"', (size_t)(e - s));
				if (!q)
					return csv_fail(c, p, "expected a closing '\"', found the end of the line");
				if (q + 1 < e && q[1] == '"') {
					f->esc = 1;
					s = q + 2;
					continue;
				}
				break;
			}
			f->s = p + 1;
			f->e = q;
			p = q + 1;
			if (p == e)
				break;
			if (*p != ',') {
				char tmp[64];
				return csv_fail(c, p, "expected ',' after a closing '\"', found %s", show(tmp, sizeof tmp, p, p + 1));
			}
			p++;
		} else {
			const char *q = memchr(p, ',', (size_t)(e - p));
			f->s = p;
			f->e = q ? q : e;
			f->esc = 0;
			if (!q)
				break;
			p = q + 1;
		}
	}
	c->nfld = n;
	return LC_OK;
}

/* Copies field f into a new NUL-terminated string, undoing "" escapes and trimming blanks. NULL when out of memory. */
static char *field_dup(const field *f)
{
	const char *s = f->s, *e = f->e;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	char *out = malloc((size_t)(e - s) + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = s; p < e; p++) {
		*o++ = *p;
		if (f->esc && *p == '"' && p + 1 < e && p[1] == '"')
			p++;
	}
	*o = 0;
	return out;
}

/* ---------------------------------------------------------------- header */

/* Case-insensitive equality of a NUL-terminated name and an ASCII lowercase one. */
static int name_eq(const char *a, const char *lower)
{
	for (; *a && *lower; a++, lower++) {
		char ch = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
		if (ch != *lower)
			return 0;
	}
	return *a == *lower;
}

/* Case-insensitive equality of two names. */
static int name_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
		if (x != y)
			return 0;
	}
	return *a == *b;
}

/* If name is bin_<k> (case-insensitive, k decimal), returns k, else -1. */
static long bin_index(const char *name)
{
	if (!(name[0] == 'b' || name[0] == 'B') || !(name[1] == 'i' || name[1] == 'I') ||
	    !(name[2] == 'n' || name[2] == 'N') || name[3] != '_' || !name[4])
		return -1;
	long k = 0;
	for (const char *p = name + 4; *p; p++) {
		if (*p < '0' || *p > '9' || k > CSV_MAX_CELLS)
			return -1;
		k = k * 10 + (*p - '0');
	}
	return k;
}

/* Appends the header's column names to b, summarising bin_k columns as one range. */
static void list_columns(const csv *c, sbuf *b)
{
	int first = 1, bins_done = 0;
	for (int i = 0; i < c->ncols; i++) {
		if (bin_index(c->colname[i]) >= 0) {
			if (bins_done)
				continue;
			bins_done = 1;
			sb_printf(b, "%sbin_0..bin_%d", first ? "" : ", ", c->nbins ? c->nbins - 1 : 0);
		} else {
			sb_printf(b, "%s%s", first ? "" : ", ", c->colname[i][0] ? c->colname[i] : "(unnamed)");
		}
		first = 0;
	}
}

/* Reads the header (the current record): assigns roles (the first column of a role wins), finds bin_k and label
 * columns, and checks that the required ones are there. */
static int csv_header(csv *c)
{
	/* a UTF-8 byte order mark is not part of the first name */
	if (c->re - c->rs >= 3 && memcmp(c->rs, "\xEF\xBB\xBF", 3) == 0)
		c->rs += 3;
	int r = csv_split(c, CSV_MAX_COLS);
	if (r)
		return r;
	c->ncols = c->nfld;
	c->colname = calloc((size_t)c->ncols, sizeof *c->colname);
	if (!c->colname)
		return lc_error_set(c->err, LC_ERR_NOMEM, "%s: out of memory", c->path);
	for (int i = 0; i < COL_NROLES; i++)
		c->role[i] = -1;
	long maxbin = -1;
	int nbincols = 0;
	for (int i = 0; i < c->ncols; i++) {
		if (!(c->colname[i] = field_dup(&c->fld[i])))
			return lc_error_set(c->err, LC_ERR_NOMEM, "%s: out of memory", c->path);
		for (size_t a = 0; a < sizeof col_alias / sizeof col_alias[0]; a++)
			if (name_eq(c->colname[i], col_alias[a].name)) {
				if (c->role[col_alias[a].role] < 0)
					c->role[col_alias[a].role] = i;
				break;
			}
		long k = bin_index(c->colname[i]);
		if (k > maxbin)
			maxbin = k;
		nbincols += k >= 0;
	}
	if (c->role[COL_HISTO] < 0 && maxbin >= 0) {
		/* wide layout: bin_0..bin_N, each once (a repeated one is ignored). With m bin columns the first
		 * missing index is at most m, so a table of m + 1 entries finds it without trusting N. */
		c->bincol = malloc(((size_t)nbincols + 1) * sizeof *c->bincol);
		if (!c->bincol)
			return lc_error_set(c->err, LC_ERR_NOMEM, "%s: out of memory", c->path);
		for (int k = 0; k <= nbincols; k++)
			c->bincol[k] = -1;
		for (int i = 0; i < c->ncols; i++) {
			long k = bin_index(c->colname[i]);
			if (k >= 0 && k <= nbincols && c->bincol[k] < 0)
				c->bincol[k] = i;
		}
		for (long k = 0; k <= maxbin; k++)
			if (c->bincol[k] < 0)
				return csv_fail(c, c->rs, "expected columns bin_0..bin_%ld, found no column bin_%ld", maxbin,
						k);
		if (maxbin >= CSV_MAX_CELLS)
			return csv_fail(c, c->rs, "expected at most %d bin_k columns, found %ld", CSV_MAX_CELLS, maxbin + 1);
		c->nbins = (int)maxbin + 1;
	}
	sbuf miss = {0};
	static const int required[] = {COL_RUN, COL_LS, COL_ME, COL_XMIN, COL_XMAX, COL_XBINS};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (c->role[required[i]] < 0)
			sb_printf(&miss, "%s%s", miss.len ? ", " : "", role_names[required[i]]);
	if (c->role[COL_HISTO] < 0 && !c->nbins)
		sb_printf(&miss, "%s%s", miss.len ? ", " : "", "histo (long layout) or bin_0..bin_N (wide layout)");
	if (miss.len || miss.oom) {
		sbuf have = {0};
		list_columns(c, &have);
		r = csv_fail(c, c->rs, "missing required columns: %s; the header has: %s", miss.s ? miss.s : "?",
			     have.s ? have.s : "");
		sb_free(&miss);
		sb_free(&have);
		return r;
	}
	for (int l = 0; l < c->nlab; l++) {
		c->labcol[l] = -1;
		for (int i = 0; i < c->ncols && c->labcol[l] < 0; i++)
			if (name_ieq(c->colname[i], c->labname[l]))
				c->labcol[l] = i;
		if (c->labcol[l] < 0) {
			sbuf have = {0};
			list_columns(c, &have);
			r = csv_fail(c, c->rs, "expected a label column '%s', found none; the header has: %s", c->labname[l],
				     have.s ? have.s : "");
			sb_free(&have);
			return r;
		}
	}
	return LC_OK;
}

/* ---------------------------------------------------------------- ME table */

/* FNV-1a hash of a string. */
static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* Finds name in the ME table or adds it with ncells and line; *slot receives its slot. */
static int me_lookup(csv *c, const char *name, size_t ncells, int64_t line, me_ent **slot)
{
	if (c->mescap && c->mes[c->lastme].name && strcmp(c->mes[c->lastme].name, name) == 0) {
		*slot = &c->mes[c->lastme];
		return LC_OK;
	}
	if ((c->nmes + 1) * 2 > c->mescap) {
		size_t nc = c->mescap ? c->mescap * 2 : 64;
		me_ent *nt = calloc(nc, sizeof *nt);
		if (!nt)
			return lc_error_set(c->err, LC_ERR_NOMEM, "%s: out of memory", c->path);
		for (size_t i = 0; i < c->mescap; i++)
			if (c->mes[i].name) {
				size_t j = (size_t)hash_str(c->mes[i].name) & (nc - 1);
				while (nt[j].name)
					j = (j + 1) & (nc - 1);
				nt[j] = c->mes[i];
			}
		free(c->mes);
		c->mes = nt;
		c->mescap = nc;
	}
	size_t j = (size_t)hash_str(name) & (c->mescap - 1);
	while (c->mes[j].name && strcmp(c->mes[j].name, name) != 0)
		j = (j + 1) & (c->mescap - 1);
	if (!c->mes[j].name) {
		size_t n = strlen(name) + 1;
		if (!(c->mes[j].name = malloc(n)))
			return lc_error_set(c->err, LC_ERR_NOMEM, "%s: out of memory", c->path);
		memcpy(c->mes[j].name, name, n);
		c->mes[j].ncells = ncells;
		c->mes[j].line = line;
		c->nmes++;
	}
	c->lastme = j;
	*slot = &c->mes[j];
	return LC_OK;
}

/* ---------------------------------------------------------------- rows */

/* Parses field col (blanks around allowed) as a finite number. */
static int get_num(const csv *c, int col, double *v)
{
	const field *f = &c->fld[col];
	const char *s = f->s, *e = f->e;
	if (e > s && e - s <= 15) {
		/* plain integers (most wide-layout cells) without the general path */
		uint64_t m = 0;
		const char *p = s;
		while (p < e && (unsigned)(*p - '0') < 10u)
			m = m * 10 + (uint64_t)(*p++ - '0');
		if (p == e) {
			*v = (double)m;
			return LC_OK;
		}
	}
	while (s < e && blank(*s))
		s++;
	while (e > s && blank(e[-1]))
		e--;
	const char *p = num_parse(s, e, v);
	if (!p || p != e) {
		char tmp[64];
		return csv_fail(c, f->s, "expected a number in column %s, found %s", c->colname[col],
				show(tmp, sizeof tmp, f->s, f->e));
	}
	return LC_OK;
}

/* 1 if field col is empty or blank (an optional value left out). */
static int field_empty(const csv *c, int col)
{
	const field *f = &c->fld[col];
	for (const char *p = f->s; p < f->e; p++)
		if (!blank(*p))
			return 0;
	return 1;
}

/* Parses field col as an integer in [lo, hi] ("17", "17.0" and "1.7e1" all give 17). */
static int get_int(const csv *c, int col, double lo, double hi, const char *what, int64_t *out)
{
	double v;
	const field *f = &c->fld[col];
	const char *s = f->s, *e = f->e;
	while (s < e && blank(*s))
		s++;
	while (e > s && blank(e[-1]))
		e--;
	const char *p = num_parse(s, e, &v);
	if (!p || p != e || v != floor(v) || v < lo || v > hi) {
		char tmp[64];
		return csv_fail(c, f->s, "expected %s in column %s, found %s", what, c->colname[col],
				show(tmp, sizeof tmp, f->s, f->e));
	}
	*out = (int64_t)v;
	return LC_OK;
}

/* Makes room for at least n cells. */
static int cells_reserve(csv *c, size_t n)
{
	if (n <= c->cellcap)
		return LC_OK;
	size_t nc = c->cellcap ? c->cellcap : 1024;
	while (nc < n)
		nc *= 2;
	double *nb = realloc(c->cells, nc * sizeof *nb);
	if (!nb)
		return lc_error_set(c->err, LC_ERR_NOMEM, "%s: out of memory for %zu cells", c->path, nc);
	c->cells = nb;
	c->cellcap = nc;
	return LC_OK;
}

/* Long layout: parses the list "[a, b, ...]" of column col into cells; *n receives the count. The hot loop of the
 * reader. */
static int parse_list(csv *c, int col, size_t *n)
{
	const field *f = &c->fld[col];
	const char *p = f->s, *e = f->e;
	char tmp[64];
	size_t k = 0;
	while (p < e && blank(*p))
		p++;
	if (p == e || *p != '[')
		return csv_fail(c, p, "expected '[' starting the list in column %s, found %s", c->colname[col],
				p == e ? "nothing" : show(tmp, sizeof tmp, p, p + 1));
	p++;
	while (p < e && blank(*p))
		p++;
	if (p < e && *p == ']') {
		p++;
	} else {
		for (;;) {
			if (k + 2 >= c->cellcap) {
				if (k >= CSV_MAX_CELLS)
					return csv_fail(c, p, "expected at most %d cells in column %s, found more",
							CSV_MAX_CELLS, c->colname[col]);
				int r = cells_reserve(c, k + 3);
				if (r)
					return r;
			}
			/* plain integers of up to 15 digits, the bulk of real files, inline; the byte at e is never a
			 * digit (a closing quote, separator, line end or the buffer's sentinel), so the digit loop needs
			 * no bound check */
			const char *q = p;
			unsigned dg = (unsigned)(unsigned char)*q - '0';
			if (dg < 10) {
				uint64_t m = dg;
				while ((dg = (unsigned)(unsigned char)*++q - '0') < 10)
					m = m * 10 + dg;
				if (q - p <= 15 && *q != '.' && *q != 'e' && *q != 'E') {
					c->cells[k] = (double)m;
					goto item_done;
				}
			}
			q = num_parse(p, e, &c->cells[k]);
			if (!q) {
				const char *t = p;
				while (t < e && *t != ',' && *t != ']' && !blank(*t))
					t++;
				return csv_fail(c, p, "expected a number in column %s (item %zu), found %s", c->colname[col], k,
						show(tmp, sizeof tmp, p, t));
			}
		item_done:
			k++;
			p = q;
			while (p < e && *p == ' ')
				p++;
			if (p < e && *p == ',') {
				p++;
				while (p < e && blank(*p))
					p++;
				continue;
			}
			while (p < e && blank(*p))
				p++;
			if (p < e && *p == ']') {
				p++;
				break;
			}
			return csv_fail(c, p, "expected ',' or ']' after item %zu in column %s, found %s%s", k - 1,
					c->colname[col], show(tmp, sizeof tmp, p, p < e ? p + 1 : e),
					p < e ? "" : " (truncated list?)");
		}
	}
	while (p < e && blank(*p))
		p++;
	if (p != e)
		return csv_fail(c, p, "expected nothing after ']' in column %s, found %s", c->colname[col],
				show(tmp, sizeof tmp, p, e));
	*n = k;
	return LC_OK;
}

/* Parses label column l of the current row: 1 good, 0 bad, -1 empty. */
static int get_label(const csv *c, int l, int *good)
{
	int col = c->labcol[l];
	const field *f = &c->fld[col];
	const char *s = f->s, *e = f->e;
	while (s < e && blank(*s))
		s++;
	while (e > s && blank(e[-1]))
		e--;
	size_t n = (size_t)(e - s);
	double v;
	if (n == 0) {
		*good = -1;
		return LC_OK;
	}
	if (n == 4 && (s[0] | 32) == 't' && (s[1] | 32) == 'r' && (s[2] | 32) == 'u' && (s[3] | 32) == 'e') {
		*good = 1;
		return LC_OK;
	}
	if (n == 5 && (s[0] | 32) == 'f' && (s[1] | 32) == 'a' && (s[2] | 32) == 'l' && (s[3] | 32) == 's' &&
	    (s[4] | 32) == 'e') {
		*good = 0;
		return LC_OK;
	}
	if (num_parse(s, e, &v) == e && (v == 0 || v == 1)) {
		*good = v == 1;
		return LC_OK;
	}
	char tmp[64];
	return csv_fail(c, f->s, "expected 1, 0, true, false or nothing in label column %s, found %s", c->colname[col],
			show(tmp, sizeof tmp, f->s, f->e));
}

/* Validates the current record as one histogram and hands it to fn. */
static int csv_row(csv *c, lc_hist_fn fn, void *ctx)
{
	int r;
	lc_hist h;
	memset(&h, 0, sizeof h);
	if (c->nfld != c->ncols)
		return csv_fail(c, c->re, "expected %d columns as in the header, found %d%s", c->ncols, c->nfld,
				c->nfld < c->ncols ? " (truncated row?)" : "");
	const int *R = c->role;
	if ((r = get_int(c, R[COL_RUN], 1, 9007199254740992.0, "a run number > 0", &h.run)) ||
	    (r = get_int(c, R[COL_LS], 1, 9007199254740992.0, "a lumisection number > 0", &h.ls)))
		return r;

	/* ME name, unescaped into c->name */
	const field *nf = &c->fld[R[COL_ME]];
	size_t nlen = (size_t)(nf->e - nf->s);
	if (nlen + 1 > c->namecap) {
		char *nb = realloc(c->name, nlen + 1);
		if (!nb)
			return lc_error_set(c->err, LC_ERR_NOMEM, "%s: out of memory", c->path);
		c->name = nb;
		c->namecap = nlen + 1;
	}
	char *o = c->name;
	for (const char *p = nf->s; p < nf->e; p++) {
		*o++ = *p;
		if (nf->esc && *p == '"' && p + 1 < nf->e && p[1] == '"')
			p++;
	}
	*o = 0;
	if (!c->name[0])
		return csv_fail(c, nf->s, "expected an ME name in column %s, found nothing", c->colname[R[COL_ME]]);
	h.me = c->name;

	int64_t iv;
	if (R[COL_METYPE] >= 0 && !field_empty(c, R[COL_METYPE])) {
		if ((r = get_int(c, R[COL_METYPE], 0, 1e6, "an ME type code >= 0", &iv)))
			return r;
		h.metype = (int)iv;
	}
	if ((r = get_num(c, R[COL_XMIN], &h.xmin)) || (r = get_num(c, R[COL_XMAX], &h.xmax)))
		return r;
	if ((r = get_int(c, R[COL_XBINS], 1, CSV_MAX_CELLS, "a number of bins in [1, 10000000]", &iv)))
		return r;
	h.nx = (int)iv;
	int64_t ny = -1; /* -1: no ybins given */
	if (R[COL_YBINS] >= 0 && !field_empty(c, R[COL_YBINS]) &&
	    (r = get_int(c, R[COL_YBINS], 0, CSV_MAX_CELLS, "a number of bins in [0, 10000000]", &ny)))
		return r;

	/* cells */
	size_t n = 0;
	const char *cellpos;
	if (c->nbins) {
		n = (size_t)c->nbins;
		if ((r = cells_reserve(c, n + 2)))
			return r;
		for (int k = 0; k < c->nbins; k++)
			if ((r = get_num(c, c->bincol[k], &c->cells[k])))
				return r;
		cellpos = c->fld[c->bincol[0]].s;
	} else {
		if ((r = parse_list(c, R[COL_HISTO], &n)))
			return r;
		cellpos = c->fld[R[COL_HISTO]].s;
	}
	const char *cellsname = c->nbins ? "bin_0..bin_N" : c->colname[R[COL_HISTO]];

	/* dimension from the cell count */
	int64_t nx = h.nx, n2 = ny >= 1 ? (nx + 2) * (ny + 2) : -1;
	if ((int64_t)n == nx + 2 && ny <= 1) {
		h.dim = 1;
		h.has_flow = 1;
	} else if ((int64_t)n == nx && ny <= 1) {
		h.dim = 1;
		h.has_flow = 0;
		memmove(c->cells + 1, c->cells, n * sizeof *c->cells);
		c->cells[0] = c->cells[n + 1] = 0;
	} else if ((int64_t)n == n2) {
		h.dim = 2;
		h.has_flow = 1;
	} else {
		if (ny <= 1)
			return csv_fail(c, cellpos,
					"expected %lld cells in %s (xbins %lld + 2 flow cells, 1D) or %lld (without flow), "
					"found %zu",
					(long long)(nx + 2), cellsname, (long long)nx, (long long)nx, n);
		return csv_fail(c, cellpos, "expected %lld cells in %s ((xbins %lld + 2) * (ybins %lld + 2), 2D), found %zu",
				(long long)n2, cellsname, (long long)nx, (long long)ny, n);
	}
	if (h.dim == 2) {
		if (R[COL_YMIN] < 0 || R[COL_YMAX] < 0)
			return csv_fail(c, cellpos, "expected columns ymin and ymax for a 2D histogram, found %s",
					R[COL_YMIN] < 0 ? "no ymin" : "no ymax");
		if ((r = get_num(c, R[COL_YMIN], &h.ymin)) || (r = get_num(c, R[COL_YMAX], &h.ymax)))
			return r;
		h.ny = (int)ny;
	} else {
		h.ny = 1;
		h.ymin = 0;
		h.ymax = 1;
	}
	h.cells = c->cells;

	if (R[COL_ENTRIES] >= 0 && !field_empty(c, R[COL_ENTRIES])) {
		if ((r = get_num(c, R[COL_ENTRIES], &h.entries)))
			return r;
	} else {
		size_t nc = lc_hist_ncells(h.dim, h.nx, h.ny);
		double s = 0;
		for (size_t i = 0; i < nc; i++)
			s += c->cells[i];
		h.entries = s;
	}

	/* every row of one ME has the same cell count */
	me_ent *me = NULL;
	if ((r = me_lookup(c, c->name, n, c->rline, &me)))
		return r;
	if (me->ncells != n)
		return csv_fail(c, cellpos, "expected %zu cells for ME %s as on line %lld, found %zu", me->ncells,
				c->name, (long long)me->line, n);

	int nl = 0;
	for (int l = 0; l < c->nlab; l++) {
		int good = -1;
		if ((r = get_label(c, l, &good)))
			return r;
		if (good >= 0) {
			c->labels[nl].source = c->labname[l];
			c->labels[nl].good = good;
			nl++;
		}
	}
	return fn ? fn(ctx, &h, c->labels, nl, c->err) : LC_OK;
}

/* ---------------------------------------------------------------- entry point */

int lc_csv_read(FILE *f, const char *path, const char *const *label_cols, int nlabel_cols, lc_hist_fn fn, void *ctx,
		lc_error *err)
{
	if (!path)
		path = "(csv)";
	if (!f || nlabel_cols < 0 || (nlabel_cols > 0 && !label_cols))
		return lc_error_set(err, LC_ERR_INVALID, "%s: lc_csv_read: invalid arguments", path);
	for (int l = 0; l < nlabel_cols; l++)
		if (!label_cols[l])
			return lc_error_set(err, LC_ERR_INVALID, "%s: lc_csv_read: label column %d is NULL", path, l);
	csv c;
	memset(&c, 0, sizeof c);
	c.f = f;
	c.path = path;
	c.err = err;
	c.line = 1;
	c.labname = label_cols;
	c.nlab = nlabel_cols;
	int r = LC_OK;
	int64_t rows = 0;
	c.cap = CSV_BUF_INIT;
	c.buf = malloc(c.cap + 1);
	c.labcol = malloc(((size_t)nlabel_cols + 1) * sizeof *c.labcol);
	c.labels = malloc(((size_t)nlabel_cols + 1) * sizeof *c.labels);
	if (!c.buf || !c.labcol || !c.labels) {
		r = lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory", path);
		goto done;
	}
	r = csv_next(&c);
	if (r == 0)
		r = lc_error_set(err, LC_ERR_PARSE, "%s: no rows: the file is empty", path);
	if (r < 0)
		goto done;
	if ((r = csv_header(&c)))
		goto done;
	while ((r = csv_next(&c)) == 1) {
		if ((r = csv_split(&c, c.ncols + 1)) || (r = csv_row(&c, fn, ctx)))
			goto done;
		rows++;
	}
	if (r < 0)
		goto done;
	if (rows == 0)
		r = lc_error_set(err, LC_ERR_PARSE, "%s:%lld: no rows after the header", path, (long long)c.line);
done:
	for (int i = 0; c.colname && i < c.ncols; i++)
		free(c.colname[i]);
	free(c.colname);
	for (size_t i = 0; i < c.mescap; i++)
		free(c.mes[i].name);
	free(c.mes);
	free(c.buf);
	free(c.fld);
	free(c.bincol);
	free(c.labcol);
	free(c.labels);
	free(c.cells);
	free(c.name);
	return r;
}
