/* dqmio.c — CMS DQMIO files: the Indices tree (Run, Lumi, Type, FirstIndex, LastIndex) points at entry ranges
 * (last inclusive) of one tree per ME type (TH1Fs, TH2Fs, ...), each with FullName (string) and Value (the histogram
 * object); per-LS histograms come out as lc_hist, filtered by an ME name pattern. Layout: docs/root.md. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "rootint.h"

/* Tree names by DQMIO type (CMSSW DQMServices/FwkIO format.h); NULL: not a histogram type read here. */
static const char *const dqm_trees[14] = {NULL, NULL, NULL, "TH1Fs", "TH1Ss", "TH1Ds", "TH2Fs", "TH2Ss", "TH2Ds",
					  NULL, NULL, NULL, "TH1Is", "TH2Is"};

int lc_root_is_dqmio(lc_root *f)
{
	for (size_t i = 0; i < f->nkeys; i++)
		if (!strcmp(f->keys[i].name, "Indices") && !strcmp(f->keys[i].classname, "TTree"))
			return 1;
	return 0;
}

/* Reads a whole numeric column as int64 values. */
static int read_u64_col(lc_root_tree *t, const char *tree, const char *name, int64_t **out, int64_t *n, lc_error *err)
{
	long c = lc_root_tree_find(t, name);
	if (c < 0)
		return lc_error_set(err, LC_ERR_PARSE, "DQMIO tree %s has no branch %s", tree, name);
	lc_root_array a;
	int rc = lc_root_branch_read(t, (size_t)c, 0, INT64_MAX, &a, err);
	if (rc)
		return rc;
	size_t sz = lc_root_type_size(a.type);
	if (a.offsets || a.fixed != 1 || !sz || a.type == LC_ROOT_F32 || a.type == LC_ROOT_F64) {
		lc_root_array_free(&a);
		return lc_error_set(err, LC_ERR_PARSE, "DQMIO tree %s: branch %s is not an integer scalar", tree, name);
	}
	int64_t *v = malloc((a.nvalues ? a.nvalues : 1) * sizeof *v);
	if (!v) {
		lc_root_array_free(&a);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < a.nvalues; i++) {
		const uint8_t *p = (const uint8_t *)a.values + i * sz;
		if (sz == 8) { uint64_t x; memcpy(&x, p, 8); v[i] = (int64_t)x; }
		else if (sz == 4) { uint32_t x; memcpy(&x, p, 4); v[i] = a.type == LC_ROOT_I32 ? (int32_t)x : (int64_t)x; }
		else if (sz == 2) { uint16_t x; memcpy(&x, p, 2); v[i] = a.type == LC_ROOT_I16 ? (int16_t)x : (int64_t)x; }
		else v[i] = p[0];
	}
	*out = v;
	*n = (int64_t)a.nvalues;
	lc_root_array_free(&a);
	return LC_OK;
}

int rt_me_entries(lc_root_tree *t, const char *name_branch, const char *value_branch, int64_t first, int64_t last,
		  int64_t run, int64_t lumi, int metype, const char *pattern, lc_hist_fn fn, void *ctx, long *nread,
		  lc_error *err)
{
	long vc = lc_root_tree_find(t, value_branch);
	long nc = name_branch ? lc_root_tree_find(t, name_branch) : -1;
	if (name_branch && nc < 0)
		return lc_error_set(err, LC_ERR_PARSE, "DQMIO tree %s has no branch %s", lc_root_tree_name(t), name_branch);
	if (first < 0 || last < first || last >= lc_root_tree_entries(t))
		return lc_error_set(err, LC_ERR_PARSE, "DQMIO Indices: entries %lld..%lld of tree %s (%lld entries)",
				    (long long)first, (long long)last, lc_root_tree_name(t),
				    (long long)lc_root_tree_entries(t));
	lc_root_array names = {0}, vals = {0};
	int rc = LC_OK;
	if (nc >= 0 && (rc = lc_root_branch_read(t, (size_t)nc, first, last + 1, &names, err)))
		return rc;
	if (nc >= 0 && (names.type != LC_ROOT_STRING || names.nentries != last + 1 - first)) {
		lc_root_array_free(&names);
		return lc_error_set(err, LC_ERR_PARSE, "DQMIO tree %s: %s is not a string branch", lc_root_tree_name(t),
				    name_branch);
	}
	/* the names decide which entries are needed; read the values of the matching range only */
	int64_t lo = last + 1, hi = first - 1;
	char buf[4096];
	for (int64_t e = first; e <= last; e++) {
		if (nc >= 0) {
			size_t a = (size_t)names.offsets[e - first], b = (size_t)names.offsets[e - first + 1];
			size_t n = b - a < sizeof buf - 1 ? b - a : sizeof buf - 1;
			memcpy(buf, (const char *)names.values + a, n);
			buf[n] = 0;
		} else {
			str_copy(buf, value_branch, sizeof buf);
		}
		if (pattern && fnmatch(pattern, buf, 0) != 0)
			continue;
		if (e < lo)
			lo = e;
		hi = e;
	}
	if (lo <= hi && vc < 0)
		rc = lc_error_set(err, LC_ERR_PARSE, "DQMIO tree %s has no branch %s", lc_root_tree_name(t), value_branch);
	else if (lo <= hi)
		rc = lc_root_branch_read(t, (size_t)vc, lo, hi + 1, &vals, err);
	for (int64_t e = lo; e <= hi && !rc; e++) {
		if (nc >= 0) {
			size_t a = (size_t)names.offsets[e - first], b = (size_t)names.offsets[e - first + 1];
			size_t n = b - a < sizeof buf - 1 ? b - a : sizeof buf - 1;
			memcpy(buf, (const char *)names.values + a, n);
			buf[n] = 0;
		} else {
			str_copy(buf, value_branch, sizeof buf);
		}
		if (pattern && fnmatch(pattern, buf, 0) != 0)
			continue;
		lc_root_hist *h;
		if ((rc = lc_root_array_hist(t, (size_t)vc, &vals, e - lo, &h, err)))
			break;
		if (h->xedges || h->yedges) {
			rc = lc_error_set(err, LC_ERR_UNSUPPORTED, "unsupported: variable bins in ME %s (run %lld, LS %lld)", buf,
					  (long long)run, (long long)lumi);
		} else {
			lc_hist lh = {0};
			lh.run = run;
			lh.ls = lumi;
			lh.me = buf;
			lh.metype = metype;
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
			if (nread)
				(*nread)++;
		}
		lc_root_hist_free(h);
	}
	lc_root_array_free(&names);
	lc_root_array_free(&vals);
	return rc;
}

int lc_root_read_dqmio(lc_root *f, const char *pattern, int run_level, lc_hist_fn fn, void *ctx, long *nread,
		       long *nskipped, lc_error *err)
{
	lc_root_tree *idx, *trees[14] = {0};
	long got = 0, skipped = 0;
	int rc = lc_root_tree_open(f, "Indices", &idx, err);
	if (rc)
		return rc;
	static const char *const cols[5] = {"Run", "Lumi", "Type", "FirstIndex", "LastIndex"};
	int64_t *v[5] = {0}, n[5] = {0};
	for (int i = 0; i < 5 && !rc; i++)
		rc = read_u64_col(idx, "Indices", cols[i], &v[i], &n[i], err);
	for (int i = 1; i < 5 && !rc; i++)
		if (n[i] != n[0])
			rc = lc_error_set(err, LC_ERR_PARSE, "%s: DQMIO Indices: branch %s has %lld entries, Run %lld", f->path,
					  cols[i], (long long)n[i], (long long)n[0]);
	for (int64_t r = 0; r < n[0] && !rc; r++) {
		int64_t run = v[0][r], lumi = v[1][r], type = v[2][r];
		if (type == 1000 || (lumi == 0 && !run_level))
			continue;
		if (type < 0 || type >= 14 || !dqm_trees[type]) {
			skipped += v[4][r] - v[3][r] + 1;
			continue;
		}
		if (!trees[type] && (rc = lc_root_tree_open(f, dqm_trees[type], &trees[type], err)))
			break;
		rc = rt_me_entries(trees[type], "FullName", "Value", v[3][r], v[4][r], run, lumi, (int)type, pattern, fn,
				   ctx, &got, err);
		if (rc && err && !strstr(err->msg, f->path)) {
			char m[sizeof err->msg];
			str_copy(m, err->msg, sizeof m);
			lc_error_set(err, rc, "%s: Indices entry %lld (run %lld, lumi %lld, type %lld): %s", f->path,
				     (long long)r, (long long)run, (long long)lumi, (long long)type, m);
		}
	}
	for (int i = 0; i < 5; i++)
		free(v[i]);
	for (int i = 0; i < 14; i++)
		lc_root_tree_close(trees[i]);
	lc_root_tree_close(idx);
	if (!rc) {
		if (nread)
			*nread = got;
		if (nskipped)
			*nskipped = skipped;
	}
	return rc;
}
