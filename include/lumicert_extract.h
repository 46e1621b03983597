/* lumicert_extract.h — per-lumisection features from ROOT event files (local, http(s)://, root://), as the CMS DQM
 * seed's load.py extracts them: per event and channel the N quantile particles by pT and the total momentum vector;
 * per LS mean, standard deviation and percentiles of each. Conventions as in lumicert.h. Users' guide:
 * docs/extract.md. */
#ifndef LUMICERT_EXTRACT_H
#define LUMICERT_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "lumicert.h"
#include "lumicert_root.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- byte sources */

/* A byte source for a local file read with pread (the reader maps local files itself; this one is for tests and
 * benchmarks of the byte-source path). */
int lc_source_open_file(const char *path, lc_byte_source *out, lc_error *err);
/* A byte source for url: http:// and https:// (libcurl, one Range request per missing 64 KiB run; the server must
 * honour Range), root:// (the XRootD client, XrdCl), file:// and plain paths (pread). */
int lc_source_open_url(const char *url, lc_byte_source *out, lc_error *err);
int lc_source_open_xrootd(const char *url, lc_byte_source *out, lc_error *err);
/* Opens a ROOT file by path or URL: plain paths through lc_root_open (mapped), URLs through lc_source_open_url. */
int lc_root_open_url(const char *url, lc_root **out, lc_error *err);

/* ---------------------------------------------------------------- configuration */

#define LC_EXTRACT_MAX_QUANTILES 64

/* A channel: a group of particles (muons, photons, PF candidates, calo jets) with branches of equal multiplicity. */
typedef struct lc_extract_channel {
	char *name;          /* channel name, the prefix of its feature names */
	char **branches;     /* nbranches branch names; branches[0] is the ordering quantity (pT) */
	char **features;     /* nbranches feature names derived from the branch names (Muon_pt -> pt, ...obj.pt_ -> pt) */
	size_t nbranches;
	int read_each;       /* use every read_each-th particle (index 0, k, 2k, ...); 1 = all */
	int64_t batch;       /* events read at a time (memory bound; results do not depend on it); default 10000 */
	int eta, phi;        /* indices of the eta and phi branches, -1 if absent (then no momentum vector) */
} lc_extract_channel;

/* A parsed CONFIG (the seed's JSON; docs/extract.md). */
typedef struct lc_extract_config {
	char *tree;          /* tree name ("Events" unless "tree" is given) */
	char **per_ls;       /* per_lumisection branch names: [0] run, [1] LS, more are kept as LS means */
	char **per_ls_names; /* their column names (derived like features) */
	size_t nper_ls;
	lc_extract_channel *channels;
	size_t nchannels;
	int quantiles;       /* N (5 unless "quantiles" is given) */
} lc_extract_config;

/* Parses a CONFIG from memory (n bytes, need not be NUL-terminated); name is used in messages. A malformed
 * config (not JSON, missing or mistyped fields, unknown keys, duplicate feature names) is LC_ERR_PARSE naming the
 * field, e.g. "cfg.json: per_event.muons.read_each: expected an integer >= 1". No file is read. */
int lc_extract_config_parse(const char *json, size_t n, const char *name, lc_extract_config **out, lc_error *err);
int lc_extract_config_load(const char *path, lc_extract_config **out, lc_error *err);
void lc_extract_config_free(lc_extract_config *c);
/* Checks the config against a file: the tree exists, every branch exists and is a number (scalar, fixed or jagged
 * array); branches of a channel share their multiplicity; per_lumisection branches are scalars. Names the field. */
int lc_extract_config_check(const lc_extract_config *c, lc_root *f, lc_error *err);

/* ---------------------------------------------------------------- per-event features */

/* A table of per-event features: nrows rows of ncols doubles, row-major. Columns: run, lumi, the further
 * per_lumisection columns, then per channel <ch>_count, <ch>_<feature>_q<k> for k < N and every feature, and
 * <ch>_px, <ch>_py, <ch>_pz when the channel has eta and phi. */
typedef struct lc_event_table {
	size_t ncols;        /* columns */
	char **names;        /* ncols column names */
	size_t nrows;        /* events */
	double *rows;        /* nrows * ncols values */
	size_t cap;          /* rows allocated */
} lc_event_table;

/* Column names of the per-event table of config c (a new table with no rows). */
int lc_event_table_init(const lc_extract_config *c, lc_event_table *t, lc_error *err);
void lc_event_table_free(lc_event_table *t);
/* Extracts the per-event features of entries [first, last) of the config's tree of f (last < 0: to the end) and
 * appends them to t (from lc_event_table_init of the same config). */
int lc_extract_events(const lc_extract_config *c, lc_root *f, int64_t first, int64_t last, lc_event_table *t,
		      lc_error *err);
/* Same on a tree already open (lc_root_tree_open(f, c->tree, ...)): for callers that extract chunk by chunk. */
int lc_extract_events_tree(const lc_extract_config *c, lc_root_tree *tree, int64_t first, int64_t last,
			   lc_event_table *t, lc_error *err);
/* Event files (OUTDIR/events/NAME.lcev): magic "LCEVT 1", column names, rows as little-endian float64. Written to a
 * temporary name and renamed. Reading checks the columns against want (when not NULL). */
int lc_event_table_write(const lc_event_table *t, const char *path, lc_error *err);
/* Streaming writer of an event file: rows are appended table by table (the tables' columns must match cols) to a
 * temporary file, renamed to path by lc_event_writer_close(w, 1, ...) or removed by lc_event_writer_close(w, 0, ...). */
typedef struct lc_event_writer lc_event_writer;
int lc_event_writer_open(const char *path, const lc_event_table *cols, lc_event_writer **out, lc_error *err);
int lc_event_writer_add(lc_event_writer *w, const lc_event_table *t, lc_error *err);
int lc_event_writer_close(lc_event_writer *w, int commit, lc_error *err);
/* Concatenates event files parts[0..n) (same columns) into the event file path (temporary name, then rename). */
int lc_event_files_concat(const char *const *parts, size_t n, const char *path, lc_error *err);
int lc_event_table_read(const char *path, const lc_event_table *want, lc_event_table *out, lc_error *err);

/* ---------------------------------------------------------------- per-LS features */

/* Per-LS statistics of every per-event feature. */
typedef struct lc_ls_features {
	size_t nls;          /* lumisections, ascending (run, LS) */
	int64_t *run, *ls;
	size_t ncols;        /* columns after run and lumi */
	char **names;        /* column names: n_events, per-LS means, <ch>_nonzero, <ch>_<feature>_q<k>_<stat>, ... */
	char **channel;      /* channel of each column ("event" for n_events and the per_lumisection columns) */
	double *values;      /* nls * ncols values, row-major */
} lc_ls_features;

/* Aggregates per-event rows (of tables with the columns of config c) per (run, LS): n_events; the LS mean of each
 * further per_lumisection column; per channel the fraction of events with at least one particle (<ch>_nonzero);
 * and for each per-event feature its mean, std (population, as numpy's default), p1, p25, p50, p75, p99 (linear
 * interpolation, as numpy.percentile's default). */
int lc_ls_features_compute(const lc_extract_config *c, const lc_event_table *tables, size_t ntables,
			   lc_ls_features **out, lc_error *err);
/* The same with up to `threads` threads sharing the lumisections (the result does not depend on threads). */
int lc_ls_features_compute_threads(const lc_extract_config *c, const lc_event_table *tables, size_t ntables,
				   int threads, lc_ls_features **out, lc_error *err);
void lc_ls_features_free(lc_ls_features *f);
/* CSV with header run,lumi,<names...>; numbers with %.17g (read back bit for bit). Returns LC_ERR_IO on failure. */
int lc_ls_features_write_csv(const lc_ls_features *f, FILE *out);
/* The same with up to `threads` threads formatting the numbers (the text does not depend on threads). */
int lc_ls_features_write_csv_threads(const lc_ls_features *f, FILE *out, int threads);
/* Stores every value in the store's feature table (inside the caller's transaction; replaces earlier values). */
int lc_ls_features_store(const lc_ls_features *f, lc_store *st, lc_error *err);

/* ---------------------------------------------------------------- a whole run */

typedef struct lc_extract_opts {
	int threads;         /* worker threads (>= 1); one file is split into entry ranges when files < threads */
	int shard_i, shard_n; /* process URLs with index % shard_n == shard_i - 1 (1-based shard_i); shard_n 0: all */
	const char *db;      /* store to write the per-LS features into, or NULL */
} lc_extract_opts;

/* What a run did. */
typedef struct lc_extract_summary {
	size_t nurls;        /* URLs of this shard */
	size_t nprocessed;   /* extracted now */
	size_t nskipped;     /* already done (their event file exists) */
	size_t nfailed;      /* failed: urls in failed[], messages in failed_msg[] */
	char **failed, **failed_msg;
	int64_t nevents;     /* events extracted now */
	size_t nls;          /* lumisections in the output */
	char *csv_path;      /* OUTDIR/features.csv (or features.shard-I-of-N.csv) */
	char *failed_path;   /* OUTDIR/failed.txt (or failed.shard-I-of-N.txt) */
} lc_extract_summary;

/* Runs an extraction: checks the config against the first URL that opens (nothing is written when a branch is
 * unknown), writes OUTDIR/events/<file>.lcev per URL (URLs whose event file exists are skipped), aggregates the
 * event files of all URLs of the shard into the CSV, lists failures in the failed file, and stores the features in
 * opts->db. Failing URLs do not stop the others: the call returns LC_OK and lists them in the summary. */
int lc_extract_run(const lc_extract_config *c, const char *const *urls, size_t nurls, const char *outdir,
		   const lc_extract_opts *opts, lc_extract_summary *sum, lc_error *err);
void lc_extract_summary_free(lc_extract_summary *s);
/* Reads a URL list: one URL or path a line, blank lines and '#' comments ignored. *urls is malloc'd (each string
 * too): free with lc_extract_urls_free. */
int lc_extract_urls_read(const char *path, char ***urls, size_t *n, lc_error *err);
void lc_extract_urls_free(char **urls, size_t n);

#ifdef __cplusplus
}
#endif
#endif
