/* fuzz_certify.c — libFuzzer target for the report's reader of certify directories: the input becomes review.csv
 * beside empty auto-good/auto-bad lists in a private directory; the reader either fails with a message or returns
 * review rows sorted by run then LS with positive numbers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lumicert.h"
#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void put(const char *name, const void *p, size_t n)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (n && fwrite(p, 1, n, f) != n)
		abort();
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/lc-fuzz-certify.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		put("auto-good.json", "{}\n", 3);
		put("auto-bad.json", "{}\n", 3);
	}
	put("review.csv", data, size);
	cert_data c;
	memset(&c, 0, sizeof c);
	lc_error err = {0, ""};
	int rc = cert_read(dir, &c, &err);
	if (rc != LC_OK) {
		if (err.msg[0] == 0)
			abort();
		cert_free(&c);
		return 0;
	}
	for (size_t i = 0; i < c.nreview; i++) {
		if (c.review[i].run <= 0 || c.review[i].ls <= 0)
			abort();
		if (i && (c.review[i - 1].run > c.review[i].run ||
			  (c.review[i - 1].run == c.review[i].run && c.review[i - 1].ls >= c.review[i].ls)))
			abort();
	}
	cert_free(&c);
	return 0;
}
