/* tree.c — TTree (v16–20), TBranch (v10–13), TBranchElement, TBranchObject and the TLeaf family, parsed from the
 * streamed tree object with hand-written layouts; baskets on disk and embedded in the tree; columns read by entry range
 * into typed arrays (values + offsets), each needed basket decompressed once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootint.h"

typedef struct rbranch rbranch;

/* A leaf (TLeafX, TLeafElement, TLeafObject). */
typedef struct rleaf {
	char *name, *title, *cls;
	int32_t len;          /* fLen: values per entry for fixed dims (product of [N]) */
	int32_t lentype;      /* fLenType: bytes per value */
	int isunsigned;       /* fIsUnsigned */
	struct rleaf *count;  /* fLeafCount: counter leaf of a jagged leaf, NULL otherwise */
	int32_t el_type;      /* TLeafElement fType */
	int virt;             /* TLeafObject fVirtual: entries start with the class name */
	rbranch *branch;      /* branch holding the leaf */
} rleaf;

/* A basket embedded in the TBranch (fBaskets), kept decompressed. */
typedef struct rembed {
	int32_t nev;          /* entries */
	uint8_t *data;        /* ndata data bytes */
	size_t ndata;
	int32_t *off;         /* nev+1 entry offsets into data, NULL when not stored */
	int slot;             /* index in fBaskets = basket number */
} rembed;

struct rbranch {
	char *name, *title;
	char *cls;            /* TBranch, TBranchElement, TBranchObject */
	int ver;
	int32_t entry_offset_len, write_basket, max_baskets;
	int64_t entries;
	int32_t *bbytes;      /* max_baskets fBasketBytes */
	int64_t *bentry;      /* max_baskets fBasketEntry */
	int64_t *bseek;       /* max_baskets fBasketSeek */
	rbranch **sub;        /* nsub sub-branches */
	size_t nsub, capsub;
	rleaf **leaves;       /* nleaves leaves */
	size_t nleaves, capleaves;
	rembed *emb;          /* nemb embedded baskets */
	size_t nemb, capemb;
	char *el_class, *el_parent, *el_clones; /* TBranchElement fClassName, fParentName, fClonesName */
	int32_t el_id, el_type, el_stype;       /* TBranchElement fID, fType, fStreamerType */
	int32_t el_version;   /* TBranchElement fClassVersion (selects the streamer info) */
	rbranch *bcount;      /* TBranchElement fBranchCount */
	char *obj_class;      /* TBranchObject fClassName */
	int external;         /* baskets in another file (fFileName) */
	int depth;
};

/* A basket span: entries [first, first+nev) in on-disk basket idx (emb < 0) or embedded basket emb. */
typedef struct rspan {
	int64_t first;
	int64_t last;         /* first entry after the basket, by fBasketEntry */
	int idx;              /* on-disk basket index, or -1 */
	int emb;              /* embedded basket index, or -1 */
} rspan;

/* A readable column: a branch, or one leaf of a leaf list. */
typedef struct rcol {
	rbranch *br;
	rleaf *leaf;
	char *name;           /* column name (owned) */
	lc_root_type type;
	int kind;             /* LC_ROOT_SCALAR ... */
	int fixed;            /* values per entry (SCALAR/FIXED) */
	int itemsize;         /* bytes per value on disk */
	int header;           /* bytes before the values of each entry (jagged) */
	int stride;           /* bytes per entry of fixed-size entries (leaf lists: the whole list) */
	int leafoff;          /* byte of this leaf in the entry (leaf lists) */
	rleaf *countleaf;     /* jagged: counter leaf */
	const char *objclass; /* class of an OBJECT column */
	char why[256];        /* unsupported reason, "" when readable */
	int pack;             /* Double32_t/Float16_t on disk: 1 float32, 2 packed in [lo, hi] on nbits, 3 truncated
	                         mantissa (3 bytes); 0 plain values */
	double lo, hi;        /* range of pack 2 */
	int nbits;            /* bits of packs 2 and 3 */
	rspan *spans;         /* baskets in entry order */
	size_t nspans;
} rcol;

struct lc_root_tree {
	lc_root *f;
	char *name;
	int64_t entries;
	rbranch **all;        /* every branch allocated (for freeing) */
	size_t nall, capall;
	rleaf **leaves;       /* every leaf allocated */
	size_t nleaves, capleaves;
	rbranch **top;        /* top-level branches */
	size_t ntop, captop;
	rcol *cols;
	size_t ncols, capcols;
	rbranch *cur;         /* branch being parsed, so that embedded baskets find their owner */
	uint8_t *scratch[2];  /* decompression buffers reused from basket to basket (level 1: counter branches) */
	size_t scratchcap[2];
};

/* ---------------------------------------------------------------- growable pointer arrays */

static int push(void ***v, size_t *n, size_t *cap, void *x)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 8;
		void **w = realloc(*v, c * sizeof *w);
		if (!w)
			return LC_ERR_NOMEM;
		*v = w;
		*cap = c;
	}
	(*v)[(*n)++] = x;
	return LC_OK;
}
#define PUSH(arr, n, cap, x) push((void ***)&(arr), &(n), &(cap), (x))

/* ---------------------------------------------------------------- streamed objects */

enum { K_NONE, K_BRANCH, K_LEAF, K_BASKET };

static void *read_any(rbuf *b, lc_root_tree *t, int *kind);

static void read_objarray(rbuf *b, lc_root_tree *t, rbranch *owner, int which)
{
	size_t end;
	rb_version(b, &end);
	rb_tobject(b);
	free(rb_tstring(b));
	int32_t n = rb_i32(b);
	rb_i32(b);
	if (b->rc)
		return;
	if (n < 0 || n > RT_MAX_ARRAY || (size_t)n > (b->n - b->pos) / 4) {
		rb_fail(b, LC_ERR_PARSE, "TObjArray of %d objects cannot fit", n);
		return;
	}
	for (int32_t i = 0; i < n && !b->rc; i++) {
		int kind;
		size_t nemb = owner ? owner->nemb : 0;
		void *o = read_any(b, t, &kind);
		if (owner && owner->nemb > nemb)
			owner->emb[owner->nemb - 1].slot = i;
		if (b->rc || !o || !owner)
			continue;
		int r = LC_OK;
		if (which == K_BRANCH && kind == K_BRANCH)
			r = PUSH(owner->sub, owner->nsub, owner->capsub, o);
		else if (which == K_LEAF && kind == K_LEAF)
			r = PUSH(owner->leaves, owner->nleaves, owner->capleaves, o);
		if (r)
			rb_fail(b, r, "out of memory");
	}
	rb_end(b, end, "TObjArray");
}

static void parse_tbranch(rbuf *b, lc_root_tree *t, rbranch *br)
{
	size_t end;
	int v = rb_version(b, &end);
	br->ver = v;
	if (!b->rc && (v < 10 || !end)) {
		rb_fail(b, LC_ERR_UNSUPPORTED, "unsupported: TBranch version %d (ROOT before 5.x; versions 10-13 are read)", v);
		return;
	}
	rb_tnamed(b, &br->name, &br->title);
	rb_skip_object(b, "TAttFill");
	rb_i32(b);
	rb_i32(b);
	br->entry_offset_len = rb_i32(b);
	br->write_basket = rb_i32(b);
	rb_i64(b);
	if (v >= 13)
		rb_skip_object(b, "TIOFeatures");
	rb_i32(b);
	br->max_baskets = rb_i32(b);
	rb_i32(b);
	br->entries = rb_i64(b);
	if (v >= 11)
		rb_i64(b);
	rb_i64(b);
	rb_i64(b);
	if (b->rc)
		return;
	const char *saved = b->obj;
	read_objarray(b, t, br, K_BRANCH);
	read_objarray(b, t, br, K_LEAF);
	read_objarray(b, t, br, K_BASKET);
	b->obj = saved;
	int32_t m = br->max_baskets;
	if (!b->rc && (m < 0 || m > RT_MAX_ARRAY || (size_t)m > (b->n - b->pos) / 4)) {
		rb_fail(b, LC_ERR_PARSE, "branch '%s': fMaxBaskets %d cannot fit", br->name, m);
		return;
	}
	if (!b->rc && (br->write_basket < 0 || br->write_basket > m)) {
		rb_fail(b, LC_ERR_PARSE, "branch '%s': fWriteBasket %d outside [0, fMaxBaskets %d]", br->name,
			br->write_basket, m);
		return;
	}
	if (b->rc)
		return;
	br->bbytes = calloc(m ? (size_t)m : 1, sizeof *br->bbytes);
	br->bentry = calloc(m ? (size_t)m : 1, sizeof *br->bentry);
	br->bseek = calloc(m ? (size_t)m : 1, sizeof *br->bseek);
	if (!br->bbytes || !br->bentry || !br->bseek) {
		rb_fail(b, LC_ERR_NOMEM, "out of memory");
		return;
	}
	if (rb_u8(b))
		for (int32_t i = 0; i < m; i++)
			br->bbytes[i] = rb_i32(b);
	if (rb_u8(b))
		for (int32_t i = 0; i < m; i++)
			br->bentry[i] = rb_i64(b);
	if (rb_u8(b))
		for (int32_t i = 0; i < m; i++)
			br->bseek[i] = rb_i64(b);
	char *fname = rb_tstring(b);
	if (fname && fname[0])
		br->external = 1;
	free(fname);
	rb_end(b, end, "TBranch");
}

static void parse_leaf(rbuf *b, lc_root_tree *t, rleaf *lf, const char *cls)
{
	size_t end, lend;
	rb_version(b, &end);
	rb_version(b, &lend);
	rb_tnamed(b, &lf->name, &lf->title);
	lf->len = rb_i32(b);
	lf->lentype = rb_i32(b);
	rb_i32(b);
	rb_u8(b);
	lf->isunsigned = rb_u8(b);
	int kind;
	void *c = read_any(b, t, &kind);
	if (c && kind == K_LEAF)
		lf->count = c;
	rb_end(b, lend, "TLeaf");
	if (!strcmp(cls, "TLeafElement")) {
		rb_i32(b);
		lf->el_type = rb_i32(b);
	} else if (!strcmp(cls, "TLeafObject")) {
		lf->virt = rb_u8(b);
	}
	rb_end(b, end, cls);
	if (!b->rc && (lf->len < 0 || lf->len > (1 << 24) || lf->lentype < 0 || lf->lentype > 8))
		rb_fail(b, LC_ERR_PARSE, "leaf '%s': fLen %d, fLenType %d", lf->name, lf->len, lf->lentype);
}

/* An embedded (recovered) basket inside TBranch.fBaskets. */
static void parse_embedded(rbuf *b, rbranch *owner, size_t objend)
{
	rkey k;
	rt_key_parse(b, &k);
	if (b->rc)
		return;
	int ver = rb_u16(b);
	rb_i32(b);
	int32_t nevbufsize = rb_i32(b);
	if (nevbufsize < 0)
		rb_u8(b);
	int32_t nev = rb_i32(b);
	int32_t last = rb_i32(b);
	int flag = rb_u8(b);
	int32_t *off = NULL;
	if (flag >= 80)
		flag -= 80;
	if (!b->rc && (nev < 0 || nev > RT_MAX_ARRAY))
		rb_fail(b, LC_ERR_PARSE, "embedded basket with %d entries", nev);
	if (!b->rc && flag != 0 && flag % 10 != 2 && nev > 0) {
		int32_t n = rb_i32(b);
		if (!b->rc && (n < 0 || (size_t)n > (b->n - b->pos) / 4))
			rb_fail(b, LC_ERR_PARSE, "embedded basket offset table of %d entries", n);
		if (!b->rc && n >= nev) {
			off = malloc(((size_t)nev + 1) * sizeof *off);
			if (!off) {
				rb_fail(b, LC_ERR_NOMEM, "out of memory");
			} else {
				for (int32_t i = 0; i < n; i++) {
					int32_t o = rb_i32(b);
					if (20 < flag && flag < 40)
						o &= 0x00FFFFFF;
					if (i < nev)
						off[i] = o - k.keylen;
				}
			}
		} else {
			rb_skip(b, (size_t)(n > 0 ? n : 0) * 4);
		}
		if (!b->rc && flag > 40) {
			int32_t nd = rb_i32(b);
			if (nd < 0 || (size_t)nd > (b->n - b->pos) / 4)
				rb_fail(b, LC_ERR_PARSE, "embedded basket displacement table of %d entries", nd);
			else
				rb_skip(b, (size_t)nd * 4);
		}
	}
	uint8_t *data = NULL;
	size_t ndata = 0;
	if (!b->rc && (flag == 1 || flag > 10)) {
		if (ver <= 1)
			rb_i32(b);
		if (!b->rc && (last < k.keylen || !rb_need(b, (size_t)last)))
			rb_fail(b, LC_ERR_PARSE, "embedded basket of branch '%s': fLast %d, fKeylen %d", owner->name, last,
				k.keylen);
		if (!b->rc) {
			ndata = (size_t)(last - k.keylen);
			data = malloc(ndata ? ndata : 1);
			if (!data)
				rb_fail(b, LC_ERR_NOMEM, "out of memory");
			else
				memcpy(data, b->p + b->pos + k.keylen, ndata);
			b->pos += (size_t)last;
		}
	}
	rt_key_free(&k);
	if (!b->rc && off) {
		off[nev] = (int32_t)ndata;
		for (int32_t i = 0; i < nev; i++)
			if (off[i] < 0 || off[i] > off[i + 1])
				rb_fail(b, LC_ERR_PARSE, "embedded basket of branch '%s': bad entry offset %d of entry %d",
					owner->name, off[i], i);
	}
	if (!b->rc && objend)
		b->pos = objend;
	if (b->rc || !data) {
		free(off);
		free(data);
		return;
	}
	if (owner->nemb == owner->capemb) {
		size_t c = owner->capemb ? 2 * owner->capemb : 4;
		rembed *e = realloc(owner->emb, c * sizeof *e);
		if (!e) {
			free(off);
			free(data);
			rb_fail(b, LC_ERR_NOMEM, "out of memory");
			return;
		}
		owner->emb = e;
		owner->capemb = c;
	}
	owner->emb[owner->nemb++] = (rembed){nev, data, ndata, off, -1};
}

static void *read_any(rbuf *b, lc_root_tree *t, int *kind)
{
	*kind = K_NONE;
	if (b->rc)
		return NULL;
	if (++b->depth > RT_MAX_DEPTH) {
		rb_fail(b, LC_ERR_UNSUPPORTED, "objects nested deeper than %d", RT_MAX_DEPTH);
		b->depth--;
		return NULL;
	}
	void *obj = NULL;
	size_t beg = b->pos, objend = 0, start = 0;
	uint32_t bcnt = rb_u32(b), tag;
	int vers = 0;
	if (!(bcnt & 0x40000000u) || bcnt == 0xFFFFFFFFu) {
		tag = bcnt;
	} else {
		size_t len = bcnt & ~0x40000000u;
		if (len > b->n - beg - 4) {
			b->pos = beg;
			rb_fail(b, LC_ERR_PARSE, "object byte count %zu runs past the buffer", len);
			goto out;
		}
		objend = beg + 4 + len;
		start = b->pos;
		tag = rb_u32(b);
		vers = 1;
	}
	if (b->rc)
		goto out;
	if (!(tag & 0x80000000u)) {
		if (tag != 0) {
			rref *r = rb_ref_find(b, tag);
			if (r && !r->is_class) {
				obj = r->obj;
				*kind = !r->obj ? K_NONE : !strncmp(r->cls, "TLeaf", 5) ? K_LEAF
					: !strncmp(r->cls, "TBranch", 7) ? K_BRANCH : K_NONE;
			}
		}
		if (objend)
			b->pos = objend;
		goto out;
	}
	const char *cls;
	if (tag == 0xFFFFFFFFu) {
		char *name = rb_cstring(b);
		if (!name)
			goto out;
		rb_ref_add(b, vers ? (int64_t)start + b->origin + 2 : -(int64_t)b->nrefs - 1, 1, name, NULL);
		free(name);
		if (b->rc)
			goto out;
		cls = b->refs[b->nrefs - 1].cls;
	} else {
		rref *r = rb_ref_find(b, tag & ~0x80000000u);
		if (!r || !r->is_class) {
			rb_fail(b, LC_ERR_PARSE, "reference to unknown class tag %u", tag & ~0x80000000u);
			goto out;
		}
		cls = r->cls;
	}
	int64_t self = vers ? (int64_t)beg + b->origin + 2 : -(int64_t)b->nrefs - 1;
	char clsbuf[64];
	str_copy(clsbuf, cls, sizeof clsbuf); /* the table may move while the object registers more refs */
	if (!strcmp(clsbuf, "TBranch") || !strcmp(clsbuf, "TBranchElement") || !strcmp(clsbuf, "TBranchObject")) {
		rbranch *br = calloc(1, sizeof *br);
		if (!br || PUSH(t->all, t->nall, t->capall, br)) {
			free(br);
			rb_fail(b, LC_ERR_NOMEM, "out of memory");
			goto out;
		}
		br->el_id = -1;
		br->cls = strdup(clsbuf);
		if (!br->cls || rb_ref_add(b, self, 0, clsbuf, br))
			goto out;
		rbranch *saved = t->cur;
		t->cur = br;
		if (!strcmp(clsbuf, "TBranch")) {
			parse_tbranch(b, t, br);
		} else {
			size_t end;
			int v = rb_version(b, &end);
			parse_tbranch(b, t, br);
			if (!strcmp(clsbuf, "TBranchObject")) {
				br->obj_class = rb_tstring(b);
			} else {
				br->el_class = rb_tstring(b);
				br->el_parent = rb_tstring(b);
				br->el_clones = rb_tstring(b);
				rb_u32(b);
				br->el_version = v >= 10 ? rb_i16(b) : rb_i32(b);
				br->el_id = rb_i32(b);
				br->el_type = rb_i32(b);
				br->el_stype = rb_i32(b);
				rb_i32(b);
				int k2;
				void *c = read_any(b, t, &k2);
				if (c && k2 == K_BRANCH)
					br->bcount = c;
				read_any(b, t, &k2);
			}
			rb_end(b, end, clsbuf);
		}
		t->cur = saved;
		obj = br;
		*kind = K_BRANCH;
	} else if (!strncmp(clsbuf, "TLeaf", 5)) {
		rleaf *lf = calloc(1, sizeof *lf);
		if (!lf || PUSH(t->leaves, t->nleaves, t->capleaves, lf)) {
			free(lf);
			rb_fail(b, LC_ERR_NOMEM, "out of memory");
			goto out;
		}
		lf->cls = strdup(clsbuf);
		lf->branch = t->cur;
		if (!lf->cls || rb_ref_add(b, self, 0, clsbuf, lf))
			goto out;
		parse_leaf(b, t, lf, clsbuf);
		obj = lf;
		*kind = K_LEAF;
	} else if (!strcmp(clsbuf, "TBasket") && t->cur) {
		if (rb_ref_add(b, self, 0, clsbuf, NULL))
			goto out;
		parse_embedded(b, t->cur, objend);
		*kind = K_BASKET;
	} else {
		if (rb_ref_add(b, self, 0, clsbuf, NULL))
			goto out;
		if (!objend)
			rb_fail(b, LC_ERR_UNSUPPORTED, "unsupported: object of class %s without a byte count", clsbuf);
	}
	if (objend && !b->rc) {
		if (b->pos > objend)
			rb_fail(b, LC_ERR_PARSE, "%s read %zu bytes past its byte count", clsbuf, b->pos - objend);
		else
			b->pos = objend;
	}
out:
	b->depth--;
	return b->rc ? NULL : obj;
}

/* ---------------------------------------------------------------- columns */

static lc_root_type leaf_type(const rleaf *lf, int *itemsize)
{
	const char *c = lf->cls;
	int u = lf->isunsigned;
	*itemsize = 0;
	struct { const char *cls; lc_root_type s, uns; int size; } map[] = {
		{"TLeafO", LC_ROOT_BOOL, LC_ROOT_BOOL, 1}, {"TLeafB", LC_ROOT_I8, LC_ROOT_U8, 1},
		{"TLeafS", LC_ROOT_I16, LC_ROOT_U16, 2},   {"TLeafI", LC_ROOT_I32, LC_ROOT_U32, 4},
		{"TLeafL", LC_ROOT_I64, LC_ROOT_U64, 8},   {"TLeafG", LC_ROOT_I64, LC_ROOT_U64, 8},
		{"TLeafF", LC_ROOT_F32, LC_ROOT_F32, 4},   {"TLeafD", LC_ROOT_F64, LC_ROOT_F64, 8},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(c, map[i].cls)) {
			*itemsize = map[i].size;
			return u ? map[i].uns : map[i].s;
		}
	return LC_ROOT_NONE;
}

/* Type of a basic streamer type code 1..19 (Double32/Float16 without range: float32 on disk). */
static lc_root_type stype_type(int st, int *itemsize)
{
	static const lc_root_type ty[20] = {LC_ROOT_NONE, LC_ROOT_I8, LC_ROOT_I16, LC_ROOT_I32, LC_ROOT_I64,
		LC_ROOT_F32, LC_ROOT_I32, LC_ROOT_NONE, LC_ROOT_F64, LC_ROOT_F32, LC_ROOT_U8, LC_ROOT_U8, LC_ROOT_U16,
		LC_ROOT_U32, LC_ROOT_U64, LC_ROOT_U32, LC_ROOT_I64, LC_ROOT_U64, LC_ROOT_BOOL, LC_ROOT_NONE};
	*itemsize = 0;
	if (st < 1 || st > 19)
		return LC_ROOT_NONE;
	*itemsize = (int)lc_root_type_size(ty[st]);
	return ty[st];
}

static int is_hist_class(const char *c)
{
	return c && ((!strncmp(c, "TH1", 3) && strlen(c) == 4 && strchr("FDISC", c[3])) ||
		     (!strncmp(c, "TH2", 3) && strlen(c) == 4 && strchr("FDISC", c[3])) || !strcmp(c, "TProfile"));
}

/* Element type of "vector<T>" if T is a number type; NONE otherwise. */
/* Length of a sequence-container prefix ("vector<", "std::list<", "set<", ...) at c, 0 if none. These containers
 * of numbers or strings are streamed alike (byte count, version, size, elements) when not split member-wise. */
static size_t seq_prefix(const char *c)
{
	static const char *const k[] = {"vector<", "list<", "deque<", "set<", "multiset<", "unordered_set<",
					"unordered_multiset<"};
	if (!c)
		return 0;
	size_t std = strncmp(c, "std::", 5) ? 0 : 5;
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
		if (!strncmp(c + std, k[i], strlen(k[i])))
			return std + strlen(k[i]);
	return 0;
}

static lc_root_type vector_type(const char *c, int *itemsize)
{
	static const struct { const char *n; lc_root_type t; } m[] = {
		{"bool", LC_ROOT_BOOL}, {"char", LC_ROOT_I8}, {"unsigned char", LC_ROOT_U8}, {"short", LC_ROOT_I16},
		{"unsigned short", LC_ROOT_U16}, {"int", LC_ROOT_I32}, {"unsigned int", LC_ROOT_U32},
		{"long", LC_ROOT_I64}, {"unsigned long", LC_ROOT_U64}, {"Long64_t", LC_ROOT_I64},
		{"ULong64_t", LC_ROOT_U64}, {"long long", LC_ROOT_I64}, {"unsigned long long", LC_ROOT_U64},
		{"float", LC_ROOT_F32}, {"double", LC_ROOT_F64}, {"Int_t", LC_ROOT_I32}, {"Float_t", LC_ROOT_F32},
		{"Double_t", LC_ROOT_F64}, {"UInt_t", LC_ROOT_U32}, {"Short_t", LC_ROOT_I16}, {"Bool_t", LC_ROOT_BOOL},
		{"int8_t", LC_ROOT_I8}, {"uint8_t", LC_ROOT_U8}, {"int16_t", LC_ROOT_I16}, {"uint16_t", LC_ROOT_U16},
		{"int32_t", LC_ROOT_I32}, {"uint32_t", LC_ROOT_U32}, {"int64_t", LC_ROOT_I64}, {"uint64_t", LC_ROOT_U64},
	};
	*itemsize = 0;
	size_t pre = seq_prefix(c);
	if (!pre)
		return LC_ROOT_NONE;
	const char *in = c + pre;
	size_t n = strlen(in);
	while (n && (in[n - 1] == '>' || in[n - 1] == ' '))
		n--;
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (strlen(m[i].n) == n && !memcmp(m[i].n, in, n)) {
			*itemsize = (int)lc_root_type_size(m[i].t);
			return m[i].t;
		}
	return LC_ROOT_NONE;
}

/* "vector<vector<T>>" (T a number) or "vector<string>": the inner type (STRING for strings); NONE otherwise. */
static lc_root_type vector2_type(const char *c, int *itemsize)
{
	*itemsize = 0;
	size_t pre = seq_prefix(c);
	if (!pre)
		return LC_ROOT_NONE;
	const char *in = c + pre;
	static const char *const strs[] = {"std::string", "string", "TString"};
	for (size_t i = 0; i < 3; i++)
		if (!strncmp(in, strs[i], strlen(strs[i]))) {
			const char *r = in + strlen(strs[i]);
			while (*r == ' ')
				r++;
			return !strcmp(r, ">") ? LC_ROOT_STRING : LC_ROOT_NONE;
		}
	if (!seq_prefix(in))
		return LC_ROOT_NONE;
	char buf[128];
	str_copy(buf, in, sizeof buf);
	size_t n = strlen(buf);
	while (n && buf[n - 1] == ' ')
		n--;
	if (!n || buf[n - 1] != '>')
		return LC_ROOT_NONE;
	buf[n - 1] = 0;  /* the outer '>' */
	return vector_type(buf, itemsize);
}

/* Sets c up for Double32_t (d32 = 1) or Float16_t values whose range, if any, is in title. ROOT's rules
 * (TStreamerElement::GetRange, TBufferFile::WriteDouble32/WriteFloat16): [xmin,xmax,n] with xmin < xmax packs the value
 * on n bits; with xmin >= xmax and n < 15 it keeps the exponent and n mantissa bits (3 bytes); otherwise Double32_t is
 * a plain float and Float16_t keeps 12 mantissa bits. */
static void set_packed(rcol *c, int d32, const char *title)
{
	double lo = 0, hi = 0;
	int nbits = 32;
	int ranged = rt_parse_range(title, &lo, &hi, &nbits);
	c->type = d32 ? LC_ROOT_F64 : LC_ROOT_F32;
	if (ranged && lo < hi) {
		c->pack = 2;
		c->itemsize = 4;
		c->lo = lo;
		c->hi = hi;
		c->nbits = nbits;
	} else if ((ranged && nbits < 15) || !d32) {
		c->pack = 3;
		c->itemsize = 3;
		c->nbits = ranged && nbits < 15 ? nbits : 12;
	} else {
		c->pack = 1;
		c->itemsize = 4;
	}
}

/* Decides how column c is read. */
static void interpret(lc_root_tree *tr, rcol *c)
{
	rbranch *br = c->br;
	rleaf *lf = c->leaf;
	c->fixed = 1;
	c->objclass = "";
	if (br->external) {
		snprintf(c->why, sizeof c->why, "unsupported: baskets in another file in branch %s", br->name);
		return;
	}
	if (!strcmp(br->cls, "TBranchObject")) {
		c->objclass = br->obj_class ? br->obj_class : "";
		if (is_hist_class(br->obj_class)) {
			c->type = LC_ROOT_OBJECT;
			c->kind = LC_ROOT_OBJ;
		} else {
			snprintf(c->why, sizeof c->why, "unsupported: object of class %s in branch %s", c->objclass,
				 br->name);
		}
		return;
	}
	if (!strcmp(br->cls, "TBranchElement")) {
		int st = br->el_stype, t = br->el_type, sz;
		c->objclass = br->el_class ? br->el_class : "";
		if (t == 3 || t == 4) {
			c->type = LC_ROOT_I32;
			c->itemsize = 4;
			c->kind = LC_ROOT_SCALAR;
			c->stride = 4;
			return;
		}
		if (br->el_id < 0 && (t == 0 || t == -1) && br->nsub == 0) {
			/* the whole object in this branch */
			const char *k = br->el_class;
			lc_root_type vt;
			if (k && (!strcmp(k, "string") || !strcmp(k, "std::string") || !strcmp(k, "TString"))) {
				c->type = LC_ROOT_STRING;
				c->kind = LC_ROOT_STR;
			} else if ((vt = vector_type(k, &sz)) != LC_ROOT_NONE) {
				c->type = vt;
				c->itemsize = sz;
				c->kind = LC_ROOT_JAGGED;
				c->header = 10;
			} else if ((vt = vector2_type(k, &sz)) != LC_ROOT_NONE) {
				c->type = vt;
				c->itemsize = sz;
				c->kind = LC_ROOT_JAGGED2;
				c->header = 10;
			} else if (is_hist_class(k)) {
				c->type = LC_ROOT_OBJECT;
				c->kind = LC_ROOT_OBJ;
			} else {
				snprintf(c->why, sizeof c->why, "unsupported: object of class %s in branch %s", k ? k : "?",
					 br->name);
			}
			return;
		}
		if (br->nsub > 0 && !(st >= 1 && st < 60)) {
			c->kind = LC_ROOT_NODE;
			return;
		}
		const relem *el = rt_element(tr->f, br->el_class, br->el_version, br->el_id);
		int base = st > 40 && st < 60 ? st - 40 : st > 20 && st < 40 ? st - 20 : st;
		if (base == 9 || base == 19) {
			set_packed(c, base == 9, el ? el->title : NULL);
			if (c->why[0])
				return;
			if (t == 31 || t == 41) {
				c->kind = LC_ROOT_JAGGED;
			} else if (st > 40) {
				c->kind = LC_ROOT_JAGGED;
				c->header = 1;
			} else if (st > 20) {
				c->kind = LC_ROOT_FIXED;
				c->fixed = lf && lf->len > 0 ? lf->len : 1;
				c->stride = c->itemsize * c->fixed;
			} else {
				c->kind = LC_ROOT_SCALAR;
				c->stride = c->itemsize;
			}
			return;
		}
		if ((st == 300 || st == 365 || st == 500) && (t == 0 || t == 1 || t == 2) && el) {
			const char *tn = el->typename ? el->typename : "";
			lc_root_type vt;
			if (!strcmp(tn, "string") || !strcmp(tn, "std::string")) {
				c->type = LC_ROOT_STRING;
				c->kind = LC_ROOT_STR;
				c->header = 6;
				return;
			}
			if ((vt = vector_type(tn, &sz)) != LC_ROOT_NONE) {
				c->type = vt;
				c->itemsize = sz;
				c->kind = LC_ROOT_JAGGED;
				c->header = 10;
				return;
			}
			if ((vt = vector2_type(tn, &sz)) != LC_ROOT_NONE) {
				c->type = vt;
				c->itemsize = sz;
				c->kind = LC_ROOT_JAGGED2;
				c->header = 10;
				return;
			}
			snprintf(c->why, sizeof c->why, "unsupported: member of type %s in branch %s", tn, br->name);
			return;
		}
		if (t == 31 || t == 41) {
			c->type = stype_type(base, &sz);
			if (c->type == LC_ROOT_NONE) {
				snprintf(c->why, sizeof c->why, "unsupported: member of streamer type %d in collection branch %s",
					 st, br->name);
				return;
			}
			c->itemsize = sz;
			c->kind = LC_ROOT_JAGGED;
			return;
		}
		if (st >= 1 && st <= 19) {
			c->type = stype_type(st, &sz);
			c->itemsize = sz;
			c->kind = LC_ROOT_SCALAR;
			c->stride = sz;
			if (c->type == LC_ROOT_NONE)
				snprintf(c->why, sizeof c->why, "unsupported: streamer type %d in branch %s", st, br->name);
			return;
		}
		if (st > 20 && st < 40) {
			c->type = stype_type(st - 20, &sz);
			c->itemsize = sz;
			c->kind = LC_ROOT_FIXED;
			c->fixed = lf && lf->len > 0 ? lf->len : 1;
			c->stride = sz * c->fixed;
			if (c->type == LC_ROOT_NONE)
				snprintf(c->why, sizeof c->why, "unsupported: streamer type %d in branch %s", st, br->name);
			return;
		}
		if (st > 40 && st < 60) {
			c->type = stype_type(st - 40, &sz);
			c->itemsize = sz;
			c->kind = LC_ROOT_JAGGED;
			c->header = 1;
			if (c->type == LC_ROOT_NONE)
				snprintf(c->why, sizeof c->why, "unsupported: streamer type %d in branch %s", st, br->name);
			return;
		}
		if (st == 65) {
			c->type = LC_ROOT_STRING;
			c->kind = LC_ROOT_STR;
			return;
		}
		snprintf(c->why, sizeof c->why, "unsupported: member of streamer type %d (class %s) in branch %s", st,
			 c->objclass, br->name);
		return;
	}
	/* plain TBranch */
	if (!lf) {
		c->kind = LC_ROOT_NODE;
		return;
	}
	if (!strcmp(lf->cls, "TLeafC")) {
		c->type = LC_ROOT_STRING;
		c->kind = LC_ROOT_STR;
		if (br->nleaves > 1)
			snprintf(c->why, sizeof c->why, "unsupported: string in a leaf list in branch %s", br->name);
		return;
	}
	if (!strcmp(lf->cls, "TLeafD32") || !strcmp(lf->cls, "TLeafF16")) {
		if (br->nleaves > 1 || lf->count) {
			snprintf(c->why, sizeof c->why, "unsupported: %s leaf in a leaf list or jagged in branch %s", lf->cls,
				 br->name);
			return;
		}
		set_packed(c, lf->cls[5] == 'D', lf->title);
		c->fixed = lf->len > 0 ? lf->len : 1;
		c->kind = c->fixed > 1 ? LC_ROOT_FIXED : LC_ROOT_SCALAR;
		c->stride = c->itemsize * c->fixed;
		return;
	}
	int sz;
	c->type = leaf_type(lf, &sz);
	if (c->type == LC_ROOT_NONE) {
		snprintf(c->why, sizeof c->why, "unsupported: leaf class %s in branch %s", lf->cls, br->name);
		return;
	}
	c->itemsize = sz;
	if (lf->count) {
		c->kind = LC_ROOT_JAGGED;
		c->countleaf = lf->count;
		if (br->nleaves > 1)
			snprintf(c->why, sizeof c->why, "unsupported: jagged leaf in a leaf list in branch %s", br->name);
		return;
	}
	c->fixed = lf->len > 0 ? lf->len : 1;
	c->kind = c->fixed > 1 ? LC_ROOT_FIXED : LC_ROOT_SCALAR;
	c->stride = 0;
	for (size_t i = 0; i < br->nleaves; i++) {
		rleaf *o = br->leaves[i];
		int s2;
		if (o == lf)
			c->leafoff = c->stride;
		if (leaf_type(o, &s2) == LC_ROOT_NONE || o->count) {
			snprintf(c->why, sizeof c->why, "unsupported: leaf %s of class %s in the leaf list of branch %s",
				 o->name, o->cls, br->name);
			return;
		}
		c->stride += s2 * (o->len > 0 ? o->len : 1);
	}
}

/* Basket spans of a branch in entry order: on-disk baskets i < fWriteBasket with a seek, holding entries
 * [fBasketEntry[i], fBasketEntry[i+1]), and the embedded baskets, whose slot in fBaskets is their basket number. */
static int span_cmp(const void *a, const void *b)
{
	const rspan *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int make_spans(rcol *c)
{
	rbranch *br = c->br;
	size_t n = 0;
	rspan *s = calloc((size_t)br->write_basket + br->nemb + 1, sizeof *s);
	if (!s)
		return LC_ERR_NOMEM;
	for (int32_t i = 0; i < br->write_basket; i++) {
		int64_t last = i + 1 < br->max_baskets ? br->bentry[i + 1] : br->entries;
		if (last <= br->bentry[i])
			last = br->entries;
		if (br->bseek[i])
			s[n++] = (rspan){br->bentry[i], last, i, -1};
	}
	int64_t next = br->write_basket < br->max_baskets ? br->bentry[br->write_basket] : br->entries;
	for (size_t j = 0; j < br->nemb; j++) {
		int slot = br->emb[j].slot;
		int64_t first = slot >= 0 && slot < br->max_baskets && (slot < br->write_basket || slot == 0) ?
			br->bentry[slot] : next;
		s[n++] = (rspan){first, first + br->emb[j].nev, -1, (int)j};
		next = first + br->emb[j].nev;
	}
	qsort(s, n, sizeof *s, span_cmp);
	c->spans = s;
	c->nspans = n;
	return LC_OK;
}

static int add_col(lc_root_tree *t, rbranch *br, rleaf *lf, const char *name)
{
	if (t->ncols == t->capcols) {
		size_t cap = t->capcols ? 2 * t->capcols : 32;
		rcol *c = realloc(t->cols, cap * sizeof *c);
		if (!c)
			return LC_ERR_NOMEM;
		t->cols = c;
		t->capcols = cap;
	}
	rcol *c = &t->cols[t->ncols];
	memset(c, 0, sizeof *c);
	c->br = br;
	c->leaf = lf;
	c->name = strdup(name);
	if (!c->name)
		return LC_ERR_NOMEM;
	t->ncols++;
	interpret(t, c);
	return make_spans(c);
}

static int add_cols(lc_root_tree *t, rbranch *br, int depth)
{
	if (depth > RT_MAX_DEPTH)
		return LC_ERR_UNSUPPORTED;
	br->depth = depth;
	int rc;
	if (br->nleaves > 1 && !strcmp(br->cls, "TBranch")) {
		for (size_t i = 0; i < br->nleaves; i++) {
			char name[1024];
			snprintf(name, sizeof name, "%s/%s", br->name, br->leaves[i]->name);
			if ((rc = add_col(t, br, br->leaves[i], name)))
				return rc;
		}
	} else if ((rc = add_col(t, br, br->nleaves ? br->leaves[0] : NULL, br->name))) {
		return rc;
	}
	for (size_t i = 0; i < br->nsub; i++)
		if ((rc = add_cols(t, br->sub[i], depth + 1)))
			return rc;
	return LC_OK;
}

/* ---------------------------------------------------------------- opening and closing */

void lc_root_tree_close(lc_root_tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nall; i++) {
		rbranch *b = t->all[i];
		free(b->name);
		free(b->title);
		free(b->cls);
		free(b->bbytes);
		free(b->bentry);
		free(b->bseek);
		free(b->sub);
		free(b->leaves);
		for (size_t j = 0; j < b->nemb; j++) {
			free(b->emb[j].data);
			free(b->emb[j].off);
		}
		free(b->emb);
		free(b->el_class);
		free(b->el_parent);
		free(b->el_clones);
		free(b->obj_class);
		free(b);
	}
	for (size_t i = 0; i < t->nleaves; i++) {
		free(t->leaves[i]->name);
		free(t->leaves[i]->title);
		free(t->leaves[i]->cls);
		free(t->leaves[i]);
	}
	for (size_t i = 0; i < t->ncols; i++) {
		free(t->cols[i].name);
		free(t->cols[i].spans);
	}
	free(t->cols);
	free(t->all);
	free(t->leaves);
	free(t->top);
	free(t->name);
	free(t->scratch[0]);
	free(t->scratch[1]);
	free(t);
}

int lc_root_tree_open(lc_root *f, const char *keypath, lc_root_tree **out, lc_error *err)
{
	rkey k;
	int rc = rt_find_key(f, keypath, &k, err);
	if (rc)
		return rc;
	int ntuple = !strcmp(k.classname, "TNtuple") || !strcmp(k.classname, "TNtupleD");
	if (strcmp(k.classname, "TTree") && !ntuple) {
		rc = lc_error_set(err, LC_ERR_INVALID, "%s: key '%s' is a %s, not a TTree", f->path, keypath, k.classname);
		rt_key_free(&k);
		return rc;
	}
	const uint8_t *p;
	uint8_t *owned;
	if ((rc = rt_key_payload(f, &k, &p, &owned, err))) {
		rt_key_free(&k);
		return rc;
	}
	lc_root_tree *t = calloc(1, sizeof *t);
	if (!t || !(t->name = strdup(k.name))) {
		free(t);
		free(owned);
		rt_key_free(&k);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	t->f = f;
	char what[300];
	snprintf(what, sizeof what, "%s '%s'", k.classname, k.name);
	rbuf b;
	rb_init(&b, p, (size_t)k.objlen, k.keylen, owned ? -1 : k.seek + k.keylen, f->path, what, err);
	size_t nend = 0, end;
	if (ntuple)
		rb_version(&b, &nend);
	int v = rb_version(&b, &end);
	if (!b.rc && (v < 16 || !end))
		rb_fail(&b, LC_ERR_UNSUPPORTED, "unsupported: TTree version %d (versions 16-20, ROOT 5.23 and later, are read)", v);
	rb_tnamed(&b, NULL, NULL);
	rb_skip_object(&b, "TAttLine");
	rb_skip_object(&b, "TAttFill");
	rb_skip_object(&b, "TAttMarker");
	t->entries = rb_i64(&b);
	rb_skip(&b, 24);
	if (v >= 18)
		rb_skip(&b, 8);
	rb_skip(&b, 8 + 12);
	if (v >= 17)
		rb_skip(&b, 4);
	int32_t ncr = 0;
	if (v >= 19)
		ncr = rb_i32(&b);
	rb_skip(&b, 32);
	if (v >= 18)
		rb_skip(&b, 8);
	rb_skip(&b, 8);
	if (!b.rc && (ncr < 0 || (size_t)ncr > b.n / 8))
		rb_fail(&b, LC_ERR_PARSE, "%d cluster ranges", ncr);
	if (v >= 19) {
		if (rb_u8(&b))
			rb_skip(&b, (size_t)ncr * 8);
		if (rb_u8(&b))
			rb_skip(&b, (size_t)ncr * 8);
	}
	if (v >= 20)
		rb_skip_object(&b, "TIOFeatures");
	if (!b.rc && t->entries < 0)
		rb_fail(&b, LC_ERR_PARSE, "negative number of entries %lld", (long long)t->entries);
	/* fBranches */
	rbranch holder = {0};
	t->cur = NULL;
	read_objarray(&b, t, &holder, K_BRANCH);
	rb_end(&b, end, "TTree");
	rc = b.rc;
	rb_free_refs(&b);
	free(owned);
	rt_key_free(&k);
	t->top = holder.sub;
	t->ntop = holder.nsub;
	t->captop = holder.capsub;
	for (size_t i = 0; i < t->ntop && !rc; i++)
		if ((rc = add_cols(t, t->top[i], 0)))
			rc = lc_error_set(err, rc, "%s: tree '%s': %s", f->path, t->name,
					  rc == LC_ERR_NOMEM ? "out of memory" : "branches nested too deep");
	if (rc) {
		lc_root_tree_close(t);
		return rc;
	}
	*out = t;
	return LC_OK;
}

int64_t lc_root_tree_entries(const lc_root_tree *t)
{
	return t->entries;
}

size_t lc_root_tree_nbranches(const lc_root_tree *t)
{
	return t->ncols;
}

long lc_root_tree_find(const lc_root_tree *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (!strcmp(t->cols[i].name, name))
			return (long)i;
	return -1;
}

static long col_of_leaf(const lc_root_tree *t, const rleaf *lf)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (t->cols[i].leaf == lf)
			return (long)i;
	return -1;
}

void lc_root_tree_branch(const lc_root_tree *t, size_t i, lc_root_branch_info *o)
{
	const rcol *c = &t->cols[i];
	memset(o, 0, sizeof *o);
	o->name = c->name;
	o->classname = c->br->cls;
	o->leaf = c->leaf ? c->leaf->name : "";
	o->leafclass = c->leaf ? c->leaf->cls : "";
	o->objclass = c->objclass ? c->objclass : "";
	o->type = c->why[0] ? LC_ROOT_NONE : c->type;
	o->kind = c->kind;
	o->fixed = c->fixed;
	o->count = "";
	if (c->countleaf) {
		long j = col_of_leaf(t, c->countleaf);
		o->count = j >= 0 ? t->cols[j].name : c->countleaf->name;
	} else if (c->br->bcount) {
		o->count = c->br->bcount->name;
	}
	o->depth = c->br->depth;
	o->entries = c->br->entries;
	o->nbaskets = (int)c->nspans;
	o->unsupported = c->why;
}

size_t lc_root_type_size(lc_root_type t)
{
	switch (t) {
	case LC_ROOT_BOOL: case LC_ROOT_I8: case LC_ROOT_U8: return 1;
	case LC_ROOT_I16: case LC_ROOT_U16: return 2;
	case LC_ROOT_I32: case LC_ROOT_U32: case LC_ROOT_F32: return 4;
	case LC_ROOT_I64: case LC_ROOT_U64: case LC_ROOT_F64: return 8;
	default: return 0;
	}
}

const char *lc_root_type_name(lc_root_type t)
{
	static const char *const n[] = {"none", "bool", "int8", "uint8", "int16", "uint16", "int32", "uint32",
		"int64", "uint64", "float32", "float64", "string", "object"};
	return (unsigned)t < sizeof n / sizeof n[0] ? n[t] : "none";
}

/* ---------------------------------------------------------------- baskets */

/* A loaded basket: data bytes, entry count and offsets (nev+1, or NULL). */
typedef struct rbasket {
	const uint8_t *data;
	size_t n;
	int32_t nev;
	int32_t *off;        /* owned unless from an embedded basket */
	int own_off;
	int64_t fileoff;     /* file offset of the basket key */
	int32_t keylen;
} rbasket;

static void basket_free(rbasket *k)
{
	if (k->own_off)
		free(k->off);
	memset(k, 0, sizeof *k);
}

static int load_basket(lc_root_tree *t, const rcol *c, const rspan *s, int level, rbasket *out, lc_error *err)
{
	lc_root *f = t->f;
	const rbranch *br = c->br;
	memset(out, 0, sizeof *out);
	if (s->emb >= 0) {
		const rembed *e = &br->emb[s->emb];
		out->data = e->data;
		out->n = e->ndata;
		out->nev = e->nev;
		out->off = e->off;
		out->fileoff = -1;
		return LC_OK;
	}
	int64_t seek = br->bseek[s->idx];
	f->baskets_read++;
	rkey k;
	int rc = rt_key_read(f, seek, &k, err);
	if (rc)
		return rc;
	rbuf b;
	char what[512];
	snprintf(what, sizeof what, "basket %d of branch '%s' (key at %lld)", s->idx, br->name, (long long)seek);
	rb_init(&b, f->data + seek, f->size - (size_t)seek, 0, seek, f->path, what, err);
	rkey k2;
	rt_key_parse(&b, &k2);
	rt_key_free(&k2);
	rb_u16(&b);
	rb_i32(&b);
	int32_t nevbufsize = rb_i32(&b);
	if (nevbufsize < 0)
		rb_u8(&b);
	int32_t nev = rb_i32(&b);
	int32_t last = rb_i32(&b);
	rb_u8(&b);
	if (!b.rc && strcmp(k.classname, "TBasket"))
		rb_fail(&b, LC_ERR_PARSE, "expected a TBasket key, found class '%s'", k.classname);
	if (!b.rc && k.seek != seek)
		rb_fail(&b, LC_ERR_PARSE, "basket key says it is at %lld", (long long)k.seek);
	if (!b.rc && (nev < 0 || nev > RT_MAX_ARRAY || last < k.keylen || last - k.keylen > k.objlen))
		rb_fail(&b, LC_ERR_PARSE, "basket header: %d entries, fLast %d, fKeylen %d, fObjlen %d", nev, last,
			k.keylen, k.objlen);
	if (!b.rc && (int64_t)nev < s->last - s->first && s->last - s->first <= br->entries)
		rb_fail(&b, LC_ERR_PARSE, "basket holds %d entries, fBasketEntry says %lld", nev,
			(long long)(s->last - s->first));
	if (b.rc) {
		rt_key_free(&k);
		return b.rc;
	}
	/* the payload: a view of the file when stored raw, else decompressed into the reused scratch buffer */
	const uint8_t *p;
	uint8_t *owned = NULL;
	int64_t start = seek + k.keylen, disk = (int64_t)k.nbytes - k.keylen;
	if (disk < 0 || (uint64_t)start > f->size || (uint64_t)disk > f->size - (size_t)start) {
		rc = rb_fail(&b, LC_ERR_PARSE, "basket of %lld bytes runs past the end of the file", (long long)disk);
		rt_key_free(&k);
		return rc;
	}
	if ((size_t)k.objlen > f->max_object) {
		rc = rb_fail(&b, LC_ERR_UNSUPPORTED, "basket of %d bytes exceeds the limit of %zu bytes", k.objlen,
			     f->max_object);
		rt_key_free(&k);
		return rc;
	}
	if (disk == k.objlen) {
		p = f->data + start;
	} else {
		if (t->scratchcap[level] < (size_t)k.objlen) {
			size_t cap = (size_t)k.objlen + (size_t)k.objlen / 4;
			uint8_t *w = realloc(t->scratch[level], cap);
			if (!w) {
				rt_key_free(&k);
				return lc_error_set(err, LC_ERR_NOMEM, "out of memory for a basket of %d bytes", k.objlen);
			}
			t->scratch[level] = w;
			t->scratchcap[level] = cap;
		}
		rc = rt_unzip(f->data + start, (size_t)disk, t->scratch[level], (size_t)k.objlen, f->path, what, start, err);
		if (rc) {
			rt_key_free(&k);
			return rc;
		}
		p = t->scratch[level];
		owned = t->scratch[level]; /* not freed: marks a decompressed payload for messages */
	}
	size_t border = (size_t)(last - k.keylen);
	out->data = p;
	out->n = border;
	out->nev = nev;
	out->fileoff = seek;
	out->keylen = k.keylen;
	if (border + 4 <= (size_t)k.objlen) {
		rb_init(&b, p, (size_t)k.objlen, 0, owned ? -1 : seek + k.keylen, f->path, what, err);
		b.pos = border;
		int32_t n = rb_i32(&b);
		if (!b.rc && (n < nev || (size_t)n > (b.n - b.pos) / 4))
			rb_fail(&b, LC_ERR_PARSE, "entry offset table of %d for %d entries", n, nev);
		if (!b.rc) {
			out->off = malloc(((size_t)nev + 1) * sizeof *out->off);
			out->own_off = 1;
			if (!out->off)
				rb_fail(&b, LC_ERR_NOMEM, "out of memory");
		}
		const uint8_t *q = b.p + b.pos; /* n >= nev values fit (checked above) */
		for (int32_t i = 0; i < nev && !b.rc; i++, q += 4) {
			int32_t o = (int32_t)((uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3]) - k.keylen;
			if (o < 0 || (size_t)o > border || (i && o < out->off[i - 1])) {
				b.pos += (size_t)i * 4;
				rb_fail(&b, LC_ERR_PARSE, "entry %d offset %d outside the basket data (%zu bytes)", i, o, border);
			} else {
				out->off[i] = o;
			}
		}
		if (!b.rc)
			out->off[nev] = (int32_t)border;
		if (b.rc) {
			rt_key_free(&k);
			basket_free(out);
			return b.rc;
		}
	}
	rt_key_free(&k);
	return LC_OK;
}

/* ---------------------------------------------------------------- decoding */

typedef struct obuf {
	uint8_t *v;
	size_t n, cap;       /* bytes */
	int64_t *off;
	size_t noff, capoff;
	int64_t *in;         /* inner list offsets (JAGGED2) */
	size_t nin, capin;
} obuf;

static int ob_reserve(obuf *o, size_t add)
{
	if (o->v && o->n + add <= o->cap)
		return 0;
	size_t c = o->cap ? o->cap : 4096;
	while (c < o->n + add)
		c *= 2;
	uint8_t *v = realloc(o->v, c);
	if (!v)
		return -1;
	o->v = v;
	o->cap = c;
	return 0;
}

static int ob_off(obuf *o, int64_t x)
{
	if (o->noff == o->capoff) {
		size_t c = o->capoff ? 2 * o->capoff : 1024;
		int64_t *w = realloc(o->off, c * sizeof *w);
		if (!w)
			return -1;
		o->off = w;
		o->capoff = c;
	}
	o->off[o->noff++] = x;
	return 0;
}

static int ob_in(obuf *o, int64_t x)
{
	if (o->nin == o->capin) {
		size_t c = o->capin ? 2 * o->capin : 1024;
		int64_t *w = realloc(o->in, c * sizeof *w);
		if (!w)
			return -1;
		o->in = w;
		o->capin = c;
	}
	o->in[o->nin++] = x;
	return 0;
}

/* Appends k big-endian values of size sz from src, in native order (bool normalised to 0/1). */
static void put_values(obuf *o, const uint8_t *src, size_t k, int sz, lc_root_type ty)
{
	if (k == 0)
		return;
	uint8_t *d = o->v + o->n;
	switch (sz) {
	case 1:
		if (ty == LC_ROOT_BOOL)
			for (size_t i = 0; i < k; i++)
				d[i] = src[i] != 0;
		else
			memcpy(d, src, k);
		break;
	case 2:
		for (size_t i = 0; i < k; i++) {
			uint16_t u = (uint16_t)(src[2 * i] << 8 | src[2 * i + 1]);
			memcpy(d + 2 * i, &u, 2);
		}
		break;
	case 4:
		for (size_t i = 0; i < k; i++) {
			uint32_t u;
			memcpy(&u, src + 4 * i, 4);
			u = __builtin_bswap32(u);
			memcpy(d + 4 * i, &u, 4);
		}
		break;
	default:
		for (size_t i = 0; i < k; i++) {
			uint64_t u;
			memcpy(&u, src + 8 * i, 8);
			u = __builtin_bswap64(u);
			memcpy(d + 8 * i, &u, 8);
		}
		break;
	}
	o->n += k * (size_t)sz;
}

static uint32_t be32(const uint8_t *q)
{
	return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
}

/* Appends k Double32_t/Float16_t values of column c from src, as float64/float32. */
static void put_packed(obuf *o, const rcol *c, const uint8_t *src, size_t k)
{
	uint8_t *d = o->v + o->n;
	double scale = (c->hi - c->lo) / ldexp(1.0, c->nbits);
	for (size_t i = 0; i < k; i++) {
		double x;
		if (c->pack == 1) {
			uint32_t u = be32(src + 4 * i);
			float f;
			memcpy(&f, &u, 4);
			x = f;
		} else if (c->pack == 2 && c->type == LC_ROOT_F32) {
			x = (float)c->lo + (float)be32(src + 4 * i) * (float)scale; /* Float16_t: float arithmetic */
		} else if (c->pack == 2) {
			x = c->lo + (double)be32(src + 4 * i) * scale;
		} else {
			const uint8_t *q = src + 3 * i;
			uint32_t m = (uint32_t)q[1] << 8 | q[2];
			uint32_t bits = (uint32_t)q[0] << 23 | (m & ((1u << (c->nbits + 1)) - 1)) << (23 - c->nbits);
			if (m & (1u << (c->nbits + 1)))
				bits |= 0x80000000u;
			float f;
			memcpy(&f, &bits, 4);
			x = f;
		}
		if (c->type == LC_ROOT_F32) {
			float f = (float)x;
			memcpy(d + 4 * i, &f, 4);
		} else {
			memcpy(d + 8 * i, &x, 8);
		}
	}
	o->n += k * lc_root_type_size(c->type);
}

/* Appends k values of column c from src. */
static void put(obuf *o, const rcol *c, const uint8_t *src, size_t k)
{
	if (c->pack)
		put_packed(o, c, src, k);
	else
		put_values(o, src, k, c->itemsize, c->type);
}

static int dfail(lc_root_tree *t, const rcol *c, const rbasket *k, int idx, int64_t entry, lc_error *err,
		 const char *what)
{
	return lc_error_set(err, LC_ERR_PARSE, "%s: branch '%s': basket %d%s%lld: entry %lld: %s", t->f->path, c->name,
			    idx, k->fileoff >= 0 ? " (key at file offset " : " (embedded", (long long)(k->fileoff >= 0 ? k->fileoff : 0),
			    (long long)entry, what);
}

static int read_col(lc_root_tree *t, size_t ci, int64_t first, int64_t last, int level, lc_root_array *out,
		    lc_error *err);

/* Offsets of a jagged basket without an offset table, rebuilt from its counter column. */
static int rebuild_offsets(lc_root_tree *t, const rcol *c, const rspan *s, rbasket *k, lc_error *err)
{
	long cc = c->countleaf ? col_of_leaf(t, c->countleaf) : -1;
	if (cc < 0 || t->cols[cc].kind != LC_ROOT_SCALAR || t->cols[cc].why[0])
		return lc_error_set(err, LC_ERR_UNSUPPORTED,
				    "%s: unsupported: branch '%s' has no entry offsets and no counter branch", t->f->path,
				    c->name);
	lc_root_array a;
	int rc = read_col(t, (size_t)cc, s->first, s->first + k->nev, 1, &a, err);
	if (rc)
		return rc;
	int32_t *off = malloc(((size_t)k->nev + 1) * sizeof *off);
	if (!off) {
		lc_root_array_free(&a);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	int64_t pos = 0;
	int per = c->leaf && c->leaf->len > 1 ? c->leaf->len : 1;
	for (int32_t i = 0; i < k->nev; i++) {
		int64_t n = 0;
		if ((int64_t)i < a.nentries) {
			size_t sz = lc_root_type_size(a.type);
			const uint8_t *v = (const uint8_t *)a.values + (size_t)i * sz;
			if (sz == 4) { int32_t x; memcpy(&x, v, 4); n = x; }
			else if (sz == 2) { int16_t x; memcpy(&x, v, 2); n = x; }
			else if (sz == 8) { int64_t x; memcpy(&x, v, 8); n = x; }
			else n = (int8_t)v[0];
		}
		off[i] = (int32_t)pos;
		pos += c->header + n * per * c->itemsize;
		if (n < 0 || pos > (int64_t)k->n) {
			free(off);
			lc_root_array_free(&a);
			return lc_error_set(err, LC_ERR_PARSE, "%s: branch '%s': counter values exceed the basket data", t->f->path,
					    c->name);
		}
	}
	off[k->nev] = (int32_t)pos;
	lc_root_array_free(&a);
	if (k->own_off)
		free(k->off);
	k->off = off;
	k->own_off = 1;
	return LC_OK;
}

/* Decodes entries [a, b) of basket k (entry numbers relative to the basket) into o. */
static int decode(lc_root_tree *t, const rcol *c, const rspan *s, rbasket *k, int64_t a, int64_t b, obuf *o,
		  lc_error *err)
{
	if (c->kind == LC_ROOT_SCALAR || c->kind == LC_ROOT_FIXED) {
		size_t per = (size_t)c->fixed, outsize = lc_root_type_size(c->type);
		if (ob_reserve(o, (size_t)(b - a) * per * outsize))
			return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		if (!k->off && (size_t)c->stride * (size_t)k->nev > k->n)
			return dfail(t, c, k, s->idx, s->first, err, "basket too short for its entries");
		if (!k->off && !c->pack && c->leafoff == 0 && (size_t)c->stride == per * (size_t)c->itemsize) {
			/* contiguous fixed-size entries: one conversion for the whole range */
			put_values(o, k->data + (size_t)a * (size_t)c->stride, (size_t)(b - a) * per, c->itemsize, c->type);
			return LC_OK;
		}
		for (int64_t e = a; e < b; e++) {
			size_t st = k->off ? (size_t)k->off[e] : (size_t)e * (size_t)c->stride;
			size_t en = k->off ? (size_t)k->off[e + 1] : st + (size_t)c->stride;
			if (st + (size_t)c->leafoff + per * (size_t)c->itemsize > en || en > k->n)
				return dfail(t, c, k, s->idx, s->first + e, err, "entry shorter than its values");
			put(o, c, k->data + st + c->leafoff, per);
		}
		return LC_OK;
	}
	if (c->kind == LC_ROOT_JAGGED || c->kind == LC_ROOT_OBJ) {
		if (!k->off) {
			if (c->kind == LC_ROOT_OBJ)
				return dfail(t, c, k, s->idx, s->first, err, "object basket without entry offsets");
			int rc = rebuild_offsets(t, c, s, k, err);
			if (rc)
				return rc;
		}
		if (c->kind == LC_ROOT_JAGGED && c->header == 0 && !c->pack && b > a) {
			/* entries without headers are back to back: convert the whole range at once */
			size_t st = (size_t)k->off[a], en = (size_t)k->off[b], isz = (size_t)c->itemsize;
			if (en > k->n || st > en)
				return dfail(t, c, k, s->idx, s->first + a, err, "entries outside the basket");
			int sh = __builtin_ctz((unsigned)isz); /* value sizes are 1, 2, 4 or 8: shifts, not divisions */
			int64_t base = (int64_t)(o->n >> sh);
			if (o->noff + (size_t)(b - a) > o->capoff) {
				size_t cap = o->capoff ? o->capoff : 1024;
				while (cap < o->noff + (size_t)(b - a))
					cap *= 2;
				int64_t *w = realloc(o->off, cap * sizeof *w);
				if (!w)
					return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
				o->off = w;
				o->capoff = cap;
			}
			int64_t *dst = o->off + o->noff;
			for (int64_t e = a; e < b; e++) {
				size_t rel = (size_t)k->off[e + 1] - st;
				if ((size_t)(k->off[e + 1] - k->off[e]) & (isz - 1))
					return dfail(t, c, k, s->idx, s->first + e, err,
						     "entry size is not a multiple of the value size");
				*dst++ = base + (int64_t)(rel >> sh);
			}
			o->noff += (size_t)(b - a);
			if (ob_reserve(o, en - st))
				return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			put_values(o, k->data + st, (en - st) / isz, c->itemsize, c->type);
			return LC_OK;
		}
		for (int64_t e = a; e < b; e++) {
			size_t st = (size_t)k->off[e], en = (size_t)k->off[e + 1];
			if (en > k->n || st > en)
				return dfail(t, c, k, s->idx, s->first + e, err, "entry outside the basket");
			if (c->kind == LC_ROOT_OBJ) {
				if (ob_reserve(o, en - st))
					return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
				memcpy(o->v + o->n, k->data + st, en - st);
				o->n += en - st;
			} else {
				size_t len = en - st;
				if (len < (size_t)c->header && len > 0)
					return dfail(t, c, k, s->idx, s->first + e, err, "entry shorter than its header");
				len = len ? len - (size_t)c->header : 0;
				if (len % (size_t)c->itemsize)
					return dfail(t, c, k, s->idx, s->first + e, err, "entry size is not a multiple of the value size");
				size_t nv = len / (size_t)c->itemsize;
				if (c->header == 10 && en - st >= 10) {
					const uint8_t *h = k->data + st + 6;
					uint32_t cnt = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
					if (cnt != nv)
						return dfail(t, c, k, s->idx, s->first + e, err, "vector size disagrees with the entry size");
				}
				if (ob_reserve(o, nv * lc_root_type_size(c->type)))
					return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
				put(o, c, k->data + st + (en > st ? (size_t)c->header : 0), nv);
			}
			if (ob_off(o, (int64_t)(o->n / (c->kind == LC_ROOT_OBJ ? 1 : lc_root_type_size(c->type)))))
				return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		}
		return LC_OK;
	}
	if (c->kind == LC_ROOT_JAGGED2) {
		if (!k->off)
			return dfail(t, c, k, s->idx, s->first, err, "basket of lists without entry offsets");
		for (int64_t e = a; e < b; e++) {
			size_t st = (size_t)k->off[e], en = (size_t)k->off[e + 1];
			if (en > k->n || st > en)
				return dfail(t, c, k, s->idx, s->first + e, err, "entry outside the basket");
			if (en > st) {
				if (en - st < 10)
					return dfail(t, c, k, s->idx, s->first + e, err, "entry shorter than its header");
				const uint8_t *q = k->data + st;
				uint32_t nl = be32(q + 6);
				size_t pos = st + 10;
				if (nl > en - pos)
					return dfail(t, c, k, s->idx, s->first + e, err, "list count larger than the entry");
				for (uint32_t j = 0; j < nl; j++) {
					size_t m, h;
					if (c->type == LC_ROOT_STRING) {
						if (pos >= en)
							return dfail(t, c, k, s->idx, s->first + e, err, "truncated string");
						m = k->data[pos];
						h = 1;
						if (m == 255) {
							if (en - pos < 5)
								return dfail(t, c, k, s->idx, s->first + e, err, "truncated string");
							m = be32(k->data + pos + 1);
							h = 5;
						}
						if (m > en - pos - h)
							return dfail(t, c, k, s->idx, s->first + e, err, "string runs past its entry");
						if (ob_reserve(o, m))
							return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
						memcpy(o->v + o->n, k->data + pos + h, m);
						o->n += m;
						pos += h + m;
						if (ob_in(o, (int64_t)o->n))
							return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
					} else {
						if (en - pos < 4)
							return dfail(t, c, k, s->idx, s->first + e, err, "truncated inner list");
						m = be32(k->data + pos);
						pos += 4;
						if (m > (en - pos) / (size_t)c->itemsize)
							return dfail(t, c, k, s->idx, s->first + e, err, "inner list runs past its entry");
						if (ob_reserve(o, m * (size_t)c->itemsize))
							return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
						put_values(o, k->data + pos, m, c->itemsize, c->type);
						pos += m * (size_t)c->itemsize;
						if (ob_in(o, (int64_t)(o->n / (size_t)c->itemsize)))
							return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
					}
				}
				if (pos != en)
					return dfail(t, c, k, s->idx, s->first + e, err, "entry longer than its lists");
			}
			if (ob_off(o, (int64_t)o->nin - 1))
				return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		}
		return LC_OK;
	}
	if (c->kind == LC_ROOT_STR) {
		size_t pos = 0;
		/* without offsets, walk the entries from the start of the basket */
		for (int64_t e = 0; e < b; e++) {
			size_t st = k->off ? (size_t)k->off[e] : pos;
			size_t en = k->off ? (size_t)k->off[e + 1] : k->n;
			if (st > en || en > k->n)
				return dfail(t, c, k, s->idx, s->first + e, err, "entry outside the basket");
			if (k->off && e < a)
				continue;
			size_t n = 0, h = 0;
			if (en > st && c->header) {
				if (en - st < (size_t)c->header + 1)
					return dfail(t, c, k, s->idx, s->first + e, err, "entry shorter than its header");
				st += (size_t)c->header;
			}
			if (en > st) {
				n = k->data[st];
				h = 1;
				if (n == 255) {
					if (en - st < 5)
						return dfail(t, c, k, s->idx, s->first + e, err, "truncated string length");
					const uint8_t *q = k->data + st + 1;
					n = (size_t)q[0] << 24 | (size_t)q[1] << 16 | (size_t)q[2] << 8 | q[3];
					h = 5;
				}
				if (n > en - st - h)
					return dfail(t, c, k, s->idx, s->first + e, err, "string runs past its entry");
			}
			pos = st + h + n;
			if (e < a)
				continue;
			if (ob_reserve(o, n) || (memcpy(o->v + o->n, k->data + st + h, n), o->n += n, ob_off(o, (int64_t)o->n)))
				return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		}
		return LC_OK;
	}
	return lc_error_set(err, LC_ERR_UNSUPPORTED, "%s: unsupported: branch '%s' holds no data of its own", t->f->path,
			    c->name);
}

static int read_col(lc_root_tree *t, size_t ci, int64_t first, int64_t last, int level, lc_root_array *out,
		    lc_error *err)
{
	const rcol *c = &t->cols[ci];
	memset(out, 0, sizeof *out);
	if (c->why[0])
		return lc_error_set(err, LC_ERR_UNSUPPORTED, "%s: tree '%s': %s", t->f->path, t->name, c->why);
	if (c->kind == LC_ROOT_NODE)
		return lc_error_set(err, LC_ERR_UNSUPPORTED,
				    "%s: tree '%s': unsupported: branch %s has no data of its own (read its sub-branches)",
				    t->f->path, t->name, c->name);
	int64_t n = c->br->entries; /* a branch may hold more entries than its tree says (uproot reads them too) */
	if (first < 0)
		first = 0;
	if (last > n)
		last = n;
	if (last < first)
		last = first;
	obuf o = {0};
	int jag = c->kind != LC_ROOT_SCALAR && c->kind != LC_ROOT_FIXED;
	int rc = LC_OK;
	if (jag && ob_off(&o, 0))
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	if (c->kind == LC_ROOT_JAGGED2 && ob_in(&o, 0))
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	/* fixed-size values: reserve the exact size up front, within reason (fEntries comes from the file) */
	if (!jag && c->itemsize && (uint64_t)(last - first) * (uint64_t)c->fixed <= ((uint64_t)1 << 23) &&
	    ob_reserve(&o, (size_t)(last - first) * (size_t)c->fixed * lc_root_type_size(c->type)))
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	int64_t done = first;
	for (size_t i = 0; i < c->nspans && !rc && done < last; i++) {
		const rspan *s = &c->spans[i];
		if (s->last <= done || s->first >= last)
			continue;
		if (s->first > done) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s: branch '%s': no basket holds entry %lld", t->f->path, c->name,
					  (long long)done);
			break;
		}
		rbasket k;
		if ((rc = load_basket(t, c, s, level, &k, err)))
			break;
		int64_t a = done - s->first, b = (last < s->last ? last : s->last) - s->first;
		if (b > k.nev) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s: branch '%s': basket %d holds %d entries, %lld expected",
					  t->f->path, c->name, s->idx, k.nev, (long long)b);
		} else {
			if (jag && c->kind != LC_ROOT_STR && ob_reserve(&o, k.n))
				rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			if (!rc)
				rc = decode(t, c, s, &k, a, b, &o, err);
			done = s->first + b;
		}
		basket_free(&k);
	}
	if (!rc && done < last)
		rc = lc_error_set(err, LC_ERR_PARSE, "%s: branch '%s': no basket holds entry %lld", t->f->path, c->name,
				  (long long)done);
	if (rc) {
		free(o.v);
		free(o.off);
		free(o.in);
		return rc;
	}
	out->type = c->type;
	out->inner = o.in;
	out->first = first;
	out->nentries = last - first;
	out->values = o.v ? o.v : malloc(1);
	out->offsets = jag ? o.off : NULL;
	out->fixed = c->fixed;
	size_t sz = lc_root_type_size(c->type);
	out->nvalues = sz ? o.n / sz : o.n;
	if (!out->values) {
		free(o.off);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	return LC_OK;
}

int lc_root_branch_read(lc_root_tree *t, size_t i, int64_t first, int64_t last, lc_root_array *out, lc_error *err)
{
	if (i >= t->ncols)
		return lc_error_set(err, LC_ERR_INVALID, "tree '%s' has no column %zu", t->name, i);
	return read_col(t, i, first, last, 0, out, err);
}

void lc_root_array_free(lc_root_array *a)
{
	if (!a)
		return;
	free(a->values);
	free(a->offsets);
	free(a->inner);
	memset(a, 0, sizeof *a);
}

int lc_root_array_hist(lc_root_tree *t, size_t i, const lc_root_array *a, int64_t e, lc_root_hist **out,
		       lc_error *err)
{
	if (i >= t->ncols)
		return lc_error_set(err, LC_ERR_INVALID, "tree '%s' has no column %zu", t->name, i);
	const rcol *c = &t->cols[i];
	if (c->kind != LC_ROOT_OBJ || c->why[0] || a->type != LC_ROOT_OBJECT || !a->offsets)
		return lc_error_set(err, LC_ERR_INVALID, "%s: branch '%s' does not hold histograms", t->f->path, c->name);
	if (e < 0 || e >= a->nentries)
		return lc_error_set(err, LC_ERR_INVALID, "%s: branch '%s': entry %lld not in the array", t->f->path,
				    c->name, (long long)(a->first + e));
	char what[512];
	snprintf(what, sizeof what, "entry %lld of branch '%s'", (long long)(a->first + e), c->name);
	rbuf b;
	rb_init(&b, (const uint8_t *)a->values + a->offsets[e], (size_t)(a->offsets[e + 1] - a->offsets[e]), 0, -1,
		t->f->path, what, err);
	const char *cls = c->objclass;
	char name[64];
	if (c->leaf && c->leaf->virt) {
		size_t n = rb_u8(&b);
		if (rb_need(&b, n + 1)) {
			size_t m = n < sizeof name - 1 ? n : sizeof name - 1;
			memcpy(name, b.p + b.pos, m);
			name[m] = 0;
			cls = name;
			b.pos += n + 1;
		}
	}
	int rc = b.rc ? b.rc : rt_hist_decode(&b, cls, out);
	rb_free_refs(&b);
	return rc;
}

int lc_root_branch_hist(lc_root_tree *t, size_t i, int64_t entry, lc_root_hist **out, lc_error *err)
{
	if (i >= t->ncols)
		return lc_error_set(err, LC_ERR_INVALID, "tree '%s' has no column %zu", t->name, i);
	lc_root_array a;
	int rc = read_col(t, i, entry, entry + 1, 0, &a, err);
	if (rc)
		return rc;
	if (a.nentries != 1)
		rc = lc_error_set(err, LC_ERR_INVALID, "%s: branch '%s' has no entry %lld", t->f->path, t->cols[i].name,
				  (long long)entry);
	else
		rc = lc_root_array_hist(t, i, &a, 0, out, err);
	lc_root_array_free(&a);
	return rc;
}

const char *lc_root_tree_name(const lc_root_tree *t)
{
	return t->name;
}
