/* hist.c — histograms: TH1F/D/I/S/C, TH2F/D/I/S/C and TProfile streamed objects (versioned, with byte counts) into
 * lc_root_hist: contents with under/overflow, axes with variable bins, entries and sums; the import of files holding
 * one histogram key per lumisection (run<R>_ls<L>_<ME>). */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootint.h"

void lc_root_hist_free(lc_root_hist *h)
{
	if (!h)
		return;
	free(h->name);
	free(h->title);
	free(h->classname);
	free(h->xedges);
	free(h->yedges);
	free(h->cells);
	free(h->sumw2);
	free(h->bin_entries);
	free(h);
}

/* TArray of element type c ('F','D','I','S','C') into a new double array; *n its length. */
static double *read_tarray(rbuf *b, char c, size_t *n)
{
	int32_t len = rb_i32(b);
	*n = 0;
	if (b->rc)
		return NULL;
	size_t es = c == 'D' ? 8 : c == 'S' ? 2 : c == 'C' ? 1 : 4;
	if (len < 0 || (size_t)len > (b->n - b->pos) / es) {
		rb_fail(b, LC_ERR_PARSE, "array of %d elements does not fit in the object", len);
		return NULL;
	}
	double *v = malloc((len ? (size_t)len : 1) * sizeof *v);
	if (!v) {
		rb_fail(b, LC_ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (int32_t i = 0; i < len; i++) {
		switch (c) {
		case 'D': v[i] = rb_f64(b); break;
		case 'F': v[i] = rb_f32(b); break;
		case 'I': v[i] = rb_i32(b); break;
		case 'S': v[i] = rb_i16(b); break;
		default: v[i] = (int8_t)rb_u8(b); break;
		}
	}
	*n = (size_t)len;
	return v;
}

/* TAxis: number of bins, range and the variable edges (NULL when uniform). */
static void read_axis(rbuf *b, int *nbins, double *lo, double *hi, double **edges)
{
	size_t end;
	rb_version(b, &end);
	rb_tnamed(b, NULL, NULL);
	rb_skip_object(b, "TAttAxis");
	*nbins = rb_i32(b);
	*lo = rb_f64(b);
	*hi = rb_f64(b);
	size_t n;
	double *e = read_tarray(b, 'D', &n);
	rb_end(b, end, "TAxis");
	if (!b->rc && (*nbins < 1 || *nbins > (1 << 24)))
		rb_fail(b, LC_ERR_PARSE, "axis with %d bins", *nbins);
	if (!b->rc && n && n != (size_t)*nbins + 1)
		rb_fail(b, LC_ERR_PARSE, "axis with %d bins has %zu edges", *nbins, n);
	if (b->rc || n == 0) {
		free(e);
		e = NULL;
	}
	*edges = e;
}

/* TH1 base part; fills axes, sums, sumw2. */
static void read_th1(rbuf *b, lc_root_hist *h)
{
	size_t end;
	int v = rb_version(b, &end);
	rb_tnamed(b, &h->name, &h->title);
	rb_skip_object(b, "TAttLine");
	rb_skip_object(b, "TAttFill");
	rb_skip_object(b, "TAttMarker");
	int32_t ncells = rb_i32(b);
	double zlo, zhi, *zedges;
	int nz;
	read_axis(b, &h->nx, &h->xmin, &h->xmax, &h->xedges);
	read_axis(b, &h->ny, &h->ymin, &h->ymax, &h->yedges);
	read_axis(b, &nz, &zlo, &zhi, &zedges);
	free(zedges);
	rb_i16(b);
	rb_i16(b);
	h->entries = rb_f64(b);
	h->tsumw = rb_f64(b);
	h->tsumw2 = rb_f64(b);
	h->tsumwx = rb_f64(b);
	h->tsumwx2 = rb_f64(b);
	if (v < 2) {
		rb_skip(b, 12);
		int32_t n = rb_i32(b);
		if (n < 0 || (size_t)n > (b->n - b->pos) / 8)
			rb_fail(b, LC_ERR_PARSE, "contour of %d levels", n);
		else
			rb_skip(b, (size_t)n * 8);
	} else {
		rb_skip(b, 24);
		size_t n;
		free(read_tarray(b, 'D', &n));
	}
	size_t nsw2;
	h->sumw2 = read_tarray(b, 'D', &nsw2);
	if (!b->rc && nsw2 == 0) {
		free(h->sumw2);
		h->sumw2 = NULL;
	}
	if (!b->rc && nsw2 && nsw2 != (size_t)ncells)
		rb_fail(b, LC_ERR_PARSE, "fSumw2 has %zu cells, fNcells is %d", nsw2, ncells);
	rb_end(b, end, "TH1");
	h->ncells = ncells > 0 ? (size_t)ncells : 0;
}

int rt_hist_decode(rbuf *b, const char *cls, lc_root_hist **out)
{
	lc_root_hist *h = calloc(1, sizeof *h);
	if (!h || !(h->classname = strdup(cls))) {
		free(h);
		return rb_fail(b, LC_ERR_NOMEM, "out of memory");
	}
	int dim = 0, profile = 0;
	char elt = 0;
	if (!strncmp(cls, "TH1", 3) && strlen(cls) == 4)
		dim = 1, elt = cls[3];
	else if (!strncmp(cls, "TH2", 3) && strlen(cls) == 4)
		dim = 2, elt = cls[3];
	else if (!strcmp(cls, "TProfile"))
		dim = 1, elt = 'D', profile = 1;
	if (!dim || !strchr("FDISC", elt)) {
		lc_root_hist_free(h);
		return rb_fail(b, LC_ERR_UNSUPPORTED, "unsupported: histogram class %s (TH1x, TH2x, TProfile are read)", cls);
	}
	h->dim = dim;
	size_t end, pend = 0;
	int pv = 0;
	if (profile)
		pv = rb_version(b, &pend);
	rb_version(b, &end);
	if (dim == 2) {
		size_t e2;
		rb_version(b, &e2);
		read_th1(b, h);
		rb_f64(b);
		h->tsumwy = rb_f64(b);
		h->tsumwy2 = rb_f64(b);
		h->tsumwxy = rb_f64(b);
		rb_end(b, e2, "TH2");
	} else {
		read_th1(b, h);
		h->ny = 1;
		h->ymin = 0;
		h->ymax = 1;
		free(h->yedges);
		h->yedges = NULL;
	}
	size_t n;
	h->cells = read_tarray(b, elt, &n);
	rb_end(b, end, cls);
	if (profile && !b->rc) {
		size_t nbe;
		h->bin_entries = read_tarray(b, 'D', &nbe);
		rb_i32(b);
		rb_f64(b);
		rb_f64(b);
		if (pv >= 6) {
			h->tsumwy = rb_f64(b);
			h->tsumwy2 = rb_f64(b);
		}
		rb_end(b, pend, "TProfile");
		if (!b->rc && nbe != n)
			rb_fail(b, LC_ERR_PARSE, "TProfile fBinEntries has %zu cells, fArray %zu", nbe, n);
	}
	size_t want = lc_hist_ncells(dim, h->nx, h->ny);
	if (!b->rc && (n != h->ncells || n != want))
		rb_fail(b, LC_ERR_PARSE, "%s '%s': %zu cells stored, fNcells %zu, axes need %zu", cls, h->name, n,
			h->ncells, want);
	if (b->rc) {
		lc_root_hist_free(h);
		return b->rc;
	}
	*out = h;
	return LC_OK;
}

int lc_root_hist_read(lc_root *f, const char *keypath, lc_root_hist **out, lc_error *err)
{
	rkey k;
	int rc = rt_find_key(f, keypath, &k, err);
	if (rc)
		return rc;
	const uint8_t *p;
	uint8_t *owned;
	rc = rt_key_payload(f, &k, &p, &owned, err);
	if (!rc) {
		rbuf b;
		char what[300];
		snprintf(what, sizeof what, "%s '%s'", k.classname, k.name);
		rb_init(&b, p, (size_t)k.objlen, k.keylen, owned ? -1 : k.seek + k.keylen, f->path, what, err);
		rc = rt_hist_decode(&b, k.classname, out);
		rb_free_refs(&b);
	}
	free(owned);
	rt_key_free(&k);
	return rc;
}

/* Splits "run<R>_ls<L>_<ME>"; returns 1 on success. */
static int parse_ls_name(const char *s, int64_t *run, int64_t *ls, const char **me)
{
	char *e;
	if (strncmp(s, "run", 3))
		return 0;
	long long r = strtoll(s + 3, &e, 10);
	if (e == s + 3 || strncmp(e, "_ls", 3))
		return 0;
	const char *q = e + 3;
	long long l = strtoll(q, &e, 10);
	if (e == q || *e != '_' || !e[1] || r <= 0 || l <= 0)
		return 0;
	*run = r;
	*ls = l;
	*me = e + 1;
	return 1;
}

static int metype_of(const char *cls)
{
	static const char *const names[] = {"TH1F", "TH1S", "TH1D", "TH2F", "TH2S", "TH2D"};
	for (int i = 0; i < 6; i++)
		if (!strcmp(cls, names[i]))
			return 3 + i;
	if (!strcmp(cls, "TH1I"))
		return 12;
	if (!strcmp(cls, "TH2I"))
		return 13;
	return 0;
}

int lc_root_read_ls_hists(const char *path, const char *pattern, lc_hist_fn fn, void *ctx, long *nread,
			  lc_error *err)
{
	lc_root *f;
	int rc = lc_root_open(path, &f, err);
	if (rc)
		return rc;
	long count = 0;
	if (lc_root_is_dqmio(f)) {
		rc = lc_root_read_dqmio(f, pattern, 0, fn, ctx, &count, NULL, err);
		lc_root_close(f);
		if (!rc && nread)
			*nread = count;
		return rc;
	}
	for (size_t i = 0; i < f->nkeys && !rc; i++) {
		const rkey *k = &f->keys[i];
		int64_t run, ls;
		const char *me;
		if (!metype_of(k->classname) || !parse_ls_name(k->name, &run, &ls, &me))
			continue;
		if (pattern && fnmatch(pattern, me, 0) != 0)
			continue;
		/* a lower cycle of a key that also has a higher one is skipped */
		int newest = 1;
		for (size_t j = 0; j < f->nkeys; j++)
			if (j != i && !strcmp(f->keys[j].name, k->name) && f->keys[j].cycle > k->cycle)
				newest = 0;
		if (!newest)
			continue;
		char kp[4096];
		snprintf(kp, sizeof kp, "%s;%d", k->name, k->cycle);
		lc_root_hist *h;
		if ((rc = lc_root_hist_read(f, kp, &h, err)))
			break;
		if (h->xedges || h->yedges) {
			rc = lc_error_set(err, LC_ERR_UNSUPPORTED, "%s: key '%s': unsupported: variable bins in an imported ME",
					  path, k->name);
		} else {
			lc_hist lh = {0};
			lh.run = run;
			lh.ls = ls;
			lh.me = me;
			lh.metype = metype_of(k->classname);
			lh.dim = h->dim;
			lh.nx = h->nx;
			lh.ny = h->ny;
			lh.xmin = h->xmin;
			lh.xmax = h->xmax;
			lh.ymin = h->ymin;
			lh.ymax = h->ymax;
			lh.entries = h->entries;
			lh.has_flow = 1;
			lh.cells = h->cells;
			rc = fn(ctx, &lh, NULL, 0, err);
			count++;
		}
		lc_root_hist_free(h);
	}
	lc_root_close(f);
	if (!rc && nread)
		*nread = count;
	return rc;
}
