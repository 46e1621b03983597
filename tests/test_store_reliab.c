/* test_store_reliab.c — store behaviour the reliability work depends on: visiting the histograms of a run list reads
 * the merged ranges in run/LS order (unsorted, overlapping lists included); a second writer waits for the busy
 * timeout and then fails with the "store busy" message, changing nothing; a bad LUMICERT_BUSY_TIMEOUT_MS is refused. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lumicert.h"
#include "t.h"

static char dbpath[64];

/* Records the (run, ls) pairs visited. */
typedef struct visits {
	int64_t run[64], ls[64];
	int n;
} visits;

static int visit(void *ctx, const lc_hist *h, lc_error *err)
{
	visits *v = ctx;
	(void)err;
	if (v->n < 64) {
		v->run[v->n] = h->run;
		v->ls[v->n] = h->ls;
	}
	v->n++;
	return LC_OK;
}

/* Visits ME m1 in the runs of spec; returns the count (or -1 on error) and fills v. */
static int visit_runs(lc_store *st, const char *spec, visits *v)
{
	lc_error err = {0};
	lc_runlist *rl = NULL;
	memset(v, 0, sizeof *v);
	if (spec && lc_runlist_parse(spec, &rl, &err) != LC_OK)
		return -1;
	int rc = lc_store_each_hist(st, "m1", rl, visit, v, &err);
	lc_runlist_free(rl);
	return rc == LC_OK ? v->n : -1;
}

/* 1 if the visits are the runs lo..hi, LS 1..3 each, in order. */
static int runs_in_order(const visits *v, int64_t lo, int64_t hi)
{
	if (v->n != (int)(hi - lo + 1) * 3)
		return 0;
	for (int i = 0; i < v->n; i++)
		if (v->run[i] != lo + i / 3 || v->ls[i] != 1 + i % 3)
			return 0;
	return 1;
}

int main(void)
{
	lc_error err = {0};
	lc_store *st = NULL;
	snprintf(dbpath, sizeof dbpath, "/tmp/lc-test-reliab-%ld.db", (long)getpid());
	remove(dbpath);
	CHECK(lc_store_open(dbpath, 1, &st, &err) == LC_OK);
	double cells[6] = {0, 1, 2, 3, 4, 0};
	CHECK(lc_store_begin(st, &err) == LC_OK);
	/* runs 10..15, LS 3, 2, 1 inserted in reverse order */
	for (int64_t run = 15; run >= 10; run--)
		for (int64_t ls = 3; ls >= 1; ls--) {
			lc_hist h = {.run = run, .ls = ls, .me = "m1", .metype = 3, .dim = 1, .nx = 4, .ny = 1, .xmin = 0,
				     .xmax = 4, .ymin = 0, .ymax = 1, .entries = 10, .has_flow = 1, .cells = cells};
			CHECK(lc_store_put_hist(st, &h, &err) == LC_OK);
		}
	CHECK(lc_store_commit(st, &err) == LC_OK);

	visits v;
	CHECK(visit_runs(st, NULL, &v) == 18 && runs_in_order(&v, 10, 15));
	CHECK(visit_runs(st, "13,10-11,11-12", &v) == 12 && runs_in_order(&v, 10, 13)); /* unsorted, overlapping */
	CHECK(visit_runs(st, "14-100,1-9", &v) == 6 && runs_in_order(&v, 14, 15));
	CHECK(visit_runs(st, "12,12,12", &v) == 3 && runs_in_order(&v, 12, 12));
	CHECK(visit_runs(st, "16-20", &v) == 0);
	CHECK(visit_runs(st, "1-9,11,16", &v) == 3 && runs_in_order(&v, 11, 11));

	/* a second connection cannot write while the first holds a write transaction: it waits 100 ms and says so */
	setenv("LUMICERT_BUSY_TIMEOUT_MS", "100", 1);
	lc_store *st2 = NULL;
	CHECK(lc_store_open(dbpath, 0, &st2, &err) == LC_OK);
	CHECK(lc_store_begin(st, &err) == LC_OK);
	memset(&err, 0, sizeof err);
	CHECK(st2 && lc_store_begin(st2, &err) == LC_ERR_STORE);
	CHECK(strstr(err.msg, dbpath) && strstr(err.msg, "store busy") && strstr(err.msg, "0.1 s"));
	/* readers are not blocked */
	CHECK(st2 && visit_runs(st2, "10", &v) == 3);
	lc_store_rollback(st);
	CHECK(st2 && lc_store_begin(st2, &err) == LC_OK); /* free again */
	lc_store_rollback(st2);
	lc_store_close(st2);

	setenv("LUMICERT_BUSY_TIMEOUT_MS", "soon", 1);
	memset(&err, 0, sizeof err);
	st2 = NULL;
	CHECK(lc_store_open(dbpath, 0, &st2, &err) == LC_ERR_INVALID && st2 == NULL);
	CHECK(strstr(err.msg, "LUMICERT_BUSY_TIMEOUT_MS='soon'") != NULL);
	unsetenv("LUMICERT_BUSY_TIMEOUT_MS");

	lc_store_close(st);
	remove(dbpath);
	char side[80];
	snprintf(side, sizeof side, "%s-wal", dbpath);
	remove(side);
	snprintf(side, sizeof side, "%s-shm", dbpath);
	remove(side);
	T_DONE();
}
