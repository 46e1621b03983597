/* test_multi.c — models over several MEs (issue 6): the combinations and the loss on hand-computed cases, a
 * central-difference gradient check of the multi-head network for every parameter and every combination, bit-identical
 * training for a seed (and the same bits for 1 and 2 threads), the p-value and Simes combination by hand, and on a
 * synthetic store of three MEs: training of the three kinds, the joined-LS rules, the right channel, save/load round
 * trips and damaged files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "nn/multi.h"
#include "t.h"

static uint64_t rs = 88172645463325252ull;
static double urand(void)
{
	rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
	return (double)(rs >> 11) / 9007199254740992.0;
}

static void test_comb_by_hand(void)
{
	double z[2] = {0, 0}, f[2], dz[3], dcp[3] = {0};
	float cp[3] = {4, 4, -6};
	/* f = (0.5, 0.5): fuzzy AND exp(-1), min 0.5, logistic sigmoid(4*0.5*2 - 6) = sigmoid(-2) */
	CHECK_NEAR(mh_comb(LC_COMB_FUZZY_AND, 2, z, cp, f), exp(-1.0), 1e-12);
	CHECK_NEAR(f[0], 0.5, 1e-12);
	CHECK_NEAR(mh_comb(LC_COMB_MIN, 2, z, cp, NULL), 0.5, 1e-12);
	CHECK_NEAR(mh_comb(LC_COMB_LOGISTIC, 2, z, cp, NULL), 1 / (1 + exp(2.0)), 1e-12);
	double z2[3] = {2, -1, 0.5}; /* min picks the lowest f: z = -1 */
	CHECK_NEAR(mh_comb(LC_COMB_MIN, 3, z2, cp, NULL), 1 / (1 + exp(1.0)), 1e-12);
	/* loss, good LS, C = 0: L = -log F = 1; dL/dz_i = -f_i (1 - f_i) = -0.25 */
	CHECK_NEAR(mh_row_loss(LC_COMB_FUZZY_AND, 2, z, cp, 1, 0.0, dz, NULL), 1.0, 1e-12);
	CHECK_NEAR(dz[0], -0.25, 1e-12);
	/* C = 1: mean of the channels' BCE = log 2, dz = C/K (f - y) = -0.25 */
	CHECK_NEAR(mh_row_loss(LC_COMB_FUZZY_AND, 2, z, cp, 1, 1.0, dz, NULL), log(2.0), 1e-12);
	CHECK_NEAR(dz[1], -0.25, 1e-12);
	/* C = 0.5: the mix */
	CHECK_NEAR(mh_row_loss(LC_COMB_FUZZY_AND, 2, z, cp, 1, 0.5, dz, NULL), 0.5 + 0.5 * log(2.0), 1e-12);
	/* bad LS, C = 0: L = -log(1 - e^-1); dL/dz_i = f(1-f) / expm1(1) */
	CHECK_NEAR(mh_row_loss(LC_COMB_FUZZY_AND, 2, z, cp, 0, 0.0, dz, NULL), -log(1 - exp(-1.0)), 1e-12);
	CHECK_NEAR(dz[0], 0.25 / expm1(1.0), 1e-12);
	/* logistic, bad, C = 0: L = softplus(u) = log(1 + e^-2); dL/db = sigmoid(-2) */
	CHECK_NEAR(mh_row_loss(LC_COMB_LOGISTIC, 2, z, cp, 0, 0.0, dz, dcp), log1p(exp(-2.0)), 1e-12);
	CHECK_NEAR(dcp[2], 1 / (1 + exp(2.0)), 1e-12);
	CHECK_NEAR(dcp[0], 0.5 / (1 + exp(2.0)), 1e-12);
	/* min, bad: only the lowest channel gets a gradient */
	mh_row_loss(LC_COMB_MIN, 3, z2, cp, 0, 0.0, dz, NULL);
	CHECK(dz[0] == 0 && dz[2] == 0);
	CHECK_NEAR(dz[1], 1 / (1 + exp(1.0)), 1e-12);
}

static void test_pvalue_simes(void)
{
	float c[4] = {1, 2, 3, 4};
	CHECK_NEAR(multi_pvalue(c, 4, 2.5), 3.0 / 5, 1e-12);
	CHECK_NEAR(multi_pvalue(c, 4, 5), 1.0 / 5, 1e-12);
	CHECK_NEAR(multi_pvalue(c, 4, 0), 1.0, 1e-12);
	CHECK_NEAR(multi_pvalue(c, 4, 2), 4.0 / 5, 1e-12); /* ties count as at least as extreme */
	double p[3] = {0.5, 0.01, 0.04};
	CHECK_NEAR(multi_simes(p, 3), 0.03, 1e-12); /* min(3*0.01/1, 3*0.04/2, 3*0.5/3) */
	double q[2] = {0.04, 0.03};
	CHECK_NEAR(multi_simes(q, 2), 0.04, 1e-12); /* min(0.06, 0.04) */
}

/* A small network with weights large enough that every activation is non-linear. */
static mh_net *small_net(int comb)
{
	int w[3] = {4, 3, 5}, hid[2] = {6, 4}, act[2] = {LC_ACT_TANH, LC_ACT_SIGMOID};
	mh_net *net = mh_new(3, w, 2, hid, act, comb);
	mh_init(net, 5);
	size_t np = mh_n_params(net);
	for (size_t j = 0; j < np; j++)
		*mh_param(net, j) *= 2.5f;
	if (comb == LC_COMB_LOGISTIC) {
		net->comb_p[0] = 1.5f;
		net->comb_p[1] = -0.7f;
		net->comb_p[2] = 2.0f;
		net->comb_p[3] = -0.4f;
	}
	return net;
}

static void test_gradient(int comb)
{
	mh_net *net = small_net(comb);
	size_t n = 9, np = mh_n_params(net);
	float *x = malloc(n * 12 * sizeof *x);
	int y[9];
	double w[9];
	for (size_t i = 0; i < n * 12; i++)
		x[i] = (float)(2 * urand() - 1);
	for (size_t i = 0; i < n; i++) {
		y[i] = i % 3 != 0;
		w[i] = 0.5 + urand();
	}
	double C = 0.3, l2 = 0.01;
	double *g = malloc(np * sizeof *g);
	double L = mh_grad(net, x, y, w, n, C, l2, g);
	CHECK_NEAR(L, mh_ref_loss(net, x, y, w, n, C, l2), 1e-5);
	double worst = 0, gnorm = 0;
	for (size_t j = 0; j < np; j++) {
		float *p = mh_param(net, j), keep = *p, h = 1e-3f;
		*p = keep + h;
		double lp = mh_ref_loss(net, x, y, w, n, C, l2);
		*p = keep - h;
		double lm = mh_ref_loss(net, x, y, w, n, C, l2);
		*p = keep;
		double fd = (lp - lm) / ((double)(keep + h) - (double)(keep - h));
		double rel = fabs(fd - g[j]) / fmax(1e-2, fabs(fd) + fabs(g[j]));
		if (rel > worst)
			worst = rel;
		gnorm += g[j] * g[j];
	}
	if (worst >= 2e-3)
		fprintf(stderr, "gradient check (%s): worst relative error %g\n", lc_comb_name(comb), worst);
	CHECK(worst < 2e-3);
	CHECK(gnorm > 1e-4); /* an all-zero gradient cannot pass */
	free(g);
	free(x);
	mh_free(net);
}

/* Synthetic rows of 3 channels (widths 6, 5, 7): good rows are noise around a shape; bad rows carry a bump in one
 * channel (recorded in which). */
static void synth(size_t n, float *x, int *y, int *which)
{
	for (size_t i = 0; i < n; i++) {
		y[i] = i % 4 != 0;
		which[i] = y[i] ? -1 : (int)((i / 4) % 3);
		for (int q = 0; q < 18; q++)
			x[i * 18 + q] = (float)(sin(q) + 0.3 * (urand() - 0.5));
		if (!y[i]) {
			int o = which[i] == 0 ? 0 : which[i] == 1 ? 6 : 11;
			x[i * 18 + o + 1] += 1.5f;
			x[i * 18 + o + 2] -= 1.0f;
		}
	}
}

static void test_training(void)
{
	int w[3] = {6, 5, 7}, hid[1] = {8}, act[1] = {LC_ACT_TANH};
	size_t n = 400;
	float *x = malloc(n * 18 * sizeof *x);
	int *y = malloc(n * sizeof *y), *which = malloc(n * sizeof *which);
	synth(n, x, y, which);
	lc_train_opts o;
	lc_train_opts_default(&o);
	o.epochs = 30;
	o.batch = 32;
	o.lr = 1e-2;
	o.seed = 3;
	mh_net *a = mh_new(3, w, 1, hid, act, LC_COMB_FUZZY_AND), *b = mh_new(3, w, 1, hid, act, LC_COMB_FUZZY_AND);
	mh_net *c = mh_new(3, w, 1, hid, act, LC_COMB_FUZZY_AND);
	mh_init(a, 3);
	mh_init(b, 3);
	mh_init(c, 3);
	double la, lb, lc;
	o.threads = 2;
	CHECK(mh_train(a, x, y, n, &o, 1.0, 0.9, 1e-4, &la, NULL) == LC_OK);
	CHECK(mh_train(b, x, y, n, &o, 1.0, 0.9, 1e-4, &lb, NULL) == LC_OK);
	o.threads = 1;
	CHECK(mh_train(c, x, y, n, &o, 1.0, 0.9, 1e-4, &lc, NULL) == LC_OK);
	int same = 1, same1 = 1;
	for (int i = 0; i < 3; i++) {
		same &= !memcmp(a->ch[i]->params, b->ch[i]->params, a->ch[i]->n_params * sizeof(float));
		same1 &= !memcmp(a->ch[i]->params, c->ch[i]->params, a->ch[i]->n_params * sizeof(float));
	}
	CHECK(same);  /* same seed, same threads: the same bits */
	CHECK(same1); /* channels are dealt whole to threads: 1 and 2 threads agree too */
	CHECK(la == lb && la == lc);
	/* it learnt: bad rows score lower, and the channel with the bump is the lowest f for most of them */
	double *F = malloc(n * sizeof *F), *f = malloc(n * 3 * sizeof *f);
	CHECK(mh_predict(a, x, n, F, f, 2, NULL) == LC_OK);
	size_t pairs = 0, right = 0, nbad = 0;
	double conc = 0;
	for (size_t i = 0; i < n; i++) {
		if (y[i])
			continue;
		nbad++;
		int lo = 0;
		for (int k = 1; k < 3; k++)
			if (f[i * 3 + k] < f[i * 3 + lo])
				lo = k;
		right += lo == which[i];
		for (size_t j = 0; j < n; j++)
			if (y[j]) {
				pairs++;
				conc += F[j] > F[i] ? 1 : F[j] == F[i] ? 0.5 : 0;
			}
	}
	CHECK(conc / (double)pairs > 0.95);
	CHECK((double)right / (double)nbad > 0.9);
	/* saliency: the bumped input of a bad row pushes its channel towards bad */
	size_t r = 0;
	while (y[r] || which[r] != 1)
		r++;
	double g[5];
	CHECK(mh_saliency(a, x + r * 18, 1, g) == LC_OK);
	int top = 0;
	for (int q = 1; q < 5; q++)
		if (g[q] < g[top])
			top = q;
	CHECK(top == 1 || top == 2);
	/* one class only is refused with a message */
	lc_error err = {0};
	for (size_t i = 0; i < n; i++)
		y[i] = 1;
	CHECK(mh_train(c, x, y, n, &o, 1.0, 0.9, 0, NULL, &err) == LC_ERR_INVALID && strstr(err.msg, "needs both"));
	free(F);
	free(f);
	mh_free(a);
	mh_free(b);
	mh_free(c);
	free(x);
	free(y);
	free(which);
}

/* ---------------------------------------------------------------- on a store */

static void put(lc_store *st, const char *me, int nx, int64_t run, int64_t ls, const double *v)
{
	double cells[64] = {0};
	memcpy(cells + 1, v, (size_t)nx * sizeof *v);
	lc_hist h = {.run = run, .ls = ls, .me = me, .dim = 1, .nx = nx, .ny = 1, .xmin = 0, .xmax = nx, .ymin = 0,
		     .ymax = 1, .entries = 0, .has_flow = 0, .cells = cells};
	for (int i = 0; i < nx; i++)
		h.entries += v[i];
	lc_error err = {0};
	if (lc_store_put_hist(st, &h, &err))
		fprintf(stderr, "put: %s\n", err.msg);
}

/* 3 MEs (muons_pt 12 bins, muons_eta 8, jets_pt 10) over 240 LS of 4 runs; every 4th LS bad, the anomaly in the
 * muons (pt shifted) or in the jets (a hot bin) in turn; labels "global", "sub_muons", "sub_jets". One extra LS has
 * muons_pt only, one has too few entries in jets_pt. */
static const char *make_store(const char *path)
{
	lc_store *st = NULL;
	lc_error err = {0};
	unlink(path);
	if (lc_store_open(path, 1, &st, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	lc_store_begin(st, &err);
	for (int i = 0; i < 240; i++) {
		int64_t run = 1000 + i / 60, ls = 1 + i % 60;
		int bad = i % 4 == 0, mu = bad && (i / 4) % 2 == 0, jet = bad && !mu;
		double a[12], b[8], c[10];
		for (int k = 0; k < 12; k++)
			a[k] = floor(400 * exp(-0.5 * pow((k - (mu ? 7.5 : 4.0)) / 2.0, 2)) * (0.9 + 0.2 * urand()));
		for (int k = 0; k < 8; k++)
			b[k] = floor(300 * (0.9 + 0.2 * urand()));
		for (int k = 0; k < 10; k++)
			c[k] = floor((200 - 15 * k) * (0.9 + 0.2 * urand())) + (jet && k == 6 ? 400 : 0);
		put(st, "muons_pt", 12, run, ls, a);
		put(st, "muons_eta", 8, run, ls, b);
		put(st, "jets_pt", 10, run, ls, c);
		lc_store_put_label(st, "global", "test", run, ls, !bad, &err);
		lc_store_put_label(st, "sub_muons", "test", run, ls, !mu, &err);
		lc_store_put_label(st, "sub_jets", "test", run, ls, !jet, &err);
	}
	double a[12] = {0}, c[10] = {0};
	for (int k = 0; k < 12; k++)
		a[k] = 50;
	put(st, "muons_pt", 12, 2000, 1, a); /* in one ME only */
	put(st, "muons_pt", 12, 2000, 2, a);
	put(st, "muons_eta", 8, 2000, 2, a);
	c[3] = 5;
	put(st, "jets_pt", 10, 2000, 2, c); /* 5 entries: not evaluable */
	lc_store_commit(st, &err);
	lc_store_close(st);
	return path;
}

/* Bit-identical scores of two models on the store. */
static int same_scores(const lc_model *a, const lc_model *b, lc_store *st)
{
	lc_score_row *ra = NULL, *rb = NULL;
	double *pa = NULL, *pb = NULL;
	size_t na = 0, nb = 0;
	int ok = !lc_model_score_parts(a, st, NULL, 1, &ra, &na, &pa, NULL) &&
		 !lc_model_score_parts(b, st, NULL, 1, &rb, &nb, &pb, NULL) && na == nb && na > 0;
	int P = lc_model_n_parts(a);
	for (size_t i = 0; ok && i < na; i++) {
		ok &= ra[i].evaluable == rb[i].evaluable && (!ra[i].evaluable || ra[i].score == rb[i].score);
		for (int p = 0; ok && ra[i].evaluable && p < P; p++)
			ok &= pa[i * (size_t)P + p] == pb[i * (size_t)P + p];
	}
	free(ra);
	free(rb);
	free(pa);
	free(pb);
	return ok;
}

static void round_trip(lc_model *m, lc_store *st, const char *path)
{
	lc_error err = {0};
	lc_model *b = NULL;
	CHECK(lc_model_save(m, path, &err) == LC_OK);
	CHECK(lc_model_load(path, &b, &err) == LC_OK);
	if (!b) {
		fprintf(stderr, "load: %s\n", err.msg);
		return;
	}
	char *ha = lc_model_header_json(m), *hb = lc_model_header_json(b);
	CHECK(ha && hb && !strcmp(ha, hb));
	CHECK(same_scores(m, b, st));
	char kind[32];
	CHECK(lc_model_file_kind(path, kind, sizeof kind, NULL) == LC_OK && !strcmp(kind, m->kind));
	free(ha);
	free(hb);
	lc_model_free(b);
	/* damaged: one parameter byte flipped, then the file cut short */
	FILE *f = fopen(path, "r+b");
	fseek(f, -20, SEEK_END);
	int c = fgetc(f);
	fseek(f, -20, SEEK_END);
	fputc(c ^ 0x10, f);
	fclose(f);
	b = NULL;
	CHECK(lc_model_load(path, &b, &err) == LC_ERR_PARSE && strstr(err.msg, "checksum") && !b);
	f = fopen(path, "r+b");
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fclose(f);
	CHECK(truncate(path, size - 9) == 0);
	CHECK(lc_model_load(path, &b, &err) == LC_ERR_PARSE && strstr(err.msg, "truncated") && !b);
}

static void test_store(void)
{
	char db[64], path[64];
	snprintf(db, sizeof db, "/tmp/lc-test-multi-%ld.db", (long)getpid());
	snprintf(path, sizeof path, "/tmp/lc-test-multi-%ld.lcm", (long)getpid());
	if (!make_store(db)) {
		CHECK(0);
		return;
	}
	lc_store *st = NULL;
	lc_error err = {0};
	CHECK(lc_store_open(db, 0, &st, &err) == LC_OK);
	lc_multi_spec s;
	lc_multi_spec_default(&s);
	const char *mes[] = {"muons_*", "jets_pt"};
	lc_channel_spec ch[] = {{"muons", "muons_*"}, {"jets", "jets_pt"}};
	s.prep.min_entries = 100;
	s.opts.seed = 2;

	/* multihead: two channels, the global label */
	s.kind = "multihead";
	s.channels = ch;
	s.n_channels = 2;
	s.label_source = "global";
	s.hidden = "8:tanh";
	s.opts.epochs = 60;
	s.opts.batch = 32;
	s.opts.lr = 1e-2;
	lc_model *m = NULL;
	CHECK(lc_multi_train(st, &s, &m, &err) == LC_OK);
	if (!m) {
		fprintf(stderr, "multihead: %s\n", err.msg);
	} else {
		CHECK(lc_model_n_parts(m) == 2 && !strcmp(lc_model_part_name(m, 0), "muons") &&
		      !strcmp(lc_model_part_name(m, 1), "jets"));
		CHECK(m->multi->n_me == 3 && m->multi->part_of[0] == 0 && m->multi->part_of[1] == 0 &&
		      m->multi->part_of[2] == 1);
		lc_score_row *rows = NULL;
		double *parts = NULL;
		size_t n = 0;
		CHECK(lc_model_score_parts(m, st, NULL, 2, &rows, &n, &parts, &err) == LC_OK);
		CHECK(n == 242); /* 240 joined LS + run 2000 LS 1 and 2 */
		size_t right = 0, nbad = 0, ne = 0;
		for (size_t i = 0; i < n; i++) {
			if (!rows[i].evaluable) {
				ne++;
				continue;
			}
			int k = (int)(rows[i].run - 1000) * 60 + (int)rows[i].ls - 1;
			if (k % 4)
				continue;
			nbad++;
			int mu = (k / 4) % 2 == 0;
			right += mu ? parts[i * 2] > parts[i * 2 + 1] : parts[i * 2 + 1] > parts[i * 2];
		}
		CHECK(ne == 2); /* missing from two MEs; too few entries in jets_pt */
		CHECK(nbad == 60 && right >= 54);
		free(rows);
		free(parts);
		lc_explanation *e = NULL;
		CHECK(lc_model_explain_parts(m, st, 1000, 1, &e, &err) == LC_OK); /* i = 0: muons anomaly */
		CHECK(e && e->evaluable && e->part == 0 && e->n == 20);
		lc_explanation_free(e);
		e = NULL;
		CHECK(lc_model_explain_parts(m, st, 2000, 1, &e, &err) == LC_OK && e && !e->evaluable);
		lc_explanation_free(e);
		CHECK(lc_model_explain_parts(m, st, 3000, 1, &e, &err) == LC_ERR_NOTFOUND);
		round_trip(m, st, path);
		lc_model_free(m);
	}
	/* logistic and min train too */
	for (int c = LC_COMB_LOGISTIC; c <= LC_COMB_MIN; c++) {
		s.comb = c;
		m = NULL;
		CHECK(lc_multi_train(st, &s, &m, &err) == LC_OK && m && m->multi->mh->comb == c);
		if (m)
			round_trip(m, st, path);
		lc_model_free(m);
	}
	s.comb = LC_COMB_FUZZY_AND;

	/* multiae and ensemble on the good LS */
	s.channels = NULL;
	s.n_channels = 0;
	s.label_source = NULL;
	s.good_source = "global";
	s.mes = mes;
	s.n_mes = 2;
	s.hidden = NULL;
	s.kind = "multiae";
	m = NULL;
	CHECK(lc_multi_train(st, &s, &m, &err) == LC_OK);
	if (m) {
		CHECK(lc_model_n_parts(m) == 3);
		lc_score_row *rows = NULL;
		double *parts = NULL;
		size_t n = 0;
		CHECK(lc_model_score_parts(m, st, NULL, 1, &rows, &n, &parts, &err) == LC_OK);
		int sums = 1;
		for (size_t i = 0; i < n; i++)
			if (rows[i].evaluable)
				sums &= fabs(parts[i * 3] + parts[i * 3 + 1] + parts[i * 3 + 2] - rows[i].score) <=
					1e-6 * rows[i].score + 1e-15;
		CHECK(sums); /* the ME shares add up to the score */
		free(rows);
		free(parts);
		round_trip(m, st, path);
		lc_model_free(m);
	}
	s.kind = "ensemble";
	m = NULL;
	CHECK(lc_multi_train(st, &s, &m, &err) == LC_OK);
	if (m) {
		CHECK(m->multi->n_cal[0] == m->n_val && m->n_val > 0);
		CHECK_NEAR(m->threshold, 2.0, 1e-12); /* -log10(0.01) */
		round_trip(m, st, path);
		lc_model_free(m);
	}
	/* errors name what is wrong */
	const char *nomatch[] = {"photons_*"};
	s.mes = nomatch;
	s.n_mes = 1;
	CHECK(lc_multi_train(st, &s, &m, &err) == LC_ERR_NOTFOUND && strstr(err.msg, "photons_*"));
	s.kind = "multihead";
	s.mes = mes;
	s.n_mes = 2;
	s.good_source = NULL;
	CHECK(lc_multi_train(st, &s, &m, &err) == LC_ERR_INVALID && strstr(err.msg, "--label"));
	s.label_source = "global";
	s.channels = ch;
	s.n_channels = 2;
	CHECK(lc_multi_train(st, &s, &m, &err) == LC_ERR_INVALID && strstr(err.msg, "is given by --me"));
	lc_store_close(st);
	unlink(db);
	unlink(path);
	char wal[80];
	snprintf(wal, sizeof wal, "%s-wal", db);
	unlink(wal);
	snprintf(wal, sizeof wal, "%s-shm", db);
	unlink(wal);
}

int main(void)
{
	test_comb_by_hand();
	test_pvalue_simes();
	for (int c = 0; c < 3; c++)
		test_gradient(c);
	test_training();
	test_store();
	T_DONE();
}
