/* fuzz_root.c — libFuzzer target for the ROOT reader: opens the input, lists every directory recursively, reads
 * every histogram key and every branch of every tree (histograms inside branches too). Any input must give LC_OK or
 * an error with a message, never a crash, a leak or an out-of-bounds read. Objects are limited to 16 MiB. DQMIO-shaped
 * inputs also go through the Indices reader. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lumicert_root.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static double sink;

static void must_say_why(int rc, const lc_error *e)
{
	if (rc != LC_OK && e->msg[0] == 0)
		__builtin_trap(); /* every failure must say why */
}

static void visit(lc_root *f, const char *dir, int depth)
{
	lc_root_key *k;
	size_t n;
	lc_error e = {0};
	int rc = lc_root_list(f, dir, &k, &n, &e);
	must_say_why(rc, &e);
	if (rc)
		return;
	for (size_t i = 0; i < n; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s%s%s;%d", dir, dir[0] ? "/" : "", k[i].name, k[i].cycle);
		const char *c = k[i].classname;
		memset(&e, 0, sizeof e);
		if ((!strcmp(c, "TDirectory") || !strcmp(c, "TDirectoryFile")) && depth < 4) {
			snprintf(path, sizeof path, "%s%s%s", dir, dir[0] ? "/" : "", k[i].name);
			visit(f, path, depth + 1);
		} else if (!strcmp(c, "TTree") || !strncmp(c, "TNtuple", 7)) {
			lc_root_tree *t;
			rc = lc_root_tree_open(f, path, &t, &e);
			must_say_why(rc, &e);
			if (rc)
				continue;
			for (size_t j = 0; j < lc_root_tree_nbranches(t); j++) {
				lc_root_branch_info b;
				lc_root_tree_branch(t, j, &b);
				sink += (double)strlen(b.name) + (double)strlen(b.unsupported) + (double)strlen(b.count);
				lc_root_array a;
				memset(&e, 0, sizeof e);
				rc = lc_root_branch_read(t, j, 0, 100000, &a, &e);
				must_say_why(rc, &e);
				if (rc)
					continue;
				size_t sz = lc_root_type_size(a.type) ? lc_root_type_size(a.type) : 1;
				for (size_t v = 0; v < a.nvalues * sz; v++)
					sink += ((const uint8_t *)a.values)[v];
				if (a.offsets)
					sink += (double)a.offsets[a.nentries];
				if (b.kind == LC_ROOT_OBJ && a.nentries > 0) {
					lc_root_hist *h;
					memset(&e, 0, sizeof e);
					rc = lc_root_branch_hist(t, j, a.first, &h, &e);
					must_say_why(rc, &e);
					if (!rc) {
						sink += h->cells[h->ncells - 1];
						lc_root_hist_free(h);
					}
				}
				lc_root_array_free(&a);
			}
			lc_root_tree_close(t);
		} else {
			lc_root_hist *h;
			rc = lc_root_hist_read(f, path, &h, &e);
			must_say_why(rc, &e);
			if (!rc) {
				for (size_t v = 0; v < h->ncells; v++)
					sink += h->cells[v];
				if (h->xedges)
					sink += h->xedges[h->nx];
				lc_root_hist_free(h);
			}
		}
	}
	lc_root_keys_free(k, n);
}

static int count_hist(void *ctx, const lc_hist *h, const lc_label_value *l, int nl, lc_error *err)
{
	(void)ctx, (void)l, (void)nl, (void)err;
	sink += h->cells[lc_hist_ncells(h->dim, h->nx, h->ny) - 1] + (double)strlen(h->me);
	return LC_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lc_root *f;
	lc_error e = {0};
	int rc = lc_root_open_mem(data, size, "fuzz.root", &f, &e);
	must_say_why(rc, &e);
	if (rc)
		return 0;
	lc_root_set_max_object(f, (size_t)16 << 20);
	visit(f, "", 0);
	if (lc_root_is_dqmio(f)) {
		long n, skipped;
		memset(&e, 0, sizeof e);
		rc = lc_root_read_dqmio(f, NULL, 1, count_hist, NULL, &n, &skipped, &e);
		must_say_why(rc, &e);
	}
	lc_root_close(f);
	return 0;
}
