/* gen_ls.c — benchmark input generator: N lumisections of one ME as a wide ML4DQM CSV on stdout, each LS a Poisson
 * resampling (every cell drawn from Poisson(template cell)) of a real template histogram taken in turn.
 * usage: gen_ls TEMPLATES N ME_NAME [SEED]
 * TEMPLATES (text, written by bench/memory.sh from real data): a line "dim nx ny xmin xmax ymin ymax ncells ntempl",
 * then ntempl lines "label cell_0 ... cell_{ncells-1}" (cells in ROOT global order, flow included).
 * LS i (0-based) is run 300000 + i / 1000, lumi i % 1000 + 1; the label column y copies the template's label. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rng_state;

/* splitmix64: a small, well-mixed generator; uniform on (0, 1) below */
static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double uniform(void)
{
	return ((double)(rng_next() >> 11) + 0.5) / 9007199254740992.0;
}

/* Poisson(mu): multiplication method below 10, Hörmann's transformed rejection (PTRS, 1993) above. */
static long poisson(double mu)
{
	if (mu <= 0)
		return 0;
	if (mu < 10) {
		double l = exp(-mu), p = 1;
		long k = 0;
		for (;;) {
			p *= uniform();
			if (p <= l)
				return k;
			k++;
		}
	}
	double smu = sqrt(mu), b = 0.931 + 2.53 * smu, a = -0.059 + 0.02483 * b, inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
	double vr = 0.9277 - 3.6224 / (b - 2), lmu = log(mu);
	for (;;) {
		double u = uniform() - 0.5, v = uniform(), us = 0.5 - fabs(u);
		long k = (long)floor((2 * a / us + b) * u + mu + 0.43);
		if (us >= 0.07 && v <= vr)
			return k;
		if (k < 0 || (us < 0.013 && v > us))
			continue;
		if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <= -mu + (double)k * lmu - lgamma((double)k + 1))
			return k;
	}
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: gen_ls TEMPLATES N ME_NAME [SEED]\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	long n = atol(argv[2]);
	rng_state = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
	int dim, nx, ny;
	double xmin, xmax, ymin, ymax;
	long nc, nt;
	if (fscanf(f, "%d %d %d %lf %lf %lf %lf %ld %ld", &dim, &nx, &ny, &xmin, &xmax, &ymin, &ymax, &nc, &nt) != 9 ||
	    nc <= 0 || nt <= 0) {
		fprintf(stderr, "%s: bad template header\n", argv[1]);
		return 1;
	}
	double *t = malloc((size_t)(nc * nt) * sizeof *t);
	int *lab = malloc((size_t)nt * sizeof *lab);
	long *row = malloc((size_t)nc * sizeof *row);
	if (!t || !lab || !row)
		return 1;
	for (long j = 0; j < nt; j++) {
		if (fscanf(f, "%d", &lab[j]) != 1)
			return fprintf(stderr, "%s: template %ld: bad label\n", argv[1], j), 1;
		for (long c = 0; c < nc; c++)
			if (fscanf(f, "%lf", &t[j * nc + c]) != 1)
				return fprintf(stderr, "%s: template %ld: bad cell %ld\n", argv[1], j, c), 1;
	}
	fclose(f);
	printf("run,lumi,hname,metype,entries,xmax,xmin,xbins,ymax,ymin,ybins,y");
	for (long c = 0; c < nc; c++)
		printf(",bin_%ld", c);
	putchar('\n');
	for (long i = 0; i < n; i++) {
		long j = i % nt, sum = 0;
		for (long c = 0; c < nc; c++)
			sum += row[c] = poisson(t[j * nc + c]);
		printf("%ld,%ld,%s,%d,%ld,%.17g,%.17g,%d,%.17g,%.17g,%d,%d", 300000 + i / 1000, i % 1000 + 1, argv[3],
		       dim == 1 ? 3 : 6, sum, xmax, xmin, nx, ymax, ymin, ny, lab[j]);
		for (long c = 0; c < nc; c++)
			printf(",%ld", row[c]);
		putchar('\n');
	}
	free(t);
	free(lab);
	free(row);
	return ferror(stdout) ? 1 : 0;
}
