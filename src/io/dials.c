/* dials.c — reader of DIALS JSON per-lumisection histograms (1D and 2D) through jansson: records are checked member
 * by member and mapped into lumicert's cell layout (all ROOT cells, zero flow cells when the source has none). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"

#define DIALS_MAX_CELLS 10000000 /* most cells of one histogram, flow included (same cap as the CSV reader) */
/* jansson holds the whole document, about 40 bytes per number (a 20 MB file of "0," took 590 MB): a file may hold at
 * most DIALS_MAX_VALUES values (counted as the separators ',' ':' '[' '{' read, strings included, so the count errs
 * high) and DIALS_MAX_BYTES bytes, which bounds the reader near 1 GB whatever the file asks for. */
#define DIALS_MAX_VALUES 20000000LL
#define DIALS_MAX_BYTES ((long long)256 << 20)

/* The reader's state while walking the records. */
typedef struct dials {
	const char *path; /* for messages */
	lc_error *err;    /* where errors go */
	size_t rec;       /* index of the current record (0-based, as in the array) */
	double *cells;    /* cells of the current record */
	size_t cap;       /* doubles allocated in cells */
} dials;

/* Describes a JSON value for "found ..." in messages: its value when short, else its type. */
static const char *describe(const json_t *v, char *buf, size_t n)
{
	if (!v)
		return "nothing (member absent)";
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: snprintf(buf, n, "an array of %zu", json_array_size(v)); return buf;
	case JSON_STRING: snprintf(buf, n, "the string \"%.40s\"", json_string_value(v)); return buf;
	case JSON_INTEGER: snprintf(buf, n, "%lld", (long long)json_integer_value(v)); return buf;
	case JSON_REAL: snprintf(buf, n, "%.17g", json_real_value(v)); return buf;
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	case JSON_NULL: return "null";
	}
	return "an unknown value";
}

/* Records LC_ERR_PARSE "path: record i: member m: expected what, found v". */
static int dials_fail(const dials *d, const char *member, const char *what, const json_t *v)
{
	char buf[96];
	return lc_error_set(d->err, LC_ERR_PARSE, "%s: record %zu: member %s: expected %s, found %s", d->path, d->rec,
			    member, what, describe(v, buf, sizeof buf));
}

/* Reads member name of rec as a number into *out. Returns 1 if it was absent or null and optional. */
static int get_num(const dials *d, const json_t *rec, const char *name, int optional, double *out)
{
	const json_t *v = json_object_get(rec, name);
	if (optional && (!v || json_is_null(v)))
		return 1;
	if (!json_is_number(v))
		return dials_fail(d, name, "a number", v);
	*out = json_number_value(v);
	return LC_OK;
}

/* Reads member name of rec as an integer in [lo, hi] (integral reals such as 17.0 are accepted). Returns 1 if it was
 * absent or null and optional. */
static int get_int(const dials *d, const json_t *rec, const char *name, int optional, double lo, double hi,
		   const char *what, int64_t *out)
{
	const json_t *v = json_object_get(rec, name);
	if (optional && (!v || json_is_null(v)))
		return 1;
	double x = json_is_number(v) ? json_number_value(v) : NAN;
	if (!(x >= lo && x <= hi) || x != floor(x))
		return dials_fail(d, name, what, v);
	*out = json_is_integer(v) ? (int64_t)json_integer_value(v) : (int64_t)x;
	return LC_OK;
}

/* Reads the first n elements of array a (all numbers, n <= its size) into out. */
static int get_values(const dials *d, const json_t *a, size_t n, double *out)
{
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(a, i);
		if (!json_is_number(v)) {
			char what[64];
			snprintf(what, sizeof what, "a number at index %zu", i);
			return dials_fail(d, "data", what, v);
		}
		out[i] = json_number_value(v);
	}
	return LC_OK;
}

/* Checks one record and fills h (cells into d->cells). */
static int dials_record(dials *d, const json_t *rec, lc_hist *h)
{
	int r;
	int64_t iv;
	memset(h, 0, sizeof *h);
	if (!json_is_object(rec)) {
		char buf[96];
		return lc_error_set(d->err, LC_ERR_PARSE, "%s: record %zu: expected an object, found %s", d->path,
				    d->rec, describe(rec, buf, sizeof buf));
	}
	if ((r = get_int(d, rec, "run_number", 0, 1, 9007199254740992.0, "a run number > 0", &h->run)) ||
	    (r = get_int(d, rec, "ls_number", 0, 1, 9007199254740992.0, "a lumisection number > 0", &h->ls)))
		return r;
	const json_t *me = json_object_get(rec, "me");
	if (!json_is_string(me) || !json_string_value(me)[0])
		return dials_fail(d, "me", "a non-empty ME name string", me);
	h->me = json_string_value(me);
	if ((r = get_int(d, rec, "metype", 1, 0, 1e6, "an ME type code >= 0", &iv)) < 0)
		return r;
	h->metype = r == 1 ? 0 : (int)iv;
	if ((r = get_num(d, rec, "x_min", 0, &h->xmin)) || (r = get_num(d, rec, "x_max", 0, &h->xmax)))
		return r;
	if ((r = get_int(d, rec, "x_bin", 0, 1, DIALS_MAX_CELLS, "a positive integer (at most 10000000)", &iv)))
		return r;
	h->nx = (int)iv;
	int64_t ny = 0;
	int has_ny = (r = get_int(d, rec, "y_bin", 1, 0, DIALS_MAX_CELLS, "an integer in [0, 10000000]", &ny)) == 0;
	if (r < 0)
		return r;
	const json_t *data = json_object_get(rec, "data");
	if (!json_is_array(data))
		return dials_fail(d, "data", "an array of bin contents", data);
	size_t nd = json_array_size(data);
	int nested = nd > 0 && json_is_array(json_array_get(data, 0));
	h->dim = (has_ny && ny > 1) || nested ? 2 : 1;
	int64_t nx = h->nx;
	if (h->dim == 1) {
		h->ny = 1;
		h->ymin = 0;
		h->ymax = 1;
		if ((int64_t)nd != nx && (int64_t)nd != nx + 2) {
			char what[96];
			snprintf(what, sizeof what, "%lld values (x_bin) or %lld (x_bin + 2 flow cells)", (long long)nx,
				 (long long)nx + 2);
			return dials_fail(d, "data", what, data);
		}
	} else {
		if (!has_ny || ny < 1)
			return dials_fail(d, "y_bin", "a positive integer for a 2D histogram", json_object_get(rec, "y_bin"));
		if ((r = get_num(d, rec, "y_min", 0, &h->ymin)) || (r = get_num(d, rec, "y_max", 0, &h->ymax)))
			return r;
		if ((nx + 2) * (ny + 2) > DIALS_MAX_CELLS)
			return dials_fail(d, "y_bin", "(x_bin + 2) * (y_bin + 2) <= 10000000 cells", json_object_get(rec, "y_bin"));
		h->ny = (int)ny;
	}
	size_t ncells = lc_hist_ncells(h->dim, h->nx, h->ny);
	if (ncells > d->cap) {
		double *nb = realloc(d->cells, ncells * sizeof *nb);
		if (!nb)
			return lc_error_set(d->err, LC_ERR_NOMEM, "%s: out of memory for %zu cells", d->path, ncells);
		d->cells = nb;
		d->cap = ncells;
	}
	double *cells = d->cells;
	if (h->dim == 1) {
		h->has_flow = (int64_t)nd == nx + 2;
		cells[0] = cells[nx + 1] = 0;
		if ((r = get_values(d, data, nd, cells + (h->has_flow ? 0 : 1))))
			return r;
	} else if (nested) {
		/* ny rows of nx values (no flow) or ny+2 rows of nx+2 values (flow); row iy is y */
		int flow = (int64_t)nd == ny + 2;
		if (!flow && (int64_t)nd != ny) {
			char what[96];
			snprintf(what, sizeof what, "%lld rows (y_bin) or %lld (y_bin + 2 flow rows)", (long long)ny,
				 (long long)ny + 2);
			return dials_fail(d, "data", what, data);
		}
		int64_t w = flow ? nx + 2 : nx;
		if (!flow)
			memset(cells, 0, ncells * sizeof *cells);
		for (size_t iy = 0; iy < nd; iy++) {
			const json_t *row = json_array_get(data, iy);
			if (!json_is_array(row) || (int64_t)json_array_size(row) != w) {
				char what[96];
				snprintf(what, sizeof what, "row %zu to be an array of %lld numbers", iy, (long long)w);
				return dials_fail(d, "data", what, row);
			}
			double *dst = flow ? cells + iy * (size_t)(nx + 2) : cells + (iy + 1) * (size_t)(nx + 2) + 1;
			if ((r = get_values(d, row, (size_t)w, dst)))
				return r;
		}
		h->has_flow = flow;
	} else if ((int64_t)nd == (nx + 2) * (ny + 2)) {
		h->has_flow = 1;
		if ((r = get_values(d, data, nd, cells)))
			return r;
	} else if ((int64_t)nd == nx * ny) {
		/* flat without flow, x fastest */
		memset(cells, 0, ncells * sizeof *cells);
		for (int64_t iy = 0; iy < ny; iy++) {
			for (int64_t ix = 0; ix < nx; ix++) {
				const json_t *v = json_array_get(data, (size_t)(iy * nx + ix));
				if (!json_is_number(v)) {
					char what[64];
					snprintf(what, sizeof what, "a number at index %lld", (long long)(iy * nx + ix));
					return dials_fail(d, "data", what, v);
				}
				cells[(ix + 1) + (nx + 2) * (iy + 1)] = json_number_value(v);
			}
		}
	} else {
		char what[128];
		snprintf(what, sizeof what, "%lld values (x_bin * y_bin) or %lld (with flow cells), or %lld rows",
			 (long long)(nx * ny), (long long)((nx + 2) * (ny + 2)), (long long)ny);
		return dials_fail(d, "data", what, data);
	}
	h->cells = cells;
	if ((r = get_num(d, rec, "entries", 1, &h->entries)) < 0)
		return r;
	if (r == 1) {
		double s = 0;
		for (size_t i = 0; i < ncells; i++)
			s += cells[i];
		h->entries = s;
	}
	return LC_OK;
}

/* Feeds jansson from the file while counting bytes and value separators against the limits. */
typedef struct limited_in {
	FILE *f;
	long long bytes, values; /* read so far */
	int over;                /* 1 bytes, 2 values: a limit was crossed (the load then fails) */
} limited_in;

static size_t limited_read(void *buf, size_t n, void *arg)
{
	limited_in *in = arg;
	if (in->over)
		return (size_t)-1;
	size_t k = fread(buf, 1, n, in->f);
	const char *b = buf;
	for (size_t i = 0; i < k; i++)
		in->values += b[i] == ',' || b[i] == ':' || b[i] == '[' || b[i] == '{';
	in->bytes += (long long)k;
	if (in->bytes > DIALS_MAX_BYTES)
		in->over = 1;
	else if (in->values > DIALS_MAX_VALUES)
		in->over = 2;
	return in->over || (k == 0 && ferror(in->f)) ? (size_t)-1 : k;
}

int lc_dials_json_read(FILE *f, const char *path, lc_hist_fn fn, void *ctx, lc_error *err)
{
	if (!path)
		path = "(json)";
	if (!f)
		return lc_error_set(err, LC_ERR_INVALID, "%s: lc_dials_json_read: no file", path);
	json_error_t je;
	limited_in in = {f, 0, 0, 0};
	json_t *root = json_load_callback(limited_read, &in, 0, &je);
	if (!root) {
		if (in.over == 1)
			return lc_error_set(err, LC_ERR_UNSUPPORTED,
					    "%s: byte %lld: the file is larger than %lld MiB, the most a DIALS JSON file may "
					    "be; split it (DIALS serves results in pages)",
					    path, in.bytes, DIALS_MAX_BYTES >> 20);
		if (in.over == 2)
			return lc_error_set(err, LC_ERR_UNSUPPORTED,
					    "%s: near byte %lld: more than %lld values, the most a DIALS JSON file may hold "
					    "(the reader keeps the whole document in memory); split it",
					    path, in.bytes, DIALS_MAX_VALUES);
		if (ferror(f))
			return lc_error_set(err, LC_ERR_IO, "%s: read error", path);
		return lc_error_set(err, LC_ERR_PARSE, "%s:%d:%d: %s", path, je.line, je.column, je.text);
	}
	dials d = {path, err, 0, NULL, 0};
	int r = LC_OK;
	const json_t *recs = root;
	if (json_is_object(root))
		recs = json_object_get(root, "results");
	if (!json_is_array(recs)) {
		char buf[96];
		r = lc_error_set(err, LC_ERR_PARSE,
				 "%s: expected a top-level array of records or an object with a \"results\" array, found %s",
				 path, json_is_object(root) ? "an object without it" : describe(root, buf, sizeof buf));
		goto done;
	}
	size_t n = json_array_size(recs);
	if (n == 0) {
		r = lc_error_set(err, LC_ERR_PARSE, "%s: no records", path);
		goto done;
	}
	for (d.rec = 0; d.rec < n; d.rec++) {
		lc_hist h;
		if ((r = dials_record(&d, json_array_get(recs, d.rec), &h)))
			goto done;
		if (fn && (r = fn(ctx, &h, NULL, 0, err)))
			goto done;
	}
done:
	free(d.cells);
	json_decref(root);
	return r;
}
