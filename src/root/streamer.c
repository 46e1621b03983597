/* streamer.c — the file's TStreamerInfo list, read lazily and only as far as the reader needs it: for each class and
 * version, its elements (name, type code, type name, title). Titles carry the ranges of Double32_t/Float16_t members
 * ("[xmin,xmax,nbits] comment"); type names tell what an STL member (type 300) holds. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rootint.h"

#define RT_PI 3.14159265358979323846

static void free_class(rclass *c)
{
	for (size_t i = 0; i < c->nel; i++) {
		free(c->el[i].name);
		free(c->el[i].title);
		free(c->el[i].typename);
	}
	free(c->el);
	free(c->name);
}

void rt_streamers_free(lc_root *f)
{
	for (size_t i = 0; i < f->nclasses; i++)
		free_class(&f->classes[i]);
	free(f->classes);
	f->classes = NULL;
	f->nclasses = 0;
}

/* Start of a ReadObjectAny: class name (borrowed from the ref table) and the object's end; NULL for a null pointer
 * or a reference to an object already read (skipped). */
static const char *any_start(rbuf *b, size_t *objend)
{
	size_t beg = b->pos;
	uint32_t bcnt = rb_u32(b), tag;
	*objend = 0;
	int vers = 0;
	size_t start = 0;
	if (!(bcnt & 0x40000000u) || bcnt == 0xFFFFFFFFu) {
		tag = bcnt;
	} else {
		size_t len = bcnt & ~0x40000000u;
		if (len > b->n - beg - 4) {
			rb_fail(b, LC_ERR_PARSE, "object byte count %zu runs past the buffer", len);
			return NULL;
		}
		*objend = beg + 4 + len;
		start = b->pos;
		tag = rb_u32(b);
		vers = 1;
	}
	if (b->rc)
		return NULL;
	if (!(tag & 0x80000000u)) {
		if (*objend)
			b->pos = *objend;
		return NULL;
	}
	if (tag == 0xFFFFFFFFu) {
		char *name = rb_cstring(b);
		if (!name)
			return NULL;
		rb_ref_add(b, vers ? (int64_t)start + b->origin + 2 : -(int64_t)b->nrefs - 1, 1, name, NULL);
		free(name);
		if (b->rc)
			return NULL;
		size_t i = b->nrefs - 1;
		rb_ref_add(b, vers ? (int64_t)beg + b->origin + 2 : -(int64_t)b->nrefs - 1, 0, b->refs[i].cls, NULL);
		return b->rc ? NULL : b->refs[i].cls;
	}
	rref *r = rb_ref_find(b, tag & ~0x80000000u);
	if (!r || !r->is_class) {
		rb_fail(b, LC_ERR_PARSE, "reference to unknown class tag %u", tag & ~0x80000000u);
		return NULL;
	}
	size_t i = (size_t)(r - b->refs);
	rb_ref_add(b, vers ? (int64_t)beg + b->origin + 2 : -(int64_t)b->nrefs - 1, 0, b->refs[i].cls, NULL);
	return b->rc ? NULL : b->refs[i].cls;
}

static void skip_rest(rbuf *b, size_t objend, const char *cls)
{
	if (!b->rc && !objend)
		rb_fail(b, LC_ERR_UNSUPPORTED, "unsupported: %s without a byte count in the streamer list", cls);
	if (!b->rc)
		b->pos = objend;
}

/* One TStreamerElement subclass object into e (TStreamerSTLstring derives from TStreamerSTL: one more header). */
static void read_element(rbuf *b, const char *cls, relem *e)
{
	size_t end, mid = 0, eend;
	rb_version(b, &end);
	if (!strcmp(cls, "TStreamerSTLstring"))
		rb_version(b, &mid);
	int v = rb_version(b, &eend);
	rb_tnamed(b, &e->name, &e->title);
	e->type = rb_i32(b);
	rb_i32(b);
	e->arraylen = rb_i32(b);
	rb_i32(b);
	if (v == 1) {
		int32_t n = rb_i32(b);
		if (!b->rc && (n < 0 || n > 5))
			rb_fail(b, LC_ERR_PARSE, "streamer element with %d dimensions", n);
		else
			rb_skip(b, (size_t)n * 4);
	} else {
		rb_skip(b, 20);
	}
	e->typename = rb_tstring(b);
	rb_end(b, eend, "TStreamerElement");
	rb_end(b, mid, "TStreamerSTL");
	rb_end(b, end, "streamer element");
}

static void read_info(rbuf *b, rclass *c)
{
	size_t end;
	rb_version(b, &end);
	rb_tnamed(b, &c->name, NULL);
	rb_u32(b);
	c->version = rb_i32(b);
	size_t oend;
	const char *cls = any_start(b, &oend);
	if (cls && !strcmp(cls, "TObjArray")) {
		size_t aend;
		rb_version(b, &aend);
		rb_tobject(b);
		free(rb_tstring(b));
		int32_t n = rb_i32(b);
		rb_i32(b);
		if (!b->rc && (n < 0 || (size_t)n > (b->n - b->pos) / 4))
			rb_fail(b, LC_ERR_PARSE, "streamer info of %s with %d elements", c->name, n);
		if (!b->rc && n > 0 && !(c->el = calloc((size_t)n, sizeof *c->el)))
			rb_fail(b, LC_ERR_NOMEM, "out of memory");
		for (int32_t i = 0; i < n && !b->rc; i++) {
			size_t xend;
			const char *ecls = any_start(b, &xend);
			if (!ecls)
				continue;
			if (!strncmp(ecls, "TStreamer", 9)) {
				read_element(b, ecls, &c->el[c->nel++]);
				if (!b->rc && xend)
					b->pos = xend;
			} else {
				skip_rest(b, xend, ecls);
			}
		}
		rb_end(b, aend, "TObjArray");
		if (!b->rc && oend)
			b->pos = oend;
	} else if (cls) {
		skip_rest(b, oend, cls);
	}
	rb_end(b, end, "TStreamerInfo");
}

int rt_streamers(lc_root *f, lc_error *err)
{
	if (f->streamers_loaded)
		return f->streamers_rc;
	f->streamers_loaded = 1;
	if (f->seekinfo <= 0)
		return LC_OK;
	rkey k;
	int rc = rt_key_read(f, f->seekinfo, &k, err);
	if (rc)
		return f->streamers_rc = rc;
	const uint8_t *p;
	uint8_t *owned;
	rc = rt_key_payload(f, &k, &p, &owned, err);
	if (rc) {
		rt_key_free(&k);
		return f->streamers_rc = rc;
	}
	rbuf b;
	rb_init(&b, p, (size_t)k.objlen, k.keylen, owned ? -1 : k.seek + k.keylen, f->path, "StreamerInfo list", err);
	size_t end;
	rb_version(&b, &end);
	rb_tobject(&b);
	free(rb_tstring(&b));
	int32_t n = rb_i32(&b);
	if (!b.rc && (n < 0 || (size_t)n > b.n / 4))
		rb_fail(&b, LC_ERR_PARSE, "%d streamer infos", n);
	if (!b.rc && n > 0 && !(f->classes = calloc((size_t)n, sizeof *f->classes)))
		rb_fail(&b, LC_ERR_NOMEM, "out of memory");
	for (int32_t i = 0; i < n && !b.rc; i++) {
		size_t oend;
		const char *cls = any_start(&b, &oend);
		if (cls && !strcmp(cls, "TStreamerInfo")) {
			read_info(&b, &f->classes[f->nclasses++]);
			if (!b.rc && oend)
				b.pos = oend;
		} else if (cls) {
			skip_rest(&b, oend, cls);
		}
		size_t ol = rb_u8(&b); /* option string of the TList entry */
		rb_skip(&b, ol);
	}
	rc = b.rc;
	rb_free_refs(&b);
	free(owned);
	rt_key_free(&k);
	if (rc)
		rt_streamers_free(f);
	return f->streamers_rc = rc;
}

const relem *rt_element(lc_root *f, const char *cls, int version, int id)
{
	if (!cls || id < 0 || rt_streamers(f, NULL))
		return NULL;
	const rclass *best = NULL;
	for (size_t i = 0; i < f->nclasses; i++)
		if (f->classes[i].name && !strcmp(f->classes[i].name, cls) &&
		    (!best || f->classes[i].version == version))
			best = &f->classes[i];
	if (!best || (size_t)id >= best->nel)
		return NULL;
	return &best->el[id];
}

/* ---------------------------------------------------------------- Double32_t / Float16_t ranges */

/* A number or pi, twopi, with * and / and a leading minus ("-pi/2", "2*pi"). */
static int eval_expr(const char *s, const char *end, double *out)
{
	double v = 1;
	char op = '*';
	int any = 0;
	while (s < end) {
		while (s < end && isspace((unsigned char)*s))
			s++;
		double sign = 1, x;
		while (s < end && (*s == '-' || *s == '+')) {
			if (*s == '-')
				sign = -sign;
			s++;
		}
		if (end - s >= 5 && !strncmp(s, "twopi", 5)) {
			x = 2 * RT_PI;
			s += 5;
		} else if (end - s >= 2 && !strncmp(s, "pi", 2)) {
			x = RT_PI;
			s += 2;
		} else {
			char buf[64];
			size_t n = (size_t)(end - s) < sizeof buf - 1 ? (size_t)(end - s) : sizeof buf - 1;
			memcpy(buf, s, n);
			buf[n] = 0;
			char *e;
			x = strtod(buf, &e);
			if (e == buf)
				return -1;
			s += e - buf;
		}
		v = op == '*' ? v * sign * x : v / (sign * x);
		any = 1;
		while (s < end && isspace((unsigned char)*s))
			s++;
		if (s < end) {
			if (*s != '*' && *s != '/')
				return -1;
			op = *s++;
		}
	}
	if (!any)
		return -1;
	*out = v;
	return 0;
}

int rt_parse_range(const char *title, double *lo, double *hi, int *nbits)
{
	const char *o = title ? strchr(title, '[') : NULL;
	while (o) {
		const char *c = strchr(o, ']');
		const char *comma = memchr(o, ',', c ? (size_t)(c - o) : 0);
		if (c && comma) {
			const char *comma2 = memchr(comma + 1, ',', (size_t)(c - comma - 1));
			double n = 32;
			if (eval_expr(o + 1, comma, lo) || eval_expr(comma + 1, comma2 ? comma2 : c, hi) ||
			    (comma2 && eval_expr(comma2 + 1, c, &n)))
				return 0;
			*nbits = (int)n;
			if (*nbits < 2 || *nbits > 32)
				*nbits = 32;
			return 1;
		}
		o = c ? strchr(c, '[') : NULL;
	}
	return 0;
}
