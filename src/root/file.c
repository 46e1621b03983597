/* file.c — ROOT files: the bounds-checked cursor, the file header (32/64-bit seeks), keys, nested directories and
 * cycles, and object payloads (decompressed through unzip.c). Written from the format notes in docs/root.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootint.h"

/* ---------------------------------------------------------------- cursor */

void rb_init(rbuf *b, const uint8_t *p, size_t n, int64_t origin, int64_t fileoff, const char *file, const char *obj,
	     lc_error *err)
{
	memset(b, 0, sizeof *b);
	b->p = p;
	b->n = n;
	b->origin = origin;
	b->fileoff = fileoff;
	b->file = file;
	b->obj = obj;
	b->err = err;
}

void rb_free_refs(rbuf *b)
{
	for (size_t i = 0; i < b->nrefs; i++)
		free(b->refs[i].cls);
	free(b->refs);
	free(b->hidx);
	b->refs = NULL;
	b->hidx = NULL;
	b->nrefs = b->caprefs = b->hcap = 0;
}

int rb_fail(rbuf *b, int code, const char *fmt, ...)
{
	if (b->rc)
		return b->rc;
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (b->fileoff >= 0)
		lc_error_set(b->err, code, "%s: %s: byte %zu (file offset %lld): %s", b->file, b->obj, b->pos,
			     (long long)(b->fileoff + (int64_t)b->pos), what);
	else
		lc_error_set(b->err, code, "%s: %s: byte %zu of the uncompressed object: %s", b->file, b->obj, b->pos,
			     what);
	b->rc = code;
	return code;
}

int rb_need(rbuf *b, size_t k)
{
	if (b->rc)
		return 0;
	if (k > b->n - b->pos) {
		rb_fail(b, LC_ERR_PARSE, "truncated: need %zu bytes, %zu left", k, b->n - b->pos);
		return 0;
	}
	return 1;
}

uint8_t rb_u8(rbuf *b)
{
	if (!rb_need(b, 1))
		return 0;
	return b->p[b->pos++];
}

uint16_t rb_u16(rbuf *b)
{
	if (!rb_need(b, 2))
		return 0;
	const uint8_t *q = b->p + b->pos;
	b->pos += 2;
	return (uint16_t)(q[0] << 8 | q[1]);
}

uint32_t rb_u32(rbuf *b)
{
	if (!rb_need(b, 4))
		return 0;
	const uint8_t *q = b->p + b->pos;
	b->pos += 4;
	return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
}

uint64_t rb_u64(rbuf *b)
{
	uint64_t hi = rb_u32(b);
	return hi << 32 | rb_u32(b);
}

float rb_f32(rbuf *b)
{
	uint32_t u = rb_u32(b);
	float x;
	memcpy(&x, &u, 4);
	return x;
}

double rb_f64(rbuf *b)
{
	uint64_t u = rb_u64(b);
	double x;
	memcpy(&x, &u, 8);
	return x;
}

void rb_skip(rbuf *b, size_t k)
{
	if (rb_need(b, k))
		b->pos += k;
}

char *rb_tstring(rbuf *b)
{
	size_t n = rb_u8(b);
	if (n == 255)
		n = rb_u32(b);
	if (!rb_need(b, n))
		return NULL;
	char *s = malloc(n + 1);
	if (!s) {
		rb_fail(b, LC_ERR_NOMEM, "out of memory");
		return NULL;
	}
	memcpy(s, b->p + b->pos, n);
	s[n] = 0;
	b->pos += n;
	return s;
}

char *rb_cstring(rbuf *b)
{
	if (b->rc)
		return NULL;
	const uint8_t *z = memchr(b->p + b->pos, 0, b->n - b->pos);
	if (!z) {
		rb_fail(b, LC_ERR_PARSE, "unterminated class name");
		return NULL;
	}
	size_t n = (size_t)(z - (b->p + b->pos));
	char *s = malloc(n + 1);
	if (!s) {
		rb_fail(b, LC_ERR_NOMEM, "out of memory");
		return NULL;
	}
	memcpy(s, b->p + b->pos, n + 1);
	b->pos += n + 1;
	return s;
}

int rb_version(rbuf *b, size_t *end)
{
	size_t start = b->pos;
	uint32_t bc = rb_u32(b);
	*end = 0;
	if (b->rc)
		return 0;
	if (bc & 0x40000000u) {
		size_t len = bc & ~0x40000000u;
		if (len < 2 || len > b->n - start - 4) {
			b->pos = start;
			rb_fail(b, LC_ERR_PARSE, "byte count %zu runs past the end of the buffer (%zu bytes left)", len,
				b->n - start - 4);
			return 0;
		}
		*end = start + 4 + len;
		return rb_u16(b);
	}
	b->pos = start;
	return rb_u16(b);
}

void rb_end(rbuf *b, size_t end, const char *what)
{
	if (b->rc || !end)
		return;
	if (b->pos > end) {
		rb_fail(b, LC_ERR_PARSE, "%s read %zu bytes past its byte count", what, b->pos - end);
		return;
	}
	b->pos = end;
}

void rb_skip_object(rbuf *b, const char *what)
{
	size_t end;
	rb_version(b, &end);
	if (!b->rc && !end)
		rb_fail(b, LC_ERR_UNSUPPORTED, "unsupported: %s without a byte count", what);
	rb_end(b, end, what);
}

void rb_tobject(rbuf *b)
{
	uint16_t v = rb_u16(b);
	if (v & 0x4000)
		rb_skip(b, 4);
	rb_u32(b);
	uint32_t bits = rb_u32(b);
	if (bits & (1u << 4))
		rb_u16(b);
}

void rb_tnamed(rbuf *b, char **name, char **title)
{
	size_t end;
	rb_version(b, &end);
	rb_tobject(b);
	char *n = rb_tstring(b), *t = rb_tstring(b);
	rb_end(b, end, "TNamed");
	if (name)
		*name = n;
	else
		free(n);
	if (title)
		*title = t;
	else
		free(t);
}

static size_t ref_hash(int64_t off, size_t mask)
{
	uint64_t h = (uint64_t)off * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 32) & mask;
}

/* Puts refs[i] into the hash index (replacing an earlier ref of the same offset: the latest wins). */
static void ref_index(rbuf *b, size_t i)
{
	size_t mask = b->hcap - 1, h = ref_hash(b->refs[i].off, mask);
	while (b->hidx[h] && b->refs[b->hidx[h] - 1].off != b->refs[i].off)
		h = (h + 1) & mask;
	b->hidx[h] = i + 1;
}

int rb_ref_add(rbuf *b, int64_t off, int is_class, const char *cls, void *obj)
{
	if (b->nrefs == b->caprefs) {
		size_t cap = b->caprefs ? 2 * b->caprefs : 64;
		rref *r = realloc(b->refs, cap * sizeof *r);
		if (!r)
			return rb_fail(b, LC_ERR_NOMEM, "out of memory");
		b->refs = r;
		b->caprefs = cap;
	}
	if (2 * (b->nrefs + 1) > b->hcap) { /* grow the index and put every ref in again, in order */
		size_t hcap = b->hcap ? 2 * b->hcap : 128;
		size_t *h = calloc(hcap, sizeof *h);
		if (!h)
			return rb_fail(b, LC_ERR_NOMEM, "out of memory");
		free(b->hidx);
		b->hidx = h;
		b->hcap = hcap;
		for (size_t i = 0; i < b->nrefs; i++)
			ref_index(b, i);
	}
	char *c = strdup(cls ? cls : "");
	if (!c)
		return rb_fail(b, LC_ERR_NOMEM, "out of memory");
	b->refs[b->nrefs++] = (rref){off, is_class, c, obj};
	ref_index(b, b->nrefs - 1);
	return LC_OK;
}

rref *rb_ref_find(rbuf *b, int64_t off)
{
	if (!b->hcap)
		return NULL;
	size_t mask = b->hcap - 1;
	for (size_t h = ref_hash(off, mask); b->hidx[h]; h = (h + 1) & mask)
		if (b->refs[b->hidx[h] - 1].off == off)
			return &b->refs[b->hidx[h] - 1];
	return NULL;
}

/* ---------------------------------------------------------------- byte sources */

#define RT_BLOCK ((int64_t)1 << 16) /* bytes fetched from a byte source at a time (aligned) */

int rt_fetch(lc_root *f, int64_t off, int64_t n, lc_error *err)
{
	if (!f->src.read || n <= 0 || off < 0 || (uint64_t)off >= f->size)
		return LC_OK;
	int64_t end = (uint64_t)n > f->size - (uint64_t)off ? (int64_t)f->size : off + n;
	int64_t b0 = off / RT_BLOCK, b1 = (end - 1) / RT_BLOCK;
	for (int64_t b = b0; b <= b1; b++) {
		if (f->have[b])
			continue;
		int64_t e = b; /* one read for a run of missing blocks */
		while (e + 1 <= b1 && !f->have[e + 1])
			e++;
		int64_t lo = b * RT_BLOCK, hi = (e + 1) * RT_BLOCK;
		if (hi > (int64_t)f->size)
			hi = (int64_t)f->size;
		int rc = f->src.read(f->src.ctx, lo, f->data + lo, (size_t)(hi - lo), err);
		if (rc)
			return rc;
		f->src_bytes += hi - lo;
		memset(f->have + b, 1, (size_t)(e - b + 1));
		b = e;
	}
	return LC_OK;
}

/* Fetches the key at off: its fixed header first, then fNbytes (or fKeylen when larger). */
static int fetch_key(lc_root *f, int64_t off, lc_error *err)
{
	if (!f->src.read || off < 0 || (uint64_t)off >= f->size)
		return LC_OK;
	int rc = rt_fetch(f, off, 18, err);
	if (rc || f->size - (uint64_t)off < 16)
		return rc;
	const uint8_t *q = f->data + off;
	int64_t nbytes = (int32_t)((uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3]);
	int64_t keylen = (int16_t)(q[14] << 8 | q[15]);
	return rt_fetch(f, off, nbytes > keylen ? nbytes : keylen, err);
}

int64_t lc_root_source_bytes(const lc_root *f)
{
	return f->src_bytes;
}

/* ---------------------------------------------------------------- keys */

void rt_key_free(rkey *k)
{
	if (!k)
		return;
	free(k->classname);
	free(k->name);
	free(k->title);
	k->classname = k->name = k->title = NULL;
}

void rt_key_parse(rbuf *b, rkey *k)
{
	memset(k, 0, sizeof *k);
	k->nbytes = rb_i32(b);
	k->version = rb_i16(b);
	k->objlen = rb_i32(b);
	rb_u32(b);
	k->keylen = rb_i16(b);
	k->cycle = rb_i16(b);
	if (k->version > 1000) {
		k->seek = rb_i64(b);
		k->seekpdir = rb_i64(b);
	} else {
		k->seek = rb_i32(b);
		k->seekpdir = rb_i32(b);
	}
	k->classname = rb_tstring(b);
	k->name = rb_tstring(b);
	k->title = rb_tstring(b);
	if (!b->rc && ((k->nbytes && k->nbytes < k->keylen) || k->keylen < 0 || k->objlen < 0))
		rb_fail(b, LC_ERR_PARSE, "key '%s': inconsistent sizes (fNbytes %d, fKeylen %d, fObjlen %d)",
			k->name, k->nbytes, k->keylen, k->objlen);
	if (b->rc)
		rt_key_free(k);
}

int rt_key_read(lc_root *f, int64_t off, rkey *k, lc_error *err)
{
	if (off < 0 || (uint64_t)off >= f->size)
		return lc_error_set(err, LC_ERR_PARSE, "%s: key at file offset %lld is outside the file (%zu bytes)",
				    f->path, (long long)off, f->size);
	int rc = fetch_key(f, off, err);
	if (rc)
		return rc;
	rbuf b;
	rb_init(&b, f->data + off, f->size - (size_t)off, 0, off, f->path, "key header", err);
	rt_key_parse(&b, k);
	return b.rc;
}

int rt_key_payload(lc_root *f, const rkey *k, const uint8_t **p, uint8_t **owned, lc_error *err)
{
	*owned = NULL;
	int64_t start = k->seek + k->keylen;
	int64_t disk = (int64_t)k->nbytes - k->keylen;
	if (k->seek < 0 || start < 0 || disk < 0 || (uint64_t)start > f->size || (uint64_t)disk > f->size - (size_t)start)
		return lc_error_set(err, LC_ERR_PARSE,
				    "%s: key '%s' (file offset %lld): its %lld bytes run past the end of the file (%zu bytes)",
				    f->path, k->name, (long long)k->seek, (long long)disk, f->size);
	if ((size_t)k->objlen > f->max_object)
		return lc_error_set(err, LC_ERR_UNSUPPORTED,
				    "%s: key '%s' (file offset %lld): object of %d bytes exceeds the limit of %zu bytes",
				    f->path, k->name, (long long)k->seek, k->objlen, f->max_object);
	int rc = rt_fetch(f, start, disk, err);
	if (rc)
		return rc;
	if (disk == k->objlen) {
		*p = f->data + start;
		return LC_OK;
	}
	uint8_t *buf = malloc(k->objlen ? (size_t)k->objlen : 1);
	if (!buf)
		return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory for key '%s' (%d bytes)", f->path, k->name,
				    k->objlen);
	char what[300];
	snprintf(what, sizeof what, "key '%s'", k->name);
	rc = rt_unzip(f->data + start, (size_t)disk, buf, (size_t)k->objlen, f->path, what, start, err);
	if (rc) {
		free(buf);
		return rc;
	}
	*p = *owned = buf;
	return LC_OK;
}

/* Reads the directory record at file offset off and its key list. */
static int read_dir(lc_root *f, int64_t off, const char *name, rkey **keys, size_t *nkeys, lc_error *err)
{
	*keys = NULL;
	*nkeys = 0;
	if (off < 0 || (uint64_t)off >= f->size)
		return lc_error_set(err, LC_ERR_PARSE, "%s: directory '%s' at file offset %lld is outside the file",
				    f->path, name, (long long)off);
	int rc = rt_fetch(f, off, 64, err);
	if (rc)
		return rc;
	rbuf b;
	rb_init(&b, f->data + off, f->size - (size_t)off, 0, off, f->path, name, err);
	int v = rb_i16(&b);
	rb_skip(&b, 8 + 4 + 4);
	int64_t seekkeys;
	if (v > 1000) {
		rb_skip(&b, 16);
		seekkeys = rb_i64(&b);
	} else {
		rb_skip(&b, 8);
		seekkeys = rb_i32(&b);
	}
	if (b.rc)
		return b.rc;
	if (seekkeys == 0)
		return LC_OK;
	if (seekkeys < 0 || (uint64_t)seekkeys >= f->size)
		return lc_error_set(err, LC_ERR_PARSE, "%s: directory '%s': key list offset %lld is outside the file",
				    f->path, name, (long long)seekkeys);
	if ((rc = fetch_key(f, seekkeys, err)))
		return rc;
	rb_init(&b, f->data + seekkeys, f->size - (size_t)seekkeys, 0, seekkeys, f->path, name, err);
	rkey self;
	rt_key_parse(&b, &self);
	rt_key_free(&self);
	int32_t n = rb_i32(&b);
	if (b.rc)
		return b.rc;
	if (n < 0 || (size_t)n > (b.n - b.pos) / 18)
		return rb_fail(&b, LC_ERR_PARSE, "directory '%s': %d keys cannot fit in the file", name, n);
	rkey *k = calloc(n ? (size_t)n : 1, sizeof *k);
	if (!k)
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	size_t i;
	for (i = 0; i < (size_t)n && !b.rc; i++)
		rt_key_parse(&b, &k[i]);
	if (b.rc) {
		for (size_t j = 0; j < i; j++)
			rt_key_free(&k[j]);
		free(k);
		return b.rc;
	}
	*keys = k;
	*nkeys = (size_t)n;
	return LC_OK;
}

static void free_keys(rkey *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rt_key_free(&k[i]);
	free(k);
}

static int is_dir_class(const char *c)
{
	return c && (!strcmp(c, "TDirectory") || !strcmp(c, "TDirectoryFile"));
}

/* Index of the key named name (length len) with cycle (or the highest when cycle < 0), or -1. */
static long pick_key(const rkey *k, size_t n, const char *name, size_t len, int cycle)
{
	long best = -1;
	for (size_t i = 0; i < n; i++) {
		if (!k[i].name || strlen(k[i].name) != len || memcmp(k[i].name, name, len))
			continue;
		if (cycle >= 0 ? k[i].cycle == cycle : (best < 0 || k[i].cycle > k[best].cycle))
			best = (long)i;
	}
	return best;
}

static int copy_key(const rkey *src, rkey *dst, lc_error *err)
{
	*dst = *src;
	dst->classname = strdup(src->classname);
	dst->name = strdup(src->name);
	dst->title = strdup(src->title);
	if (!dst->classname || !dst->name || !dst->title) {
		rt_key_free(dst);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	return LC_OK;
}

/* Walks path (components separated by '/'); the last one may carry ;cycle. With want_dir the last component must be
 * a directory whose keys are returned in *keys (owned, free_keys); otherwise its key is copied to *k. */
static int walk(lc_root *f, const char *path, int want_dir, rkey *k, rkey **keys, size_t *nkeys, lc_error *err)
{
	rkey *cur = f->keys;
	size_t ncur = f->nkeys;
	int owned = 0, rc = LC_OK;
	const char *p = path ? path : "";
	while (*p == '/')
		p++;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0 && !slash) {
			if (want_dir) {
				if (!owned) {
					rkey *c = calloc(ncur ? ncur : 1, sizeof *c);
					if (!c)
						return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
					for (size_t i = 0; i < ncur; i++)
						if ((rc = copy_key(&cur[i], &c[i], err))) {
							free_keys(c, i);
							return rc;
						}
					cur = c;
				}
				*keys = cur;
				*nkeys = ncur;
				return LC_OK;
			}
			rc = lc_error_set(err, LC_ERR_NOTFOUND, "%s: empty key name in '%s'", f->path, path);
			break;
		}
		int cycle = -1;
		const char *semi = memchr(p, ';', len);
		size_t nlen = len;
		if (semi && !slash) {
			nlen = (size_t)(semi - p);
			cycle = atoi(semi + 1);
		}
		long i = pick_key(cur, ncur, p, nlen, cycle);
		if (i < 0) {
			rc = lc_error_set(err, LC_ERR_NOTFOUND, "%s: no key '%.*s' in '%s'", f->path, (int)len, p, path);
			break;
		}
		if (!slash && !want_dir) {
			rc = copy_key(&cur[i], k, err);
			break;
		}
		if (!is_dir_class(cur[i].classname)) {
			rc = lc_error_set(err, LC_ERR_NOTFOUND, "%s: '%.*s' in '%s' is a %s, not a directory", f->path,
					  (int)len, p, path, cur[i].classname);
			break;
		}
		rkey *sub;
		size_t nsub;
		rc = read_dir(f, cur[i].seek + cur[i].keylen, cur[i].name, &sub, &nsub, err);
		if (rc)
			break;
		if (owned)
			free_keys(cur, ncur);
		cur = sub;
		ncur = nsub;
		owned = 1;
		p = slash ? slash + 1 : p + len;
	}
	if (owned)
		free_keys(cur, ncur);
	return rc;
}

int rt_find_key(lc_root *f, const char *path, rkey *k, lc_error *err)
{
	return walk(f, path, 0, k, NULL, NULL, err);
}

/* ---------------------------------------------------------------- opening */

static int parse_header(lc_root *f, lc_error *err)
{
	int rc = rt_fetch(f, 0, 128, err);
	if (rc)
		return rc;
	rbuf b;
	rb_init(&b, f->data, f->size, 0, 0, f->path, "file header", err);
	if (f->size < 4 || memcmp(f->data, "root", 4))
		return lc_error_set(err, LC_ERR_PARSE, "%s: byte 0: not a ROOT file (no 'root' magic)", f->path);
	rb_skip(&b, 4);
	int32_t v = rb_i32(&b);
	f->begin = rb_i32(&b);
	f->large = v >= 1000000;
	f->version = f->large ? v - 1000000 : v;
	if (f->large) {
		f->end = rb_i64(&b);
		rb_i64(&b);
		rb_skip(&b, 8);
		f->nbytesname = rb_i32(&b);
		rb_u8(&b);
		f->compress = rb_i32(&b);
		f->seekinfo = rb_i64(&b);
		f->nbytesinfo = rb_i32(&b);
	} else {
		f->end = rb_i32(&b);
		rb_i32(&b);
		rb_skip(&b, 8);
		f->nbytesname = rb_i32(&b);
		rb_u8(&b);
		f->compress = rb_i32(&b);
		f->seekinfo = rb_i32(&b);
		f->nbytesinfo = rb_i32(&b);
	}
	if (b.rc)
		return b.rc;
	if (f->begin <= 0 || f->nbytesname < 0 || (uint64_t)f->begin + (uint64_t)f->nbytesname >= f->size)
		return lc_error_set(err, LC_ERR_PARSE, "%s: byte 8: first key at %lld + %d is outside the file (%zu bytes)",
				    f->path, (long long)f->begin, f->nbytesname, f->size);
	return read_dir(f, f->begin + f->nbytesname, "top directory", &f->keys, &f->nkeys, err);
}

static int finish_open(lc_root *f, lc_root **out, lc_error *err)
{
	f->max_object = LC_ROOT_MAX_OBJECT_DEFAULT;
	int rc = parse_header(f, err);
	if (rc) {
		lc_root_close(f);
		return rc;
	}
	*out = f;
	return LC_OK;
}

int lc_root_open(const char *path, lc_root **out, lc_error *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return lc_error_set(err, LC_ERR_IO, "%s: not a regular file", path);
	}
	lc_root *f = calloc(1, sizeof *f);
	if (!f || !(f->path = strdup(path))) {
		free(f);
		close(fd);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	f->size = (size_t)st.st_size;
	if (f->size == 0) {
		close(fd);
		lc_root_close(f);
		return lc_error_set(err, LC_ERR_PARSE, "%s: byte 0: empty file, not a ROOT file", path);
	}
	void *m = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		lc_root_close(f);
		return lc_error_set(err, LC_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
	}
	f->data = m;
	f->mapped = 1;
	return finish_open(f, out, err);
}

int lc_root_open_mem(const void *buf, size_t n, const char *name, lc_root **out, lc_error *err)
{
	*out = NULL;
	lc_root *f = calloc(1, sizeof *f);
	if (!f || !(f->path = strdup(name ? name : "(memory)")) || !(f->data = malloc(n ? n : 1))) {
		lc_root_close(f);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	if (n)
		memcpy(f->data, buf, n);
	f->size = n;
	return finish_open(f, out, err);
}

int lc_root_open_source(const lc_byte_source *src, lc_root **out, lc_error *err)
{
	*out = NULL;
	const char *name = src->name ? src->name : "(source)";
	lc_root *f = calloc(1, sizeof *f);
	if (!f || !(f->path = strdup(name))) {
		free(f);
		if (src->close)
			src->close(src->ctx);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	f->src = *src;
	if (src->size <= 0 || (uint64_t)src->size > (uint64_t)SIZE_MAX / 2) {
		int rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte 0: %s, not a ROOT file", name,
				      src->size <= 0 ? "empty file" : "file too large");
		lc_root_close(f);
		return rc;
	}
	f->size = (size_t)src->size;
	/* room for the whole file; calloc of a large size maps zero pages, committed only where blocks are read */
	f->data = calloc(f->size, 1);
	f->have = calloc((size_t)((src->size + RT_BLOCK - 1) / RT_BLOCK), 1);
	if (!f->data || !f->have) {
		lc_root_close(f);
		return lc_error_set(err, LC_ERR_NOMEM, "%s: out of memory for %zu bytes", name, (size_t)src->size);
	}
	return finish_open(f, out, err);
}

void lc_root_close(lc_root *f)
{
	if (!f)
		return;
	if (f->src.close)
		f->src.close(f->src.ctx);
	free(f->have);
	if (f->data) {
		if (f->mapped)
			munmap(f->data, f->size);
		else
			free(f->data);
	}
	free_keys(f->keys, f->nkeys);
	rt_streamers_free(f);
	free(f->path);
	free(f);
}

void lc_root_set_max_object(lc_root *f, size_t bytes)
{
	f->max_object = bytes ? bytes : LC_ROOT_MAX_OBJECT_DEFAULT;
}

void lc_root_get_info(const lc_root *f, lc_root_info *out)
{
	out->version = f->version;
	out->large = f->large;
	out->compress = f->compress;
	out->end = f->end;
}

int lc_root_list(lc_root *f, const char *dir, lc_root_key **keys, size_t *n, lc_error *err)
{
	rkey *k;
	size_t nk;
	int rc = walk(f, dir, 1, NULL, &k, &nk, err);
	if (rc)
		return rc;
	lc_root_key *o = calloc(nk ? nk : 1, sizeof *o);
	if (!o) {
		free_keys(k, nk);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < nk; i++) {
		o[i].name = k[i].name;
		o[i].classname = k[i].classname;
		o[i].title = k[i].title;
		o[i].cycle = k[i].cycle;
		o[i].seek = k[i].seek;
		o[i].nbytes = k[i].nbytes;
		o[i].objlen = k[i].objlen;
	}
	free(k); /* strings moved to o */
	*keys = o;
	*n = nk;
	return LC_OK;
}

void lc_root_keys_free(lc_root_key *keys, size_t n)
{
	if (!keys)
		return;
	for (size_t i = 0; i < n; i++) {
		free(keys[i].name);
		free(keys[i].classname);
		free(keys[i].title);
	}
	free(keys);
}
