/* fuzz_model.c — libFuzzer target for the model loader: any bytes either load into a model that saves and loads back
 * identically, or fail with a message; never a crash, leak or sanitizer report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lumicert.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	lc_error err = {0};
	lc_model *m = NULL;
	if (lc_model_load_mem(data, size, "fuzz", &m, &err) != LC_OK) {
		if (!err.msg[0])
			abort(); /* every failure says why */
		return 0;
	}
	char path[64];
	snprintf(path, sizeof path, "/tmp/fuzz-model-%ld.lcm", (long)getpid());
	lc_model *back = NULL;
	if (lc_model_save(m, path, &err) != LC_OK || lc_model_load(path, &back, &err) != LC_OK)
		abort();
	if (m->net && (!back->net || back->net->n_params != m->net->n_params ||
		       memcmp(back->net->params, m->net->params, m->net->n_params * sizeof(float)) != 0))
		abort();
	char *ha = lc_model_header_json(m), *hb = lc_model_header_json(back); /* models over several MEs: no net */
	if (!ha || !hb || strcmp(ha, hb) != 0)
		abort();
	free(ha);
	free(hb);
	remove(path);
	lc_model_free(back);
	lc_model_free(m);
	return 0;
}
