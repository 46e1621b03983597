/* test_greyzone.c — grey-zone arithmetic on hand-computed cases: Clopper-Pearson bounds (against scipy's
 * beta.ppf), thresholds under caps, weighted rates; classifiers: kNN by hand, XGBoost and the MLP learning a
 * separable problem, bit-identical refits, save/load round trips; the loop on a drifting toy stream. */
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "lumicert.h"
#include "t.h"

static void test_binom(void)
{
	/* reference values: scipy.stats.beta.ppf(conf, k + 1, n - k) */
	CHECK_NEAR(lc_binom_upper(0, 10, 0.9), 0.2056717652757185, 1e-9);
	CHECK_NEAR(lc_binom_upper(1, 10, 0.9), 0.33684772330672474, 1e-9);
	CHECK_NEAR(lc_binom_upper(3, 100, 0.95), 0.07571079374983004, 1e-9);
	CHECK_NEAR(lc_binom_upper(0, 1000, 0.5), 0.0006929070095474781, 1e-9);
	CHECK_NEAR(lc_binom_upper(5, 20, 0.99), 0.5321064089534613, 1e-9);
	CHECK(lc_binom_upper(0, 0, 0.9) == 1.0);
	CHECK(lc_binom_upper(4, 4, 0.9) == 1.0);
	CHECK(lc_binom_upper(2, 8, 0) == 0.25); /* conf 0: the plain rate */
}

static void test_thresholds(void)
{
	double p[] = {0.9, 0.8, 0.7, 0.6, 0.4, 0.2};
	int y[] = {1, 1, 0, 1, 0, 0};
	double lo, hi;
	lc_error err = {0, ""};
	/* no pollution, no loss allowed: top {0.9, 0.8} is clean; bottom {0.2, 0.4} loses nothing, 0.6 would */
	CHECK(lc_gz_thresholds(p, y, NULL, 6, 0, 0, 0, &lo, &hi, &err) == LC_OK);
	CHECK(hi == 0.8);
	CHECK(lo == nextafter(0.4, 1)); /* just above the highest p of the auto-bad set */
	/* pollution 1/4 allowed: the top four (one bad) qualify, the top five (2/5) do not */
	CHECK(lc_gz_thresholds(p, y, NULL, 6, 0, 0.25, 0, &lo, &hi, &err) == LC_OK);
	CHECK(hi == 0.6);
	CHECK(lo == nextafter(0.4, 1));
	/* a weight of 3 on the bad LS at 0.7 makes the top four 3/6 polluted */
	double w[] = {1, 1, 3, 1, 1, 1};
	CHECK(lc_gz_thresholds(p, y, w, 6, 0, 0.25, 0, &lo, &hi, &err) == LC_OK);
	CHECK(hi == 0.8);
	/* loss 1/3 allowed: one of the three good LS may be lost: bottom {0.2, 0.4, 0.6, 0.7} (0.8 would lose 2) */
	CHECK(lc_gz_thresholds(p, y, NULL, 6, 0.34, 0, 0, &lo, &hi, &err) == LC_OK);
	CHECK(hi == 0.8 && lo == nextafter(0.7, 1));
	/* with a confidence bound, six LS are too few to certify anything at 1% */
	CHECK(lc_gz_thresholds(p, y, NULL, 6, 0.01, 0.01, 0.9, &lo, &hi, &err) == LC_OK);
	CHECK(isinf(hi) && hi > 0 && isinf(lo) && lo < 0);
	/* caps outside [0, 1) */
	CHECK(lc_gz_thresholds(p, y, NULL, 6, 1.0, 0.01, 0.9, &lo, &hi, &err) == LC_ERR_INVALID);
	CHECK(strstr(err.msg, "[0, 1)") != NULL);
	CHECK(lc_gz_thresholds(p, y, NULL, 6, 0.01, -0.1, 0.9, &lo, &hi, &err) == LC_ERR_INVALID);
}

static void test_rates(void)
{
	signed char dec[] = {LC_GZ_GOOD, LC_GZ_GOOD, LC_GZ_BAD, LC_GZ_REVIEW, LC_GZ_GOOD, LC_GZ_BAD};
	int y[] = {1, 0, 0, 1, 1, 1};
	double w[] = {1, 2, 1, 1, 1, 2}, lumi[] = {1, 1, 1, 3, 1, 1};
	lc_gz_rates r;
	lc_gz_rates_compute(dec, y, NULL, NULL, 6, &r);
	CHECK(r.n == 6 && r.n_auto_good == 3 && r.n_auto_bad == 2 && r.n_review == 1);
	CHECK(r.n_polluted == 1 && r.n_lost == 1 && r.n_good == 4);
	CHECK_NEAR(r.manual_work, 1.0 / 6, 1e-15);
	CHECK_NEAR(r.saved, 5.0 / 6, 1e-15);
	CHECK_NEAR(r.pollution, 1.0 / 3, 1e-15); /* one bad among three auto-good */
	CHECK_NEAR(r.loss, 1.0 / 4, 1e-15);      /* one good of four auto-bad */
	CHECK_NEAR(r.rejection, 1.0 / 6, 1e-15);
	lc_gz_rates_compute(dec, y, w, lumi, 6, &r);
	CHECK_NEAR(r.manual_work, 1.0 / 8, 1e-15);  /* weights sum to 8, the review LS weighs 1 */
	CHECK_NEAR(r.pollution, 2.0 / 4, 1e-15);    /* auto-good weights 1 + 2 + 1, the bad one 2 */
	CHECK_NEAR(r.loss, 2.0 / 5, 1e-15);         /* good weights 1 + 1 + 1 + 2, lost 2 */
	CHECK_NEAR(r.rejection, 3.0 / 8, 1e-15);    /* luminosity 3 of 8 to humans */
}

/* Two Gaussian-ish clusters in d dims from a fixed LCG: good around 0, bad around 1 (first half good). */
static void blobs(float *x, int *y, size_t n, int d, unsigned seed)
{
	unsigned s = seed;
	for (size_t i = 0; i < n; i++) {
		y[i] = i < n / 2;
		for (int j = 0; j < d; j++) {
			s = s * 1664525u + 1013904223u;
			x[i * (size_t)d + j] = (float)((y[i] ? 0.0 : 1.0) + 0.3 * ((double)(s >> 8) / 16777216.0 - 0.5));
		}
	}
}

static void test_knn(void)
{
	float x[] = {0, 10, 4};
	int y[] = {1, 0, 1};
	lc_clf_opts o;
	lc_clf_opts_default(&o, LC_CLF_KNN);
	lc_clf *c = NULL;
	lc_error err = {0, ""};
	CHECK(lc_clf_fit(&o, x, y, NULL, 3, 1, &c, &err) == LC_OK);
	float q[] = {2, 9, 4};
	double p[3];
	CHECK(lc_clf_predict(c, q, 3, p, &err) == LC_OK);
	CHECK_NEAR(p[0], 8.0 / 10.0, 1e-12); /* nearest good 2 away, nearest bad 8 */
	CHECK_NEAR(p[1], 1.0 / 6.0, 1e-12);  /* good at 4 is 5 away, bad 1 */
	CHECK_NEAR(p[2], 1.0, 1e-12);        /* on a good row */
	/* leave-one-out: row 2 (x=4) is predicted from rows 0 and 1: good 4 away, bad 6 */
	double cv[3];
	CHECK(lc_clf_cv(&o, x, y, NULL, NULL, 3, 1, cv, &err) == LC_OK);
	CHECK_NEAR(cv[2], 6.0 / 10.0, 1e-12);
	/* grouped: with rows 0 and 2 in one run, row 2 sees only the bad row */
	int64_t grp[] = {1, 2, 1};
	CHECK(lc_clf_cv(&o, x, y, NULL, grp, 3, 1, cv, &err) == LC_OK);
	CHECK_NEAR(cv[2], 0.0, 1e-12);
	lc_clf_free(c);
	int one[] = {1, 1, 1};
	CHECK(lc_clf_fit(&o, x, one, NULL, 3, 1, &c, &err) == LC_ERR_INVALID);
	CHECK(strstr(err.msg, "one class") != NULL);
}

static void test_learners(int kind)
{
	enum { N = 200, D = 6 };
	static float x[N * D], xt[N * D];
	static int y[N], yt[N];
	blobs(x, y, N, D, 1);
	blobs(xt, yt, N, D, 2);
	lc_clf_opts o;
	lc_clf_opts_default(&o, kind);
	lc_error err = {0, ""};
	lc_clf *a = NULL, *b = NULL, *c = NULL;
	CHECK(lc_clf_fit(&o, x, y, NULL, N, D, &a, &err) == LC_OK);
	CHECK(lc_clf_fit(&o, x, y, NULL, N, D, &b, &err) == LC_OK);
	static double pa[N], pb[N], pc[N];
	CHECK(lc_clf_predict(a, xt, N, pa, &err) == LC_OK);
	CHECK(lc_clf_predict(b, xt, N, pb, &err) == LC_OK);
	CHECK(memcmp(pa, pb, sizeof pa) == 0); /* same seed, same data: bit-identical */
	int right = 0;
	for (int i = 0; i < N; i++)
		right += (pa[i] >= 0.5) == yt[i];
	CHECK(right >= N - 2); /* well separated clusters */
	unsigned char *buf = NULL;
	size_t len = 0;
	CHECK(lc_clf_save_mem(a, &buf, &len, &err) == LC_OK);
	CHECK(lc_clf_load_mem(buf, len, &c, &err) == LC_OK);
	if (c) {
		CHECK(lc_clf_kind(c) == kind);
		CHECK(lc_clf_predict(c, xt, N, pc, &err) == LC_OK);
		CHECK(memcmp(pa, pc, sizeof pa) == 0);
	}
	/* cross-validated predictions do not depend on the thread count (folds run side by side) */
	if (kind != LC_CLF_KNN) {
		static double c1[N], c2[N];
		lc_clf_opts o1 = o, o2 = o;
		o1.shared_cv = o2.shared_cv = 0;
		o2.threads = 2;
		CHECK(lc_clf_cv(&o1, x, y, NULL, NULL, N, D, c1, &err) == LC_OK);
		CHECK(lc_clf_cv(&o2, x, y, NULL, NULL, N, D, c2, &err) == LC_OK);
		CHECK(memcmp(c1, c2, sizeof c1) == 0);
	}
	/* xgb's cross-validation on one matrix (held-out rows weighted 0) predicts every row out of sample as well as
	 * one matrix per fold: the clusters separate, and it is deterministic */
	if (kind == LC_CLF_XGB) {
		static double c1[N], c2[N], c3[N];
		lc_clf_opts o1 = o;
		o1.shared_cv = 0;
		CHECK(o.shared_cv == 1);
		CHECK(lc_clf_cv(&o, x, y, NULL, NULL, N, D, c1, &err) == LC_OK);
		CHECK(lc_clf_cv(&o, x, y, NULL, NULL, N, D, c3, &err) == LC_OK);
		CHECK(lc_clf_cv(&o1, x, y, NULL, NULL, N, D, c2, &err) == LC_OK);
		CHECK(memcmp(c1, c3, sizeof c1) == 0);
		int r1 = 0, r2 = 0;
		for (int i = 0; i < N; i++) {
			r1 += (c1[i] >= 0.5) == y[i];
			r2 += (c2[i] >= 0.5) == y[i];
		}
		CHECK(r1 >= N - 2 && r2 >= N - 2);
		/* a fold whose training rows are of one class predicts that class, as with one matrix per fold */
		static int64_t grp[N];
		for (int i = 0; i < N; i++)
			grp[i] = y[i]; /* two groups, one per class: each fold trains on one class */
		CHECK(lc_clf_cv(&o, x, y, NULL, grp, N, D, c1, &err) == LC_OK);
		int flipped = 0;
		for (int i = 0; i < N; i++)
			flipped += c1[i] == (y[i] ? 0.0 : 1.0);
		CHECK(flipped == N);
	}
	/* truncated buffers fail cleanly */
	lc_clf *t = NULL;
	CHECK(lc_clf_load_mem(buf, len - 1, &t, &err) != LC_OK && t == NULL);
	CHECK(lc_clf_load_mem(buf, 12, &t, &err) != LC_OK && t == NULL);
	/* warm start keeps learning: update with the same rows and still separate */
	CHECK(lc_clf_update(a, &o, x, y, NULL, N, &err) == LC_OK);
	CHECK(lc_clf_predict(a, xt, N, pa, &err) == LC_OK);
	right = 0;
	for (int i = 0; i < N; i++)
		right += (pa[i] >= 0.5) == yt[i];
	CHECK(right >= N - 2);
	free(buf);
	lc_clf_free(a);
	lc_clf_free(b);
	lc_clf_free(c);
}

static void test_stream(void)
{
	/* 400 LS: 60% good; a separable toy in 4 dims; shuffled; every rate must respect the caps and the first
	 * chunks are all review */
	enum { N = 400, D = 4 };
	static float x[N * D];
	static int y[N];
	static size_t order[N];
	static signed char dec[N];
	unsigned s = 7;
	for (size_t i = 0; i < N; i++) {
		y[i] = (i % 5) < 3;
		for (int j = 0; j < D; j++) {
			s = s * 1664525u + 1013904223u;
			x[i * D + j] = (float)((y[i] ? 0.2 : 0.8) + 0.1 * ((double)(s >> 8) / 16777216.0 - 0.5));
		}
		order[i] = i;
	}
	lc_stream_spec sp = {.chunks = 8, .first_manual = 2, .max_loss = 0.01, .max_pollution = 0.01, .conf = 0.5,
			     .novelty_factor = 0};
	lc_clf_opts_default(&sp.clf, LC_CLF_KNN);
	lc_stream_chunk ch[8];
	lc_error err = {0, ""};
	CHECK(lc_stream_run(&sp, x, y, NULL, NULL, NULL, N, D, order, dec, ch, &err) == LC_OK);
	CHECK(ch[0].n == 50 && ch[7].first == 350);
	int review_first = 1, wrong = 0, auto_n = 0;
	for (size_t i = 0; i < 100; i++)
		review_first &= dec[i] == LC_GZ_REVIEW;
	CHECK(review_first);
	for (size_t i = 100; i < N; i++) {
		auto_n += dec[i] != LC_GZ_REVIEW;
		wrong += (dec[i] == LC_GZ_GOOD && !y[i]) || (dec[i] == LC_GZ_BAD && y[i]);
	}
	CHECK(wrong == 0);
	/* chunk 2 learns from 100 LS (60 good): a clean record of 60 still allows 1.15% at confidence 0.5, above the
	 * cap, so all of it goes to humans; from chunk 3 on (90 good: 0.77%) most LS are automatic */
	int review2 = 1;
	for (size_t i = 100; i < 150; i++)
		review2 &= dec[i] == LC_GZ_REVIEW;
	CHECK(review2);
	CHECK(auto_n >= 200 && auto_n <= 250);
	sp.first_manual = 8;
	CHECK(lc_stream_run(&sp, x, y, NULL, NULL, NULL, N, D, order, dec, ch, &err) == LC_ERR_INVALID);

	/* runs and LS numbers: 4 runs of 100 LS. In time order no LS lies inside its run's labelled span (the
	 * labelled LS of a run all came before it); shuffled, an LS is inside when a labelled LS of its run (one seen
	 * by humans in an earlier chunk) has a lower LS number and another a higher one */
	static int64_t run[N], ls[N];
	for (size_t i = 0; i < N; i++) {
		run[i] = 1000 + (int64_t)(i / 100);
		ls[i] = 1 + (int64_t)(i % 100);
	}
	sp.first_manual = 2;
	sp.ls = ls;
	CHECK(lc_stream_run(&sp, x, y, NULL, NULL, run, N, D, order, dec, ch, &err) == LC_OK);
	int64_t inside = 0;
	for (int c = 0; c < 8; c++)
		inside += ch[c].n_inside;
	CHECK(inside == 0);
	unsigned r = 11;
	for (size_t i = N; i > 1; i--) {
		r = r * 1664525u + 1013904223u;
		size_t j = (r >> 8) % i, t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	CHECK(lc_stream_run(&sp, x, y, NULL, NULL, run, N, D, order, dec, ch, &err) == LC_OK);
	int same = 1;
	wrong = 0;
	inside = 0;
	for (int c = 2; c < 8; c++) {
		int64_t expect = 0;
		for (size_t i = ch[c].first; i < ch[c].first + ch[c].n; i++) {
			size_t q = order[i];
			int before = 0, after = 0;
			for (size_t k = 0; k < ch[c].first; k++) {
				size_t l = order[k];
				if (dec[l] == LC_GZ_REVIEW && run[l] == run[q]) {
					before |= ls[l] < ls[q];
					after |= ls[l] > ls[q];
				}
			}
			expect += before && after;
			wrong += (dec[q] == LC_GZ_GOOD && !y[q]) || (dec[q] == LC_GZ_BAD && y[q]);
		}
		same &= expect == ch[c].n_inside;
		inside += ch[c].n_inside;
		if (ch[c].n_inside && c >= 3) /* chunk 2 has no thresholds yet (see above) */
			same &= isfinite(ch[c].lo_in) || isfinite(ch[c].hi_in);
	}
	CHECK(same);
	CHECK(inside > 200);
	CHECK(wrong == 0);
	/* a bad run that looks like the good ones (run 1002: all bad, its LS a small shift away from good LS; runs 1000
	 * and 1001 all good, 1003 mixed): held out whole it is predicted good, so the run-grouped validation finds no
	 * auto-good set under the cap (hi infinite). An inside LS between two labelled good LS of its run is certified
	 * good above the inside upper threshold alone, any other inside LS above both; nothing of run 1002 is certified
	 * good. (The inside threshold alone for every LS of a single-label run was tried: two LS of run 1002 passed.) */
	static int yr[N];
	static double p[N];
	static unsigned char ins[N];
	for (size_t i = 0; i < N; i++)
		yr[i] = run[i] == 1003 ? y[i] : run[i] < 1002;
	for (size_t i = 0; i < N; i++)
		for (int j = 0; j < D; j++)
			x[i * D + j] = (float)((yr[i] || run[i] == 1002 ? 0.2 : 0.8) + (run[i] == 1002 ? 0.05 : 0.0) +
					       (x[i * D + j] - (y[i] ? 0.2f : 0.8f)));
	sp.p_out = p;
	sp.inside_out = ins;
	CHECK(lc_stream_run(&sp, x, yr, NULL, NULL, run, N, D, order, dec, ch, &err) == LC_OK);
	int rule = 1, unsafe_hi = 0, relaxed = 0;
	wrong = 0;
	for (int c = 3; c < 8; c++) {
		unsafe_hi += isinf(ch[c].hi);
		for (size_t i = ch[c].first; i < ch[c].first + ch[c].n; i++) {
			size_t q = order[i];
			wrong += dec[q] == LC_GZ_GOOD && !yr[q];
			if (!ins[q] || dec[q] != LC_GZ_GOOD)
				continue;
			/* the nearest LS of its run that humans saw before this chunk, on each side */
			int64_t lb = 0, la = INT64_MAX;
			int gb = 0, ga = 0;
			for (size_t k = 0; k < ch[c].first; k++) {
				size_t l = order[k];
				if (dec[l] != LC_GZ_REVIEW || run[l] != run[q])
					continue;
				if (ls[l] < ls[q] && ls[l] > lb)
					lb = ls[l], gb = yr[l];
				if (ls[l] > ls[q] && ls[l] < la)
					la = ls[l], ga = yr[l];
			}
			rule &= p[q] >= ch[c].hi_in && ((gb && ga) || p[q] >= ch[c].hi);
			relaxed += p[q] < ch[c].hi;
		}
	}
	CHECK(unsafe_hi > 0);
	CHECK(relaxed > 0);
	CHECK(rule);
	CHECK(wrong == 0);
	sp.p_out = NULL;
	sp.inside_out = NULL;
	/* refit: with a huge fraction the first fit serves every later chunk (same thresholds); 0 refits whenever a
	 * label was added; negative is refused */
	sp.refit = 1e9;
	CHECK(lc_stream_run(&sp, x, y, NULL, NULL, run, N, D, order, dec, ch, &err) == LC_OK);
	int kept = 1;
	for (int c = 3; c < 8; c++)
		kept &= ch[c].lo == ch[2].lo && ch[c].hi == ch[2].hi;
	CHECK(kept);
	sp.refit = -0.1;
	CHECK(lc_stream_run(&sp, x, y, NULL, NULL, run, N, D, order, dec, ch, &err) == LC_ERR_INVALID);
	sp.refit = 0;
	/* ls without runs: nothing is inside */
	CHECK(lc_stream_run(&sp, x, y, NULL, NULL, NULL, N, D, order, dec, ch, &err) == LC_OK);
	inside = 0;
	for (int c = 0; c < 8; c++)
		inside += ch[c].n_inside;
	CHECK(inside == 0);
}

int main(void)
{
	test_binom();
	test_thresholds();
	test_rates();
	test_knn();
	test_learners(LC_CLF_XGB);
	test_learners(LC_CLF_MLP);
	test_learners(LC_CLF_KNN);
	test_stream();
	T_DONE();
}
