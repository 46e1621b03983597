/* test_store.c — the store (round trip of cells, replacement, binning checks, labels, versions), preparation
 * (hand-computed cases) and the model file (exact round trip, every rejection). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lumicert.h"
#include "t.h"

static char dbpath[64];

static lc_hist hist1(int64_t run, int64_t ls, const double *cells)
{
	lc_hist h = {.run = run, .ls = ls, .me = "m1", .metype = 3, .dim = 1, .nx = 4, .ny = 1, .xmin = 0, .xmax = 4,
		     .ymin = 0, .ymax = 1, .entries = 10, .has_flow = 1, .cells = cells};
	return h;
}

typedef struct seen {
	int n;
	double first_cell;
} seen;

static int count_hist(void *ctx, const lc_hist *h, lc_error *err)
{
	(void)err;
	seen *s = ctx;
	if (s->n++ == 0)
		s->first_cell = h->cells[1];
	return LC_OK;
}

static void test_store(void)
{
	lc_error err = {0};
	lc_store *st = NULL;
	snprintf(dbpath, sizeof dbpath, "/tmp/lc-test-store-%ld.db", (long)getpid());
	remove(dbpath);
	CHECK(lc_store_open(dbpath, 0, &st, &err) != LC_OK); /* no create: missing store is an error */
	CHECK(lc_store_open(dbpath, 1, &st, &err) == LC_OK);
	double c1[6] = {1, 2, 3, 4, 5, 6}, c2[6] = {0, 20, 30, 40, 50, 0};
	lc_hist h = hist1(297050, 1, c1);
	CHECK(lc_store_begin(st, &err) == LC_OK);
	CHECK(lc_store_put_hist(st, &h, &err) == LC_OK);
	h = hist1(297050, 2, c1);
	CHECK(lc_store_put_hist(st, &h, &err) == LC_OK);
	h = hist1(297050, 1, c2); /* replaces LS 1 */
	CHECK(lc_store_put_hist(st, &h, &err) == LC_OK);
	CHECK(lc_store_commit(st, &err) == LC_OK);

	lc_me_info me;
	CHECK(lc_store_me(st, "m1", &me, &err) == LC_OK);
	CHECK(me.n_ls == 2 && me.nx == 4 && me.dim == 1 && me.has_flow == 1);
	CHECK(lc_store_me(st, "nope", &me, &err) == LC_ERR_NOTFOUND);
	CHECK(strstr(err.msg, "'m1'") != NULL); /* the message lists what there is */

	lc_hist g;
	double *cells = NULL;
	CHECK(lc_store_get_hist(st, "m1", 297050, 1, &g, &cells, &err) == LC_OK);
	CHECK(cells && memcmp(cells, c2, sizeof c2) == 0);
	CHECK(g.run == 297050 && g.ls == 1 && g.nx == 4);
	free(cells);
	CHECK(lc_store_get_hist(st, "m1", 297050, 9, &g, &cells, &err) == LC_ERR_NOTFOUND);

	seen s = {0};
	CHECK(lc_store_each_hist(st, "m1", NULL, count_hist, &s, &err) == LC_OK);
	CHECK(s.n == 2 && s.first_cell == 20);

	/* other binning for the same ME: refused, and the transaction can be rolled back */
	CHECK(lc_store_begin(st, &err) == LC_OK);
	h = hist1(297051, 1, c1);
	h.xmax = 8;
	CHECK(lc_store_put_hist(st, &h, &err) == LC_ERR_INVALID);
	CHECK(strstr(err.msg, "binning") != NULL);
	lc_store_rollback(st);
	CHECK(lc_store_me(st, "m1", &me, &err) == LC_OK && me.n_ls == 2);

	/* 2D round trip, bit for bit */
	double c3[4 * 5];
	for (int i = 0; i < 20; i++)
		c3[i] = i * 0.1 + 1e-300 * (i == 3);
	lc_hist h2 = {.run = 5, .ls = 3, .me = "m2", .dim = 2, .nx = 2, .ny = 3, .xmin = 0, .xmax = 1, .ymin = -1,
		      .ymax = 1, .entries = 19, .has_flow = 1, .cells = c3};
	CHECK(lc_store_begin(st, &err) == LC_OK);
	CHECK(lc_store_put_hist(st, &h2, &err) == LC_OK);
	CHECK(lc_store_put_label(st, "y", "test", 297050, 1, 1, &err) == LC_OK);
	CHECK(lc_store_put_label(st, "y", "test", 297050, 2, 0, &err) == LC_OK);
	CHECK(lc_store_put_label(st, "y", "test", 297050, 2, 1, &err) == LC_OK); /* replaces */
	CHECK(lc_store_put_label(st, "y", "test", 297050, 3, 0, &err) == LC_OK);
	CHECK(lc_store_commit(st, &err) == LC_OK);
	CHECK(lc_store_get_hist(st, "m2", 5, 3, &g, &cells, &err) == LC_OK);
	CHECK(cells && memcmp(cells, c3, sizeof c3) == 0 && g.dim == 2 && g.ny == 3 && g.ymin == -1);
	free(cells);

	lc_lsset *good = NULL, *bad = NULL, *all = NULL;
	CHECK(lc_store_labels(st, "y", &good, &bad, &err) == LC_OK);
	CHECK(good && good->n == 2 && bad && bad->n == 1 && lc_lsset_has(bad, 297050, 3));
	CHECK(lc_store_labels(st, "z", &good, &bad, &err) == LC_ERR_NOTFOUND);
	lc_lsset_free(good);
	lc_lsset_free(bad);
	CHECK(lc_store_all_ls(st, &all, &err) == LC_OK && all->n == 3);
	lc_lsset_free(all);

	lc_store_summary sum;
	CHECK(lc_store_summarize(st, &sum, &err) == LC_OK);
	CHECK(sum.n_me == 2 && sum.n_hist == 3 && sum.n_labels == 3 && sum.run_lo == 5 && sum.run_hi == 297050);
	lc_label_source *src = NULL;
	size_t nsrc = 0;
	CHECK(lc_store_label_sources(st, &src, &nsrc, &err) == LC_OK && nsrc == 1 && src[0].n_good == 2 &&
	      src[0].n_bad == 1);
	free(src);
	lc_store_close(st);

	/* a store of another schema version is refused */
	sqlite3 *db;
	CHECK(sqlite3_open(dbpath, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'", 0, 0, 0) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(lc_store_open(dbpath, 0, &st, &err) == LC_ERR_VERSION);
	CHECK(strstr(err.msg, "version 99") != NULL);
	remove(dbpath);

	/* a file that is not SQLite */
	FILE *f = fopen(dbpath, "w");
	fputs("this is not a database, just some text that is long enough to be a header\n", f);
	fclose(f);
	CHECK(lc_store_open(dbpath, 0, &st, &err) != LC_OK);
	remove(dbpath);
}

static void test_prep(void)
{
	lc_me_info me = {.dim = 1, .nx = 4, .ny = 1, .xmin = 0, .xmax = 4, .has_flow = 1};
	double cells[6] = {5, 1, 2, 3, 4, 5};
	lc_prep p;
	lc_prep_default(&p);
	CHECK(p.flow == 0 && p.normalize == LC_NORM_L1 && p.min_entries == 100);
	p.min_entries = 1;
	float out[8];
	double count;
	CHECK(lc_prep_dim(&p, &me) == 4);
	CHECK(lc_prep_apply(&p, &me, cells, out, &count) == 1);
	CHECK(count == 10);
	CHECK(out[0] == 0.1f && out[1] == 0.2f && out[2] == 0.3f && out[3] == 0.4f);
	p.flow = 1;
	CHECK(lc_prep_dim(&p, &me) == 6);
	CHECK(lc_prep_apply(&p, &me, cells, out, &count) == 1 && count == 20);
	CHECK(out[0] == 0.25f && out[1] == 0.05f && out[5] == 0.25f);
	p.flow = 0;
	p.rebin_x = 2;
	CHECK(lc_prep_dim(&p, &me) == 2);
	CHECK(lc_prep_apply(&p, &me, cells, out, NULL) == 1 && out[0] == 0.3f && out[1] == 0.7f);
	p.rebin_x = 3;
	lc_error err = {0};
	CHECK(lc_prep_check(&p, &me, &err) == LC_ERR_INVALID); /* 3 does not divide 4 */
	p.rebin_x = 1;
	p.repr = LC_REPR_CDF;
	CHECK(lc_prep_apply(&p, &me, cells, out, NULL) == 1);
	CHECK_NEAR(out[0], 0.1, 1e-7);
	CHECK_NEAR(out[1], 0.3, 1e-7);
	CHECK_NEAR(out[3], 1.0, 1e-7);
	p.repr = LC_REPR_SQRT;
	CHECK(lc_prep_apply(&p, &me, cells, out, NULL) == 1);
	CHECK_NEAR(out[3], sqrt(0.4), 1e-7);
	p.repr = LC_REPR_BINS;
	p.normalize = LC_NORM_NONE;
	CHECK(lc_prep_apply(&p, &me, cells, out, NULL) == 1 && out[2] == 3);
	/* minimum entries: the used cells sum to 10 < 11, so not evaluable, output zeroed */
	p.min_entries = 11;
	CHECK(lc_prep_apply(&p, &me, cells, out, &count) == 0 && count == 10 && out[0] == 0 && out[3] == 0);
	/* an empty LS is never evaluable, even with min_entries 0 */
	double zero[6] = {0};
	p.min_entries = 0;
	CHECK(lc_prep_apply(&p, &me, zero, out, NULL) == 0);
	/* flow keep on an ME imported without flow cells is refused */
	me.has_flow = 0;
	p.flow = 1;
	CHECK(lc_prep_check(&p, &me, &err) == LC_ERR_INVALID);

	/* 2D: 2x2 bins, flow border of 12 cells, rebin along x */
	lc_me_info m2 = {.dim = 2, .nx = 2, .ny = 2, .xmin = 0, .xmax = 2, .ymin = 0, .ymax = 2, .has_flow = 1};
	double g[16];
	for (int i = 0; i < 16; i++)
		g[i] = 100; /* flow cells */
	g[1 + 4 * 1] = 1, g[2 + 4 * 1] = 2, g[1 + 4 * 2] = 3, g[2 + 4 * 2] = 4;
	lc_prep_default(&p);
	p.min_entries = 0;
	p.normalize = LC_NORM_NONE;
	CHECK(lc_prep_dim(&p, &m2) == 4);
	CHECK(lc_prep_apply(&p, &m2, g, out, NULL) == 1 && out[0] == 1 && out[1] == 2 && out[2] == 3 && out[3] == 4);
	p.flow = 1;
	CHECK(lc_prep_dim(&p, &m2) == 16);
	float o16[16];
	CHECK(lc_prep_apply(&p, &m2, g, o16, NULL) == 1 && o16[3] == 4 && o16[4] == 100 && o16[15] == 100);
	p.flow = 0;
	p.rebin_x = 2;
	CHECK(lc_prep_dim(&p, &m2) == 2);
	CHECK(lc_prep_apply(&p, &m2, g, out, NULL) == 1 && out[0] == 3 && out[1] == 7);
	p.repr = LC_REPR_CDF;
	CHECK(lc_prep_check(&p, &m2, &err) == LC_ERR_INVALID);
}

static long file_bytes(const char *path, unsigned char **buf)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	*buf = malloc((size_t)n + 1);
	if (fread(*buf, 1, (size_t)n, f) != (size_t)n)
		n = -1;
	fclose(f);
	return n;
}

static void test_model_file(void)
{
	int n_out[2] = {3, 5}, act[2] = {LC_ACT_TANH, LC_ACT_SIGMOID};
	lc_model *m = calloc(1, sizeof *m);
	m->net = lc_net_new(5, 2, n_out, act);
	lc_net_init(m->net, 7);
	strcpy(m->kind, "ae");
	m->me = (lc_me_info){.dim = 1, .nx = 5, .ny = 1, .xmin = 0, .xmax = 80000, .has_flow = 1, .metype = 3};
	strcpy(m->me.name, "chargeInner_PXLayer_1");
	lc_prep_default(&m->prep);
	strcpy(m->hidden, "3:tanh");
	strcpy(m->runs, "297050,297178");
	strcpy(m->good_source, "y");
	m->seed = 42;
	m->threads = 2;
	m->threshold = 1.2345678901234567e-5;
	m->fpr = 0.01;
	m->train_loss = 1.0 / 3;
	m->val_loss = NAN;
	m->explained = NAN;
	strcpy(m->created, "2026-11-23T00:00:00Z");
	strcpy(m->tool_version, LC_VERSION);

	char p1[64], p2[64];
	snprintf(p1, sizeof p1, "/tmp/lc-test-model-%ld-a.lcm", (long)getpid());
	snprintf(p2, sizeof p2, "/tmp/lc-test-model-%ld-b.lcm", (long)getpid());
	lc_error err = {0};
	CHECK(lc_model_save(m, p1, &err) == LC_OK);
	lc_model *back = NULL;
	CHECK(lc_model_load(p1, &back, &err) == LC_OK);
	if (!back)
		return;
	CHECK(back->net->n_params == m->net->n_params);
	CHECK(memcmp(back->net->params, m->net->params, m->net->n_params * sizeof(float)) == 0);
	CHECK(back->threshold == m->threshold && back->seed == 42 && back->threads == 2);
	CHECK(!strcmp(back->me.name, m->me.name) && back->me.xmax == 80000 && back->net->act[0] == LC_ACT_TANH);
	CHECK(!strcmp(back->runs, "297050,297178") && !strcmp(back->good_source, "y"));
	CHECK(isnan(back->val_loss) && back->train_loss == 1.0 / 3);
	CHECK(lc_model_save(back, p2, &err) == LC_OK);
	unsigned char *a = NULL, *b = NULL;
	long na = file_bytes(p1, &a), nb = file_bytes(p2, &b);
	CHECK(na > 0 && na == nb && memcmp(a, b, (size_t)na) == 0); /* exact round trip */

	/* rejections: version, magic, truncation, damage, trailing bytes */
	unsigned char *c = malloc((size_t)na + 1);
	lc_model *x = NULL;
	memcpy(c, a, (size_t)na);
	c[15] = 2;
	CHECK(lc_model_load_mem(c, (size_t)na, "m", &x, &err) == LC_ERR_VERSION && strstr(err.msg, "version 2"));
	memcpy(c, a, (size_t)na);
	c[0] = 'X';
	CHECK(lc_model_load_mem(c, (size_t)na, "m", &x, &err) == LC_ERR_PARSE && strstr(err.msg, "not a lumicert"));
	memcpy(c, a, (size_t)na);
	CHECK(lc_model_load_mem(c, (size_t)na - 9, "m", &x, &err) == LC_ERR_PARSE && strstr(err.msg, "truncated"));
	c[na - 20] ^= 1;
	CHECK(lc_model_load_mem(c, (size_t)na, "m", &x, &err) == LC_ERR_PARSE && strstr(err.msg, "checksum"));
	memcpy(c, a, (size_t)na);
	c[na] = 0;
	CHECK(lc_model_load_mem(c, (size_t)na + 1, "m", &x, &err) == LC_ERR_PARSE && strstr(err.msg, "trailing"));
	CHECK(lc_model_load("/nonexistent/model.lcm", &x, &err) == LC_ERR_IO);
	CHECK(x == NULL);
	free(a);
	free(b);
	free(c);
	remove(p1);
	remove(p2);
	lc_model_free(m);
	lc_model_free(back);
}

int main(void)
{
	test_store();
	test_prep();
	test_model_file();
	T_DONE();
}
