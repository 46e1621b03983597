/* fuzz_lsset.c — libFuzzer target: any input either fails to read with a message, or reads to a set whose JSON
 * (lc_lsset_write_json) reads back to the same set. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lumicert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads data; on success writes the set to memory, reads it back and aborts if anything differs. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lc_lsset *a = NULL, *b = NULL;
	lc_error err = {0, ""};
	int rc = lc_lsset_read_mem((const char *)data, size, "fuzz", &a, &err);
	if (rc != LC_OK) {
		if (a != NULL || err.code != rc || err.msg[0] == 0)
			abort(); /* a failure must leave out unset and explain itself */
		return 0;
	}
	if (!a->sorted)
		abort();
	for (size_t i = 1; i < a->n; i++)
		if (!(a->run[i - 1] < a->run[i] || (a->run[i - 1] == a->run[i] && a->ls[i - 1] < a->ls[i])))
			abort();
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (!f)
		abort();
	if (lc_lsset_write_json(a, f) != LC_OK)
		abort();
	fclose(f);
	if (lc_lsset_read_mem(buf, n, "roundtrip", &b, &err) != LC_OK)
		abort();
	if (b->n != a->n || (a->n && (memcmp(a->run, b->run, a->n * sizeof *a->run) ||
				      memcmp(a->ls, b->ls, a->n * sizeof *a->ls))))
		abort();
	free(buf);
	lc_lsset_free(a);
	lc_lsset_free(b);
	return 0;
}
