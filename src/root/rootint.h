/* rootint.h — internals of the ROOT reader shared by src/root/: a bounds-checked big-endian cursor with a sticky
 * error that names file, object and byte; keys; object payloads; the reference table of ReadObjectAny. */
#ifndef LC_ROOTINT_H
#define LC_ROOTINT_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "lumicert_root.h"

#define RT_MAX_DEPTH 48            /* nesting of objects (branches of branches, objects in arrays) */
#define RT_MAX_ARRAY (1 << 24)     /* elements of one streamed array (TObjArray, basket tables) */

/* A key header as on disk. */
typedef struct rkey {
	int32_t nbytes;     /* bytes on disk incl. the key header */
	int16_t version;    /* > 1000: 64-bit seeks */
	int32_t objlen;     /* uncompressed payload bytes */
	int16_t keylen;     /* header bytes (incl. strings and, for baskets, the basket header) */
	int16_t cycle;
	int64_t seek;       /* fSeekKey */
	int64_t seekpdir;
	char *classname, *name, *title; /* malloc'd */
} rkey;

/* One entry of the reference table of a buffer: a class name or an object registered at a tag offset. */
typedef struct rref {
	int64_t off;        /* offset from the start of the key (pos + origin) + 2 */
	int is_class;       /* 1: cls is a class name; 0: an object of class cls (obj may be NULL if skipped) */
	char *cls;          /* class name (owned by the table) */
	void *obj;          /* parsed object (owned elsewhere) */
} rref;

/* The cursor. Reads past the end set rc (first error wins) and return 0; callers check rc at checkpoints. */
typedef struct rbuf {
	const uint8_t *p;   /* bytes */
	size_t n, pos;      /* size and read position */
	int64_t origin;     /* added to pos for reference offsets: fKeylen of the key the buffer came from */
	int64_t fileoff;    /* file offset of p[0] for raw slices of the file, -1 for decompressed payloads */
	const char *file;   /* file name for messages */
	const char *obj;    /* object name for messages */
	lc_error *err;
	int rc;             /* LC_OK until the first error */
	rref *refs;         /* reference table (ReadObjectAny) */
	size_t nrefs, caprefs;
	size_t *hidx;       /* hash index of refs by off: entries are index + 1 (0 empty), the latest ref of an off */
	size_t hcap;        /* its slots (a power of two, at least twice nrefs) */
	int depth;          /* current object nesting */
} rbuf;

void rb_init(rbuf *b, const uint8_t *p, size_t n, int64_t origin, int64_t fileoff, const char *file, const char *obj,
	     lc_error *err);
void rb_free_refs(rbuf *b);
/* Records an error at the current position (first one wins); returns the code. */
int rb_fail(rbuf *b, int code, const char *fmt, ...) LC_PRINTF(3, 4);
int rb_need(rbuf *b, size_t k);
uint8_t rb_u8(rbuf *b);
uint16_t rb_u16(rbuf *b);
uint32_t rb_u32(rbuf *b);
uint64_t rb_u64(rbuf *b);
static inline int16_t rb_i16(rbuf *b) { return (int16_t)rb_u16(b); }
static inline int32_t rb_i32(rbuf *b) { return (int32_t)rb_u32(b); }
static inline int64_t rb_i64(rbuf *b) { return (int64_t)rb_u64(b); }
float rb_f32(rbuf *b);
double rb_f64(rbuf *b);
void rb_skip(rbuf *b, size_t k);
/* TString: u8 length (255: i32 length follows) + bytes. Returns a malloc'd NUL-terminated copy or NULL on error. */
char *rb_tstring(rbuf *b);
/* NUL-terminated string; malloc'd copy. */
char *rb_cstring(rbuf *b);
/* Bytecount + version header. *end = end of the object (0 when it has no bytecount). Returns the version. */
int rb_version(rbuf *b, size_t *end);
/* Jumps to end (from rb_version); an object that read past its end is an error. */
void rb_end(rbuf *b, size_t end, const char *what);
/* Skips a whole versioned object (bytecount required). */
void rb_skip_object(rbuf *b, const char *what);
void rb_tobject(rbuf *b);
/* TNamed: name and title as malloc'd strings (either may be NULL to discard). */
void rb_tnamed(rbuf *b, char **name, char **title);
/* Registers a class name or an object at reference offset off. */
int rb_ref_add(rbuf *b, int64_t off, int is_class, const char *cls, void *obj);
rref *rb_ref_find(rbuf *b, int64_t off);

/* An element of a TStreamerInfo (a member or base of a class). */
typedef struct relem {
	char *name, *title, *typename; /* member name, comment (holds Double32_t ranges), C++ type name */
	int type;                      /* fType code (docs/root.md) */
	int arraylen;                  /* fArrayLength */
} relem;

/* A TStreamerInfo: a class at one version and its elements, in fID order. */
typedef struct rclass {
	char *name;
	int version;
	relem *el;
	size_t nel;
} rclass;

/* The file. */
struct lc_root {
	char *path;          /* name for messages */
	uint8_t *data;       /* whole file (mapped or copied) */
	size_t size;
	int mapped;          /* 1: munmap, 0: free */
	lc_byte_source src;  /* byte source of lc_root_open_source (src.read NULL otherwise) */
	uint8_t *have;       /* per 64 KiB block of data: 1 once read from src */
	int64_t src_bytes;   /* bytes read from src */
	int32_t version;     /* fVersion (without the 1000000 of large files) */
	int large;
	int64_t begin, end, seekinfo;
	int32_t nbytesname, nbytesinfo, compress;
	rkey *keys;          /* top directory keys */
	size_t nkeys;
	size_t max_object;   /* largest accepted object */
	rclass *classes;     /* streamer infos, read on first use */
	size_t nclasses;
	int streamers_loaded, streamers_rc;
	long baskets_read;   /* on-disk baskets loaded so far (tests check that reads touch only what they need) */
};

/* Makes bytes [off, off + n) (clamped to the file) of data valid: reads the missing blocks from the byte source;
 * a no-op for mapped and in-memory files. */
int rt_fetch(lc_root *f, int64_t off, int64_t n, lc_error *err);
/* Reads a key header at file offset off. */
int rt_key_read(lc_root *f, int64_t off, rkey *k, lc_error *err);
/* Parses a key header from b (used for directory key lists and embedded baskets). */
void rt_key_parse(rbuf *b, rkey *k);
void rt_key_free(rkey *k);
/* Finds the key of path ("a/b/name;cycle"; highest cycle unless given); *k is a copy to rt_key_free. */
int rt_find_key(lc_root *f, const char *path, rkey *k, lc_error *err);
/* The uncompressed payload of a key: *p points into the file (uncompressed) or to *owned (malloc'd, free it). */
int rt_key_payload(lc_root *f, const rkey *k, const uint8_t **p, uint8_t **owned, lc_error *err);
/* Decompresses ROOT compression blocks of src into exactly dstn bytes; what names the object in messages and
 * fileoff is the file offset of src[0]. */
int rt_unzip(const uint8_t *src, size_t srcn, uint8_t *dst, size_t dstn, const char *file, const char *what,
	     int64_t fileoff, lc_error *err);
/* Reads the StreamerInfo list once (later calls return the first result). */
int rt_streamers(lc_root *f, lc_error *err);
void rt_streamers_free(lc_root *f);
/* Element id of class cls (the version's info if present, else any), or NULL. */
const relem *rt_element(lc_root *f, const char *cls, int version, int id);
/* Finds "[xmin,xmax(,nbits)]" in a title (expressions with pi allowed); 1 if found. */
int rt_parse_range(const char *title, double *lo, double *hi, int *nbits);
/* Hands the histograms of entries first..last (inclusive) of an ME tree to fn: names from string column name_branch
 * (NULL: the value branch name), objects from value_branch; only names matching pattern (NULL: all). */
int rt_me_entries(lc_root_tree *t, const char *name_branch, const char *value_branch, int64_t first, int64_t last,
		  int64_t run, int64_t lumi, int metype, const char *pattern, lc_hist_fn fn, void *ctx, long *nread,
		  lc_error *err);
/* Decodes a histogram object (after its class has been determined) from b into a new lc_root_hist. */
int rt_hist_decode(rbuf *b, const char *classname, lc_root_hist **out);

#endif
