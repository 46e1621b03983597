/* fuzz_runlist.c — libFuzzer target for run lists as given to --runs ("297050,297178", "297047-297675"): any string
 * parses or fails with a message; a parsed list holds exactly the runs of its ranges (checked at both ends of each). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lumicert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = malloc(size + 1);
	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = 0; /* the command line gives NUL-terminated strings: an embedded NUL ends the list */
	lc_runlist *rl = NULL;
	lc_error err = {0, ""};
	int rc = lc_runlist_parse(spec, &rl, &err);
	if (rc != LC_OK) {
		if (rl || err.msg[0] == 0)
			abort(); /* a failure leaves out unset and explains itself */
	} else {
		for (size_t i = 0; i < rl->n; i++) {
			if (rl->lo[i] > rl->hi[i] || !lc_runlist_has(rl, rl->lo[i]) || !lc_runlist_has(rl, rl->hi[i]))
				abort();
		}
		lc_runlist_free(rl);
	}
	free(spec);
	return 0;
}
