/* internal.h — helpers shared inside the library (not part of the public API): a growable string builder with
 * printf-checked formats, and small utilities. Names without the lc_ prefix are private to the library. */
#ifndef LC_INTERNAL_H
#define LC_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include "lumicert.h"

/* A growable NUL-terminated string. A failed allocation sets oom and turns further appends into no-ops. */
typedef struct sbuf {
	char *s;     /* contents (NULL until the first append) */
	size_t len;  /* bytes used, without the NUL */
	size_t cap;  /* bytes allocated */
	int oom;     /* 1 after an allocation failed */
} sbuf;

void sb_printf(sbuf *b, const char *fmt, ...) LC_PRINTF(2, 3);
void sb_append(sbuf *b, const char *s, size_t n);
void sb_free(sbuf *b);

/* Current UTC time as ISO 8601 ("2026-11-23T19:30:00Z") into buf (at least 21 bytes). */
void utc_now(char *buf, size_t n);

/* Copies src into dst of size n, always NUL-terminated, truncating. */
void str_copy(char *dst, const char *src, size_t n);

#endif
