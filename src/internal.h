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

/* lc_store_rows restricted to the LS of keep (NULL: all) (cert/greyzone.c). */
int store_rows_keep(lc_store *st, const char *me, const lc_prep *prep, const lc_runlist *runs, const lc_lsset *keep,
		    lc_lsrows *out, lc_error *err);

/* Parses a --hidden spec "10:relu,2:relu,10:relu" (activation relu when omitted) into widths and activations, at
 * most max layers; *nl = 0 for an empty spec (cert/pipeline.c). */
int hidden_parse(const char *spec, int *n_out, int *act, int max, int *nl, lc_error *err);

/* The model container shared by every kind (nn/model.c; docs/model-format.md): LC_MODEL_MAGIC, version and header
 * length (u32 little-endian), the JSON header, a body, and the FNV-1a 64-bit checksum of all before it (two u32).
 * model_container_write writes it to path under a temporary name, synced and renamed into place; the body is n
 * floats (as u32 little-endian) when floats is given, else nbody bytes of body. model_container_sum is the checksum
 * (lc_model_load_mem and the readers of the other kinds check it). */
#define MODEL_MAGIC_LEN 15          /* strlen(LC_MODEL_MAGIC) */
#define MODEL_MAX_HEADER (1u << 20) /* a header larger than 1 MiB is not one of ours */
#define MODEL_MAX_PARAMS (1u << 28) /* 1 GiB of float32 parameters at most */
int model_container_write(const char *path, const char *header, const float *floats, size_t n,
			  const unsigned char *body, size_t nbody, lc_error *err);
uint64_t model_container_sum(const unsigned char *p, size_t n);
/* The whole file at path into *buf (malloc'd, *n bytes); files over 2 GiB are refused as not ours. */
int model_file_read(const char *path, unsigned char **buf, size_t *n, lc_error *err);
void model_put_u32(unsigned char *p, uint32_t v);
uint32_t model_get_u32(const unsigned char *p);

#endif
