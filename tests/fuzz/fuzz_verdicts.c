/* fuzz_verdicts.c — libFuzzer target for the expert-verdicts reader: any input either fails with a message and no
 * sets, or gives two finished, disjoint sets of positive run and LS numbers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lumicert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	FILE *f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	lc_lsset *g = NULL, *b = NULL;
	lc_error err = {0, ""};
	int rc = lc_verdicts_read(f, "fuzz.csv", &g, &b, &err);
	fclose(f);
	if (rc != LC_OK) {
		if (g || b || err.msg[0] == 0)
			abort();
		return 0;
	}
	if (!g->sorted || !b->sorted)
		abort();
	for (size_t i = 0; i < g->n; i++)
		if (g->run[i] <= 0 || g->ls[i] <= 0 || lc_lsset_has(b, g->run[i], g->ls[i]))
			abort();
	lc_lsset_free(g);
	lc_lsset_free(b);
	return 0;
}
