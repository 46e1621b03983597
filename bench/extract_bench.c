/* extract_bench.c — events/s of `lumicert extract`'s per-event step next to the plain read of the same branches.
 * `extract_bench CONFIG URL` opens URL (path, http(s):// or root://) and, best of REPEAT runs (default 10), times
 *   plain:   open + lc_root_branch_read of every branch the config names, all entries (typed arrays, nothing else)
 *   extract: open + lc_extract_events_tree batch events at a time into one table, as `lumicert extract` does
 *            (the same reads, plus conversion, sorting, quantiles, momentum sums; event files not written)
 * and prints both in events/s of CPU time with their ratio (target >= 0.7). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lumicert_extract.h"

/* CPU time of the process: steadier than wall time on a machine shared with other jobs (one thread runs here) */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int plain(const lc_extract_config *c, const char *url, int64_t *nev, lc_error *err)
{
	lc_root *f;
	int rc = lc_root_open_url(url, &f, err);
	if (rc)
		return rc;
	lc_root_tree *t;
	if ((rc = lc_root_tree_open(f, c->tree, &t, err))) {
		lc_root_close(f);
		return rc;
	}
	*nev = lc_root_tree_entries(t);
	for (size_t i = 0; i < c->nper_ls + c->nchannels && !rc; i++) {
		size_t nb = i < c->nper_ls ? 1 : c->channels[i - c->nper_ls].nbranches;
		for (size_t j = 0; j < nb && !rc; j++) {
			const char *b = i < c->nper_ls ? c->per_ls[i] : c->channels[i - c->nper_ls].branches[j];
			lc_root_array a;
			long k = lc_root_tree_find(t, b);
			if (k < 0)
				rc = lc_error_set(err, LC_ERR_NOTFOUND, "no branch %s", b);
			else if (!(rc = lc_root_branch_read(t, (size_t)k, 0, *nev, &a, err)))
				lc_root_array_free(&a);
		}
	}
	lc_root_tree_close(t);
	lc_root_close(f);
	return rc;
}

/* As lumicert extract does it: the tree opened once, batch events at a time into one reused table. */
static int extract(const lc_extract_config *c, const char *url, int64_t *nev, lc_error *err)
{
	lc_root *f;
	int rc = lc_root_open_url(url, &f, err);
	if (rc)
		return rc;
	lc_root_tree *t;
	if ((rc = lc_root_tree_open(f, c->tree, &t, err))) {
		lc_root_close(f);
		return rc;
	}
	lc_event_table tab;
	int64_t n = lc_root_tree_entries(t), batch = INT64_MAX;
	for (size_t k = 0; k < c->nchannels; k++)
		batch = c->channels[k].batch < batch ? c->channels[k].batch : batch;
	*nev = 0;
	if (!(rc = lc_event_table_init(c, &tab, err))) {
		for (int64_t a = 0; a < n && !rc; a += batch) {
			tab.nrows = 0;
			rc = lc_extract_events_tree(c, t, a, n - a > batch ? a + batch : n, &tab, err);
			*nev += (int64_t)tab.nrows;
		}
		lc_event_table_free(&tab);
	}
	lc_root_tree_close(t);
	lc_root_close(f);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: extract_bench CONFIG URL\n");
		return 2;
	}
	int repeat = getenv("REPEAT") ? atoi(getenv("REPEAT")) : 10;
	lc_error err = {0};
	lc_extract_config *c;
	if (lc_extract_config_load(argv[1], &c, &err)) {
		fprintf(stderr, "extract_bench: %s\n", err.msg);
		return 1;
	}
	double best[2] = {1e30, 1e30};
	int64_t nev[2] = {0, 0};
	for (int r = 0; r < repeat; r++)
		for (int k = 0; k < 2; k++) {
			double t0 = now();
			int rc = k == 0 ? plain(c, argv[2], &nev[k], &err) : extract(c, argv[2], &nev[k], &err);
			double dt = now() - t0;
			if (rc) {
				fprintf(stderr, "extract_bench: %s\n", err.msg);
				lc_extract_config_free(c);
				return 1;
			}
			best[k] = dt < best[k] ? dt : best[k];
		}
	const char *name = strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2];
	printf("%-8s %-40s %6lld events | plain read %10.0f ev/s | extract %10.0f ev/s | ratio %.2f\n",
	       !strncmp(argv[2], "http", 4) ? "http" : !strncmp(argv[2], "root:", 5) ? "xrootd" : "local", name, (long long)nev[1], (double)nev[0] / best[0],
	       (double)nev[1] / best[1], best[0] / best[1]);
	lc_extract_config_free(c);
	return 0;
}
