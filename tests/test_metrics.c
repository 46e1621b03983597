/* test_metrics.c — metrics on hand-computed cases (ties, top-10 cut, errors) and the false-alarm threshold.
 * Run as `test_metrics FILE` it instead reads "score,is_bad" lines and prints the metrics as one JSON line, which
 * tests/sklearn_metrics.py compares with scikit-learn. */
#include <stdlib.h>
#include <string.h>

#include "lumicert.h"
#include "t.h"

#define EPS 1e-12

/* Computes metrics of n rows, expecting success. */
static lc_metrics run(const double *s, const int *b, size_t n)
{
	lc_metrics m;
	memset(&m, 0xff, sizeof m);
	lc_error err = {0, ""};
	int rc = lc_metrics_compute(s, b, n, &m, &err);
	CHECK(rc == LC_OK);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	return m;
}

static void test_simple(void)
{
	/* perfect separation: bad all above good */
	double s1[] = {0.9, 0.8, 0.1, 0.2, 0.3};
	int b1[] = {1, 1, 0, 0, 0};
	lc_metrics m = run(s1, b1, 5);
	CHECK(m.n_pos == 2 && m.n_neg == 3);
	CHECK_NEAR(m.auc, 1.0, EPS);
	CHECK_NEAR(m.ap, 1.0, EPS);
	for (int k = 0; k < 4; k++)
		CHECK_NEAR(m.prec_at_recall[k], 1.0, EPS);
	CHECK_NEAR(m.prec_top10, 2.0 / 5, EPS); /* n < 10: all 5 count */

	/* reversed: 2 bad below 2 good; PR points (k=3: P 1/3, R 1/2), (k=4: P 1/2, R 1) */
	double s2[] = {0.1, 0.2, 0.8, 0.9};
	int b2[] = {1, 1, 0, 0};
	m = run(s2, b2, 4);
	CHECK_NEAR(m.auc, 0.0, EPS);
	CHECK_NEAR(m.ap, 0.5 / 3 + 0.25, EPS);
	CHECK_NEAR(m.prec_at_recall[0], 0.5, EPS);
	CHECK_NEAR(m.prec_top10, 0.5, EPS);

	/* all tied: one threshold */
	double s3[] = {3, 3, 3, 3, 3, 3};
	int b3[] = {0, 1, 0, 0, 1, 0};
	m = run(s3, b3, 6);
	CHECK_NEAR(m.auc, 0.5, EPS);
	CHECK_NEAR(m.ap, 2.0 / 6, EPS);
	CHECK_NEAR(m.prec_at_recall[3], 2.0 / 6, EPS);
	CHECK_NEAR(m.prec_top10, 2.0 / 6, EPS);
}

static void test_ties_by_hand(void)
{
	/* scores 0.9 0.8 0.8 0.3 0.1, bad 1 1 0 0 1 (3 bad, 2 good).
	 * AUC: bad 0.9 beats both good (2); bad 0.8 ties good 0.8 (1/2) and beats 0.3 (1); bad 0.1 beats none:
	 *      3.5 / 6.
	 * PR points: t=0.9 (P 1, R 1/3), t=0.8 (P 2/3, R 2/3), t=0.3 (P 1/2, R 2/3), t=0.1 (P 3/5, R 1).
	 * AP = 1/3 * 1 + 1/3 * 2/3 + 0 * 1/2 + 1/3 * 3/5 = 34/45; recall >= 0.8 only at R = 1: P 3/5. */
	double s[] = {0.8, 0.1, 0.9, 0.3, 0.8};
	int b[] = {0, 1, 1, 0, 1};
	lc_metrics m = run(s, b, 5);
	CHECK(m.n_pos == 3 && m.n_neg == 2);
	CHECK_NEAR(m.auc, 3.5 / 6, EPS);
	CHECK_NEAR(m.ap, 34.0 / 45, EPS);
	for (int k = 0; k < 4; k++)
		CHECK_NEAR(m.prec_at_recall[k], 0.6, EPS);
	CHECK_NEAR(m.prec_top10, 0.6, EPS);

	/* ten distinct scores 10..1, bad at ranks 1 2 4 5 10: P@R points (1,.2) (1,.4) (2/3,.4) (3/4,.6) (4/5,.8)
	 * (4/6,.8) .. (4/9,.8) (1/2,1). AP = .2 (1 + 1 + 3/4 + 4/5 + 1/2) = 0.81; AUC: bad ranks beat 5,5,4,4,0 of 5
	 * good = 18/25; P@.8 = 0.8, P@.9 = P@.95 = P@.99 = 0.5. */
	double s10[] = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
	int b10[] = {1, 1, 0, 1, 1, 0, 0, 0, 0, 1};
	m = run(s10, b10, 10);
	CHECK_NEAR(m.auc, 18.0 / 25, EPS);
	CHECK_NEAR(m.ap, 0.81, EPS);
	CHECK_NEAR(m.prec_at_recall[0], 0.8, EPS);
	CHECK_NEAR(m.prec_at_recall[1], 0.5, EPS);
	CHECK_NEAR(m.prec_at_recall[2], 0.5, EPS);
	CHECK_NEAR(m.prec_at_recall[3], 0.5, EPS);
	CHECK_NEAR(m.prec_top10, 0.5, EPS);

	/* top 10 with a tie across the cut: 8 distinct top scores (4 bad), then 4 tied at 1 (3 bad) for 2 slots:
	 * (4 + 3/4 * 2) / 10 = 0.55 */
	double st[] = {12, 11, 10, 9, 8, 7, 6, 5, 1, 1, 1, 1, 0.5};
	int bt[] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0};
	m = run(st, bt, 13);
	CHECK_NEAR(m.prec_top10, 0.55, EPS);
	/* the tie ending exactly at the cut counts whole: 10 rows, 8 distinct + 2 tied (1 bad) = 5/10 */
	m = run(st, bt, 10);
	CHECK_NEAR(m.prec_top10, 5.0 / 10, EPS);
	/* a tie straddling from inside: 7 distinct (4 bad) then 5 tied (2 bad) for 3 slots: (4 + 2/5*3)/10 = 0.52 */
	double su[] = {9, 8, 7, 6, 5, 4, 3, 2, 2, 2, 2, 2};
	int bu[] = {1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0};
	m = run(su, bu, 12);
	CHECK_NEAR(m.prec_top10, 0.52, EPS);
}

/* lc_metrics_compute fails with LC_ERR_INVALID and a message containing frag; out is untouched. */
static void check_fails(const double *s, const int *b, size_t n, const char *frag)
{
	lc_metrics m;
	m.auc = 42;
	lc_error err = {0, ""};
	CHECK(lc_metrics_compute(s, b, n, &m, &err) == LC_ERR_INVALID);
	CHECK(m.auc == 42);
	CHECK(strstr(err.msg, frag) != NULL);
	if (!strstr(err.msg, frag))
		fprintf(stderr, "  message: %s\n", err.msg);
}

static void test_errors(void)
{
	double s[] = {1, 2, NAN, 4};
	int good[] = {0, 0, 0, 0}, bad[] = {1, 1, 1, 1}, mix[] = {0, 1, 0, 1}, odd[] = {0, 1, 2, 1};
	double ok[] = {1, 2, 3, 4}, inf[] = {1, 2, 3, INFINITY};
	check_fails(ok, good, 4, "no bad LS among the labelled ones");
	check_fails(ok, bad, 4, "no good LS among the labelled ones");
	check_fails(ok, good, 0, "no bad LS");
	check_fails(s, mix, 4, "score of row 2 is not finite");
	check_fails(inf, mix, 4, "score of row 3 is not finite");
	check_fails(ok, odd, 4, "label of row 2 is 2");
}

static void test_threshold(void)
{
	double g[] = {5, 1, 9, 3, 7, 2, 10, 4, 8, 6};
	CHECK(lc_threshold_for_fpr(g, 10, 0) == 10);
	CHECK(lc_threshold_for_fpr(g, 10, 0.05) == 10);
	CHECK(lc_threshold_for_fpr(g, 10, 0.1) == 9);  /* 1 of 10 strictly above 9 */
	CHECK(lc_threshold_for_fpr(g, 10, 0.15) == 9);
	CHECK(lc_threshold_for_fpr(g, 10, 0.2) == 8);
	CHECK(lc_threshold_for_fpr(g, 10, 0.9) == 1);
	CHECK(lc_threshold_for_fpr(g, 10, 1) == 1);
	CHECK(lc_threshold_for_fpr(g, 10, 5) == 1);
	CHECK(g[0] == 5 && g[9] == 6); /* not modified */
	double t[] = {2, 1, 2, 5, 2};  /* ties: above 5 none, above 2 one, above 1 four */
	CHECK(lc_threshold_for_fpr(t, 5, 0) == 5);
	CHECK(lc_threshold_for_fpr(t, 5, 0.1) == 5);
	CHECK(lc_threshold_for_fpr(t, 5, 0.2) == 2);
	CHECK(lc_threshold_for_fpr(t, 5, 0.5) == 2);
	CHECK(lc_threshold_for_fpr(t, 5, 0.79) == 2);
	CHECK(lc_threshold_for_fpr(t, 5, 0.8) == 1);
	/* fpr * n that rounds just below an integer (0.29 * 100 = 28.999999999999996) still allows 29 */
	double h[100];
	for (int i = 0; i < 100; i++)
		h[i] = i;
	CHECK(lc_threshold_for_fpr(h, 100, 0.29) == 70);
	CHECK(lc_threshold_for_fpr(h, 100, 0.01) == 98);
	CHECK(isnan(lc_threshold_for_fpr(h, 0, 0.1)));
	CHECK(isnan(lc_threshold_for_fpr(h, 100, -0.1)));
	CHECK(isnan(lc_threshold_for_fpr(h, 100, NAN)));
}

/* Reads "score,is_bad" lines from path and prints the metrics as JSON with %.17g; returns the exit status. */
static int compare_mode(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return 1;
	}
	size_t n = 0, cap = 1024;
	double *s = malloc(cap * sizeof *s);
	int *b = malloc(cap * sizeof *b);
	double x;
	int y;
	while (s && b && fscanf(f, " %lf , %d", &x, &y) == 2) {
		if (n == cap) {
			cap *= 2;
			double *s2 = realloc(s, cap * sizeof *s);
			int *b2 = realloc(b, cap * sizeof *b);
			if (s2)
				s = s2;
			if (b2)
				b = b2;
			if (!s2 || !b2)
				break;
		}
		s[n] = x;
		b[n++] = y;
	}
	int bad_input = !feof(f);
	fclose(f);
	lc_metrics m;
	lc_error err = {0, ""};
	int rc = bad_input ? 1 : lc_metrics_compute(s, b, n, &m, &err);
	free(s);
	free(b);
	if (bad_input) {
		fprintf(stderr, "%s: unreadable line after row %zu\n", path, n);
		return 1;
	}
	if (rc) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	printf("{\"auc\":%.17g,\"ap\":%.17g,\"p80\":%.17g,\"p90\":%.17g,\"p95\":%.17g,\"p99\":%.17g,\"top10\":%.17g}\n",
	       m.auc, m.ap, m.prec_at_recall[0], m.prec_at_recall[1], m.prec_at_recall[2], m.prec_at_recall[3],
	       m.prec_top10);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2)
		return compare_mode(argv[1]);
	test_simple();
	test_ties_by_hand();
	test_errors();
	test_threshold();
	T_DONE();
}
