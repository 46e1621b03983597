/* root.c — `lumicert root ls|dump|hist`: look into ROOT files with the native reader (keys, trees, branches,
 * branch data as one JSON value per entry, histograms as JSON). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lumicert_extract.h"
#include "lumicert_root.h"

static const char *help =
	"usage: lumicert root ls FILE [PATH]\n"
	"       lumicert root dump FILE TREE BRANCH [--entries A:B]\n"
	"       lumicert root hist FILE KEY\n\n"
	"Reads ROOT files natively (zlib, lzma, lz4, zstd and old CS compression). FILE is a path or a file://,\n"
	"http(s):// (Range requests) or root:// (XRootD; module lumicert-xrootd.so, or $LUMICERT_XROOTD) URL.\n"
	"  ls    keys of the file (or of directory PATH, or tree PATH), recursively: class, name;cycle, title;\n"
	"        trees with their entries and branches (value type, [N] fixed, [count] jagged, [][] lists of lists,\n"
	"        or why a branch cannot be read)\n"
	"  dump  one JSON value per entry of BRANCH of TREE (TREE may be dir/name): a number, a string, an array\n"
	"        for fixed, jagged and vector branches (arrays of arrays for vectors of vectors or of strings),\n"
	"        an object for leaf lists (BRANCH names the list) and for histograms in branches; float32 printed\n"
	"        with %.9g, float64 with %.17g so they read back exactly.\n"
	"        --entries A:B  entries A (inclusive) to B (exclusive); either may be left out\n"
	"  hist  the histogram KEY (TH1x, TH2x, TProfile) as JSON: axes, bin edges, entries, sums, and cells with\n"
	"        under/overflow in ROOT's global bin order (ix + (nx+2)*iy)\n";

static void json_num(FILE *o, double x, int f32)
{
	if (!isfinite(x))
		fputs("null", o);
	else
		fprintf(o, f32 ? "%.9g" : "%.17g", x);
}

/* Prints value j of array a. */
static void put_value(FILE *o, const lc_root_array *a, size_t j)
{
	const uint8_t *v = (const uint8_t *)a->values + j * lc_root_type_size(a->type);
	switch (a->type) {
	case LC_ROOT_BOOL: fputs(*v ? "true" : "false", o); break;
	case LC_ROOT_I8: fprintf(o, "%d", *(const int8_t *)v); break;
	case LC_ROOT_U8: fprintf(o, "%u", *v); break;
	case LC_ROOT_I16: { int16_t x; memcpy(&x, v, 2); fprintf(o, "%d", x); break; }
	case LC_ROOT_U16: { uint16_t x; memcpy(&x, v, 2); fprintf(o, "%u", x); break; }
	case LC_ROOT_I32: { int32_t x; memcpy(&x, v, 4); fprintf(o, "%" PRId32, x); break; }
	case LC_ROOT_U32: { uint32_t x; memcpy(&x, v, 4); fprintf(o, "%" PRIu32, x); break; }
	case LC_ROOT_I64: { int64_t x; memcpy(&x, v, 8); fprintf(o, "%" PRId64, x); break; }
	case LC_ROOT_U64: { uint64_t x; memcpy(&x, v, 8); fprintf(o, "%" PRIu64, x); break; }
	case LC_ROOT_F32: { float x; memcpy(&x, v, 4); json_num(o, x, 1); break; }
	case LC_ROOT_F64: { double x; memcpy(&x, v, 8); json_num(o, x, 0); break; }
	default: fputs("null", o); break;
	}
}

/* Prints entry e (relative to a->first) of column data a; arrays for fixed (fixed > 1) and jagged data. */
static void put_entry(FILE *o, const lc_root_array *a, int64_t e, int as_array)
{
	if (a->inner) { /* a list of lists (or of strings) */
		fputc('[', o);
		for (int64_t j = a->offsets[e]; j < a->offsets[e + 1]; j++) {
			if (j > a->offsets[e])
				fputs(", ", o);
			if (a->type == LC_ROOT_STRING) {
				json_strn(o, (const char *)a->values + a->inner[j], (size_t)(a->inner[j + 1] - a->inner[j]));
				continue;
			}
			fputc('[', o);
			for (int64_t v = a->inner[j]; v < a->inner[j + 1]; v++) {
				if (v > a->inner[j])
					fputs(", ", o);
				put_value(o, a, (size_t)v);
			}
			fputc(']', o);
		}
		fputc(']', o);
		return;
	}
	if (a->type == LC_ROOT_STRING) {
		json_strn(o, (const char *)a->values + a->offsets[e], (size_t)(a->offsets[e + 1] - a->offsets[e]));
		return;
	}
	size_t lo, hi;
	if (a->offsets) {
		lo = (size_t)a->offsets[e];
		hi = (size_t)a->offsets[e + 1];
	} else {
		lo = (size_t)e * (size_t)a->fixed;
		hi = lo + (size_t)a->fixed;
	}
	if (!as_array) {
		put_value(o, a, lo);
		return;
	}
	fputc('[', o);
	for (size_t j = lo; j < hi; j++) {
		if (j > lo)
			fputs(", ", o);
		put_value(o, a, j);
	}
	fputc(']', o);
}

static void put_cells(FILE *o, const char *key, const double *v, size_t n)
{
	fprintf(o, ", \"%s\": [", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", o);
		json_num(o, v[i], 0);
	}
	fputc(']', o);
}

static void put_hist(FILE *o, const lc_root_hist *h)
{
	fputs("{\"name\": ", o);
	json_strn(o, h->name ? h->name : "", h->name ? strlen(h->name) : 0);
	fputs(", \"title\": ", o);
	json_strn(o, h->title ? h->title : "", h->title ? strlen(h->title) : 0);
	fprintf(o, ", \"class\": \"%s\", \"dim\": %d, \"nx\": %d, \"xmin\": ", h->classname, h->dim, h->nx);
	json_num(o, h->xmin, 0);
	fputs(", \"xmax\": ", o);
	json_num(o, h->xmax, 0);
	if (h->xedges)
		put_cells(o, "xedges", h->xedges, (size_t)h->nx + 1);
	if (h->dim == 2) {
		fprintf(o, ", \"ny\": %d, \"ymin\": ", h->ny);
		json_num(o, h->ymin, 0);
		fputs(", \"ymax\": ", o);
		json_num(o, h->ymax, 0);
		if (h->yedges)
			put_cells(o, "yedges", h->yedges, (size_t)h->ny + 1);
	}
	const struct { const char *k; double v; } s[] = {
		{"entries", h->entries}, {"sumw", h->tsumw}, {"sumw2", h->tsumw2}, {"sumwx", h->tsumwx},
		{"sumwx2", h->tsumwx2}, {"sumwy", h->tsumwy}, {"sumwy2", h->tsumwy2}, {"sumwxy", h->tsumwxy}};
	for (size_t i = 0; i < (h->dim == 2 || h->bin_entries ? 8u : 5u); i++) {
		if (h->dim == 1 && i == 7)
			break;
		fprintf(o, ", \"%s\": ", s[i].k);
		json_num(o, s[i].v, 0);
	}
	put_cells(o, "cells", h->cells, h->ncells);
	if (h->sumw2)
		put_cells(o, "cells_sumw2", h->sumw2, h->ncells);
	if (h->bin_entries)
		put_cells(o, "bin_entries", h->bin_entries, h->ncells);
	fputs("}", o);
}

static const char *kind_suffix(const lc_root_branch_info *b, char *buf, size_t n)
{
	if (b->unsupported[0])
		snprintf(buf, n, "(%s)", b->unsupported);
	else if (b->kind == LC_ROOT_NODE)
		snprintf(buf, n, "(node)");
	else if (b->kind == LC_ROOT_FIXED)
		snprintf(buf, n, "%s[%d]", lc_root_type_name(b->type), b->fixed);
	else if (b->kind == LC_ROOT_JAGGED)
		snprintf(buf, n, "%s[%s]", lc_root_type_name(b->type), b->count[0] ? b->count : "");
	else if (b->kind == LC_ROOT_JAGGED2)
		snprintf(buf, n, "%s[][]", lc_root_type_name(b->type));
	else if (b->kind == LC_ROOT_OBJ)
		snprintf(buf, n, "object %s", b->objclass);
	else
		snprintf(buf, n, "%s", lc_root_type_name(b->type));
	return buf;
}

static int list_dir(lc_root *f, const char *dir, int indent, lc_error *err)
{
	lc_root_key *k;
	size_t n;
	int rc = lc_root_list(f, dir, &k, &n, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s%s%s;%d", dir, dir[0] ? "/" : "", k[i].name, k[i].cycle);
		printf("%*s%-14s %s;%d \"%s\"", indent, "", k[i].classname, k[i].name, k[i].cycle, k[i].title);
		if (!strcmp(k[i].classname, "TTree") || !strcmp(k[i].classname, "TNtuple") ||
		    !strcmp(k[i].classname, "TNtupleD")) {
			lc_root_tree *t;
			if ((rc = lc_root_tree_open(f, path, &t, err)))
				break;
			printf(" %" PRId64 " entries\n", lc_root_tree_entries(t));
			for (size_t j = 0; j < lc_root_tree_nbranches(t); j++) {
				lc_root_branch_info b;
				char buf[512];
				lc_root_tree_branch(t, j, &b);
				printf("%*s%-32s %-24s %s/%s %" PRId64 " entries, %d baskets\n", indent + 2 + 2 * b.depth, "",
				       b.name, kind_suffix(&b, buf, sizeof buf), b.classname, b.leafclass, b.entries, b.nbaskets);
			}
			lc_root_tree_close(t);
		} else if (!strcmp(k[i].classname, "TDirectory") || !strcmp(k[i].classname, "TDirectoryFile")) {
			printf("\n");
			char sub[4096];
			snprintf(sub, sizeof sub, "%s%s%s", dir, dir[0] ? "/" : "", k[i].name);
			rc = list_dir(f, sub, indent + 2, err);
		} else {
			printf("\n");
		}
	}
	lc_root_keys_free(k, n);
	return rc;
}

/* Parses "A:B" (either side may be empty). */
static int parse_range(const char *s, int64_t *a, int64_t *b)
{
	char *e;
	*a = 0;
	*b = INT64_MAX;
	if (*s != ':') {
		*a = strtoll(s, &e, 10);
		if (e == s || *e != ':' || *a < 0)
			return -1;
		s = e;
	}
	s++;
	if (*s) {
		*b = strtoll(s, &e, 10);
		if (*e || *b < *a)
			return -1;
	}
	return 0;
}

static int dump(lc_root *f, const char *tree, const char *branch, int64_t a, int64_t b, lc_error *err)
{
	lc_root_tree *t;
	int rc = lc_root_tree_open(f, tree, &t, err);
	if (rc)
		return rc;
	long ci = lc_root_tree_find(t, branch);
	size_t cols[256], nc = 0;
	char prefix[1024];
	snprintf(prefix, sizeof prefix, "%s/", branch);
	if (ci >= 0) {
		cols[nc++] = (size_t)ci;
	} else {
		for (size_t j = 0; j < lc_root_tree_nbranches(t) && nc < 256; j++) {
			lc_root_branch_info bi;
			lc_root_tree_branch(t, j, &bi);
			if (!strncmp(bi.name, prefix, strlen(prefix)))
				cols[nc++] = j;
		}
	}
	if (!nc) {
		rc = lc_error_set(err, LC_ERR_NOTFOUND, "%s: tree '%s' has no branch '%s'", tree, tree, branch);
		lc_root_tree_close(t);
		return rc;
	}
	lc_root_array arr[256];
	memset(arr, 0, sizeof arr);
	size_t got = 0;
	for (; got < nc && !rc; got++)
		if ((rc = lc_root_branch_read(t, cols[got], a, b, &arr[got], err)))
			break;
	if (!rc) {
		lc_root_branch_info bi;
		lc_root_tree_branch(t, cols[0], &bi);
		for (int64_t e = 0; e < arr[0].nentries && !rc; e++) {
			if (ci < 0) {
				fputc('{', stdout);
				for (size_t j = 0; j < nc; j++) {
					lc_root_branch_info bj;
					lc_root_tree_branch(t, cols[j], &bj);
					printf("%s\"%s\": ", j ? ", " : "", bj.leaf);
					put_entry(stdout, &arr[j], e, arr[j].fixed > 1 || bj.kind == LC_ROOT_JAGGED);
				}
				fputs("}\n", stdout);
			} else if (bi.kind == LC_ROOT_OBJ) {
				lc_root_hist *h;
				if ((rc = lc_root_branch_hist(t, cols[0], arr[0].first + e, &h, err)))
					break;
				put_hist(stdout, h);
				fputc('\n', stdout);
				lc_root_hist_free(h);
			} else {
				put_entry(stdout, &arr[0], e, bi.kind == LC_ROOT_FIXED || bi.kind == LC_ROOT_JAGGED);
				fputc('\n', stdout);
			}
		}
	}
	for (size_t j = 0; j < nc; j++)
		lc_root_array_free(&arr[j]);
	lc_root_tree_close(t);
	return rc;
}

int cmd_root(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	const char *pos[8];
	int np = 0;
	const char *entries = NULL;
	for (int i = 1; i < argc; i++) {
		if (opt_value(argc, argv, &i, "--entries", &entries))
			continue;
		if (argv[i][0] == '-' && argv[i][1] == '-')
			return usage_error("root", "unknown option %s", argv[i]);
		if (np == 8)
			return usage_error("root", "too many arguments");
		pos[np++] = argv[i];
	}
	if (np < 2)
		return usage_error("root", "expected a subcommand (ls, dump, hist) and a FILE");
	const char *sub = pos[0];
	int64_t a = 0, b = INT64_MAX;
	if (entries && (strcmp(sub, "dump") || parse_range(entries, &a, &b)))
		return usage_error("root", "--entries A:B applies to dump, with 0 <= A <= B");
	if (!strcmp(sub, "ls") ? np > 3 : !strcmp(sub, "dump") ? np != 4 : !strcmp(sub, "hist") ? np != 3 : 1)
		return usage_error("root", "bad arguments for '%s'", sub);
	lc_error err = {0};
	lc_root *f;
	if (lc_root_open_url(pos[1], &f, &err)) /* a path, or an http(s):// or root:// URL */
		return fail("root", &err);
	int rc;
	if (!strcmp(sub, "ls")) {
		lc_root_tree *t;
		lc_error terr = {0};
		if (np == 3 && lc_root_tree_open(f, pos[2], &t, &terr) == LC_OK) { /* PATH names a tree: its branches */
			printf("TTree %s %" PRId64 " entries\n", pos[2], lc_root_tree_entries(t));
			for (size_t j = 0; j < lc_root_tree_nbranches(t); j++) {
				lc_root_branch_info bi;
				char buf[512];
				lc_root_tree_branch(t, j, &bi);
				printf("%*s%-32s %-24s %s/%s %" PRId64 " entries, %d baskets\n", 2 + 2 * bi.depth, "", bi.name,
				       kind_suffix(&bi, buf, sizeof buf), bi.classname, bi.leafclass, bi.entries, bi.nbaskets);
			}
			lc_root_tree_close(t);
			rc = LC_OK;
		} else {
			rc = list_dir(f, np == 3 ? pos[2] : "", 0, &err);
		}
	} else if (!strcmp(sub, "dump")) {
		rc = dump(f, pos[2], pos[3], a, b, &err);
	} else {
		lc_root_hist *h;
		rc = lc_root_hist_read(f, pos[2], &h, &err);
		if (!rc) {
			put_hist(stdout, h);
			fputc('\n', stdout);
			lc_root_hist_free(h);
		}
	}
	lc_root_close(f);
	if (fflush(stdout) != 0 && !rc)
		rc = lc_error_set(&err, LC_ERR_IO, "cannot write the output");
	return rc ? fail("root", &err) : 0;
}
