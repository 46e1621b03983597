/* extract.c — per-event features from ROOT event files (quantile particles by pT, total momentum vector per
 * channel), event files, per-LS statistics (mean, std, percentiles), CSV and store output, and the threaded,
 * sharded, resumable run over a URL list. Definitions: docs/extract.md. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "lumicert_extract.h"

/* ---------------------------------------------------------------- event tables */

void lc_event_table_free(lc_event_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncols; i++)
		free(t->names[i]);
	free(t->names);
	free(t->rows);
	memset(t, 0, sizeof *t);
}

static int add_name(lc_event_table *t, size_t *cap, lc_error *err, const char *fmt, ...) LC_PRINTF(4, 5);
static int add_name(lc_event_table *t, size_t *cap, lc_error *err, const char *fmt, ...)
{
	if (t->ncols == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		char **n = realloc(t->names, c * sizeof *n);
		if (!n)
			return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		t->names = n;
		*cap = c;
	}
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (!(t->names[t->ncols] = strdup(buf)))
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	t->ncols++;
	return LC_OK;
}

/* Columns of channel k start here: run, lumi, extras, then per channel 1 + nb*N (+ 3). */
static size_t channel_cols(const lc_extract_config *c, size_t k)
{
	const lc_extract_channel *ch = &c->channels[k];
	return 1 + ch->nbranches * (size_t)c->quantiles + (ch->eta >= 0 && ch->phi >= 0 ? 3 : 0);
}

int lc_event_table_init(const lc_extract_config *c, lc_event_table *t, lc_error *err)
{
	memset(t, 0, sizeof *t);
	size_t cap = 0;
	int rc = add_name(t, &cap, err, "run");
	if (!rc)
		rc = add_name(t, &cap, err, "lumi");
	for (size_t i = 2; i < c->nper_ls && !rc; i++)
		rc = add_name(t, &cap, err, "%s", c->per_ls_names[i]);
	for (size_t k = 0; k < c->nchannels && !rc; k++) {
		const lc_extract_channel *ch = &c->channels[k];
		rc = add_name(t, &cap, err, "%s_count", ch->name);
		for (size_t b = 0; b < ch->nbranches && !rc; b++)
			for (int q = 0; q < c->quantiles && !rc; q++)
				rc = add_name(t, &cap, err, "%s_%s_q%d", ch->name, ch->features[b], q);
		if (ch->eta >= 0 && ch->phi >= 0 && !rc)
			if (!(rc = add_name(t, &cap, err, "%s_px", ch->name)) && !(rc = add_name(t, &cap, err, "%s_py", ch->name)))
				rc = add_name(t, &cap, err, "%s_pz", ch->name);
	}
	if (rc)
		lc_event_table_free(t);
	return rc;
}

/* A branch read over a chunk, used in place: values of its own type, entry starts from its offsets. */
typedef struct col {
	lc_root_array a;    /* as read (lc_root_array_free) */
	int64_t base;       /* a.offsets[0]: offsets are relative to the first entry read */
} col;

static void col_free(col *c)
{
	lc_root_array_free(&c->a);
	memset(c, 0, sizeof *c);
}

/* Index in a.values of the first value of entry e of the chunk. */
static inline int64_t col_start(const col *c, int64_t e)
{
	return c->a.offsets ? c->a.offsets[e] - c->base : e * c->a.fixed;
}

/* Value i as a double (numbers only: col_read refuses other types). */
static inline double col_val(const col *c, int64_t i)
{
	const void *v = c->a.values;
	switch (c->a.type) {
	case LC_ROOT_F32: return (double)((const float *)v)[i];
	case LC_ROOT_F64: return ((const double *)v)[i];
	case LC_ROOT_I32: return (double)((const int32_t *)v)[i];
	case LC_ROOT_U32: return (double)((const uint32_t *)v)[i];
	case LC_ROOT_BOOL:
	case LC_ROOT_U8: return (double)((const uint8_t *)v)[i];
	case LC_ROOT_I8: return (double)((const int8_t *)v)[i];
	case LC_ROOT_I16: return (double)((const int16_t *)v)[i];
	case LC_ROOT_U16: return (double)((const uint16_t *)v)[i];
	case LC_ROOT_I64: return (double)((const int64_t *)v)[i];
	case LC_ROOT_U64: return (double)((const uint64_t *)v)[i];
	default: return NAN;
	}
}

static int col_read(lc_root_tree *t, const char *branch, const char *where, int64_t a, int64_t b, col *out,
		    lc_error *err)
{
	memset(out, 0, sizeof *out);
	long i = lc_root_tree_find(t, branch);
	if (i < 0)
		return lc_error_set(err, LC_ERR_PARSE, "%s: no branch '%s' in tree '%s'", where, branch, lc_root_tree_name(t));
	int rc = lc_root_branch_read(t, (size_t)i, a, b, &out->a, err);
	if (rc)
		return rc;
	if (out->a.type == LC_ROOT_NONE || out->a.type >= LC_ROOT_STRING)
		rc = lc_error_set(err, LC_ERR_PARSE, "%s: branch '%s' holds %s, not numbers", where, branch,
				  lc_root_type_name(out->a.type));
	else if (out->a.nentries != b - a)
		rc = lc_error_set(err, LC_ERR_PARSE, "%s: branch '%s' has %lld entries in [%lld, %lld)", where, branch,
				  (long long)out->a.nentries, (long long)a, (long long)b);
	if (rc) {
		col_free(out);
		return rc;
	}
	out->base = out->a.offsets ? out->a.offsets[0] : 0;
	return LC_OK;
}

/* A particle for sorting: its ordering value and index (ties keep index order, so the sort is stable). */
typedef struct part {
	double v;
	int64_t i;
} part;

static int part_cmp(const void *pa, const void *pb)
{
	const part *a = pa, *b = pb;
	int na = isnan(a->v), nb = isnan(b->v);
	if (na != nb)
		return na - nb; /* NaN last, as numpy sorts */
	if (!na && a->v != b->v)
		return a->v < b->v ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

/* sin and cos of x together, within about 2 ulp of libm for |x| <= 64 (azimuthal angles; libm's sincos, which has
 * to handle any x, was a fifth of the feature time): x = q pi/2 + r with |r| <= pi/4 (pi/2 in two parts: the first
 * has 33 bits, so q times it is exact for |q| < 2^20), then the Taylor series of sin r to r^17 and cos r to r^18
 * (remainders below 1e-17 on |r| <= pi/4), and the quadrant. Larger |x| and NaN go to libm. */
static inline void sincos_small(double x, double *sn, double *cs)
{
	if (!(fabs(x) <= 64.0)) {
		*sn = sin(x);
		*cs = cos(x);
		return;
	}
	const double pio2_hi = 1.57079632673412561417, pio2_lo = 6.07710050650619224932e-11;
	const double round = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer (libm's nearbyint is a call) */
	double q = (x * 0.63661977236758134308 + round) - round; /* 2 / pi */
	double r = (x - q * pio2_hi) - q * pio2_lo, z = r * r;
	double sr = r + r * z * (-1.0 / 6 + z * (1.0 / 120 + z * (-1.0 / 5040 + z * (1.0 / 362880 + z * (-1.0 / 39916800 +
		    z * (1.0 / 6227020800.0 + z * (-1.0 / 1307674368000.0 + z * (1.0 / 355687428096000.0))))))));
	double cr = 1.0 + z * (-0.5 + z * (1.0 / 24 + z * (-1.0 / 720 + z * (1.0 / 40320 + z * (-1.0 / 3628800 +
		    z * (1.0 / 479001600 + z * (-1.0 / 87178291200.0 + z * (1.0 / 20922789888000.0 +
		    z * (-1.0 / 6402373705728000.0)))))))));
	switch ((int)q & 3) {
	case 0: *sn = sr; *cs = cr; break;
	case 1: *sn = cr; *cs = -sr; break;
	case 2: *sn = -sr; *cs = -cr; break;
	default: *sn = -cr; *cs = sr; break;
	}
}

/* sinh(x) from one exp; for 1e-3 < |x| < 700 its relative error stays below 1e-12 */
static inline double sinh_exp(double x)
{
	double e = exp(x);
	return 0.5 * (e - 1.0 / e);
}

/* Features of one channel for entry e of a chunk into out (channel_cols values). cols are the channel's branches. */
static int channel_event(const lc_extract_config *c, const lc_extract_channel *ch, const col *cols, int64_t e,
			 int64_t entry, part **scratch, size_t *scap, double *out, lc_error *err)
{
	int64_t o0 = col_start(&cols[0], e), M = col_start(&cols[0], e + 1) - o0;
	for (size_t b = 1; b < ch->nbranches; b++)
		if (col_start(&cols[b], e + 1) - col_start(&cols[b], e) != M)
			return lc_error_set(err, LC_ERR_PARSE, "per_event.%s: entry %lld: branch '%s' has %lld values, '%s' "
					    "has %lld", ch->name, (long long)entry, ch->branches[b],
					    (long long)(col_start(&cols[b], e + 1) - col_start(&cols[b], e)), ch->branches[0],
					    (long long)M);
	int64_t m = (M + ch->read_each - 1) / ch->read_each; /* particles used: indices 0, k, 2k, ... */
	if ((size_t)m > *scap) {
		size_t cap = (size_t)m * 2;
		part *p = realloc(*scratch, cap * sizeof *p);
		if (!p)
			return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		*scratch = p;
		*scap = cap;
	}
	part *p = *scratch;
	if (cols[0].a.type == LC_ROOT_F32) { /* the common case, without a type switch per value */
		const float *v = (const float *)cols[0].a.values + o0;
		for (int64_t j = 0; j < m; j++)
			p[j] = (part){(double)v[j * ch->read_each], j * ch->read_each};
	} else {
		for (int64_t j = 0; j < m; j++)
			p[j] = (part){col_val(&cols[0], o0 + j * ch->read_each), j * ch->read_each};
	}
	if (m > 24) {
		qsort(p, (size_t)m, sizeof *p, part_cmp);
	} else {
		for (int64_t j = 1; j < m; j++) { /* insertion sort: the common short lists */
			part x = p[j];
			int64_t k = j;
			while (k > 0 && part_cmp(&p[k - 1], &x) > 0) {
				p[k] = p[k - 1];
				k--;
			}
			p[k] = x;
		}
	}
	int N = c->quantiles, nk = 0; /* the particles at the quantile ranks, their indices in the event */
	int64_t idx[LC_EXTRACT_MAX_QUANTILES];
	for (int q = 0; q < N; q++) {
		int64_t k = m >= N ? (q < N - 1 ? (int64_t)q * (m / N) : m - 1) : q < m ? q : -1; /* -1: zero-padded */
		if (k >= 0)
			idx[nk++] = p[k].i;
	}
	*out++ = (double)m;
	for (size_t b = 0; b < ch->nbranches; b++) {
		const col *cb = &cols[b];
		int64_t ob = col_start(cb, e);
		if (cb->a.type == LC_ROOT_F32) {
			const float *vf = (const float *)cb->a.values + ob;
			for (int q = 0; q < nk; q++)
				out[q] = (double)vf[idx[q]];
		} else {
			for (int q = 0; q < nk; q++)
				out[q] = col_val(cb, ob + idx[q]);
		}
		for (int q = nk; q < N; q++)
			out[q] = 0.0;
		out += N;
	}
	if (ch->eta >= 0 && ch->phi >= 0) {
		const col *ce = &cols[ch->eta], *cp = &cols[ch->phi];
		int64_t oe = col_start(ce, e), op = col_start(cp, e);
		double px = 0, py = 0, pz = 0;
		int f32 = cols[0].a.type == LC_ROOT_F32 && ce->a.type == LC_ROOT_F32 && cp->a.type == LC_ROOT_F32;
		const float *fpt = f32 ? (const float *)cols[0].a.values + o0 : NULL,
			    *feta = f32 ? (const float *)ce->a.values + oe : NULL,
			    *fphi = f32 ? (const float *)cp->a.values + op : NULL;
		for (int64_t j = 0; j < M; j += ch->read_each) {
			double pt = f32 ? (double)fpt[j] : col_val(&cols[0], o0 + j);
			if (pt == 0)
				continue; /* along the beam (generator beam particles have |eta| ~ 1e10): nothing to add */
			double phi = f32 ? (double)fphi[j] : col_val(cp, op + j), sn, cs;
			sincos_small(phi, &sn, &cs);
			px += pt * cs;
			py += pt * sn;
			double eta = f32 ? (double)feta[j] : col_val(ce, oe + j);
			/* sinh through one exp (cheaper than libm's sinh); near 0 the cancellation costs eps/|eta|, so
			 * small |eta| keeps sinh (relative error stays below 1e-12 either way) */
			pz += pt * (fabs(eta) > 1e-3 && fabs(eta) < 700 ? sinh_exp(eta) : sinh(eta));
		}
		*out++ = px;
		*out++ = py;
		*out++ = pz;
	}
	return LC_OK;
}

int lc_extract_events(const lc_extract_config *c, lc_root *f, int64_t first, int64_t last, lc_event_table *t,
		      lc_error *err)
{
	lc_root_tree *tree;
	int rc = lc_root_tree_open(f, c->tree, &tree, err);
	if (rc)
		return rc;
	rc = lc_extract_events_tree(c, tree, first, last, t, err);
	lc_root_tree_close(tree);
	return rc;
}

int lc_extract_events_tree(const lc_extract_config *c, lc_root_tree *tree, int64_t first, int64_t last,
			   lc_event_table *t, lc_error *err)
{
	int rc = LC_OK;
	int64_t n = lc_root_tree_entries(tree);
	if (last < 0 || last > n)
		last = n;
	if (first < 0)
		first = 0;
	int64_t batch = INT64_MAX;
	size_t nb = 0;
	for (size_t k = 0; k < c->nchannels; k++) {
		if (c->channels[k].batch < batch)
			batch = c->channels[k].batch;
		nb += c->channels[k].nbranches;
	}
	col *ls = calloc(c->nper_ls, sizeof *ls), *cols = calloc(nb ? nb : 1, sizeof *cols);
	part *scratch = NULL;
	size_t scap = 0;
	if (!ls || !cols)
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	for (int64_t a = first; a < last && !rc; a += batch) {
		int64_t b = last - a > batch ? a + batch : last;
		for (size_t i = 0; i < c->nper_ls && !rc; i++) {
			char where[64];
			snprintf(where, sizeof where, "per_lumisection[%zu]", i);
			rc = col_read(tree, c->per_ls[i], where, a, b, &ls[i], err);
			for (int64_t e = 0; e < b - a && !rc; e++)
				if (col_start(&ls[i], e + 1) - col_start(&ls[i], e) != 1)
					rc = lc_error_set(err, LC_ERR_PARSE, "%s: branch '%s' has %lld values in entry %lld, not one",
							  where, c->per_ls[i], (long long)(col_start(&ls[i], e + 1) - col_start(&ls[i], e)),
							  (long long)(a + e));
		}
		for (size_t k = 0, x = 0; k < c->nchannels; k++)
			for (size_t j = 0; j < c->channels[k].nbranches && !rc; j++, x++) {
				char where[300];
				snprintf(where, sizeof where, "per_event.%s.branches[%zu]", c->channels[k].name, j);
				rc = col_read(tree, c->channels[k].branches[j], where, a, b, &cols[x], err);
			}
		if (!rc && t->nrows + (size_t)(b - a) > t->cap) {
			size_t cap = t->nrows + (size_t)(last - a); /* the whole range at once: no copies while growing */
			double *r = realloc(t->rows, cap * t->ncols * sizeof *r);
			if (!r)
				rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory for %zu events", cap);
			else {
				t->rows = r;
				t->cap = cap;
			}
		}
		for (int64_t e = 0; e < b - a && !rc; e++) {
			double *row = t->rows + (t->nrows + (size_t)e) * t->ncols;
			size_t o = 0;
			for (size_t i = 0; i < c->nper_ls; i++)
				row[o++] = col_val(&ls[i], col_start(&ls[i], e));
			for (size_t k = 0, x = 0; k < c->nchannels && !rc; k++) {
				rc = channel_event(c, &c->channels[k], cols + x, e, a + e, &scratch, &scap, row + o, err);
				o += channel_cols(c, k);
				x += c->channels[k].nbranches;
			}
		}
		if (!rc)
			t->nrows += (size_t)(b - a);
		for (size_t i = 0; i < c->nper_ls; i++)
			col_free(&ls[i]);
		for (size_t x = 0; x < nb; x++)
			col_free(&cols[x]);
	}
	free(ls);
	free(cols);
	free(scratch);
	return rc;
}

/* ---------------------------------------------------------------- event files */

static int host_le(void)
{
	uint16_t one = 1;
	unsigned char b;
	memcpy(&b, &one, 1);
	return b == 1;
}

struct lc_event_writer {
	FILE *f;            /* the temporary file */
	char *path, *tmp;   /* final and temporary names */
	size_t ncols;       /* columns of every table added */
	size_t nrows;       /* rows written */
	long rows_at;       /* file offset of the fixed-width row count, rewritten at commit */
};

int lc_event_writer_open(const char *path, const lc_event_table *cols, lc_event_writer **out, lc_error *err)
{
	if (!host_le())
		return lc_error_set(err, LC_ERR_UNSUPPORTED, "%s: event files are written on little-endian hosts only", path);
	lc_event_writer *w = calloc(1, sizeof *w);
	size_t n = strlen(path) + 32;
	if (!w || !(w->path = strdup(path)) || !(w->tmp = malloc(n))) {
		lc_event_writer_close(w, 0, NULL);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	snprintf(w->tmp, n, "%s.tmp%ld.%p", path, (long)getpid(), (void *)w);
	if (!(w->f = fopen(w->tmp, "wb"))) {
		int rc = lc_error_set(err, LC_ERR_IO, "%s: cannot write: %s", w->tmp, strerror(errno));
		lc_event_writer_close(w, 0, NULL);
		return rc;
	}
	w->ncols = cols->ncols;
	fprintf(w->f, "LCEVT 1\ncolumns %zu\n", cols->ncols);
	for (size_t i = 0; i < cols->ncols; i++)
		fprintf(w->f, "%s\n", cols->names[i]);
	w->rows_at = ftell(w->f);
	fprintf(w->f, "rows %020zu\n", (size_t)0);
	*out = w;
	return LC_OK;
}

int lc_event_writer_add(lc_event_writer *w, const lc_event_table *t, lc_error *err)
{
	if (t->ncols != w->ncols)
		return lc_error_set(err, LC_ERR_INVALID, "%s: a table of %zu columns added to an event file of %zu", w->path,
				    t->ncols, w->ncols);
	if (t->nrows && fwrite(t->rows, sizeof(double) * t->ncols, t->nrows, w->f) != t->nrows)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot write: %s", w->tmp, strerror(errno));
	w->nrows += t->nrows;
	return LC_OK;
}

int lc_event_writer_close(lc_event_writer *w, int commit, lc_error *err)
{
	if (!w)
		return LC_OK;
	int rc = LC_OK;
	if (w->f) {
		if (commit && (fseek(w->f, w->rows_at, SEEK_SET) != 0 || fprintf(w->f, "rows %020zu\n", w->nrows) < 0))
			rc = LC_ERR_IO;
		if (ferror(w->f))
			rc = LC_ERR_IO;
		if (fclose(w->f) != 0)
			rc = LC_ERR_IO;
		if (commit && !rc && rename(w->tmp, w->path) != 0)
			rc = LC_ERR_IO;
		if (rc)
			lc_error_set(err, rc, "%s: cannot write: %s", w->path, strerror(errno));
		if (rc || !commit)
			remove(w->tmp);
	}
	free(w->path);
	free(w->tmp);
	free(w);
	return rc;
}

/* Reads the header of event file f (path for messages); leaves f at the first row. */
static int read_header(FILE *f, const char *path, const lc_event_table *want, lc_event_table *out, size_t *nrows,
		       lc_error *err)
{
	char line[600];
	int rc = LC_OK;
	size_t nc = 0, ln = 2;
	memset(out, 0, sizeof *out);
	if (!fgets(line, sizeof line, f) || strcmp(line, "LCEVT 1\n"))
		return lc_error_set(err, LC_ERR_VERSION, "%s:1: not a lumicert event file of version 1", path);
	if (!fgets(line, sizeof line, f) || sscanf(line, "columns %zu", &nc) != 1 || nc == 0 || nc > 100000)
		return lc_error_set(err, LC_ERR_PARSE, "%s:2: expected 'columns N'", path);
	if (!(out->names = calloc(nc, sizeof *out->names)))
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < nc && !rc; i++) {
		ln++;
		if (!fgets(line, sizeof line, f) || !strchr(line, '\n')) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s:%zu: expected a column name", path, ln);
			break;
		}
		*strchr(line, '\n') = 0;
		if (!(out->names[i] = strdup(line)))
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		out->ncols = i + 1;
		if (!rc && want && (nc != want->ncols || strcmp(line, want->names[i])))
			rc = lc_error_set(err, LC_ERR_INVALID, "%s:%zu: column %zu is '%s' where the config gives '%s' (extracted "
					  "with another config: remove the file to extract it again)", path, ln, i + 1, line,
					  i < want->ncols ? want->names[i] : "(nothing)");
	}
	if (!rc && (!fgets(line, sizeof line, f) || sscanf(line, "rows %zu", nrows) != 1))
		rc = lc_error_set(err, LC_ERR_PARSE, "%s:%zu: expected 'rows N'", path, ln + 1);
	if (!rc) {
		long here = ftell(f);
		struct stat st;
		if (here < 0 || fstat(fileno(f), &st) != 0 ||
		    (uint64_t)(st.st_size - here) != (uint64_t)*nrows * nc * sizeof(double))
			rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte %ld: %zu rows of %zu values do not match the file size",
					  path, here, *nrows, nc);
	}
	if (rc)
		lc_event_table_free(out);
	return rc;
}

int lc_event_files_concat(const char *const *parts, size_t n, const char *path, lc_error *err)
{
	lc_event_writer *w = NULL;
	int rc = LC_OK;
	char *buf = malloc(1 << 20);
	if (!buf)
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n && !rc; i++) {
		FILE *f = fopen(parts[i], "rb");
		if (!f) {
			rc = lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", parts[i], strerror(errno));
			break;
		}
		lc_event_table cols;
		size_t nrows;
		rc = read_header(f, parts[i], NULL, &cols, &nrows, err);
		if (!rc && !w)
			rc = lc_event_writer_open(path, &cols, &w, err);
		if (!rc && cols.ncols != w->ncols)
			rc = lc_error_set(err, LC_ERR_INVALID, "%s: %zu columns, the first part has %zu", parts[i], cols.ncols,
					  w->ncols);
		lc_event_table_free(&cols);
		size_t k;
		while (!rc && (k = fread(buf, 1, (size_t)1 << 20, f)) > 0)
			if (fwrite(buf, 1, k, w->f) != k)
				rc = lc_error_set(err, LC_ERR_IO, "%s: cannot write: %s", w->tmp, strerror(errno));
		if (!rc && ferror(f))
			rc = lc_error_set(err, LC_ERR_IO, "%s: read error", parts[i]);
		if (!rc)
			w->nrows += nrows;
		fclose(f);
	}
	free(buf);
	int rc2 = lc_event_writer_close(w, !rc, rc ? NULL : err);
	return rc ? rc : rc2;
}

int lc_event_table_write(const lc_event_table *t, const char *path, lc_error *err)
{
	lc_event_writer *w;
	int rc = lc_event_writer_open(path, t, &w, err);
	if (rc)
		return rc;
	rc = lc_event_writer_add(w, t, err);
	int rc2 = lc_event_writer_close(w, !rc, rc ? NULL : err);
	return rc ? rc : rc2;
}

int lc_event_table_read(const char *path, const lc_event_table *want, lc_event_table *out, lc_error *err)
{
	memset(out, 0, sizeof *out);
	if (!host_le())
		return lc_error_set(err, LC_ERR_UNSUPPORTED, "%s: event files are read on little-endian hosts only", path);
	FILE *f = fopen(path, "rb");
	if (!f)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	size_t nr = 0;
	int rc = read_header(f, path, want, out, &nr, err);
	if (!rc && !(out->rows = malloc((nr ? nr : 1) * out->ncols * sizeof(double))))
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	if (!rc && nr && fread(out->rows, sizeof(double) * out->ncols, nr, f) != nr)
		rc = lc_error_set(err, LC_ERR_IO, "%s: read error", path);
	fclose(f);
	if (rc) {
		lc_event_table_free(out);
		return rc;
	}
	out->nrows = out->cap = nr;
	return LC_OK;
}

/* ---------------------------------------------------------------- per-LS statistics */

void lc_ls_features_free(lc_ls_features *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->ncols; i++) {
		free(f->names[i]);
		free(f->channel[i]);
	}
	free(f->names);
	free(f->channel);
	free(f->run);
	free(f->ls);
	free(f->values);
	free(f);
}

static const char *const stat_names[] = {"mean", "std", "p1", "p25", "p50", "p75", "p99"};
static const double stat_pct[] = {0, 0, 1, 25, 50, 75, 99};
#define NSTAT 7

/* A row reference for grouping by LS. */
typedef struct rowref {
	int64_t run, ls;
	size_t table, row;
} rowref;

static int rowref_cmp(const void *pa, const void *pb)
{
	const rowref *a = pa, *b = pb;
	if (a->run != b->run)
		return a->run < b->run ? -1 : 1;
	if (a->ls != b->ls)
		return a->ls < b->ls ? -1 : 1;
	if (a->table != b->table)
		return a->table < b->table ? -1 : 1;
	return (a->row > b->row) - (a->row < b->row);
}

/* Merges the nr runs of a (each in order; run i is a[b[i]..b[i + 1])) pairwise until one is left, through tmp (as
 * large as a); b is overwritten. Equal keys keep run order, as rowref_cmp has them. Returns a or tmp, whichever
 * holds the result. */
static rowref *merge_runs(rowref *a, rowref *tmp, size_t *b, size_t nr)
{
	while (nr > 1) {
		size_t k = 0;
		for (size_t r = 0; r < nr; r += 2) {
			size_t i = b[r], mid = b[r + 1], hi = r + 2 <= nr ? b[r + 2] : mid, j = mid, o = i;
			while (i < mid && j < hi) {
				int right = a[j].run < a[i].run || (a[j].run == a[i].run && a[j].ls < a[i].ls);
				tmp[o++] = right ? a[j++] : a[i++];
			}
			while (i < mid)
				tmp[o++] = a[i++];
			while (j < hi)
				tmp[o++] = a[j++];
			b[k++] = b[r];
		}
		b[k] = b[nr];
		nr = k;
		rowref *x = a;
		a = tmp;
		tmp = x;
	}
	return a;
}

/* numpy's linear interpolation between a and b at t (numpy.lib.function_base._lerp). */
static double lerp(double a, double b, double t)
{
	double d = b - a;
	return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/* Sorts v[l..r] (a short range) by insertion. */
static void insertion_sort(double *v, size_t l, size_t r)
{
	for (size_t i = l + 1; i <= r; i++) {
		double x = v[i];
		size_t j = i;
		while (j > l && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* Places the order statistics k[0..nk) (ascending indices within [l, r]) of v: afterwards v[k[i]] is the value a
 * full sort would put there. Each step splits [l, r] three ways around a median-of-three pivot with two branchless
 * passes (< pivot, then == pivot: runs of equal values such as zero padding end in one step), and continues only in
 * the sides that hold wanted indices; short ranges are sorted by insertion. v holds no NaN. */
static void multiselect(double *v, size_t l, size_t r, const size_t *k, size_t nk)
{
	while (nk > 0 && r > l) {
		if (r - l < 16) {
			insertion_sort(v, l, r);
			return;
		}
		size_t m = l + (r - l) / 2;
		double a = v[l], b = v[m], c = v[r];
		double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		size_t s = l;
		for (size_t i = l; i <= r; i++) { /* v[l..s) < pivot <= v[s..i) */
			double x = v[i];
			size_t lt = x < pivot;
			v[i] = v[s];
			v[s] = x;
			s += lt;
		}
		size_t e = s;
		for (size_t i = s; i <= r; i++) { /* v[s..e) == pivot < v[e..i) */
			double x = v[i];
			size_t eq = !(pivot < x);
			v[i] = v[e];
			v[e] = x;
			e += eq;
		}
		/* v[l..s) < pivot, v[s..e) == pivot (at least the pivot itself), v[e..r] > pivot */
		size_t lo = 0;
		while (lo < nk && k[lo] < s)
			lo++;
		size_t hi = lo;
		while (hi < nk && k[hi] < e)
			hi++;
		if (lo > 0 && s > l)
			multiselect(v, l, s - 1, k, lo); /* the left side recursively, the right side in this loop */
		k += hi;
		nk -= hi;
		l = e;
	}
}

/* Percentiles pct[0..np) (0..100) of v[0..n) as numpy.percentile(method="linear") into out; v is reordered. mn, mx:
 * the smallest and largest value, nan: 1 if any is NaN (then every percentile is NaN, as numpy gives). */
static void percentiles(double *v, size_t n, double mn, double mx, int nan, const double *pct, int np, double *out)
{
	if (nan) {
		for (int q = 0; q < np; q++)
			out[q] = NAN;
		return;
	}
	int same = mn == mx; /* one value (often zero padding): no selection needed, unless zeros of both signs */
	for (size_t i = 0; same && mn == 0 && i < n; i++)
		same = !signbit(v[i]) == !signbit(v[0]);
	size_t k[2 * NSTAT] = {0}, nk = 0, lo[NSTAT], hi[NSTAT];
	double t[NSTAT];
	for (int q = 0; q < np; q++) {
		double pos = (pct[q] / 100.0) * (double)(n - 1), f = floor(pos);
		lo[q] = (size_t)f;
		hi[q] = lo[q] + 1 < n ? lo[q] + 1 : n - 1;
		t[q] = pos - f;
		if (nk == 0 || k[nk - 1] < lo[q]) /* ascending, without repeats */
			k[nk++] = lo[q];
		if (k[nk - 1] < hi[q])
			k[nk++] = hi[q];
	}
	if (same) {
		for (int q = 0; q < np; q++)
			out[q] = lerp(v[0], v[0], t[q]);
		return;
	}
	multiselect(v, 0, n - 1, k, nk);
	for (int q = 0; q < np; q++)
		out[q] = lerp(v[lo[q]], v[hi[q]], t[q]);
}

static int set_col(lc_ls_features *o, size_t j, const char *channel, const char *name, const char *suffix)
{
	size_t n = strlen(name) + strlen(suffix) + 2;
	o->names[j] = malloc(n);
	o->channel[j] = strdup(channel);
	if (!o->names[j] || !o->channel[j])
		return LC_ERR_NOMEM;
	snprintf(o->names[j], n, "%s%s%s", name, *suffix ? "_" : "", suffix);
	return LC_OK;
}

/* The per-LS statistics of lumisections [l0, l1) (groups of rows in refs starting at g[l], g[l1] the end) into
 * o->values. blk holds (nc - 2) * the largest group's rows: a group is copied column by column into it, so that each
 * column's values are contiguous (sums in event order, then the percentiles reorder them). */
typedef struct ls_work {
	const lc_extract_config *c;
	const lc_event_table *tables;
	const rowref *refs;
	const size_t *g;    /* nls + 1 group starts */
	size_t nc, nextra, maxn;
	size_t block;       /* events handed out at a time (about an eighth of a thread's share, at most 64 k) */
	lc_ls_features *o;
	pthread_mutex_t mu;
	size_t next;        /* next lumisection to hand out */
	int oom;
} ls_work;

/* The statistics of a column other than its percentiles. */
typedef struct cstat {
	double sum, ss, mn, mx;
	size_t nz;          /* values > 0 */
	int nan;            /* 1 if any value is NaN */
} cstat;

/* Sums in event order, minima, maxima and NaN flags of the K columns at v (each n values, one after the other):
 * the K additions chains are independent, so they run side by side (one column's chain waits on each addition). */
#define STATS_PASS1(K)                                                                                           \
	do {                                                                                                     \
		double s_[K], lo_[K], hi_[K];                                                                    \
		int nan_[K];                                                                                     \
		for (int q = 0; q < K; q++) {                                                                    \
			s_[q] = 0;                                                                               \
			lo_[q] = hi_[q] = v[(size_t)q * n];                                                      \
			nan_[q] = 0;                                                                             \
		}                                                                                                \
		for (size_t i = 0; i < n; i++)                                                                   \
			for (int q = 0; q < K; q++) {                                                            \
				double x = v[(size_t)q * n + i];                                                 \
				s_[q] += x;                                                                      \
				lo_[q] = x < lo_[q] ? x : lo_[q];                                                \
				hi_[q] = x > hi_[q] ? x : hi_[q];                                                \
				nan_[q] |= x != x;                                                               \
			}                                                                                        \
		for (int q = 0; q < K; q++)                                                                      \
			st[q] = (cstat){.sum = s_[q], .mn = lo_[q], .mx = hi_[q], .nan = nan_[q]};               \
	} while (0)

/* Sums of squared deviations from the means, and the values > 0, of the K columns at v. */
#define STATS_PASS2(K)                                                                                           \
	do {                                                                                                     \
		double m_[K], ss_[K];                                                                            \
		size_t nz_[K];                                                                                   \
		for (int q = 0; q < K; q++) {                                                                    \
			m_[q] = st[q].sum / (double)n;                                                           \
			ss_[q] = 0;                                                                              \
			nz_[q] = 0;                                                                              \
		}                                                                                                \
		for (size_t i = 0; i < n; i++)                                                                   \
			for (int q = 0; q < K; q++) {                                                            \
				double x = v[(size_t)q * n + i];                                                 \
				ss_[q] += (x - m_[q]) * (x - m_[q]);                                             \
				nz_[q] += x > 0;                                                                 \
			}                                                                                        \
		for (int q = 0; q < K; q++) {                                                                    \
			st[q].ss = ss_[q];                                                                       \
			st[q].nz = nz_[q];                                                                       \
		}                                                                                                \
	} while (0)

static void stats4(const double *v, size_t n, cstat *st)
{
	STATS_PASS1(4);
	STATS_PASS2(4);
}

static void stats1(const double *v, size_t n, cstat *st)
{
	STATS_PASS1(1);
	STATS_PASS2(1);
}

static void ls_range(ls_work *w, size_t l0, size_t l1, double *blk, cstat *st)
{
	const lc_extract_config *c = w->c;
	size_t nc = w->nc, nextra = w->nextra, nout = w->o->ncols, ncol = nc - 2;
	for (size_t l = l0; l < l1; l++) {
		size_t g0 = w->g[l], n = w->g[l + 1] - g0;
		const rowref *rf = w->refs + g0;
		double *ov = w->o->values + l * nout;
		w->o->run[l] = rf[0].run;
		w->o->ls[l] = rf[0].ls;
		for (size_t i = 0; i < n; i++) { /* column by column */
			const double *row = w->tables[rf[i].table].rows + rf[i].row * nc;
			for (size_t x = 2; x < nc; x++)
				blk[(x - 2) * n + i] = row[x];
		}
		size_t x0 = 0;
		for (; x0 + 4 <= ncol; x0 += 4)
			stats4(blk + x0 * n, n, st + x0);
		for (; x0 < ncol; x0++)
			stats1(blk + x0 * n, n, st + x0);
		size_t oj = 0;
		ov[oj++] = (double)n;
		for (size_t x = 2, chan = 2 + nextra, k = 0; x < nc; x++) {
			const cstat *cs = &st[x - 2];
			double mean = cs->sum / (double)n;
			if (x < 2 + nextra) {
				ov[oj++] = mean;
				continue;
			}
			/* the first column of a channel is its count: the nonzero fraction comes first */
			if (k < c->nchannels && x == chan) {
				ov[oj++] = (double)cs->nz / (double)n;
				chan += channel_cols(c, k++);
			}
			ov[oj++] = mean;
			ov[oj++] = sqrt(cs->ss / (double)n);
			percentiles(blk + (x - 2) * n, n, cs->mn, cs->mx, cs->nan, stat_pct + 2, NSTAT - 2, ov + oj);
			oj += NSTAT - 2;
		}
	}
}

/* Lumisections are handed out in blocks of w->block events, so that threads share the work however it falls. */
static void *ls_worker(void *arg)
{
	ls_work *w = arg;
	double *blk = malloc((w->maxn ? w->maxn : 1) * (w->nc - 2 ? w->nc - 2 : 1) * sizeof *blk);
	cstat *st = malloc((w->nc - 2 ? w->nc - 2 : 1) * sizeof *st);
	if (!blk || !st) {
		free(blk);
		free(st);
		pthread_mutex_lock(&w->mu);
		w->oom = 1;
		pthread_mutex_unlock(&w->mu);
		return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&w->mu);
		size_t l0 = w->next, l1 = l0, nls = w->o->nls;
		while (l1 < nls && (l1 == l0 || w->g[l1] - w->g[l0] < w->block))
			l1++;
		w->next = l1;
		pthread_mutex_unlock(&w->mu);
		if (l0 == l1)
			break;
		ls_range(w, l0, l1, blk, st);
	}
	free(blk);
	free(st);
	return NULL;
}

int lc_ls_features_compute(const lc_extract_config *c, const lc_event_table *tables, size_t ntables,
			   lc_ls_features **out, lc_error *err)
{
	return lc_ls_features_compute_threads(c, tables, ntables, 1, out, err);
}

int lc_ls_features_compute_threads(const lc_extract_config *c, const lc_event_table *tables, size_t ntables,
				   int threads, lc_ls_features **out, lc_error *err)
{
	lc_event_table proto;
	int rc = lc_event_table_init(c, &proto, err);
	if (rc)
		return rc;
	size_t nc = proto.ncols, total = 0;
	for (size_t i = 0; i < ntables; i++) {
		if (tables[i].ncols != nc) {
			lc_event_table_free(&proto);
			return lc_error_set(err, LC_ERR_INVALID, "event table %zu has %zu columns, the config gives %zu", i,
					    tables[i].ncols, nc);
		}
		total += tables[i].nrows;
	}
	lc_ls_features *o = calloc(1, sizeof *o);
	rowref *refs = malloc((total ? total : 1) * sizeof *refs);
	size_t *g = NULL;
	/* output columns: n_events, extras, then per channel nonzero + NSTAT per per-event column */
	size_t nextra = c->nper_ls - 2, nout = 1 + nextra;
	for (size_t k = 0; k < c->nchannels; k++)
		nout += 1 + NSTAT * channel_cols(c, k);
	if (!o || !refs || !(o->names = calloc(nout, sizeof *o->names)) ||
	    !(o->channel = calloc(nout, sizeof *o->channel))) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	o->ncols = nout;
	size_t j = 0;
	rc |= set_col(o, j++, "event", "n_events", "");
	for (size_t i = 0; i < nextra; i++)
		rc |= set_col(o, j++, "event", c->per_ls_names[2 + i], "");
	size_t src = 2 + nextra;
	for (size_t k = 0; k < c->nchannels; k++) {
		rc |= set_col(o, j++, c->channels[k].name, c->channels[k].name, "nonzero");
		for (size_t x = 0; x < channel_cols(c, k); x++)
			for (int s = 0; s < NSTAT; s++)
				rc |= set_col(o, j++, c->channels[k].name, proto.names[src + x], stat_names[s]);
		src += channel_cols(c, k);
	}
	if (rc) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	/* refs in (run, LS) order, ties in (table, row) order: merged from the tables when each is in order (as files
	 * usually are), else sorted */
	size_t r = 0;
	int sorted = 1;
	for (size_t i = 0; i < ntables; i++)
		for (size_t e = 0; e < tables[i].nrows; e++, r++) {
			const double *row = tables[i].rows + e * nc;
			refs[r] = (rowref){(int64_t)row[0], (int64_t)row[1], i, e};
			if (e > 0 && sorted && rowref_cmp(&refs[r - 1], &refs[r]) > 0)
				sorted = 0;
		}
	rowref *tmp = sorted && ntables > 1 ? malloc(total * sizeof *tmp) : NULL;
	size_t *runs = tmp ? malloc((ntables + 1) * sizeof *runs) : NULL;
	if (tmp && runs) {
		for (size_t i = 0, at = 0; i <= ntables; i++) {
			runs[i] = at;
			at += i < ntables ? tables[i].nrows : 0;
		}
		rowref *res = merge_runs(refs, tmp, runs, ntables);
		if (res != refs) {
			tmp = refs;
			refs = res;
		}
	} else if (!sorted || ntables > 1) {
		qsort(refs, total, sizeof *refs, rowref_cmp);
	}
	free(tmp);
	free(runs);
	size_t nls = 0, maxn = 0;
	for (size_t i = 0; i < total; i++)
		nls += i == 0 || refs[i].run != refs[i - 1].run || refs[i].ls != refs[i - 1].ls;
	o->nls = nls;
	o->run = malloc((nls ? nls : 1) * sizeof *o->run);
	o->ls = malloc((nls ? nls : 1) * sizeof *o->ls);
	o->values = malloc((nls ? nls : 1) * nout * sizeof *o->values);
	g = malloc((nls + 1) * sizeof *g);
	if (!o->run || !o->ls || !o->values || !g) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0, l = 0; i < total; i++)
		if (i == 0 || refs[i].run != refs[i - 1].run || refs[i].ls != refs[i - 1].ls)
			g[l++] = i;
	g[nls] = total;
	for (size_t l = 0; l < nls; l++)
		maxn = g[l + 1] - g[l] > maxn ? g[l + 1] - g[l] : maxn;
	ls_work w = {.c = c, .tables = tables, .refs = refs, .g = g, .nc = nc, .nextra = nextra, .maxn = maxn, .o = o};
	pthread_mutex_init(&w.mu, NULL);
	if (threads < 1)
		threads = 1;
	w.block = total / (8 * (size_t)threads) + 1;
	w.block = w.block < 65536 ? w.block : 65536;
	if ((size_t)threads > nls)
		threads = nls ? (int)nls : 1;
	pthread_t tid[64];
	int started = 0;
	for (; started < threads - 1 && started < 64; started++)
		if (pthread_create(&tid[started], NULL, ls_worker, &w) != 0)
			break;
	ls_worker(&w);
	for (int k = 0; k < started; k++)
		pthread_join(tid[k], NULL);
	pthread_mutex_destroy(&w.mu);
	if (w.oom || w.next < nls)
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
done:
	free(refs);
	free(g);
	lc_event_table_free(&proto);
	if (rc) {
		lc_ls_features_free(o);
		return rc;
	}
	*out = o;
	return LC_OK;
}

/* v as printf's "%.17g" writes it, into p (at least 32 bytes); returns the length. Integers below 1e15 (counts,
 * zeros: about half the values) are written directly, which gives the same text; the rest goes through snprintf. */
static size_t fmt_g17(char *p, double v)
{
	if (v == 0) {
		if (signbit(v)) {
			memcpy(p, "-0", 3);
			return 2;
		}
		memcpy(p, "0", 2);
		return 1;
	}
	if (fabs(v) < 1e15 && v == (double)(long long)v) {
		long long x = (long long)v;
		unsigned long long u = x < 0 ? (unsigned long long)-x : (unsigned long long)x;
		char t[24];
		size_t n = 0, k = 0;
		while (u) {
			t[n++] = (char)('0' + u % 10);
			u /= 10;
		}
		if (x < 0)
			p[k++] = '-';
		while (n)
			p[k++] = t[--n];
		p[k] = 0;
		return k;
	}
	return (size_t)snprintf(p, 32, "%.17g", v);
}

/* Rows [r0, r1) of the CSV into b. */
static void csv_rows(const lc_ls_features *f, size_t r0, size_t r1, sbuf *b)
{
	char num[32];
	for (size_t i = r0; i < r1 && !b->oom; i++) {
		sb_printf(b, "%lld,%lld", (long long)f->run[i], (long long)f->ls[i]);
		const double *v = f->values + i * f->ncols;
		for (size_t j = 0; j < f->ncols; j++) {
			num[0] = ',';
			size_t n = fmt_g17(num + 1, v[j]);
			sb_append(b, num, n + 1);
		}
		sb_append(b, "\n", 1);
	}
}

typedef struct csv_part {
	const lc_ls_features *f;
	size_t r0, r1;
	sbuf b;
} csv_part;

static void *csv_worker(void *arg)
{
	csv_part *p = arg;
	csv_rows(p->f, p->r0, p->r1, &p->b);
	return NULL;
}

int lc_ls_features_write_csv(const lc_ls_features *f, FILE *out)
{
	return lc_ls_features_write_csv_threads(f, out, 1);
}

int lc_ls_features_write_csv_threads(const lc_ls_features *f, FILE *out, int threads)
{
	fputs("run,lumi", out);
	for (size_t j = 0; j < f->ncols; j++)
		fprintf(out, ",%s", f->names[j]);
	fputc('\n', out);
	/* blocks of rows formatted by the threads in turn, written in order */
	enum { ROWS = 64, MAXT = 16 };
	if (threads < 1)
		threads = 1;
	if (threads > MAXT)
		threads = MAXT;
	csv_part cp[MAXT];
	int rc = LC_OK;
	for (size_t r = 0; r < f->nls && !rc;) {
		int nt = 0;
		for (; nt < threads && r < f->nls; nt++, r += ROWS)
			cp[nt] = (csv_part){f, r, r + ROWS < f->nls ? r + ROWS : f->nls, {0}};
		pthread_t tid[MAXT];
		int started = 0;
		for (; started < nt - 1; started++)
			if (pthread_create(&tid[started], NULL, csv_worker, &cp[started + 1]) != 0)
				break;
		csv_worker(&cp[0]);
		for (int k = started + 1; k < nt; k++) /* not started: here */
			csv_worker(&cp[k]);
		for (int k = 0; k < started; k++)
			pthread_join(tid[k], NULL);
		for (int k = 0; k < nt; k++) {
			if (cp[k].b.oom || (cp[k].b.len && fwrite(cp[k].b.s, 1, cp[k].b.len, out) != cp[k].b.len))
				rc = LC_ERR_IO;
			sb_free(&cp[k].b);
		}
	}
	return rc || ferror(out) ? LC_ERR_IO : LC_OK;
}

int lc_ls_features_store(const lc_ls_features *f, lc_store *st, lc_error *err)
{
	return lc_store_put_features(st, f->nls, f->run, f->ls, f->ncols, (const char *const *)f->channel,
				     (const char *const *)f->names, f->values, err);
}
