/* bench_multi.c — training time of the multi-head network of the seed's size (issue 6): 4 channels of 225 inputs,
 * 150-50-20 units per channel (relu) and one logit, fuzzy AND, on N synthetic LS (default 16000; 1 in 5 bad, the
 * anomaly in one channel), Adam, batch 128. Prints the wall time of mh_train. With --dump FILE it also writes the rows
 * (float32, N x 900) and labels (int32, N) for the PyTorch peer (bench/peer_multihead.py).
 * usage: bench_multi [--ls N] [--epochs E] [--threads T] [--dump FILE] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/multi.h"
#include "nn/nn.h"

int main(int argc, char **argv)
{
	size_t n = 16000;
	int epochs = 20, threads = 2;
	const char *dump = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--ls"))
			n = (size_t)atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--epochs"))
			epochs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--threads"))
			threads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--dump"))
			dump = argv[i + 1];
	}
	enum { K = 4, W = 225, D = K * W };
	float *x = malloc(n * D * sizeof *x);
	int *y = malloc(n * sizeof *y);
	if (!x || !y)
		return 1;
	nn_rng r;
	nn_rng_seed(&r, 11);
	for (size_t i = 0; i < n; i++) {
		y[i] = i % 5 != 0;
		for (int q = 0; q < D; q++) /* a smooth shape per channel plus noise */
			x[i * D + q] = (float)(1.0 + 0.5 * ((q % W) % 17) / 17.0 + 0.2 * nn_rng_uniform(&r));
		if (!y[i]) {
			int c = (int)((i / 5) % K), b = (int)nn_rng_below(&r, W - 20);
			for (int q = b; q < b + 20; q++)
				x[i * D + c * W + q] *= 1.3f;
		}
	}
	if (dump) {
		FILE *f = fopen(dump, "wb");
		if (!f || fwrite(x, sizeof *x, n * D, f) != n * D || fwrite(y, sizeof *y, n, f) != n || fclose(f))
			return 1;
	}
	int widths[K] = {W, W, W, W}, hid[3] = {150, 50, 20}, act[3] = {LC_ACT_RELU, LC_ACT_RELU, LC_ACT_RELU};
	mh_net *net = mh_new(K, widths, 3, hid, act, LC_COMB_FUZZY_AND);
	mh_init(net, 1);
	lc_train_opts o;
	lc_train_opts_default(&o);
	o.epochs = epochs;
	o.batch = 128;
	o.lr = 1e-3;
	o.threads = threads;
	lc_error err = {0};
	double loss = 0, t0 = nn_now();
	if (mh_train(net, x, y, n, &o, 1.0, 0.9, 1e-4, &loss, &err)) {
		fprintf(stderr, "bench_multi: %s\n", err.msg);
		return 1;
	}
	double t = nn_now() - t0;
	double *F = malloc(n * sizeof *F);
	mh_predict(net, x, n, F, NULL, threads, &err);
	size_t pairs = 0;
	double conc = 0;
	for (size_t i = 0; i < n; i += 7) /* AUC on a subsample of pairs: the net did learn */
		for (size_t j = 1; j < n; j += 7)
			if (!y[i] && y[j]) {
				pairs++;
				conc += F[j] > F[i] ? 1 : F[j] == F[i] ? 0.5 : 0;
			}
	printf("lumicert multihead: %zu LS, 4 x %d inputs, 150-50-20 per channel, %d epochs, batch 128, %d threads, "
	       "kernels %s: train_seconds %.2f (%.3f s/epoch), final loss %.4g, training AUC %.4f\n",
	       n, W, epochs, threads, nn_kern_best()->name, t, t / epochs, loss, conc / (double)pairs);
	free(F);
	free(x);
	free(y);
	mh_free(net);
	return 0;
}
