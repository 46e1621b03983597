/* fuzz_runinfo.c — libFuzzer target for the OMS runs table reader: any input either fails with a message naming
 * the place and leaves the outputs unset, or gives positive runs and finite non-negative luminosities. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lumicert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size ? size : 1, "r");
	if (!f)
		return 0;
	if (size == 0) {
		fclose(f);
		return 0;
	}
	int64_t *run = NULL;
	double *lumi = NULL;
	size_t n = 0;
	lc_error err = {0, ""};
	int rc = lc_run_lumi_read(f, "fuzz.csv", &run, &lumi, &n, &err);
	fclose(f);
	if (rc != LC_OK) {
		if (run || lumi || n || err.msg[0] == 0)
			abort();
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (run[i] <= 0 || !(lumi[i] >= 0) || !isfinite(lumi[i]))
			abort();
	free(run);
	free(lumi);
	return 0;
}
