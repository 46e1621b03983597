/* test_root.c — the native ROOT reader: keys, directories and cycles, all compressions of one file giving identical
 * arrays, jagged offsets, embedded baskets, rebuilt offsets, histograms, the per-LS histogram import against the CSV
 * conversion, every branch of every test file read or refused with "unsupported", and truncated or corrupted files
 * failing with a message (never a crash; run under ASan by `make asan`). Data: ../shared/data/root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lumicert_root.h"
#include "root/rootint.h"
#include "t.h"

#define D "../shared/data/root/"

static int has(const char *s, const char *frag)
{
	return strstr(s, frag) != NULL;
}

static void *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	void *p = malloc(len > 0 ? (size_t)len : 1);
	if (p && fread(p, 1, (size_t)len, f) != (size_t)len) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*n = (size_t)len;
	return p;
}

/* Statistics of a sweep over a file: columns read, refused as unsupported, failed otherwise. */
typedef struct sweep {
	int read, unsupported, failed, hists, errors_without_message;
	double sum;           /* of everything read, so nothing is optimised away */
	char first_error[1024];
} sweep;

static void note(sweep *s, int rc, const lc_error *e)
{
	if (rc == LC_OK)
		return;
	if (!e->msg[0])
		s->errors_without_message++;
	if (rc == LC_ERR_UNSUPPORTED && has(e->msg, "unsupported"))
		s->unsupported++;
	else {
		s->failed++;
		if (!s->first_error[0])
			snprintf(s->first_error, sizeof s->first_error, "%s", e->msg);
	}
}

static void sweep_dir(lc_root *f, const char *dir, sweep *s, int depth)
{
	lc_root_key *k;
	size_t n;
	lc_error e = {0};
	int rc = lc_root_list(f, dir, &k, &n, &e);
	note(s, rc, &e);
	if (rc || depth > 8)
		return;
	for (size_t i = 0; i < n; i++) {
		char path[2048];
		snprintf(path, sizeof path, "%s%s%s;%d", dir, dir[0] ? "/" : "", k[i].name, k[i].cycle);
		const char *c = k[i].classname;
		memset(&e, 0, sizeof e);
		if (!strcmp(c, "TDirectory") || !strcmp(c, "TDirectoryFile")) {
			snprintf(path, sizeof path, "%s%s%s", dir, dir[0] ? "/" : "", k[i].name);
			sweep_dir(f, path, s, depth + 1);
		} else if (!strncmp(c, "TH1", 3) || !strncmp(c, "TH2", 3) || !strcmp(c, "TProfile")) {
			lc_root_hist *h;
			rc = lc_root_hist_read(f, path, &h, &e);
			note(s, rc, &e);
			if (!rc) {
				s->hists++;
				for (size_t j = 0; j < h->ncells; j++)
					s->sum += h->cells[j];
				lc_root_hist_free(h);
			}
		} else if (!strcmp(c, "TTree") || !strncmp(c, "TNtuple", 7)) {
			lc_root_tree *t;
			rc = lc_root_tree_open(f, path, &t, &e);
			note(s, rc, &e);
			if (rc)
				continue;
			for (size_t j = 0; j < lc_root_tree_nbranches(t); j++) {
				lc_root_branch_info b;
				lc_root_tree_branch(t, j, &b);
				if (b.kind == LC_ROOT_NODE)
					continue;
				lc_root_array a;
				memset(&e, 0, sizeof e);
				rc = lc_root_branch_read(t, j, 0, INT64_MAX, &a, &e);
				note(s, rc, &e);
				if (rc)
					continue;
				s->read++;
				s->sum += (double)a.nvalues;
				if (b.kind == LC_ROOT_OBJ && a.nentries > 0) {
					lc_root_hist *h;
					memset(&e, 0, sizeof e);
					rc = lc_root_branch_hist(t, j, a.first, &h, &e);
					note(s, rc, &e);
					if (!rc) {
						s->hists++;
						lc_root_hist_free(h);
					}
				}
				lc_root_array_free(&a);
			}
			lc_root_tree_close(t);
		}
	}
	lc_root_keys_free(k, n);
}

static int sweep_mem(const void *p, size_t n, sweep *s)
{
	lc_root *f;
	lc_error e = {0};
	int rc = lc_root_open_mem(p, n, "mem.root", &f, &e);
	note(s, rc, &e);
	if (rc)
		return rc;
	lc_root_set_max_object(f, (size_t)64 << 20);
	sweep_dir(f, "", s, 0);
	lc_root_close(f);
	return LC_OK;
}

/* Every column of a tree as read from file path, concatenated with entry boundaries, for comparisons. */
static char *tree_bytes(const char *path, const char *tree, size_t *len, int *ncols)
{
	lc_root *f;
	lc_root_tree *t;
	lc_error e = {0};
	*len = 0;
	*ncols = 0;
	if (lc_root_open(path, &f, &e))
		return NULL;
	if (lc_root_tree_open(f, tree, &t, &e)) {
		lc_root_close(f);
		return NULL;
	}
	char *out = NULL;
	size_t n = 0;
	for (size_t j = 0; j < lc_root_tree_nbranches(t); j++) {
		lc_root_array a;
		if (lc_root_branch_read(t, j, 0, INT64_MAX, &a, &e))
			continue;
		size_t vb = a.nvalues * (lc_root_type_size(a.type) ? lc_root_type_size(a.type) : 1);
		size_t ob = a.offsets ? (size_t)(a.nentries + 1) * sizeof(int64_t) : 0;
		char *w = realloc(out, n + vb + ob + 1);
		if (!w) {
			lc_root_array_free(&a);
			break;
		}
		out = w;
		memcpy(out + n, a.values, vb);
		if (ob)
			memcpy(out + n + vb, a.offsets, ob);
		n += vb + ob;
		(*ncols)++;
		lc_root_array_free(&a);
	}
	lc_root_tree_close(t);
	lc_root_close(f);
	*len = n;
	return out;
}

static void test_keys_and_dirs(void)
{
	lc_root *f;
	lc_error e = {0};
	CHECK(lc_root_open(D "uproot-nesteddirs.root", &f, &e) == LC_OK);
	if (!f)
		return;
	lc_root_key *k;
	size_t n;
	CHECK(lc_root_list(f, "", &k, &n, &e) == LC_OK);
	CHECK(n == 2 && !strcmp(k[0].name, "one") && !strcmp(k[1].name, "three"));
	lc_root_keys_free(k, n);
	CHECK(lc_root_list(f, "one", &k, &n, &e) == LC_OK);
	CHECK(n == 2);
	lc_root_keys_free(k, n);
	CHECK(lc_root_list(f, "one/two", &k, &n, &e) == LC_OK);
	CHECK(n == 1 && !strcmp(k[0].name, "tree") && !strcmp(k[0].classname, "TTree") && k[0].cycle == 1);
	lc_root_keys_free(k, n);
	lc_root_tree *t;
	CHECK(lc_root_tree_open(f, "one/two/tree", &t, &e) == LC_OK);
	CHECK(t && lc_root_tree_entries(t) == 100);
	lc_root_tree_close(t);
	CHECK(lc_root_list(f, "one/nothere", &k, &n, &e) == LC_ERR_NOTFOUND && has(e.msg, "nothere"));
	CHECK(lc_root_tree_open(f, "one/two/tree;7", &t, &e) == LC_ERR_NOTFOUND);
	CHECK(lc_root_tree_open(f, "one", &t, &e) == LC_ERR_INVALID && has(e.msg, "not a TTree"));
	lc_root_close(f);

	/* 64-bit header with a small directory record */
	CHECK(lc_root_open(D "uproot-issue261.root", &f, &e) == LC_OK);
	if (f) {
		lc_root_info info;
		lc_root_get_info(f, &info);
		CHECK(info.large == 1 && info.version == 61800);
		CHECK(lc_root_tree_open(f, "events", &t, &e) == LC_OK && t && lc_root_tree_entries(t) == 0);
		lc_root_tree_close(t);
		lc_root_close(f);
	}
	CHECK(lc_root_open(D "EXPECTED.md", &f, &e) == LC_ERR_PARSE && has(e.msg, "not a ROOT file"));
	CHECK(lc_root_open(D "no-such-file.root", &f, &e) == LC_ERR_IO && has(e.msg, "no-such-file.root"));
}

static void test_jagged_api(void)
{
	lc_root *f;
	lc_root_tree *t;
	lc_error e = {0};
	CHECK(lc_root_open(D "uproot-HZZ-lz4.root", &f, &e) == LC_OK);
	if (!f)
		return;
	CHECK(lc_root_tree_open(f, "events", &t, &e) == LC_OK);
	if (t) {
		CHECK(lc_root_tree_entries(t) == 2421);
		long i = lc_root_tree_find(t, "Muon_Px");
		CHECK(i >= 0);
		lc_root_branch_info b;
		lc_root_tree_branch(t, (size_t)i, &b);
		CHECK(b.kind == LC_ROOT_JAGGED && b.type == LC_ROOT_F32 && !strcmp(b.count, "NMuon") && b.nbaskets == 2);
		lc_root_array a;
		CHECK(lc_root_branch_read(t, (size_t)i, 0, 3, &a, &e) == LC_OK);
		CHECK(a.nentries == 3 && a.offsets && a.offsets[0] == 0 && a.offsets[1] == 2 && a.offsets[2] == 3 &&
		      a.offsets[3] == 5);
		const float *v = a.values;
		CHECK(a.nvalues == 5 && v[0] == -52.89945602416992f && v[2] == -0.8164593577384949f);
		lc_root_array_free(&a);
		/* a range across the basket boundary at entry 2231 equals the two halves read apart */
		lc_root_array x, y, z;
		CHECK(lc_root_branch_read(t, (size_t)i, 2200, 2300, &x, &e) == LC_OK);
		CHECK(lc_root_branch_read(t, (size_t)i, 2200, 2231, &y, &e) == LC_OK);
		CHECK(lc_root_branch_read(t, (size_t)i, 2231, 2300, &z, &e) == LC_OK);
		CHECK(x.nvalues == y.nvalues + z.nvalues && x.nentries == 100);
		CHECK(x.nvalues == y.nvalues + z.nvalues &&
		      !memcmp(x.values, y.values, y.nvalues * 4) &&
		      !memcmp((float *)x.values + y.nvalues, z.values, z.nvalues * 4));
		lc_root_array_free(&x);
		lc_root_array_free(&y);
		lc_root_array_free(&z);
		/* only the baskets of the range are read, each once: Muon_Px has baskets [0, 2231) and [2231, 2421) */
		long before = f->baskets_read;
		CHECK(lc_root_branch_read(t, (size_t)i, 10, 20, &a, &e) == LC_OK);
		lc_root_array_free(&a);
		CHECK(f->baskets_read - before == 1);
		before = f->baskets_read;
		CHECK(lc_root_branch_read(t, (size_t)i, 0, INT64_MAX, &a, &e) == LC_OK && a.nentries == 2421);
		lc_root_array_free(&a);
		CHECK(f->baskets_read - before == 2);
		before = f->baskets_read;
		CHECK(lc_root_branch_read(t, (size_t)i, 2300, 2301, &a, &e) == LC_OK && a.nentries == 1);
		lc_root_array_free(&a);
		CHECK(f->baskets_read - before == 1);
		/* empty range, clamped range */
		CHECK(lc_root_branch_read(t, (size_t)i, 1, 1, &a, &e) == LC_OK && a.nentries == 0 && a.nvalues == 0);
		lc_root_array_free(&a);
		CHECK(lc_root_branch_read(t, (size_t)i, 2420, 5000, &a, &e) == LC_OK && a.nentries == 1);
		lc_root_array_free(&a);
		lc_root_tree_close(t);
	}
	lc_root_close(f);
}

static void test_variants_identical(void)
{
	static const char *const hzz[] = {"", "-zlib", "-lzma", "-lz4", "-zstd", "-uncompressed"};
	for (int which = 0; which < 2; which++) {
		size_t n0 = 0;
		int c0 = 0;
		char *ref = NULL;
		for (int i = 0; i < 6; i++) {
			char path[256];
			snprintf(path, sizeof path, D "uproot-%s%s.root", which ? "Zmumu" : "HZZ", hzz[i]);
			size_t n;
			int nc;
			char *b = tree_bytes(path, "events", &n, &nc);
			CHECK(b != NULL && nc == (which ? 20 : 51));
			if (i == 0) {
				ref = b;
				n0 = n;
				c0 = nc;
				continue;
			}
			CHECK(b && n == n0 && nc == c0 && !memcmp(b, ref, n));
			free(b);
		}
		free(ref);
	}
	/* UnROOT large arrays: zlib, lz4, lzma */
	size_t n0, n1, n2;
	int c0, c1, c2;
	char *a = tree_bytes(D "unroot/tree_with_large_array.root", "t1", &n0, &c0);
	char *b = tree_bytes(D "unroot/tree_with_large_array_lz4.root", "t1", &n1, &c1);
	char *c = tree_bytes(D "unroot/tree_with_large_array_lzma.root", "t1", &n2, &c2);
	CHECK(a && b && c && n0 == n1 && n0 == n2 && c0 >= 2 && !memcmp(a, b, n0) && !memcmp(a, c, n0));
	free(a);
	free(b);
	free(c);
}

static void test_offsets_and_embedded(void)
{
	size_t n1, n2;
	int c1, c2;
	char *a = tree_bytes(D "uproot-small-dy-withoffsets.root", "tree", &n1, &c1);
	char *b = tree_bytes(D "uproot-small-dy-nooffsets.root", "tree", &n2, &c2);
	CHECK(a && b && n1 == n2 && c1 == c2 && c1 > 3 && !memcmp(a, b, n1));
	free(a);
	free(b);

	lc_root *f;
	lc_root_tree *t;
	lc_error e = {0};
	CHECK(lc_root_open(D "uproot-issue21.root", &f, &e) == LC_OK);
	if (!f)
		return;
	CHECK(lc_root_tree_open(f, "nllscan", &t, &e) == LC_OK);
	if (t) {
		long i = lc_root_tree_find(t, "mH");
		lc_root_array x;
		CHECK(i >= 0 && lc_root_branch_read(t, (size_t)i, 0, INT64_MAX, &x, &e) == LC_OK);
		CHECK(x.type == LC_ROOT_F64 && x.nentries == lc_root_tree_entries(t) && x.nentries > 5);
		const double *v = x.values;
		CHECK(x.nvalues > 2 && v[0] == 124.0 && v[1] == 124.09089660644531);
		lc_root_array_free(&x);
		lc_root_tree_close(t);
	}
	lc_root_close(f);
}

static void test_hists(void)
{
	lc_root *f;
	lc_root_hist *h;
	lc_error e = {0};
	CHECK(lc_root_open(D "uproot-histograms.root", &f, &e) == LC_OK);
	if (!f)
		return;
	CHECK(lc_root_hist_read(f, "one", &h, &e) == LC_OK);
	if (h) {
		static const double want[12] = {0, 68, 285, 755, 1580, 2296, 2286, 1570, 795, 289, 76, 0};
		CHECK(h->dim == 1 && h->nx == 10 && h->ncells == 12 && h->xmin == -3 && h->xmax == 3);
		CHECK(h->entries == 10000 && !strcmp(h->title, "numero uno") && !strcmp(h->classname, "TH1F"));
		CHECK(!memcmp(h->cells, want, sizeof want));
		lc_root_hist_free(h);
	}
	CHECK(lc_root_hist_read(f, "three", &h, &e) == LC_OK && h && h->entries == 5);
	lc_root_hist_free(h);
	lc_root_close(f);
	CHECK(lc_root_open(D "go-hep/gauss-h1.root", &f, &e) == LC_OK);
	if (f) {
		CHECK(lc_root_hist_read(f, "h1d-var", &h, &e) == LC_OK && h && h->xedges);
		if (h) {
			int mono = 1;
			for (int i = 0; i < h->nx; i++)
				mono &= h->xedges[i] < h->xedges[i + 1];
			CHECK(mono && h->xedges[0] == h->xmin && h->xedges[h->nx] == h->xmax);
		}
		lc_root_hist_free(h);
		lc_root_close(f);
	}
	/* a TTree is not a histogram */
	CHECK(lc_root_open(D "uproot-HZZ.root", &f, &e) == LC_OK);
	if (f) {
		CHECK(lc_root_hist_read(f, "events", &h, &e) == LC_ERR_UNSUPPORTED && has(e.msg, "TTree"));
		lc_root_close(f);
	}
}

/* The dqmio-2023C ROOT files against their CSV conversions, bin for bin. */
typedef struct hlist {
	lc_hist h[64];
	double *cells[64];
	char *me[64];
	int n;
} hlist;

static int collect(void *ctx, const lc_hist *h, const lc_label_value *l, int nl, lc_error *err)
{
	hlist *c = ctx;
	(void)l, (void)nl, (void)err;
	if (c->n == 64)
		return LC_ERR_INVALID;
	size_t n = lc_hist_ncells(h->dim, h->nx, h->ny);
	c->cells[c->n] = malloc(n * sizeof(double));
	c->me[c->n] = strdup(h->me);
	if (!c->cells[c->n] || !c->me[c->n])
		return LC_ERR_NOMEM;
	memcpy(c->cells[c->n], h->cells, n * sizeof(double));
	c->h[c->n] = *h;
	c->n++;
	return LC_OK;
}

static void hlist_free(hlist *c)
{
	for (int i = 0; i < c->n; i++) {
		free(c->cells[i]);
		free(c->me[i]);
	}
}

static void test_ls_import(void)
{
	static const char *const names[] = {
		"PixelPhase1-Tracks-PXBarrel-charge_PXLayer_1",
		"PixelPhase1-Tracks-PXBarrel-clusterposition_zphi_ontrack_PXLayer_1",
		"PixelPhase1-Tracks-PXForward-clusterposition_xy_ontrack_PXDisk_+1"};
	static const int counts[] = {45, 5, 5};
	for (int k = 0; k < 3; k++) {
		char rp[512], cp[512];
		snprintf(rp, sizeof rp, "../shared/data/dqmio-2023C/ZeroBias-Run2023C-PromptReco-v1-DQMIO-%s.root", names[k]);
		snprintf(cp, sizeof cp, "tests/data/dqmio-2023C/ZeroBias-Run2023C-PromptReco-v1-DQMIO-%s.converted.csv",
			 names[k]);
		hlist *r = calloc(1, sizeof *r), *c = calloc(1, sizeof *c);
		lc_error e = {0};
		long nread = 0;
		CHECK(lc_root_read_ls_hists(rp, NULL, collect, r, &nread, &e) == LC_OK);
		CHECK(nread == counts[k] && r->n == counts[k]);
		FILE *f = fopen(cp, "r");
		CHECK(f != NULL);
		if (f) {
			CHECK(lc_csv_read(f, cp, NULL, 0, collect, c, &e) == LC_OK);
			fclose(f);
		}
		CHECK(c->n == r->n);
		int same = c->n == r->n;
		for (int i = 0; same && i < r->n; i++) {
			int j;
			for (j = 0; j < c->n; j++)
				if (c->h[j].run == r->h[i].run && c->h[j].ls == r->h[i].ls)
					break;
			if (j == c->n) {
				same = 0;
				break;
			}
			const lc_hist *a = &r->h[i], *b = &c->h[j];
			size_t n = lc_hist_ncells(a->dim, a->nx, a->ny);
			same &= a->dim == b->dim && a->nx == b->nx && a->ny == b->ny && a->xmin == b->xmin &&
				a->xmax == b->xmax && a->entries == b->entries && a->has_flow == 1 &&
				!memcmp(r->cells[i], c->cells[j], n * sizeof(double)) && !strcmp(r->me[i], c->me[j]);
			if (a->dim == 2)
				same &= a->ymin == b->ymin && a->ymax == b->ymax;
		}
		CHECK(same);
		if (k == 1)
			CHECK(r->h[0].dim == 2 && r->h[0].nx == 300 && r->h[0].ny == 200 && r->h[0].metype == 6);
		hlist_free(r);
		hlist_free(c);
		free(r);
		free(c);
	}
}

/* DQMIO: the ME-tree step on the CMSSW stand-in (a TTree of TH2F objects in a TBranchObject), the Indices step on a
 * DQMIO-shaped file written by uproot (tests/data/root/make_dqmio_indices.py; no Value objects). */
static void test_dqmio(void)
{
	lc_root *f;
	lc_root_tree *t;
	lc_error e = {0};
	CHECK(lc_root_open(D "uproot-issue-tbranch-of-th2.root", &f, &e) == LC_OK);
	if (!f)
		return;
	CHECK(!lc_root_is_dqmio(f));
	CHECK(lc_root_tree_open(f, "g4SimHits/tree", &t, &e) == LC_OK);
	lc_root_hist *h = NULL;
	CHECK(lc_root_hist_read(f, "g4SimHits/h", &h, &e) == LC_OK);
	if (t && h) {
		hlist *c = calloc(1, sizeof *c);
		long n = 0;
		CHECK(rt_me_entries(t, NULL, "histogram", 0, 0, 367129, 7, 6, NULL, collect, c, &n, &e) == LC_OK);
		CHECK(n == 1 && c->n == 1);
		if (c->n == 1) {
			const lc_hist *x = &c->h[0];
			CHECK(x->run == 367129 && x->ls == 7 && x->metype == 6 && x->dim == 2 && x->nx == 100 && x->ny == 100);
			CHECK(x->xmin == 1300 && x->xmax == 1500 && x->ymin == -5 && x->ymax == 5 && x->entries == 180896);
			CHECK(!strcmp(c->me[0], "histogram") && x->has_flow == 1);
			CHECK(h->ncells == 102 * 102 && !memcmp(c->cells[0], h->cells, h->ncells * sizeof(double)));
		}
		hlist_free(c);
		memset(c, 0, sizeof *c);
		n = 0;
		CHECK(rt_me_entries(t, NULL, "histogram", 0, 0, 1, 1, 6, "hist*", collect, c, &n, &e) == LC_OK && n == 1);
		hlist_free(c);
		memset(c, 0, sizeof *c);
		n = 0;
		CHECK(rt_me_entries(t, NULL, "histogram", 0, 0, 1, 1, 6, "Pixel*", collect, c, &n, &e) == LC_OK && n == 0);
		CHECK(rt_me_entries(t, NULL, "histogram", 0, 1, 1, 1, 6, NULL, collect, c, &n, &e) == LC_ERR_PARSE &&
		      has(e.msg, "entries 0..1"));
		hlist_free(c);
		free(c);
	}
	lc_root_hist_free(h);
	lc_root_tree_close(t);
	lc_root_close(f);

	CHECK(lc_root_open("tests/data/root/dqmio-indices-only.root", &f, &e) == LC_OK);
	if (!f)
		return;
	CHECK(lc_root_is_dqmio(f));
	hlist *c = calloc(1, sizeof *c);
	long n = -1, skipped = -1;
	CHECK(lc_root_read_dqmio(f, "C/*", 0, collect, c, &n, &skipped, &e) == LC_OK);
	CHECK(n == 0 && skipped == 1 && c->n == 0);
	CHECK(lc_root_read_dqmio(f, NULL, 0, collect, c, &n, &skipped, &e) == LC_ERR_PARSE);
	CHECK(has(e.msg, "Indices entry 1 (run 1, lumi 1, type 3)") && has(e.msg, "no branch Value"));
	CHECK(lc_root_read_dqmio(f, "A/run", 0, collect, c, &n, &skipped, &e) == LC_OK && n == 0);
	CHECK(lc_root_read_dqmio(f, "A/run", 1, collect, c, &n, &skipped, &e) == LC_ERR_PARSE &&
	      has(e.msg, "Indices entry 0 (run 1, lumi 0"));
	CHECK(lc_root_read_dqmio(f, "B/*", 0, collect, c, &n, &skipped, &e) == LC_ERR_PARSE);
	free(c);
	lc_root_close(f);
}

/* Every file of ../shared/data/root: each column is read or refused as unsupported, nothing else fails. */
static void test_sweep_all(void)
{
	static const char *const files[] = {
		"uproot-HZZ.root", "uproot-HZZ-lz4.root", "uproot-Zmumu-zstd.root", "uproot-issue187.root",
		"uproot-issue232.root", "uproot-mc10events.root", "uproot-small-evnt-tree-fullsplit.root",
		"uproot-small-evnt-tree-nosplit.root", "uproot-stl_containers.root", "uproot-issue-1221.root",
		"uproot-issue-tbranch-of-th2.root", "uproot-hepdata-example.root", "uproot-issue33.root",
		"uproot-leaflist.root", "uproot-double32-float16.root", "uproot-vectorVectorDouble.root",
		"uproot-issue-1043.root", "uproot-issue-172.root", "uproot-foriter.root", "uproot-empty.root",
		"uproot-nesteddirs.root", "uproot-sample-5.23.02-zlib.root", "uproot-sample-6.20.04-lz4.root",
		"nanoAOD_2015_CMS_Open_Data_ttbar.root", "string-example.root", "unroot/NanoAODv5_sample.root",
		"unroot/cms_ntuple_wjet.root", "unroot/tree_with_doubly_jagged.root", "unroot/tree_with_histos.root",
		"unroot/uncomressed_lz4_int32.root", "unroot/histograms1d2d.root", "go-hep/leaves.root",
		"go-hep/std-containers-split00.root", "go-hep/tntuple.root", "go-hep/tntupled.root",
		"go-hep/tprofile.root", "go-hep/x-flat-tree.root", "go-hep/ndim.root", "go-hep/dirs-6.14.00.root",
	};
	int total_read = 0, total_hists = 0;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[512];
		snprintf(path, sizeof path, D "%s", files[i]);
		size_t n;
		void *p = slurp(path, &n);
		CHECK(p != NULL);
		if (!p)
			continue;
		sweep s = {0};
		CHECK(sweep_mem(p, n, &s) == LC_OK);
		if (s.failed)
			fprintf(stderr, "%s: %s\n", files[i], s.first_error);
		CHECK(s.failed == 0 && s.errors_without_message == 0);
		total_read += s.read;
		total_hists += s.hists;
		free(p);
	}
	CHECK(total_read > 2000);
	CHECK(total_hists >= 10);
}

/* Truncated and corrupted copies: every outcome is success or an error with a message; never a crash. */
static void test_damaged(void)
{
	static const char *const files[] = {"uproot-HZZ-lz4.root", "uproot-sample-6.20.04-zlib.root",
		"uproot-issue21.root", "uproot-issue-tbranch-of-th2.root", "uproot-small-dy-nooffsets.root",
		"uproot-Zmumu-lzma.root", "uproot-histograms.root", "unroot/tree_with_int_array_zstd.root"};
	int errors = 0, located = 0;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[512];
		snprintf(path, sizeof path, D "%s", files[i]);
		size_t n;
		uint8_t *p = slurp(path, &n);
		if (!p)
			continue;
		uint8_t *q = malloc(n);
		for (int cut = 1; cut <= 40; cut++) {
			size_t m = n * (size_t)cut / 41;
			sweep s = {0};
			int rc = sweep_mem(p, m, &s);
			errors += rc != LC_OK || s.failed > 0;
			CHECK(s.errors_without_message == 0);
		}
		uint32_t x = 12345;
		for (int k = 0; k < 60; k++) {
			memcpy(q, p, n);
			x = x * 1103515245u + 12345u;
			size_t at = (x >> 8) % n;
			q[at] ^= (uint8_t)(1u << (x & 7));
			sweep s = {0};
			lc_error e = {0};
			lc_root *f;
			if (lc_root_open_mem(q, n, "bad.root", &f, &e) == LC_OK)
				lc_root_close(f);
			else
				located += has(e.msg, "byte") || has(e.msg, "offset");
			sweep_mem(q, n, &s);
			CHECK(s.errors_without_message == 0);
			if (s.failed)
				located += has(s.first_error, "byte") || has(s.first_error, "offset");
		}
		free(q);
		free(p);
	}
	CHECK(errors > 100); /* truncation is noticed */
	CHECK(located > 20); /* and messages say where */

	/* an LZ4 block with one flipped compressed byte fails its XXH64 checksum */
	size_t n;
	uint8_t *p = slurp(D "uproot-HZZ-lz4.root", &n);
	if (p) {
		size_t at = 0;
		for (size_t i = 200; i + 30 < n; i++)
			if (p[i] == 'L' && p[i + 1] == '4' && p[i + 2] == 1) {
				at = i;
				break;
			}
		CHECK(at > 0);
		p[at + 9 + 8 + 10] ^= 0x40;
		sweep s = {0};
		sweep_mem(p, n, &s);
		CHECK(s.failed > 0 && has(s.first_error, "checksum mismatch"));
		free(p);
	}
}

int main(void)
{
	test_keys_and_dirs();
	test_jagged_api();
	test_variants_identical();
	test_offsets_and_embedded();
	test_hists();
	test_ls_import();
	test_dqmio();
	test_sweep_all();
	test_damaged();
	T_DONE();
}
