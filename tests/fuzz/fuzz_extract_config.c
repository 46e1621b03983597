/* fuzz_extract_config.c — libFuzzer target for the extraction CONFIG parser: any input either fails with a message
 * (and no config), or parses to a config whose event-table columns are all distinct plain names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lumicert_extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lc_extract_config *c = NULL;
	lc_error err = {0, ""};
	int rc = lc_extract_config_parse((const char *)data, size, "fuzz", &c, &err);
	if (rc != LC_OK) {
		if (c != NULL || err.code != rc || err.msg[0] == 0)
			abort(); /* a failure leaves out unset and explains itself */
		return 0;
	}
	if (c->nper_ls < 2 || c->nchannels < 1 || c->quantiles < 1 || c->quantiles > LC_EXTRACT_MAX_QUANTILES)
		abort();
	lc_event_table t;
	if (lc_event_table_init(c, &t, &err) != LC_OK)
		abort();
	for (size_t i = 0; i < t.ncols; i++) {
		for (const char *p = t.names[i]; *p; p++)
			if (*p == ',' || *p == '"' || *p == '\n')
				abort();
		if (size < 4096) /* quadratic: only for small inputs */
			for (size_t j = 0; j < i; j++)
				if (!strcmp(t.names[i], t.names[j]))
					abort(); /* two features with one name */
	}
	lc_event_table_free(&t);
	lc_extract_config_free(c);
	return 0;
}
