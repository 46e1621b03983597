/* lumicert_root.h — public API of lumicert's native ROOT file reader: keys and nested directories, compressed
 * objects (zlib, old CS, lzma, lz4 with its XXH64 checksum, zstd), histograms (TH1x, TH2x, TProfile) and TTree branches
 * read by entry range into typed arrays. Conventions as in lumicert.h: LC_OK or a negative LC_ERR_* code with a
 * message naming the file, the object and the byte offset; objects from _open/_read are released by _close/_free. */
#ifndef LUMICERT_ROOT_H
#define LUMICERT_ROOT_H

#include <stddef.h>
#include <stdint.h>

#include "lumicert.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lc_root lc_root;

/* Limits against malicious files: an object (key payload or basket) larger than this is refused. */
#define LC_ROOT_MAX_OBJECT_DEFAULT ((size_t)512 << 20)

/* Opens a ROOT file (mapped read-only) and reads its header and top directory. *out is NULL on failure. */
int lc_root_open(const char *path, lc_root **out, lc_error *err);
/* Same from memory: the n bytes at buf are copied; name is used in messages. */
int lc_root_open_mem(const void *buf, size_t n, const char *name, lc_root **out, lc_error *err);
void lc_root_close(lc_root *f);
/* A source of bytes for the reader (local file, memory, HTTP range reads, XRootD): read fills buf with exactly n
 * bytes at offset off (off + n <= size) or returns a negative LC_ERR_* code with a message in err; close releases
 * ctx (may be NULL). name is used in messages. */
typedef struct lc_byte_source {
	void *ctx;          /* the source's state, passed to read and close */
	int64_t size;       /* total bytes */
	const char *name;   /* file name or URL for messages (owned by ctx; valid until close) */
	int (*read)(void *ctx, int64_t off, void *buf, size_t n, lc_error *err);
	void (*close)(void *ctx);
} lc_byte_source;
/* Opens a ROOT file read through src: only the byte ranges the reader needs are read (in blocks of 64 KiB), each
 * once. The file takes src over: src->close runs at lc_root_close, or here on failure. */
int lc_root_open_source(const lc_byte_source *src, lc_root **out, lc_error *err);
/* Bytes requested from the source so far (0 for files opened with lc_root_open or lc_root_open_mem). */
int64_t lc_root_source_bytes(const lc_root *f);
/* Sets the largest object (uncompressed bytes) the reader accepts; 0 restores the default. */
void lc_root_set_max_object(lc_root *f, size_t bytes);

/* File-level facts from the header. */
typedef struct lc_root_info {
	int version;        /* ROOT version code, e.g. 62004 */
	int large;          /* 1 if the header has 64-bit seeks */
	int compress;       /* fCompress: algorithm*100 + level (a hint; each block names its algorithm) */
	int64_t end;        /* fEND: end of the used part of the file */
} lc_root_info;
void lc_root_get_info(const lc_root *f, lc_root_info *out);

/* A key of a directory (all cycles are listed). */
typedef struct lc_root_key {
	char *name;         /* object name */
	char *classname;    /* class of the object (TH1F, TTree, TDirectory, ...) */
	char *title;        /* object title */
	int cycle;          /* cycle number; readers use the highest when none is given */
	int64_t seek;       /* file offset of the key */
	int32_t nbytes;     /* bytes on disk, key header included */
	int32_t objlen;     /* uncompressed object bytes */
} lc_root_key;

/* Lists the keys of directory dir ("" or NULL: top; "a/b" nested). *keys is malloc'd: lc_root_keys_free. */
int lc_root_list(lc_root *f, const char *dir, lc_root_key **keys, size_t *n, lc_error *err);
void lc_root_keys_free(lc_root_key *keys, size_t n);

/* ---------------------------------------------------------------- histograms */

/* A histogram read from a file. cells are in ROOT's global bin order with under/overflow:
 * 1D: i in [0, nx+2); 2D: ix + (nx+2)*iy. */
typedef struct lc_root_hist {
	char *name, *title;   /* object name and title */
	char *classname;      /* TH1F, TH1D, TH1I, TH1S, TH2F, ..., TProfile */
	int dim;              /* 1 or 2 */
	int nx, ny;           /* bins along x, y (ny = 1 for 1D) */
	double xmin, xmax, ymin, ymax;
	double *xedges;       /* nx+1 edges for variable bins, NULL for uniform bins */
	double *yedges;       /* ny+1 edges or NULL */
	double entries;       /* fEntries */
	double tsumw, tsumw2, tsumwx, tsumwx2;   /* sums of weights, weights^2, w*x, w*x^2 */
	double tsumwy, tsumwy2, tsumwxy;         /* 2D sums (0 for 1D) */
	size_t ncells;        /* (nx+2) or (nx+2)*(ny+2) */
	double *cells;        /* ncells bin contents (for TProfile: sums of w*y, the mean is cells/bin_entries) */
	double *sumw2;        /* ncells sums of squared weights, NULL when not stored */
	double *bin_entries;  /* TProfile: ncells sums of weights per bin; NULL otherwise */
} lc_root_hist;

/* Reads the histogram stored under key path ("dir/name" or "name;cycle"). LC_ERR_UNSUPPORTED for other classes. */
int lc_root_hist_read(lc_root *f, const char *keypath, lc_root_hist **out, lc_error *err);
void lc_root_hist_free(lc_root_hist *h);

/* Reads the per-LS histograms of a ROOT file and hands each to fn as an lc_hist (has_flow 1; metype 3 TH1F, 4 TH1S,
 * 5 TH1D, 6 TH2F, 7 TH2S, 8 TH2D, 12 TH1I, 13 TH2I): a DQMIO file (lc_root_read_dqmio, per-LS MEs only), or else every
 * TH1/TH2 key of the top directory named run<R>_ls<L>_<ME> (the dqmio-2023C examples), in key order. pattern
 * (fnmatch glob on the ME name; NULL: all) selects MEs. Variable-bin histograms are LC_ERR_UNSUPPORTED. *nread counts
 * the histograms handed over (may be NULL). */
int lc_root_read_ls_hists(const char *path, const char *pattern, lc_hist_fn fn, void *ctx, long *nread,
			  lc_error *err);

/* ---------------------------------------------------------------- trees */

typedef struct lc_root_tree lc_root_tree;

/* Value types of branch data (native byte order in memory). */
typedef enum lc_root_type {
	LC_ROOT_NONE = 0,
	LC_ROOT_BOOL, LC_ROOT_I8, LC_ROOT_U8, LC_ROOT_I16, LC_ROOT_U16, LC_ROOT_I32, LC_ROOT_U32,
	LC_ROOT_I64, LC_ROOT_U64, LC_ROOT_F32, LC_ROOT_F64,
	LC_ROOT_STRING,   /* bytes in values, entry i = values[offsets[i] .. offsets[i+1]) */
	LC_ROOT_OBJECT    /* a streamed object per entry (histograms in TBranchObject); read with lc_root_branch_hist */
} lc_root_type;

/* Bytes per value of a type (0 for STRING, OBJECT, NONE). */
size_t lc_root_type_size(lc_root_type t);
/* Short name: bool, int8, uint8, ..., float32, float64, string, object. */
const char *lc_root_type_name(lc_root_type t);

/* Opens the tree under key path (TTree, TNtuple, TNtupleD). */
int lc_root_tree_open(lc_root *f, const char *keypath, lc_root_tree **out, lc_error *err);
void lc_root_tree_close(lc_root_tree *t);
int64_t lc_root_tree_entries(const lc_root_tree *t);

/* A branch of a tree, as listed (depth first, sub-branches after their parent). Strings belong to the tree. */
typedef struct lc_root_branch_info {
	const char *name;       /* full branch name (sub-branches carry dotted names) */
	const char *classname;  /* TBranch, TBranchElement, TBranchObject */
	const char *leaf;       /* leaf name; for leaf lists the leaves are listed as NAME/LEAF */
	const char *leafclass;  /* TLeafF, TLeafElement, ... */
	const char *objclass;   /* class of the streamed object or element (TBranchElement/Object), "" otherwise */
	lc_root_type type;      /* value type; NONE when the branch cannot be read (see unsupported) */
	int kind;               /* LC_ROOT_SCALAR, _FIXED, _JAGGED, _STRING, _OBJECT, _NODE (no data of its own) */
	int fixed;              /* values per entry for SCALAR (1) and FIXED */
	const char *count;      /* counter branch of a jagged branch, or "" */
	int depth;              /* 0 for top-level branches */
	int64_t entries;        /* fEntries */
	int nbaskets;           /* baskets on disk + embedded */
	const char *unsupported; /* why the branch cannot be read, "" when it can */
} lc_root_branch_info;

enum { LC_ROOT_SCALAR = 0, LC_ROOT_FIXED = 1, LC_ROOT_JAGGED = 2, LC_ROOT_STR = 3, LC_ROOT_OBJ = 4, LC_ROOT_NODE = 5,
       LC_ROOT_JAGGED2 = 6 /* lists of lists: std::vector<std::vector<number>>, std::vector<std::string> */ };

/* Number of readable columns (branches, and the leaves of leaf lists as BRANCH/LEAF). */
size_t lc_root_tree_nbranches(const lc_root_tree *t);
/* Fills *out for column i (0 <= i < lc_root_tree_nbranches). */
void lc_root_tree_branch(const lc_root_tree *t, size_t i, lc_root_branch_info *out);
/* Index of the column named name, or -1. */
long lc_root_tree_find(const lc_root_tree *t, const char *name);

/* Data of a column over an entry range. */
typedef struct lc_root_array {
	lc_root_type type;  /* value type */
	int64_t first;      /* first entry read */
	int64_t nentries;   /* entries read */
	size_t nvalues;     /* values (bytes for STRING) */
	void *values;       /* nvalues values of type (malloc'd, native order; bool as uint8 0/1) */
	int64_t *offsets;   /* nentries+1 value offsets for jagged and string columns: entry i is
	                       values[offsets[i] .. offsets[i+1]); NULL for fixed-size ones */
	int fixed;          /* values per entry when offsets is NULL */
	int64_t *inner;     /* JAGGED2 columns: entry i holds the lists offsets[i] .. offsets[i+1], list j is
	                       values[inner[j] .. inner[j+1]) (bytes for strings); NULL otherwise */
} lc_root_array;

/* Reads column i for entries [first, last) (clamped to the tree). Every basket the range needs is read and
 * decompressed once; no other basket is touched. On failure the message names the branch, the basket and the byte.
 * Release with lc_root_array_free. */
int lc_root_branch_read(lc_root_tree *t, size_t i, int64_t first, int64_t last, lc_root_array *out, lc_error *err);
void lc_root_array_free(lc_root_array *a);

/* Reads the histogram held by entry of an object column (TBranchObject or TBranchElement of a TH1/TH2/TProfile). */
int lc_root_branch_hist(lc_root_tree *t, size_t i, int64_t entry, lc_root_hist **out, lc_error *err);
/* Same from an array already read from object column i: entry e of a (0 = a->first); no basket is read again. */
int lc_root_array_hist(lc_root_tree *t, size_t i, const lc_root_array *a, int64_t e, lc_root_hist **out,
		       lc_error *err);
/* Name of the tree (its key name). */
const char *lc_root_tree_name(const lc_root_tree *t);

/* ---------------------------------------------------------------- DQMIO */

/* 1 if the file has a top-level TTree "Indices" (the CMS DQMIO layout). */
int lc_root_is_dqmio(lc_root *f);
/* Reads the per-LS histograms of a DQMIO file: for each Indices row (Run, Lumi, Type, FirstIndex, LastIndex; last
 * inclusive) of a histogram type (3-8 TH1F/S/D, TH2F/S/D; 12, 13 TH1I, TH2I), the entries of that type's tree whose
 * FullName matches pattern (fnmatch glob; NULL: all) are read (FullName first, then only the Value entries needed)
 * and handed to fn with me = FullName, metype = Type. Rows of lumi 0 (per-run MEs) are skipped unless run_level;
 * Type 1000 (nothing stored) is skipped; other types (numbers, strings, TH3F, profiles) are counted in *nskipped. */
int lc_root_read_dqmio(lc_root *f, const char *pattern, int run_level, lc_hist_fn fn, void *ctx, long *nread,
		       long *nskipped, lc_error *err);

#ifdef __cplusplus
}
#endif
#endif
