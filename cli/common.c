/* common.c — option parsing and error reporting shared by the subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);
	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n] != 0)
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "lumicert: option %s needs a value\n", name);
		exit(2);
	}
	*val = argv[++*i];
	return 1;
}

int opt_flag(char **argv, int i, const char *name)
{
	return strcmp(argv[i], name) == 0;
}

long opt_long(const char *name, const char *val, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(val, &end, 10);
	if (errno || end == val || *end || v < lo || v > hi) {
		fprintf(stderr, "lumicert: option %s: expected an integer in [%ld, %ld], got '%s'\n", name, lo, hi, val);
		exit(2);
	}
	return v;
}

double opt_double(const char *name, const char *val)
{
	char *end;
	errno = 0;
	double v = strtod(val, &end);
	if (errno || end == val || *end) {
		fprintf(stderr, "lumicert: option %s: expected a number, got '%s'\n", name, val);
		exit(2);
	}
	return v;
}

int fail(const char *cmd, const lc_error *err)
{
	fprintf(stderr, "lumicert %s: %s\n", cmd, err->msg[0] ? err->msg : lc_strerror(err->code));
	return 1;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "lumicert %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see lumicert %s --help)\n", cmd);
	return 2;
}

int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

int file_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

void remove_new_store(const char *path)
{
	char buf[4096];
	remove(path);
	snprintf(buf, sizeof buf, "%s-wal", path);
	remove(buf);
	snprintf(buf, sizeof buf, "%s-shm", path);
	remove(buf);
}

/* The n bytes of s as a JSON string on o: quotes, backslashes and control characters escaped. */
void json_strn(FILE *o, const char *s, size_t n)
{
	fputc('"', o);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(o, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", o);
		else if (c == '\t')
			fputs("\\t", o);
		else if (c < 0x20 || c == 0x7f)
			fprintf(o, "\\u%04x", c);
		else
			fputc(c, o);
	}
	fputc('"', o);
}

void json_str(const char *s)
{
	json_strn(stdout, s, strlen(s));
}

int prep_train_option(int argc, char **argv, int *i, lc_prep *prep, lc_train_opts *opts, int *rc)
{
	const char *v;
	if (opt_value(argc, argv, i, "--normalize", &v)) {
		if (strcmp(v, "l1") && strcmp(v, "none"))
			*rc = usage_error("train", "--normalize must be l1 or none");
		prep->normalize = strcmp(v, "l1") ? LC_NORM_NONE : LC_NORM_L1;
	} else if (opt_value(argc, argv, i, "--flow", &v)) {
		if (strcmp(v, "keep") && strcmp(v, "drop"))
			*rc = usage_error("train", "--flow must be keep or drop");
		prep->flow = !strcmp(v, "keep");
	} else if (opt_value(argc, argv, i, "--repr", &v)) {
		if (!strcmp(v, "bins"))
			prep->repr = LC_REPR_BINS;
		else if (!strcmp(v, "sqrt"))
			prep->repr = LC_REPR_SQRT;
		else if (!strcmp(v, "cdf"))
			prep->repr = LC_REPR_CDF;
		else
			*rc = usage_error("train", "--repr must be bins, sqrt or cdf");
	} else if (opt_value(argc, argv, i, "--rebin", &v)) {
		const char *comma = strchr(v, ',');
		char xs[32];
		snprintf(xs, sizeof xs, "%.*s", comma ? (int)(comma - v) : (int)strlen(v), v);
		prep->rebin_x = (int)opt_long("--rebin", xs, 1, 1000000);
		prep->rebin_y = comma ? (int)opt_long("--rebin", comma + 1, 1, 1000000) : 1;
	} else if (opt_value(argc, argv, i, "--min-entries", &v))
		prep->min_entries = opt_double("--min-entries", v);
	else if (opt_value(argc, argv, i, "--loss", &v)) {
		if (!strcmp(v, "mse"))
			opts->loss = LC_LOSS_MSE;
		else if (!strncmp(v, "topk:", 5)) {
			opts->loss = LC_LOSS_TOPK;
			opts->topk = (int)opt_long("--loss topk:K", v + 5, 1, 100000000);
		} else
			*rc = usage_error("train", "--loss must be mse or topk:K");
	} else if (opt_value(argc, argv, i, "--epochs", &v))
		opts->epochs = (int)opt_long("--epochs", v, 1, 10000000);
	else if (opt_value(argc, argv, i, "--batch", &v))
		opts->batch = (int)opt_long("--batch", v, 1, 10000000);
	else if (opt_value(argc, argv, i, "--lr", &v))
		opts->lr = opt_double("--lr", v);
	else if (opt_value(argc, argv, i, "--seed", &v))
		opts->seed = (uint64_t)opt_long("--seed", v, 0, 0x7fffffffL);
	else if (opt_value(argc, argv, i, "--threads", &v))
		opts->threads = (int)opt_long("--threads", v, 1, 256);
	else
		return 0;
	return 1;
}

int record_model(lc_store *st, const char *path, const char *header, lc_error *err)
{
	if (!header)
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	int rc = lc_store_begin(st, err);
	if (rc)
		return rc;
	int64_t id;
	rc = lc_store_put_model(st, path, header, &id, err);
	if (!rc)
		return lc_store_commit(st, err);
	lc_store_rollback(st);
	return rc;
}

int save_model(lc_store *st, lc_model *m, const char *out, const char *runs, const char *good_source, lc_error *err)
{
	snprintf(m->runs, sizeof m->runs, "%s", runs ? runs : "");
	snprintf(m->good_source, sizeof m->good_source, "%s", good_source ? good_source : "");
	int rc = lc_model_save(m, out, err);
	if (rc)
		return rc;
	char *header = lc_model_header_json(m);
	rc = record_model(st, out, header, err);
	free(header);
	return rc;
}

int write_tmp(const char *path, char *tmp, size_t n, int (*fn)(FILE *, void *), void *ctx, lc_error *err)
{
	snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f) {
		int e = errno;
		tmp[0] = 0;
		return lc_error_set(err, LC_ERR_IO, "%s: cannot write: %s", path, strerror(e));
	}
	int bad = fn(f, ctx) != 0;
	bad |= fclose(f) != 0;
	if (bad) {
		remove(tmp);
		tmp[0] = 0;
		return lc_error_set(err, LC_ERR_IO, "%s: write failed", path);
	}
	return LC_OK;
}

int write_atomic(const char *path, int (*fn)(FILE *, void *), void *ctx, lc_error *err)
{
	char tmp[4200];
	int rc = write_tmp(path, tmp, sizeof tmp, fn, ctx, err);
	if (!rc && rename(tmp, path) != 0) {
		rc = lc_error_set(err, LC_ERR_IO, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
		remove(tmp);
	}
	return rc;
}

int put_lsset_json(FILE *f, void *set)
{
	return lc_lsset_write_json(set, f) != LC_OK;
}
