/* test_regress.c — replays the inputs that once crashed a reader (tests/fuzz/regress/<reader>/, kept from fuzzing)
 * through the same reader as its fuzz target: each must now give LC_OK or an error with a message, never a crash or
 * a sanitizer report (this test runs under ASan+UBSan in make asan). Also checks the input limits against hostile
 * sizes built in memory. A new reader is one line in readers[]. */
#define _GNU_SOURCE /* fopencookie: endless hostile streams */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lumicert.h"
#include "t.h"

#define REGRESS "tests/fuzz/regress/"

static int sink_hist(void *ctx, const lc_hist *h, const lc_label_value *labels, int nlabels, lc_error *err)
{
	double *sink = ctx;
	size_t n = lc_hist_ncells(h->dim, h->nx, h->ny);
	(void)err;
	for (size_t i = 0; i < n; i++)
		*sink += h->cells[i];
	for (int i = 0; i < nlabels; i++)
		*sink += labels[i].good;
	return LC_OK;
}

static int read_csv(const unsigned char *d, size_t n, const char *name, lc_error *err)
{
	static const char *const labels[] = {"good", "y"};
	FILE *f = fmemopen((void *)d, n, "r");
	double sink = 0;
	if (!f)
		return LC_OK;
	int rc = lc_csv_read(f, name, labels, n && (d[0] & 1) ? 2 : 0, sink_hist, &sink, err);
	fclose(f);
	return rc;
}

static int read_dials(const unsigned char *d, size_t n, const char *name, lc_error *err)
{
	FILE *f = fmemopen((void *)d, n, "r");
	double sink = 0;
	if (!f)
		return LC_OK;
	int rc = lc_dials_json_read(f, name, sink_hist, &sink, err);
	fclose(f);
	return rc;
}

static int read_lsset(const unsigned char *d, size_t n, const char *name, lc_error *err)
{
	lc_lsset *s = NULL;
	int rc = lc_lsset_read_mem((const char *)d, n, name, &s, err);
	lc_lsset_free(s);
	return rc;
}

static int read_model(const unsigned char *d, size_t n, const char *name, lc_error *err)
{
	lc_model *m = NULL;
	int rc = lc_model_load_mem(d, n, name, &m, err);
	lc_model_free(m);
	return rc;
}

static const struct {
	const char *dir; /* tests/fuzz/regress/<dir>/ (the fuzz target's corpus name) */
	int (*read)(const unsigned char *, size_t, const char *, lc_error *);
} readers[] = {
	{"csv", read_csv},
	{"dials", read_dials},
	{"lsset", read_lsset},
	{"model", read_model},
};

/* Reads all of path; NULL if it cannot. */
static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	unsigned char *b = malloc(cap);
	size_t k;
	while (b && (k = fread(b + len, 1, cap - len, f)) > 0) {
		len += k;
		if (len == cap) {
			unsigned char *nb = realloc(b, cap *= 2);
			if (!nb)
				free(b);
			b = nb;
		}
	}
	fclose(f);
	*n = len;
	return b;
}

/* Replays every file of every reader's directory; returns the number of files replayed. */
static int replay_all(void)
{
	int nfiles = 0;
	for (size_t r = 0; r < sizeof readers / sizeof *readers; r++) {
		char dir[256];
		snprintf(dir, sizeof dir, REGRESS "%s", readers[r].dir);
		DIR *d = opendir(dir);
		if (!d)
			continue;
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char path[512];
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			size_t n = 0;
			unsigned char *buf = slurp(path, &n);
			CHECK(buf != NULL);
			if (!buf)
				continue;
			lc_error err = {0};
			int rc = readers[r].read(buf, n, path, &err);
			/* a failure must say why (and name the input) */
			CHECK(rc == LC_OK || (err.msg[0] && strstr(err.msg, path)));
			if (rc != LC_OK && !(err.msg[0] && strstr(err.msg, path)))
				fprintf(stderr, "  %s: code %d, message '%s'\n", path, rc, err.msg);
			free(buf);
			nfiles++;
		}
		closedir(d);
	}
	return nfiles;
}

/* An endless stream: head once, then fill repeated forever (bounded only by the reader's limits). */
typedef struct endless {
	const char *head, *fill;
	size_t pos;
	long long served;
} endless;

static ssize_t endless_read(void *cookie, char *buf, size_t n)
{
	endless *e = cookie;
	size_t hl = strlen(e->head), fl = strlen(e->fill);
	for (size_t i = 0; i < n; i++, e->pos++)
		buf[i] = e->pos < hl ? e->head[e->pos] : e->fill[(e->pos - hl) % fl];
	e->served += (long long)n;
	return (ssize_t)n;
}

/* Reads an endless DIALS document; returns the status and leaves the message in err. */
static int dials_endless(const char *head, const char *fill, long long *served, lc_error *err)
{
	endless e = {head, fill, 0, 0};
	cookie_io_functions_t io = {.read = endless_read};
	FILE *f = fopencookie(&e, "r", io);
	double sink = 0;
	if (!f)
		return LC_OK;
	int rc = lc_dials_json_read(f, "endless.json", sink_hist, &sink, err);
	fclose(f);
	*served = e.served;
	return rc;
}

int main(void)
{
	int n = replay_all();
	CHECK(n >= 1); /* the model loader's crash of ab6aed4 at least */

	/* that input: a header whose "me" member is misspelt ("mE") once read past the header; now a clear error */
	{
		size_t len = 0;
		unsigned char *b = slurp(REGRESS "model/crash-7ce8b5cc9f0bdb40ea1027163c48fd4244380465", &len);
		lc_error err = {0};
		CHECK(b && read_model(b, len, "crash", &err) == LC_ERR_PARSE && strstr(err.msg, ".me"));
		free(b);
	}

	/* DIALS JSON limits: a document without end is refused once it passes 256 MiB (blanks, so jansson holds nothing)
	 * or 2*10^7 values (separators inside one string: jansson holds only that string), with a message */
	{
		lc_error err = {0};
		long long served = 0;
		CHECK(dials_endless("[", "        ", &served, &err) == LC_ERR_UNSUPPORTED);
		CHECK(strstr(err.msg, "endless.json: byte") && strstr(err.msg, "larger than 256 MiB"));
		CHECK(served >= (256LL << 20) && served < (257LL << 20));
		memset(&err, 0, sizeof err);
		CHECK(dials_endless("[\"", ",,,,:::", &served, &err) == LC_ERR_UNSUPPORTED);
		CHECK(strstr(err.msg, "more than 20000000 values"));
		CHECK(served < (21LL << 20));
	}
	T_DONE();
}
