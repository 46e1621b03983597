/* t.h — the smallest test harness: CHECK macros that count, and a summary line tests/run.sh adds up. */
#ifndef LC_T_H
#define LC_T_H
#include <math.h>
#include <stdio.h>

static int t_pass, t_fail;

#define CHECK(cond)                                                                         \
	do {                                                                                \
		if (cond) {                                                                 \
			t_pass++;                                                           \
		} else {                                                                    \
			t_fail++;                                                           \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                           \
	} while (0)

/* |a - b| <= tol, printing both values on failure. */
#define CHECK_NEAR(a, b, tol)                                                                         \
	do {                                                                                          \
		double t_a_ = (a), t_b_ = (b);                                                        \
		if (fabs(t_a_ - t_b_) <= (tol)) {                                                     \
			t_pass++;                                                                     \
		} else {                                                                              \
			t_fail++;                                                                     \
			fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.9g, %s = %.9g (tol %g)\n", __FILE__, \
				__LINE__, #a, t_a_, #b, t_b_, (double)(tol));                         \
		}                                                                                     \
	} while (0)

#define T_DONE()                                                                  \
	do {                                                                      \
		printf("%s: %d passed, %d failed\n", __FILE__, t_pass, t_fail);  \
		return t_fail != 0;                                               \
	} while (0)

#endif
