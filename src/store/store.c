/* store.c — the SQLite store: one file holding MEs with their binning, per-LS histograms (all cells, as little-endian
 * int32 or float64 blobs), runs and LS, label sources and labels, models and scores. Schema: docs/store.md. */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct lc_store {
	sqlite3 *db;          /* connection */
	char *path;           /* file name, for messages */
	int in_tx;            /* 1 inside lc_store_begin .. commit/rollback */
	sqlite3_stmt *put_hist;  /* cached: insert or replace a histogram */
	sqlite3_stmt *put_run;   /* cached: insert or ignore a run */
	sqlite3_stmt *put_ls;    /* cached: insert or ignore an LS */
	sqlite3_stmt *put_score; /* cached: insert or replace a score */
	sqlite3_stmt *put_label; /* cached: insert or replace a label */
	int64_t last_me_id;      /* cache of the last ME seen by lc_store_put_hist ... */
	lc_me_info last_me;      /* ... and its binning */
	int64_t last_run;        /* run last inserted by put_ls in this transaction (0: none), so a run's rows skip it */
	unsigned char *blob;     /* reused buffer for the cell blob of lc_store_put_hist (bound SQLITE_STATIC) */
	size_t blobcap;          /* bytes allocated in blob */
	int busy_ms;             /* how long a write waits for another process's transaction (busy timeout) */
};

static const char *schema_sql =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
	"CREATE TABLE me(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, metype INTEGER NOT NULL, dim INTEGER NOT NULL,"
	" nx INTEGER NOT NULL, ny INTEGER NOT NULL, xmin REAL NOT NULL, xmax REAL NOT NULL, ymin REAL NOT NULL,"
	" ymax REAL NOT NULL, has_flow INTEGER NOT NULL);\n"
	"CREATE TABLE run(run INTEGER PRIMARY KEY, recorded_lumi REAL);\n"
	"CREATE TABLE ls(run INTEGER NOT NULL REFERENCES run(run), ls INTEGER NOT NULL, PRIMARY KEY(run, ls)) WITHOUT ROWID;\n"
	"CREATE TABLE hist(me_id INTEGER NOT NULL REFERENCES me(id), run INTEGER NOT NULL, ls INTEGER NOT NULL,"
	" entries REAL NOT NULL, has_flow INTEGER NOT NULL, cells BLOB NOT NULL, PRIMARY KEY(me_id, run, ls));\n"
	"CREATE TABLE label_source(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, origin TEXT NOT NULL,"
	" created TEXT NOT NULL);\n"
	"CREATE TABLE label(source_id INTEGER NOT NULL REFERENCES label_source(id), run INTEGER NOT NULL,"
	" ls INTEGER NOT NULL, good INTEGER NOT NULL CHECK(good IN (0, 1)), PRIMARY KEY(source_id, run, ls)) WITHOUT ROWID;\n"
	"CREATE TABLE model(id INTEGER PRIMARY KEY, path TEXT NOT NULL, created TEXT NOT NULL, header TEXT NOT NULL);\n"
	"CREATE TABLE score(model_id INTEGER NOT NULL REFERENCES model(id), run INTEGER NOT NULL, ls INTEGER NOT NULL,"
	" score REAL, PRIMARY KEY(model_id, run, ls)) WITHOUT ROWID;\n";

/* SQLITE_BUSY after the busy timeout: another process held the store's write lock all that time. Says so plainly,
 * since "database is locked" alone does not tell a user that waiting (or the other job ending) is the remedy. */
static int busy_err(lc_store *st, lc_error *err)
{
	return lc_error_set(err, LC_ERR_STORE,
			    "%s: store busy: another process held its write lock for %.3g s (database is locked); "
			    "retry when it has finished, or set LUMICERT_BUSY_TIMEOUT_MS to wait longer",
			    st->path, st->busy_ms / 1000.0);
}

static int sql_err(lc_store *st, lc_error *err, const char *what)
{
	if ((sqlite3_errcode(st->db) & 0xff) == SQLITE_BUSY)
		return busy_err(st, err);
	return lc_error_set(err, LC_ERR_STORE, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

static int exec(lc_store *st, const char *sql, lc_error *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		if ((rc & 0xff) == SQLITE_BUSY)
			busy_err(st, err);
		else
			lc_error_set(err, LC_ERR_STORE, "%s: %s", st->path, msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return LC_ERR_STORE;
	}
	return LC_OK;
}

static int prepare(lc_store *st, const char *sql, sqlite3_stmt **stmt, lc_error *err)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK)
		return sql_err(st, err, "prepare");
	return LC_OK;
}

/* Returns the schema version stored in meta, 0 if the file has no tables yet, -1 if it is not a lumicert store. */
static int schema_version(lc_store *st)
{
	sqlite3_stmt *s = NULL;
	int v = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_master", -1, &s, NULL) != SQLITE_OK)
		return -1;
	int ntables = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	if (ntables <= 0)
		return ntables;
	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &s, NULL) != SQLITE_OK)
		return -1;
	v = sqlite3_step(s) == SQLITE_ROW ? atoi((const char *)sqlite3_column_text(s, 0)) : -1;
	sqlite3_finalize(s);
	return v;
}

static int store_open(const char *path, int create, lc_store **out, lc_error *err);

/* A new store is built under a temporary name and linked into place, so that a store at path always has its schema
 * and journal mode: two commands creating one store at the same moment found each other's half-made file (one
 * failed, and its clean-up removed the store under the other). link() fails if path appeared meanwhile: then the
 * other process's store is used. */
int lc_store_open(const char *path, int create, lc_store **out, lc_error *err)
{
	*out = NULL;
	if (create && access(path, F_OK) != 0 && errno == ENOENT) {
		size_t n = strlen(path) + 40;
		char *tmp = malloc(n), *side = malloc(n + 8);
		if (!tmp || !side) {
			free(tmp);
			free(side);
			return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		}
		snprintf(tmp, n, "%s.new.%ld", path, (long)getpid());
		lc_store *t = NULL;
		int rc = store_open(tmp, 1, &t, err);
		lc_store_close(t);
		if (!rc && link(tmp, path) != 0 && errno != EEXIST)
			rc = lc_error_set(err, LC_ERR_IO, "%s: cannot create store: %s", path, strerror(errno));
		remove(tmp);
		snprintf(side, n + 8, "%s-wal", tmp);
		remove(side);
		snprintf(side, n + 8, "%s-shm", tmp);
		remove(side);
		free(tmp);
		free(side);
		if (rc)
			return rc;
	}
	return store_open(path, create, out, err);
}

static int store_open(const char *path, int create, lc_store **out, lc_error *err)
{
	lc_store *st = calloc(1, sizeof *st);
	if (!st || !(st->path = strdup(path))) {
		free(st);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	/* NOMUTEX: a store handle is used by one thread at a time (lumicert.h), so SQLite's per-call connection mutex
	 * is not needed (it was a tenth of an import's time) */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	int rc = LC_OK;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		rc = lc_error_set(err, create ? LC_ERR_IO : LC_ERR_NOTFOUND, "%s: cannot open store: %s", path,
				  st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	/* a writer waits this long for another process's transaction; LUMICERT_BUSY_TIMEOUT_MS overrides (batch jobs that
	 * queue on one store may want more, tests less) */
	st->busy_ms = 30000;
	const char *bt = getenv("LUMICERT_BUSY_TIMEOUT_MS");
	if (bt && *bt) {
		char *end;
		long ms = strtol(bt, &end, 10);
		if (*end || ms < 0 || ms > 86400000L) {
			rc = lc_error_set(err, LC_ERR_INVALID, "LUMICERT_BUSY_TIMEOUT_MS='%s': expected milliseconds in "
					  "[0, 86400000]", bt);
			goto fail;
		}
		st->busy_ms = (int)ms;
	}
	sqlite3_busy_timeout(st->db, st->busy_ms);
	int v = schema_version(st);
	if (v < 0) {
		rc = lc_error_set(err, LC_ERR_VERSION, "%s: not a lumicert store (%s)", path, sqlite3_errmsg(st->db));
		goto fail;
	}
	/* A new store gets SQLite's largest pages, set before its first page is written (the size is fixed from then on):
	 * an import writes 16x fewer WAL frames and B-tree pages than with 4 kB (37 MB CSV: 0.52 -> 0.40 s mean, the
	 * rest unchanged), and a scan of one ME's histograms reads a quarter faster. */
	if (v == 0 && (rc = exec(st, "PRAGMA page_size=65536;", err)))
		goto fail;
	/* The page cache is the largest part of a command's memory, and it fills as the store grows: 16 MiB keeps peak
	 * memory flat in the number of LS (128 MiB gave 104 -> 142 MB peak importing 2*10^5 -> 10^6 LS, 16 MiB 26 MB for
	 * both) at the same CPU time and the same bytes written (bench/memory.sh, docs/reliability.md). */
	if ((rc = exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
			   "PRAGMA cache_size=-16384;", err)))
		goto fail;
	if (v == 0) {
		char sql[128];
		snprintf(sql, sizeof sql, "INSERT INTO meta VALUES('schema_version', '%d');", LC_STORE_SCHEMA_VERSION);
		if ((rc = exec(st, "BEGIN IMMEDIATE", err)))
			goto fail;
		/* another process may have created the schema since we looked: check again under the write lock */
		v = schema_version(st);
		if (v == 0 && ((rc = exec(st, schema_sql, err)) || (rc = exec(st, sql, err)))) {
			exec(st, "ROLLBACK", NULL);
			goto fail;
		}
		if ((rc = exec(st, "COMMIT", err)))
			goto fail;
	}
	if (v < 0) {
		rc = lc_error_set(err, LC_ERR_VERSION, "%s: not a lumicert store (%s)", path, sqlite3_errmsg(st->db));
		goto fail;
	}
	if (v != 0 && v != LC_STORE_SCHEMA_VERSION) {
		rc = lc_error_set(err, LC_ERR_VERSION, "%s: store schema version %d, this lumicert reads version %d", path, v,
				  LC_STORE_SCHEMA_VERSION);
		goto fail;
	}
	*out = st;
	return LC_OK;
fail:
	lc_store_close(st);
	return rc;
}

void lc_store_close(lc_store *st)
{
	if (!st)
		return;
	if (st->in_tx)
		lc_store_rollback(st);
	free(st->blob);
	sqlite3_finalize(st->put_hist);
	sqlite3_finalize(st->put_run);
	sqlite3_finalize(st->put_ls);
	sqlite3_finalize(st->put_score);
	sqlite3_finalize(st->put_label);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int lc_store_begin(lc_store *st, lc_error *err)
{
	int rc = exec(st, "BEGIN IMMEDIATE", err);
	if (rc == LC_OK)
		st->in_tx = 1;
	st->last_me_id = 0;
	st->last_run = 0;
	return rc;
}

int lc_store_commit(lc_store *st, lc_error *err)
{
	int rc = exec(st, "COMMIT", err);
	if (rc == LC_OK)
		st->in_tx = 0;
	st->last_run = 0;
	return rc;
}

void lc_store_rollback(lc_store *st)
{
	exec(st, "ROLLBACK", NULL);
	st->in_tx = 0;
	st->last_me_id = 0;
	st->last_run = 0;
}

static void me_from_row(sqlite3_stmt *s, lc_me_info *m)
{
	memset(m, 0, sizeof *m);
	m->id = sqlite3_column_int64(s, 0);
	str_copy(m->name, (const char *)sqlite3_column_text(s, 1), sizeof m->name);
	m->metype = sqlite3_column_int(s, 2);
	m->dim = sqlite3_column_int(s, 3);
	m->nx = sqlite3_column_int(s, 4);
	m->ny = sqlite3_column_int(s, 5);
	m->xmin = sqlite3_column_double(s, 6);
	m->xmax = sqlite3_column_double(s, 7);
	m->ymin = sqlite3_column_double(s, 8);
	m->ymax = sqlite3_column_double(s, 9);
	m->has_flow = sqlite3_column_int(s, 10);
	m->n_ls = sqlite3_column_int64(s, 11);
}

#define ME_COLS "me.id, me.name, me.metype, me.dim, me.nx, me.ny, me.xmin, me.xmax, me.ymin, me.ymax, me.has_flow, " \
		"(SELECT count(*) FROM hist WHERE hist.me_id = me.id)"

static int same_binning(const lc_me_info *m, const lc_hist *h)
{
	return m->dim == h->dim && m->nx == h->nx && m->ny == h->ny && m->xmin == h->xmin && m->xmax == h->xmax &&
	       (h->dim == 1 || (m->ymin == h->ymin && m->ymax == h->ymax));
}

/* Finds or creates the ME of h and checks its binning; sets *id. */
static int me_for_hist(lc_store *st, const lc_hist *h, int64_t *id, lc_error *err)
{
	if (st->last_me_id && strcmp(st->last_me.name, h->me) == 0) {
		if (!same_binning(&st->last_me, h))
			goto binning;
		*id = st->last_me_id;
		return LC_OK;
	}
	lc_me_info m;
	int rc = lc_store_me(st, h->me, &m, NULL);
	if (rc == LC_ERR_NOTFOUND) {
		sqlite3_stmt *s;
		if ((rc = prepare(st, "INSERT INTO me(name, metype, dim, nx, ny, xmin, xmax, ymin, ymax, has_flow) "
				      "VALUES(?,?,?,?,?,?,?,?,?,?)", &s, err)))
			return rc;
		sqlite3_bind_text(s, 1, h->me, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(s, 2, h->metype);
		sqlite3_bind_int(s, 3, h->dim);
		sqlite3_bind_int(s, 4, h->nx);
		sqlite3_bind_int(s, 5, h->ny);
		sqlite3_bind_double(s, 6, h->xmin);
		sqlite3_bind_double(s, 7, h->xmax);
		sqlite3_bind_double(s, 8, h->dim == 2 ? h->ymin : 0);
		sqlite3_bind_double(s, 9, h->dim == 2 ? h->ymax : 1);
		sqlite3_bind_int(s, 10, h->has_flow);
		rc = sqlite3_step(s) == SQLITE_DONE ? LC_OK : sql_err(st, err, "insert ME");
		sqlite3_finalize(s);
		if (rc)
			return rc;
		if ((rc = lc_store_me(st, h->me, &m, err)))
			return rc;
	} else if (rc) {
		return lc_store_me(st, h->me, &m, err);
	}
	if (!same_binning(&m, h)) {
		st->last_me = m;
		goto binning;
	}
	if (m.has_flow && !h->has_flow) {
		/* one LS without flow cells makes the ME's flow cells unreliable: say so in the ME */
		char sql[96];
		snprintf(sql, sizeof sql, "UPDATE me SET has_flow = 0 WHERE id = %lld", (long long)m.id);
		if ((rc = exec(st, sql, err)))
			return rc;
		m.has_flow = 0;
	}
	st->last_me = m;
	st->last_me_id = m.id;
	*id = m.id;
	return LC_OK;
binning:
	return lc_error_set(err, LC_ERR_INVALID,
			    "ME '%s' run %lld LS %lld: binning %dD %dx%d on [%g, %g]x[%g, %g] differs from the stored "
			    "%dD %dx%d on [%g, %g]x[%g, %g]; an ME's binning must not change (import it under another name)",
			    h->me, (long long)h->run, (long long)h->ls, h->dim, h->nx, h->ny, h->xmin, h->xmax, h->ymin,
			    h->ymax, st->last_me.dim, st->last_me.nx, st->last_me.ny, st->last_me.xmin, st->last_me.xmax,
			    st->last_me.ymin, st->last_me.ymax);
}

/* Cells are stored little-endian whatever the host: as int32 when every cell is an integer in int32 range (counts,
 * the common case: half the bytes, so imports write half as much), as IEEE 754 float64 otherwise. The blob's size
 * tells which: 4 or 8 bytes per cell. */
static int host_le(void)
{
	const uint32_t one = 1;
	unsigned char b;
	memcpy(&b, &one, 1);
	return b == 1;
}

/* Writes v (n cells) as little-endian int32 into dst (4n bytes) and returns 1 when every cell is an integer in int32
 * range and not -0; returns 0 (dst then holds garbage) otherwise. One pass without early exit, checking and converting
 * together, so the compiler can vectorise it: this runs for every cell imported. */
static int put_le_int32(unsigned char *dst, const double *v, size_t n)
{
	int le = host_le(), ok = 1;
	for (size_t i = 0; i < n; i++) {
		double x = v[i];
		int in = x >= -2147483648.0 && x <= 2147483647.0;
		int32_t k = in ? (int32_t)x : 0;
		ok &= in & ((double)k == x) & !(k == 0 && signbit(x));
		uint32_t u = (uint32_t)k;
		if (le) {
			memcpy(dst + 4 * i, &u, 4);
		} else {
			dst[4 * i] = (unsigned char)u;
			dst[4 * i + 1] = (unsigned char)(u >> 8);
			dst[4 * i + 2] = (unsigned char)(u >> 16);
			dst[4 * i + 3] = (unsigned char)(u >> 24);
		}
	}
	return ok;
}

static void get_le_int32(double *v, const unsigned char *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u = (uint32_t)src[4 * i] | (uint32_t)src[4 * i + 1] << 8 | (uint32_t)src[4 * i + 2] << 16 |
			     (uint32_t)src[4 * i + 3] << 24;
		v[i] = (double)(int32_t)u;
	}
}

static void put_le_doubles(unsigned char *dst, const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t u;
		memcpy(&u, &v[i], 8);
		for (int b = 0; b < 8; b++)
			dst[8 * i + (size_t)b] = (unsigned char)(u >> (8 * b));
	}
}

static void get_le_doubles(double *v, const unsigned char *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t u = 0;
		for (int b = 0; b < 8; b++)
			u |= (uint64_t)src[8 * i + (size_t)b] << (8 * b);
		memcpy(&v[i], &u, 8);
	}
}

static int put_ls(lc_store *st, int64_t run, int64_t ls, lc_error *err)
{
	int rc;
	if (!st->put_run && (rc = prepare(st, "INSERT OR IGNORE INTO run(run) VALUES(?1)", &st->put_run, err)))
		return rc;
	if (!st->put_ls && (rc = prepare(st, "INSERT OR IGNORE INTO ls(run, ls) VALUES(?1, ?2)", &st->put_ls, err)))
		return rc;
	if (run != st->last_run) {
		sqlite3_bind_int64(st->put_run, 1, run);
		rc = sqlite3_step(st->put_run) == SQLITE_DONE ? LC_OK : sql_err(st, err, "insert run");
		sqlite3_reset(st->put_run);
		if (rc)
			return rc;
		/* only inside a transaction: a rollback would otherwise leave the cache naming a run that is gone */
		st->last_run = st->in_tx ? run : 0;
	}
	sqlite3_bind_int64(st->put_ls, 1, run);
	sqlite3_bind_int64(st->put_ls, 2, ls);
	rc = sqlite3_step(st->put_ls) == SQLITE_DONE ? LC_OK : sql_err(st, err, "insert LS");
	sqlite3_reset(st->put_ls);
	return rc;
}

int lc_store_put_hist(lc_store *st, const lc_hist *h, lc_error *err)
{
	if (h->dim != 1 && h->dim != 2)
		return lc_error_set(err, LC_ERR_INVALID, "ME '%s': dimension %d (expected 1 or 2)", h->me, h->dim);
	if (h->run <= 0 || h->ls <= 0)
		return lc_error_set(err, LC_ERR_INVALID, "ME '%s': run %lld LS %lld (both must be positive)", h->me,
				    (long long)h->run, (long long)h->ls);
	int64_t me_id;
	int rc = me_for_hist(st, h, &me_id, err);
	if (rc)
		return rc;
	if ((rc = put_ls(st, h->run, h->ls, err)))
		return rc;
	/* An upsert rather than INSERT OR REPLACE: REPLACE may delete and insert in one statement, so SQLite keeps a
	 * statement journal of every page it touches (with 64 kB pages it spilled to a temporary file: 250,000 writes
	 * per 62,000 rows); the upsert updates in place and needs none. Same result: one row per (me_id, run, ls). */
	if (!st->put_hist &&
	    (rc = prepare(st, "INSERT INTO hist(me_id, run, ls, entries, has_flow, cells) VALUES(?,?,?,?,?,?) "
			      "ON CONFLICT(me_id, run, ls) DO UPDATE SET entries = excluded.entries, "
			      "has_flow = excluded.has_flow, cells = excluded.cells",
			  &st->put_hist, err)))
		return rc;
	size_t n = lc_hist_ncells(h->dim, h->nx, h->ny);
	if (n * 8 > st->blobcap) {
		unsigned char *nb = realloc(st->blob, n * 8);
		if (!nb)
			return lc_error_set(err, LC_ERR_NOMEM, "out of memory (%zu cells)", n);
		st->blob = nb;
		st->blobcap = n * 8;
	}
	unsigned char *blob = st->blob;
	size_t bytes = n * 4;
	if (!put_le_int32(blob, h->cells, n)) {
		bytes = n * 8;
		put_le_doubles(blob, h->cells, n);
	}
	sqlite3_stmt *s = st->put_hist;
	sqlite3_bind_int64(s, 1, me_id);
	sqlite3_bind_int64(s, 2, h->run);
	sqlite3_bind_int64(s, 3, h->ls);
	sqlite3_bind_double(s, 4, h->entries);
	sqlite3_bind_int(s, 5, h->has_flow);
	/* SQLITE_STATIC: SQLite copies the blob into the record during the step; the binding is cleared before
	 * st->blob can change */
	sqlite3_bind_blob64(s, 6, blob, bytes, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? LC_OK : sql_err(st, err, "insert histogram");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

int lc_store_me(lc_store *st, const char *name, lc_me_info *out, lc_error *err)
{
	sqlite3_stmt *s;
	int rc = prepare(st, "SELECT " ME_COLS " FROM me WHERE name = ?", &s, err);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		me_from_row(s, out);
		sqlite3_finalize(s);
		return LC_OK;
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE)
		return sql_err(st, err, "look up ME");
	/* not found: list what there is, so a typo is easy to fix */
	sbuf b = {0};
	if (prepare(st, "SELECT name FROM me ORDER BY name LIMIT 20", &s, NULL) == LC_OK) {
		while (sqlite3_step(s) == SQLITE_ROW)
			sb_printf(&b, "%s'%s'", b.len ? ", " : "", (const char *)sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	}
	lc_error_set(err, LC_ERR_NOTFOUND, "%s: no ME named '%s' (the store has %s)", st->path, name,
		     b.len ? b.s : "no MEs");
	sb_free(&b);
	return LC_ERR_NOTFOUND;
}

int lc_store_me_list(lc_store *st, lc_me_info **out, size_t *n, lc_error *err)
{
	sqlite3_stmt *s;
	int rc = prepare(st, "SELECT " ME_COLS " FROM me ORDER BY name", &s, err);
	if (rc)
		return rc;
	lc_me_info *v = NULL;
	size_t k = 0, cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? 2 * cap : 8;
			lc_me_info *nv = realloc(v, cap * sizeof *v);
			if (!nv) {
				free(v);
				sqlite3_finalize(s);
				return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			}
			v = nv;
		}
		me_from_row(s, &v[k++]);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return sql_err(st, err, "list MEs");
	}
	*out = v;
	*n = k;
	return LC_OK;
}

static void hist_from_row(sqlite3_stmt *s, const lc_me_info *m, lc_hist *h)
{
	memset(h, 0, sizeof *h);
	h->run = sqlite3_column_int64(s, 0);
	h->ls = sqlite3_column_int64(s, 1);
	h->entries = sqlite3_column_double(s, 2);
	h->has_flow = sqlite3_column_int(s, 3);
	h->me = m->name;
	h->metype = m->metype;
	h->dim = m->dim;
	h->nx = m->nx;
	h->ny = m->ny;
	h->xmin = m->xmin;
	h->xmax = m->xmax;
	h->ymin = m->ymin;
	h->ymax = m->ymax;
}

/* Decodes the blob of column 4 into cells (n values); LC_ERR_STORE if its size is wrong. */
static int row_cells(lc_store *st, sqlite3_stmt *s, double *cells, size_t n, const lc_hist *h, lc_error *err)
{
	const void *blob = sqlite3_column_blob(s, 4);
	size_t bytes = (size_t)sqlite3_column_bytes(s, 4);
	if (bytes == n * 4)
		get_le_int32(cells, blob, n);
	else if (bytes == n * 8)
		get_le_doubles(cells, blob, n);
	else
		return lc_error_set(err, LC_ERR_STORE, "%s: ME '%s' run %lld LS %lld: %zu bytes of cells, expected %zu or %zu",
				    st->path, h->me, (long long)h->run, (long long)h->ls, bytes, n * 4, n * 8);
	return LC_OK;
}

/* Orders run ranges by their first run (qsort). */
static int range_cmp(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

int lc_store_each_hist(lc_store *st, const char *me, const lc_runlist *runs, lc_store_hist_fn fn, void *ctx,
		       lc_error *err)
{
	lc_me_info m;
	int rc = lc_store_me(st, me, &m, err);
	if (rc)
		return rc;
	/* the run ranges, sorted and merged, are looked up through the (me_id, run, ls) key one after the other, so a
	 * command on a few runs reads those runs only (time and page cache independent of the rest of the store) */
	size_t nr = runs ? runs->n : 1;
	int64_t *rg = malloc(2 * (nr ? nr : 1) * sizeof *rg);
	size_t n = lc_hist_ncells(m.dim, m.nx, m.ny);
	double *cells = malloc(n * sizeof *cells);
	if (!cells || !rg) {
		free(cells);
		free(rg);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	if (!runs) {
		rg[0] = INT64_MIN;
		rg[1] = INT64_MAX;
	} else {
		for (size_t i = 0; i < nr; i++) {
			rg[2 * i] = runs->lo[i];
			rg[2 * i + 1] = runs->hi[i];
		}
		qsort(rg, nr, 2 * sizeof *rg, range_cmp);
		size_t k = 0;
		for (size_t i = 0; i < nr; i++) {
			if (k && rg[2 * i] <= rg[2 * k - 1]) {
				if (rg[2 * i + 1] > rg[2 * k - 1])
					rg[2 * k - 1] = rg[2 * i + 1];
			} else {
				rg[2 * k] = rg[2 * i];
				rg[2 * k + 1] = rg[2 * i + 1];
				k++;
			}
		}
		nr = k;
	}
	sqlite3_stmt *s;
	if ((rc = prepare(st, "SELECT run, ls, entries, has_flow, cells FROM hist WHERE me_id = ? AND run BETWEEN ? AND ? "
			      "ORDER BY run, ls", &s, err))) {
		free(cells);
		free(rg);
		return rc;
	}
	/* one read transaction around the range queries, so that they all see one snapshot of the store even while
	 * another process commits an import (inside a write transaction of ours they already do) */
	int snapshot = !st->in_tx && nr > 1 && exec(st, "BEGIN", NULL) == LC_OK;
	for (size_t r = 0; !rc && r < nr; r++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, m.id);
		sqlite3_bind_int64(s, 2, rg[2 * r]);
		sqlite3_bind_int64(s, 3, rg[2 * r + 1]);
		int step;
		while ((step = sqlite3_step(s)) == SQLITE_ROW) {
			lc_hist h;
			hist_from_row(s, &m, &h);
			if ((rc = row_cells(st, s, cells, n, &h, err)))
				break;
			h.cells = cells;
			if ((rc = fn(ctx, &h, err)))
				break;
		}
		if (rc == LC_OK && step != SQLITE_DONE)
			rc = sql_err(st, err, "read histograms");
	}
	sqlite3_finalize(s);
	if (snapshot)
		exec(st, "COMMIT", NULL);
	free(cells);
	free(rg);
	return rc;
}

int lc_store_get_hist(lc_store *st, const char *me, int64_t run, int64_t ls, lc_hist *h, double **cells,
		      lc_error *err)
{
	lc_me_info m;
	int rc = lc_store_me(st, me, &m, err);
	if (rc)
		return rc;
	sqlite3_stmt *s;
	if ((rc = prepare(st, "SELECT run, ls, entries, has_flow, cells FROM hist WHERE me_id = ? AND run = ? AND ls = ?",
			  &s, err)))
		return rc;
	sqlite3_bind_int64(s, 1, m.id);
	sqlite3_bind_int64(s, 2, run);
	sqlite3_bind_int64(s, 3, ls);
	int step = sqlite3_step(s);
	if (step != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (step == SQLITE_DONE)
			return lc_error_set(err, LC_ERR_NOTFOUND, "%s: ME '%s' has no histogram for run %lld LS %lld",
					    st->path, me, (long long)run, (long long)ls);
		return sql_err(st, err, "read histogram");
	}
	size_t n = lc_hist_ncells(m.dim, m.nx, m.ny);
	double *c = malloc(n * sizeof *c);
	lc_hist tmp;
	hist_from_row(s, &m, &tmp);
	tmp.me = me; /* the caller's string outlives *h, unlike m */
	if (!c) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	} else if ((rc = row_cells(st, s, c, n, &tmp, err)) == LC_OK) {
		tmp.cells = c;
		*h = tmp;
		*cells = c;
		c = NULL;
	}
	free(c);
	sqlite3_finalize(s);
	return rc;
}

static int source_id(lc_store *st, const char *source, const char *origin, int create, int64_t *id, lc_error *err)
{
	sqlite3_stmt *s;
	int rc = prepare(st, "SELECT id FROM label_source WHERE name = ?", &s, err);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, source, -1, SQLITE_TRANSIENT);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (step == SQLITE_ROW)
		return LC_OK;
	if (step != SQLITE_DONE)
		return sql_err(st, err, "look up label source");
	if (!create) {
		sbuf b = {0};
		if (prepare(st, "SELECT name FROM label_source ORDER BY name", &s, NULL) == LC_OK) {
			while (sqlite3_step(s) == SQLITE_ROW)
				sb_printf(&b, "%s'%s'", b.len ? ", " : "", (const char *)sqlite3_column_text(s, 0));
			sqlite3_finalize(s);
		}
		lc_error_set(err, LC_ERR_NOTFOUND, "%s: no label source named '%s' (the store has %s)", st->path, source,
			     b.len ? b.s : "none");
		sb_free(&b);
		return LC_ERR_NOTFOUND;
	}
	char now[32];
	utc_now(now, sizeof now);
	if ((rc = prepare(st, "INSERT INTO label_source(name, origin, created) VALUES(?, ?, ?)", &s, err)))
		return rc;
	sqlite3_bind_text(s, 1, source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, origin ? origin : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s) == SQLITE_DONE ? LC_OK : sql_err(st, err, "insert label source");
	sqlite3_finalize(s);
	if (rc == LC_OK)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int lc_store_put_label(lc_store *st, const char *source, const char *origin, int64_t run, int64_t ls, int good,
		       lc_error *err)
{
	int64_t id;
	int rc = source_id(st, source, origin, 1, &id, err);
	if (rc)
		return rc;
	if (!st->put_label &&
	    (rc = prepare(st, "INSERT OR REPLACE INTO label(source_id, run, ls, good) VALUES(?,?,?,?)", &st->put_label,
			  err)))
		return rc;
	sqlite3_bind_int64(st->put_label, 1, id);
	sqlite3_bind_int64(st->put_label, 2, run);
	sqlite3_bind_int64(st->put_label, 3, ls);
	sqlite3_bind_int(st->put_label, 4, good ? 1 : 0);
	rc = sqlite3_step(st->put_label) == SQLITE_DONE ? LC_OK : sql_err(st, err, "insert label");
	sqlite3_reset(st->put_label);
	return rc;
}

int lc_store_labels(lc_store *st, const char *source, lc_lsset **good, lc_lsset **bad, lc_error *err)
{
	int64_t id;
	int rc = source_id(st, source, NULL, 0, &id, err);
	if (rc)
		return rc;
	sqlite3_stmt *s;
	if ((rc = prepare(st, "SELECT run, ls, good FROM label WHERE source_id = ? ORDER BY run, ls", &s, err)))
		return rc;
	sqlite3_bind_int64(s, 1, id);
	lc_lsset *g = lc_lsset_new(), *b = lc_lsset_new();
	int step;
	rc = g && b ? LC_OK : lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	while (rc == LC_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		lc_lsset *t = sqlite3_column_int(s, 2) ? g : b;
		if (lc_lsset_add(t, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1)))
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	if (rc == LC_OK && step != SQLITE_DONE)
		rc = sql_err(st, err, "read labels");
	sqlite3_finalize(s);
	if (rc) {
		lc_lsset_free(g);
		lc_lsset_free(b);
		return rc;
	}
	lc_lsset_finish(g);
	lc_lsset_finish(b);
	if (good)
		*good = g;
	else
		lc_lsset_free(g);
	if (bad)
		*bad = b;
	else
		lc_lsset_free(b);
	return LC_OK;
}

int lc_store_all_ls(lc_store *st, lc_lsset **out, lc_error *err)
{
	sqlite3_stmt *s;
	int rc = prepare(st, "SELECT run, ls FROM ls ORDER BY run, ls", &s, err);
	if (rc)
		return rc;
	lc_lsset *v = lc_lsset_new();
	int step;
	rc = v ? LC_OK : lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	while (rc == LC_OK && (step = sqlite3_step(s)) == SQLITE_ROW)
		if (lc_lsset_add(v, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1)))
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	if (rc == LC_OK && step != SQLITE_DONE)
		rc = sql_err(st, err, "read LS");
	sqlite3_finalize(s);
	if (rc) {
		lc_lsset_free(v);
		return rc;
	}
	lc_lsset_finish(v);
	*out = v;
	return LC_OK;
}

int lc_store_put_model(lc_store *st, const char *path, const char *header_json, int64_t *id, lc_error *err)
{
	sqlite3_stmt *s;
	int rc = prepare(st, "SELECT id FROM model WHERE header = ?", &s, err);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, header_json, -1, SQLITE_TRANSIENT);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (step == SQLITE_ROW)
		return LC_OK;
	char now[32];
	utc_now(now, sizeof now);
	if ((rc = prepare(st, "INSERT INTO model(path, created, header) VALUES(?, ?, ?)", &s, err)))
		return rc;
	sqlite3_bind_text(s, 1, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, header_json, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s) == SQLITE_DONE ? LC_OK : sql_err(st, err, "insert model");
	sqlite3_finalize(s);
	if (rc == LC_OK)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int lc_store_label_sources(lc_store *st, lc_label_source **out, size_t *n, lc_error *err)
{
	sqlite3_stmt *s;
	int rc = prepare(st, "SELECT name, origin, created, (SELECT count(*) FROM label WHERE source_id = id AND good = 1),"
			     " (SELECT count(*) FROM label WHERE source_id = id AND good = 0) FROM label_source ORDER BY name",
			 &s, err);
	if (rc)
		return rc;
	lc_label_source *v = NULL;
	size_t k = 0, cap = 0;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? 2 * cap : 8;
			lc_label_source *nv = realloc(v, cap * sizeof *v);
			if (!nv) {
				free(v);
				sqlite3_finalize(s);
				return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			}
			v = nv;
		}
		lc_label_source *e = &v[k++];
		str_copy(e->name, (const char *)sqlite3_column_text(s, 0), sizeof e->name);
		str_copy(e->origin, (const char *)sqlite3_column_text(s, 1), sizeof e->origin);
		str_copy(e->created, (const char *)sqlite3_column_text(s, 2), sizeof e->created);
		e->n_good = sqlite3_column_int64(s, 3);
		e->n_bad = sqlite3_column_int64(s, 4);
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE) {
		free(v);
		return sql_err(st, err, "list label sources");
	}
	*out = v;
	*n = k;
	return LC_OK;
}

int lc_store_summarize(lc_store *st, lc_store_summary *out, lc_error *err)
{
	sqlite3_stmt *s;
	int rc = prepare(st, "SELECT (SELECT count(*) FROM me), (SELECT count(*) FROM run), (SELECT count(*) FROM ls),"
			     " (SELECT count(*) FROM hist), (SELECT count(*) FROM label), (SELECT count(*) FROM model),"
			     " (SELECT count(*) FROM score), (SELECT ifnull(min(run), 0) FROM run),"
			     " (SELECT ifnull(max(run), 0) FROM run)",
			 &s, err);
	if (rc)
		return rc;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return sql_err(st, err, "summarize");
	}
	int64_t *f[] = {&out->n_me, &out->n_runs, &out->n_ls, &out->n_hist, &out->n_labels, &out->n_models,
			&out->n_scores, &out->run_lo, &out->run_hi};
	for (int i = 0; i < 9; i++)
		*f[i] = sqlite3_column_int64(s, i);
	sqlite3_finalize(s);
	return LC_OK;
}

int lc_store_put_score(lc_store *st, int64_t model_id, int64_t run, int64_t ls, int evaluable, double score,
		       lc_error *err)
{
	int rc;
	if (!st->put_score &&
	    (rc = prepare(st, "INSERT OR REPLACE INTO score(model_id, run, ls, score) VALUES(?, ?, ?, ?)", &st->put_score,
			  err)))
		return rc;
	sqlite3_stmt *s = st->put_score;
	sqlite3_bind_int64(s, 1, model_id);
	sqlite3_bind_int64(s, 2, run);
	sqlite3_bind_int64(s, 3, ls);
	if (evaluable && isfinite(score))
		sqlite3_bind_double(s, 4, score);
	else
		sqlite3_bind_null(s, 4);
	rc = sqlite3_step(s) == SQLITE_DONE ? LC_OK : sql_err(st, err, "insert score");
	sqlite3_reset(s);
	return rc;
}

/* ---------------------------------------------------------------- per-LS features (lumicert extract) */

int lc_store_put_features(lc_store *st, size_t nrows, const int64_t *run, const int64_t *ls, size_t ncols,
			  const char *const *channel, const char *const *name, const double *values, lc_error *err)
{
	int rc = exec(st, "CREATE TABLE IF NOT EXISTS feature(run INTEGER NOT NULL, ls INTEGER NOT NULL,"
			  " channel TEXT NOT NULL, name TEXT NOT NULL, value REAL, PRIMARY KEY(run, ls, name)) WITHOUT ROWID;",
		      err);
	if (rc)
		return rc;
	sqlite3_stmt *s;
	if ((rc = prepare(st, "INSERT OR REPLACE INTO feature(run, ls, channel, name, value) VALUES(?, ?, ?, ?, ?)", &s,
			  err)))
		return rc;
	for (size_t i = 0; i < nrows && !rc; i++)
		for (size_t j = 0; j < ncols; j++) {
			double v = values[i * ncols + j];
			sqlite3_bind_int64(s, 1, run[i]);
			sqlite3_bind_int64(s, 2, ls[i]);
			sqlite3_bind_text(s, 3, channel[j], -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 4, name[j], -1, SQLITE_STATIC);
			if (isfinite(v))
				sqlite3_bind_double(s, 5, v);
			else
				sqlite3_bind_null(s, 5);
			if (sqlite3_step(s) != SQLITE_DONE) {
				rc = sql_err(st, err, "insert feature");
				break;
			}
			sqlite3_reset(s);
		}
	sqlite3_finalize(s);
	return rc;
}
