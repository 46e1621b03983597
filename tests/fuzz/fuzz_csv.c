/* fuzz_csv.c — libFuzzer target for the CSV reader: any input must give LC_OK or an error with a message, never a
 * crash, a leak or an out-of-bounds read; the callback reads every cell so views are checked too. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lumicert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touches every cell and label of the histogram (sanitizers flag any bad view). */
static int touch(void *ctx, const lc_hist *h, const lc_label_value *labels, int nlabels, lc_error *err)
{
	double *sink = ctx;
	size_t n = lc_hist_ncells(h->dim, h->nx, h->ny);
	(void)err;
	for (size_t i = 0; i < n; i++)
		*sink += h->cells[i];
	*sink += (double)strlen(h->me) + h->entries + (double)h->run + (double)h->ls;
	for (int i = 0; i < nlabels; i++)
		*sink += labels[i].good + (double)strlen(labels[i].source);
	return LC_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const labels[] = {"good", "y"};
	if (size == 0)
		return 0;
	FILE *f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	double sink = 0;
	lc_error err = {0};
	int r = lc_csv_read(f, "fuzz.csv", labels, (data[0] & 1) ? 2 : 0, touch, &sink, &err);
	if (r != LC_OK && err.msg[0] == 0)
		__builtin_trap(); /* every failure must say why */
	fclose(f);
	return 0;
}
