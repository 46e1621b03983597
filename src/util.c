/* util.c — errors, the string builder and small helpers used across the library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

int lc_error_set(lc_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

const char *lc_strerror(int code)
{
	switch (code) {
	case LC_OK: return "ok";
	case LC_ERR_NOMEM: return "out of memory";
	case LC_ERR_IO: return "i/o error";
	case LC_ERR_PARSE: return "parse error";
	case LC_ERR_INVALID: return "invalid argument";
	case LC_ERR_NOTFOUND: return "not found";
	case LC_ERR_VERSION: return "unknown version";
	case LC_ERR_STORE: return "store error";
	case LC_ERR_UNSUPPORTED: return "unsupported";
	}
	return "unknown error";
}

size_t lc_hist_ncells(int dim, int nx, int ny)
{
	if (nx < 0 || ny < 0)
		return 0;
	if (dim == 2)
		return (size_t)(nx + 2) * (size_t)(ny + 2);
	return (size_t)nx + 2;
}

static int sb_grow(sbuf *b, size_t add)
{
	if (b->oom)
		return 0;
	if (b->len + add + 1 <= b->cap)
		return 1;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + add + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		b->oom = 1;
		return 0;
	}
	b->s = s;
	b->cap = cap;
	return 1;
}

void sb_append(sbuf *b, const char *s, size_t n)
{
	if (!sb_grow(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void sb_printf(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !sb_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sb_free(sbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof *b);
}

void utc_now(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void str_copy(char *dst, const char *src, size_t n)
{
	if (!n)
		return;
	if (!src)
		src = "";
	size_t k = strlen(src);
	if (k >= n)
		k = n - 1;
	memcpy(dst, src, k);
	dst[k] = 0;
}
