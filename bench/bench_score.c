/* bench_score.c — scoring throughput of a model on the prepared LS of a store, in memory (forward pass and per-LS
 * loss), the same work the PyTorch peer times. Usage: bench_score DB MODEL [THREADS] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lumicert.h"

typedef struct rows {
	const lc_model *m;
	float *x;
	size_t n, cap;
	int d;
} rows;

static int add(void *ctx, const lc_hist *h, lc_error *err)
{
	rows *r = ctx;
	(void)err;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->x = realloc(r->x, r->cap * (size_t)r->d * sizeof *r->x);
		if (!r->x)
			return LC_ERR_NOMEM;
	}
	if (lc_prep_apply(&r->m->prep, &r->m->me, h->cells, r->x + r->n * (size_t)r->d, NULL) == 1)
		r->n++;
	return LC_OK;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_score DB MODEL [THREADS]\n");
		return 2;
	}
	int threads = argc > 3 ? atoi(argv[3]) : 1;
	lc_error err = {0};
	lc_store *st = NULL;
	lc_model *m = NULL;
	if (lc_model_load(argv[2], &m, &err) || lc_store_open(argv[1], 0, &st, &err)) {
		fprintf(stderr, "bench_score: %s\n", err.msg);
		return 1;
	}
	rows r = {.m = m, .d = lc_prep_dim(&m->prep, &m->me)};
	if (lc_store_each_hist(st, m->me.name, NULL, add, &r, &err)) {
		fprintf(stderr, "bench_score: %s\n", err.msg);
		return 1;
	}
	double *s = malloc(r.n * sizeof *s);
	int reps = 0;
	double t0 = now(), t;
	do {
		lc_ae_errors(m->net, r.x, r.n, m->loss, m->topk, s, NULL, threads, &err);
		reps++;
	} while ((t = now() - t0) < 0.5);
	printf("rows %zu dim %d reps %d seconds_per_pass %.6f ls_per_s %.0f\n", r.n, r.d, reps, t / reps,
	       (double)r.n * reps / t);
	free(s);
	free(r.x);
	lc_model_free(m);
	lc_store_close(st);
	return 0;
}
