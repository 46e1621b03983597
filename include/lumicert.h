/* lumicert.h — public API of the lumicert library: import per-lumisection (LS) histograms of monitor elements (MEs)
 * and labels into one SQLite store, prepare them, train autoencoders on good LS, score, evaluate and export.
 * Conventions: functions that can fail return LC_OK (0) or a negative LC_ERR_* code and fill an optional lc_error;
 * objects from the _new, _open and _load functions are released by the matching _free or _close, which accept NULL; out-parameters are
 * set only on success. The library never exits and never prints except to a FILE * it is given. */
#ifndef LUMICERT_H
#define LUMICERT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LC_VERSION "0.1.0"

#if defined(__GNUC__)
#define LC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LC_PRINTF(a, b)
#endif

/* ---------------------------------------------------------------- errors */

enum {
	LC_OK = 0,
	LC_ERR_NOMEM = -1,       /* out of memory */
	LC_ERR_IO = -2,          /* a file cannot be opened, read or written */
	LC_ERR_PARSE = -3,       /* malformed input; the message names file:line[:column] or byte offset */
	LC_ERR_INVALID = -4,     /* invalid argument or parameter */
	LC_ERR_NOTFOUND = -5,    /* ME, label source, model or LS not in the store */
	LC_ERR_VERSION = -6,     /* unknown version of a file or of the store schema */
	LC_ERR_STORE = -7,       /* SQLite reported an error */
	LC_ERR_UNSUPPORTED = -8  /* valid input that lumicert does not handle (yet) */
};

typedef struct lc_error {
	int code;       /* last LC_ERR_* code, LC_OK when none */
	char msg[1024]; /* human-readable message: where (file:line, byte) and what was expected */
} lc_error;

/* Records code and a printf-style message in err (err may be NULL). Returns code, so callers can write
 * `return lc_error_set(err, LC_ERR_PARSE, "%s:%d: expected ...", path, line);`. */
int lc_error_set(lc_error *err, int code, const char *fmt, ...) LC_PRINTF(3, 4);

/* A short English name of a status code ("parse error", ...). Static string, do not free. */
const char *lc_strerror(int code);

/* ---------------------------------------------------------------- histograms as read from sources */

/* Cells policy (docs/store.md): every histogram is stored with all ROOT cells, under- and overflow included, in ROOT's
 * global bin order: 1D cell i in [0, nx+2) with 0 = underflow and nx+1 = overflow; 2D cell ix + (nx+2)*iy with
 * ix in [0, nx+2), iy in [0, ny+2). Sources that carry no flow cells (has_flow = 0) get zeros there. */
typedef struct lc_hist {
	int64_t run;          /* run number */
	int64_t ls;           /* lumisection number (>= 1) */
	const char *me;       /* ME name as the source spells it (ML4DQM hname, DQM path) */
	int metype;           /* ML4DQM/DQM metype code when given (3 TH1F, 6 TH2F, ...), 0 when unknown */
	int dim;              /* 1 or 2 */
	int nx, ny;           /* regular bins along x and y (ny = 1 for 1D) */
	double xmin, xmax;    /* x axis range */
	double ymin, ymax;    /* y axis range (0, 1 for 1D) */
	double entries;       /* entries as stated by the source (ROOT fEntries); may differ from the cell sum */
	int has_flow;         /* 1 if the source gave under/overflow cells, 0 if they were filled with zeros */
	const double *cells;  /* lc_hist_ncells(dim, nx, ny) values; a view valid during the callback only */
} lc_hist;

/* Number of cells of a histogram including under/overflow: nx+2 (1D) or (nx+2)*(ny+2) (2D). */
size_t lc_hist_ncells(int dim, int nx, int ny);

/* A label carried by a source row (ML4DQM label columns such as good, good_pixel, y): 1 good, 0 bad. */
typedef struct lc_label_value {
	const char *source; /* label source name (the column name) */
	int good;           /* 1 good, 0 bad */
} lc_label_value;

/* Called once per histogram read. Return LC_OK to go on, anything else stops the reader, which returns that code.
 * labels has nlabels entries (those of the requested label columns that were not empty). */
typedef int (*lc_hist_fn)(void *ctx, const lc_hist *h, const lc_label_value *labels, int nlabels, lc_error *err);

/* Reads an ML4DQM CSV, wide (bin_0..bin_N columns) or long (histo as a quoted list string "[0, 1, ...]"), 1D or 2D,
 * from f; path is used in messages only. Column names are matched case-insensitively with aliases (run|fromrun,
 * lumi|fromlumi|ls, hname|me, xbins|Xbins, ...); when a header repeats a name the first column wins. label_cols names
 * columns to turn into labels (1/1.0/true good, 0/0.0/false bad, empty = no label); a missing one is an error.
 * Every row is validated before fn sees it: the whole file is parsed even if fn never fails. */
int lc_csv_read(FILE *f, const char *path, const char *const *label_cols, int nlabel_cols, lc_hist_fn fn, void *ctx,
		lc_error *err);

/* Reads DIALS JSON: a top-level array of records, or an object whose "results" member is such an array. Record
 * members: run_number, ls_number, me, x_min, x_max, x_bin, entries, data (1D: x_bin values without flow cells, or
 * x_bin+2 with them; 2D: y_min, y_max, y_bin and data as y_bin rows of x_bin values, or flat). */
int lc_dials_json_read(FILE *f, const char *path, lc_hist_fn fn, void *ctx, lc_error *err);

/* ---------------------------------------------------------------- run lists and LS sets */

/* A list of runs and run ranges, as given on the command line: "297050,297178" or "297047-297675,300000". */
typedef struct lc_runlist {
	int64_t *lo, *hi; /* n inclusive ranges */
	size_t n;
} lc_runlist;

/* Parses spec into a new run list. Returns LC_ERR_INVALID with a message naming the bad element. */
int lc_runlist_parse(const char *spec, lc_runlist **out, lc_error *err);
void lc_runlist_free(lc_runlist *rl);
/* 1 if run is in the list; a NULL list holds every run. */
int lc_runlist_has(const lc_runlist *rl, int64_t run);

/* A set of (run, LS) pairs, kept sorted by run then LS and without duplicates once lc_lsset_finish ran. */
typedef struct lc_lsset {
	int64_t *run;  /* n runs */
	int64_t *ls;   /* n lumisections */
	size_t n, cap;
	int sorted;    /* 1 when sorted and unique (lc_lsset_finish) */
} lc_lsset;

lc_lsset *lc_lsset_new(void);
void lc_lsset_free(lc_lsset *s);
/* Appends a pair (any order); call lc_lsset_finish before lookups or set operations. */
int lc_lsset_add(lc_lsset *s, int64_t run, int64_t ls);
/* Sorts and removes duplicates. */
void lc_lsset_finish(lc_lsset *s);
/* 1 if (run, ls) is in the finished set. */
int lc_lsset_has(const lc_lsset *s, int64_t run, int64_t ls);
/* Set operations on finished sets; the result is a new finished set (NULL when out of memory). */
lc_lsset *lc_lsset_and(const lc_lsset *a, const lc_lsset *b);
lc_lsset *lc_lsset_or(const lc_lsset *a, const lc_lsset *b);
lc_lsset *lc_lsset_minus(const lc_lsset *a, const lc_lsset *b);

/* Reads a golden/DCS JSON ({"run": [[first, last], ...], ...}) or a "run ls" list (one pair a line, '#' comments,
 * separators space, tab or comma), detected by the first non-blank character. Ranges must have first <= last, LS >= 1,
 * runs > 0. Errors name path:line:column. */
int lc_lsset_read(FILE *f, const char *path, lc_lsset **out, lc_error *err);
/* Same from memory (buf need not be NUL-terminated). */
int lc_lsset_read_mem(const char *buf, size_t n, const char *path, lc_lsset **out, lc_error *err);
/* Expert verdicts: a CSV with the header run,lumi,verdict (or run,ls,verdict), verdict good|bad|1|0, extra columns
 * ignored; an LS with both verdicts is an error. lc_verdicts_detect tells whether text starts with that header. */
int lc_verdicts_read(FILE *f, const char *path, lc_lsset **good, lc_lsset **bad, lc_error *err);
int lc_verdicts_detect(const char *buf, size_t n);
/* Writes a finished set as golden-style JSON, CMS layout: one run a line (a run whose line would pass 80 columns
 * gets one range a line, as CMS files do), ranges merged, runs ascending: {\n  "297046": [[32, 151]],\n  ...\n}\n
 * Reading it back gives the same set. Returns LC_ERR_IO on write failure. */
int lc_lsset_write_json(const lc_lsset *s, FILE *f);

/* ---------------------------------------------------------------- store */

typedef struct lc_store lc_store;

#define LC_STORE_SCHEMA_VERSION 1

/* Description of an ME in the store. */
typedef struct lc_me_info {
	int64_t id;         /* row id in the store */
	char name[256];     /* ME name */
	int metype;         /* as imported, 0 unknown */
	int dim;            /* 1 or 2 */
	int nx, ny;         /* regular bins (ny = 1 for 1D) */
	double xmin, xmax, ymin, ymax;
	int has_flow;       /* 1 if every imported LS carried flow cells */
	int64_t n_ls;       /* number of LS stored for this ME */
} lc_me_info;

/* Opens (create = 1: creates if absent) a store. Checks the schema version; turns on WAL and a busy timeout. A handle
 * is used by one thread at a time (threads that work on one store at once open a handle each). */
int lc_store_open(const char *path, int create, lc_store **out, lc_error *err);
void lc_store_close(lc_store *st);
/* Transactions: every command that writes does begin ... commit, or rollback on any error. */
int lc_store_begin(lc_store *st, lc_error *err);
int lc_store_commit(lc_store *st, lc_error *err);
void lc_store_rollback(lc_store *st);

/* Inserts or replaces the histogram of (me, run, ls); creates the ME on first sight. An ME's binning (dim, nx, ny,
 * ranges) must not change: a histogram with other binning is an LC_ERR_INVALID naming both. */
int lc_store_put_hist(lc_store *st, const lc_hist *h, lc_error *err);
/* Looks an ME up by name (LC_ERR_NOTFOUND, listing close names, if absent). */
int lc_store_me(lc_store *st, const char *name, lc_me_info *out, lc_error *err);
/* All MEs, sorted by name; *out is malloc'd (free()). */
int lc_store_me_list(lc_store *st, lc_me_info **out, size_t *n, lc_error *err);

/* Called for each stored histogram, in run then LS order. h->cells is valid during the call only. */
typedef int (*lc_store_hist_fn)(void *ctx, const lc_hist *h, lc_error *err);
/* Visits the histograms of ME me in runs (NULL = all runs). */
int lc_store_each_hist(lc_store *st, const char *me, const lc_runlist *runs, lc_store_hist_fn fn, void *ctx,
		       lc_error *err);
/* Loads one histogram; *cells is malloc'd (free()), h->cells points to it. LC_ERR_NOTFOUND if absent. */
int lc_store_get_hist(lc_store *st, const char *me, int64_t run, int64_t ls, lc_hist *h, double **cells,
		      lc_error *err);

/* Sets the label of (run, ls) in source (created on first use, origin describes where it came from). good: 1/0. */
int lc_store_put_label(lc_store *st, const char *source, const char *origin, int64_t run, int64_t ls, int good,
		       lc_error *err);
/* The good and bad LS of a label source (either out-pointer may be NULL). LC_ERR_NOTFOUND if no such source. */
int lc_store_labels(lc_store *st, const char *source, lc_lsset **good, lc_lsset **bad, lc_error *err);
/* Every LS that has a histogram of any ME (finished set). */
int lc_store_all_ls(lc_store *st, lc_lsset **out, lc_error *err);

/* A label source and its counts. */
typedef struct lc_label_source {
	char name[128];    /* source name */
	char origin[512];  /* where its labels came from (first import) */
	char created[32];  /* UTC creation time */
	int64_t n_good, n_bad;
} lc_label_source;
/* All label sources, sorted by name; *out is malloc'd (free()). */
int lc_store_label_sources(lc_store *st, lc_label_source **out, size_t *n, lc_error *err);

/* Counts of what the store holds. */
typedef struct lc_store_summary {
	int64_t n_me, n_runs, n_ls, n_hist, n_labels, n_models, n_scores;
	int64_t run_lo, run_hi; /* smallest and largest run (0 when empty) */
} lc_store_summary;
int lc_store_summarize(lc_store *st, lc_store_summary *out, lc_error *err);

/* Records a model (its file path and header JSON) and returns its id; a model whose header is already recorded
 * keeps its id. */
int lc_store_put_model(lc_store *st, const char *path, const char *header_json, int64_t *id, lc_error *err);
/* Records one LS score of model id (score ignored when evaluable is 0: stored as NULL). */
int lc_store_put_score(lc_store *st, int64_t model_id, int64_t run, int64_t ls, int evaluable, double score,
		       lc_error *err);

/* Stores per-LS features (lumicert extract): values is (nrows, ncols) row-major, column j named name[j] in channel
 * channel[j]; table feature(run, ls, channel, name, value) is created on first use (older stores stay readable);
 * non-finite values are stored as NULL; earlier values of the same (run, ls, name) are replaced. */
int lc_store_put_features(lc_store *st, size_t nrows, const int64_t *run, const int64_t *ls, size_t ncols,
			  const char *const *channel, const char *const *name, const double *values, lc_error *err);

/* ---------------------------------------------------------------- preparation of histograms into model inputs */

enum { LC_NORM_NONE = 0, LC_NORM_L1 = 1 };
enum { LC_REPR_BINS = 0, LC_REPR_SQRT = 1, LC_REPR_CDF = 2 };

/* How stored cells become a model's input vector; saved in the model so scoring repeats it exactly. */
typedef struct lc_prep {
	int flow;           /* 1 keep under/overflow cells, 0 drop them */
	int normalize;      /* LC_NORM_L1: divide by the sum of the used cells; LC_NORM_NONE: raw counts */
	int repr;           /* LC_REPR_BINS as is, LC_REPR_SQRT square root (variance-stabilising), LC_REPR_CDF cumulative (1D) */
	int rebin_x;        /* merge this many adjacent x bins (>= 1, divides nx) */
	int rebin_y;        /* same along y (1 for 1D) */
	double min_entries; /* an LS whose used cells sum to less than this is not evaluable */
} lc_prep;

/* Defaults: flow drop, normalize l1, repr bins, rebin 1, min_entries 100. */
void lc_prep_default(lc_prep *p);
/* Checks p against the ME's binning (rebin divides, cdf only for 1D, ...). */
int lc_prep_check(const lc_prep *p, const lc_me_info *me, lc_error *err);
/* Length of the prepared vector. Layout: 1D (under), bins, (over); 2D regular bins x-fastest, then the flow cells in
 * global order when flow is kept. */
int lc_prep_dim(const lc_prep *p, const lc_me_info *me);
/* Prepares cells (lc_hist_ncells values) into out (lc_prep_dim floats). Returns 1 if the LS is evaluable, 0 if not
 * (out is then zero), LC_ERR_NOMEM if out of memory. *count receives the sum of the used cells when not NULL. */
int lc_prep_apply(const lc_prep *p, const lc_me_info *me, const double *cells, float *out, double *count);

/* ---------------------------------------------------------------- dense networks */

enum { LC_ACT_LINEAR = 0, LC_ACT_SIGMOID, LC_ACT_TANH, LC_ACT_RELU, LC_ACT_LEAKY_RELU };

/* Name of an activation ("linear", "sigmoid", "tanh", "relu", "leaky_relu") and back (-1 if unknown). */
const char *lc_act_name(int act);
int lc_act_parse(const char *name);

/* A stack of dense layers y = act(W x + b). All parameters live in one block so the optimiser is one loop:
 * layer l holds W (n_out[l], n_in_l) row-major, then b (n_out[l]); n_in_0 = n_in, n_in_l = n_out[l-1]. */
typedef struct lc_net {
	int n_in;         /* input width */
	int n_layers;     /* number of dense layers */
	int *n_out;       /* n_layers output widths */
	int *act;         /* n_layers activations (LC_ACT_*) */
	size_t *offset;   /* n_layers offsets of W in params; b follows W */
	float *params;    /* n_params values */
	size_t n_params;
} lc_net;

/* A new network with zero parameters (NULL when out of memory or shapes invalid). */
lc_net *lc_net_new(int n_in, int n_layers, const int *n_out, const int *act);
void lc_net_free(lc_net *net);
lc_net *lc_net_clone(const lc_net *net);
/* Glorot-uniform weights, zero biases, from our own RNG seeded with seed (same seed => same weights everywhere). */
void lc_net_init(lc_net *net, uint64_t seed);
int lc_net_n_out(const lc_net *net); /* output width of the last layer */
/* Forward pass of n rows: x is (n, n_in), y is (n, n_out). Uses up to threads threads. */
int lc_net_predict(const lc_net *net, const float *x, size_t n, float *y, int threads, lc_error *err);

enum { LC_LOSS_MSE = 0, LC_LOSS_TOPK = 1 };

/* Progress report after each epoch (seconds since start of training). */
typedef void (*lc_progress_fn)(void *ctx, int epoch, int epochs, double loss, double val_loss, double seconds);

typedef struct lc_train_opts {
	int epochs;           /* maximum number of epochs */
	int batch;            /* mini-batch size */
	double lr;            /* Adam learning rate */
	double beta1, beta2;  /* Adam moment decay rates */
	double eps;           /* Adam epsilon */
	uint64_t seed;        /* shuffling seed (initialisation uses lc_net_init with the same seed) */
	int threads;          /* worker threads; the result is bit-identical for the same seed, thread count and
			       * kernel set (see docs/model-format.md, "Reproducibility") */
	int loss;             /* LC_LOSS_MSE or LC_LOSS_TOPK */
	int topk;             /* k of the top-k-bins MSE */
	int patience;         /* early stopping: stop after this many epochs without validation improvement; 0 off */
	lc_progress_fn progress; /* NULL: silent */
	void *progress_ctx;
} lc_train_opts;

/* epochs 300, batch 128, lr 1e-3, Adam 0.9/0.999/1e-8 (PyTorch's defaults), seed 1, threads 1, mse, topk 10,
 * patience 0. */
void lc_train_opts_default(lc_train_opts *o);

typedef struct lc_train_result {
	int epochs_run;     /* epochs actually run */
	int best_epoch;     /* epoch whose parameters were kept (best validation loss; last when no validation) */
	double train_loss;  /* mean loss on the training rows with the kept parameters */
	double val_loss;    /* same on validation rows (NaN when none) */
	double seconds;     /* wall time */
} lc_train_result;

/* Trains net as an autoencoder (target = input) with Adam on mini-batches, starting from its current parameters
 * (call lc_net_init first for a fresh model; a trained net continues): x is (n, d) with d = n_in = n_out;
 * xval (nval, d) may be NULL. With validation rows the parameters of the best validation epoch are kept. */
int lc_ae_train(lc_net *net, const float *x, size_t n, const float *xval, size_t nval, const lc_train_opts *o,
		lc_train_result *res, lc_error *err);

/* Per-row reconstruction losses of an autoencoder: score[i] = loss of row i (MSE over the d inputs, or the mean of
 * the topk largest squared errors); err_bins (n, d) receives the squared error per input when not NULL. */
int lc_ae_errors(const lc_net *net, const float *x, size_t n, int loss, int topk, double *score, float *err_bins,
		 int threads, lc_error *err);

/* Fits the optimal linear autoencoder (the PCA subspace) of x (n, d): a 2-layer linear net d -> k -> d whose encoder
 * rows are the first k principal axes. k = 0 chooses k by the broken-stick rule. *k_out and *explained (fraction of
 * variance of the kept axes) are set when not NULL. Deterministic. */
int lc_pca_ae_fit(const float *x, size_t n, int d, int k, lc_net **out, int *k_out, double *explained,
		  lc_error *err);

/* ---------------------------------------------------------------- metrics */

typedef struct lc_metrics {
	size_t n_pos;          /* labelled bad (the positive class) */
	size_t n_neg;          /* labelled good */
	double auc;            /* ROC AUC, ties counted one half */
	double ap;             /* average precision (step-wise, as scikit-learn) */
	double prec_at_recall[4]; /* best precision at recall >= 0.8, 0.9, 0.95, 0.99 */
	double prec_top10;     /* fraction of bad among the 10 highest scores (ties at the cut shared evenly) */
} lc_metrics;

/* Metrics of scores (higher = more anomalous) against is_bad (1 bad, 0 good), n rows. LC_ERR_INVALID if a class is
 * empty or a score is not finite. */
int lc_metrics_compute(const double *score, const int *is_bad, size_t n, lc_metrics *out, lc_error *err);

/* Threshold such that a fraction fpr of the good scores lies strictly above it: the (1 - fpr) empirical quantile
 * (n good scores; scores are not modified). */
double lc_threshold_for_fpr(const double *good, size_t n, double fpr);

/* ---------------------------------------------------------------- models */

/* What to train (lc_model_train). */
typedef struct lc_train_spec {
	const char *me;            /* ME name */
	const lc_runlist *runs;    /* training runs (NULL: all) */
	const char *good_source;   /* label source whose good LS are trained on (NULL: every evaluable LS) */
	lc_prep prep;              /* preparation */
	const char *hidden;        /* "auto" (closed-form linear AE, broken-stick width) or "10:relu,2:relu,10:relu" */
	int output_act;            /* activation of the output layer (LC_ACT_*) */
	double val_frac;           /* fraction of good LS held out for validation, early stopping and the threshold */
	double fpr;                /* target false-alarm rate on held-out good LS that sets the threshold */
	lc_train_opts opts;        /* optimiser settings */
} lc_train_spec;

/* A trained model with everything needed to score (file format: docs/model-format.md). */
typedef struct lc_model {
	char kind[16];           /* "ae" */
	lc_me_info me;           /* ME and binning at training time (n_ls, id not meaningful) */
	lc_prep prep;            /* preparation */
	lc_net *net;             /* the network (owned) */
	char hidden[256];        /* architecture as requested ("auto" or a layer list) */
	int loss, topk;          /* scoring loss (LC_LOSS_*) and k */
	char runs[1024];         /* training runs as given ("" = all) */
	char good_source[128];   /* label source of the training LS ("" = none) */
	uint64_t seed;           /* seed used */
	int threads;             /* threads used in training */
	int epochs, batch;       /* requested epochs and batch */
	double lr;               /* learning rate */
	double threshold;        /* score above which an LS is flagged */
	double fpr;              /* target false-alarm rate behind threshold */
	int64_t n_train, n_val;  /* good LS trained on and held out */
	int64_t n_not_evaluable; /* LS of the training runs that were not evaluable */
	int epochs_run;          /* epochs run */
	double train_loss;       /* final training loss */
	double val_loss;         /* final validation loss (NaN when none) */
	double explained;        /* closed-form models: fraction of variance of the kept axes (NaN otherwise) */
	double train_seconds;    /* wall time of training */
	char created[32];        /* UTC time, ISO 8601 */
	char tool_version[16];   /* LC_VERSION of the tool that trained it */
	struct lc_multi *multi;  /* kinds "multiae", "ensemble", "multihead": the models over several MEs (owned;
				  * NULL for "ae"); then me holds the first ME and net the multiae network */
} lc_model;

#define LC_MODEL_MAGIC "LUMICERT-MODEL\n"
#define LC_MODEL_VERSION 1

/* Trains a model on store st following spec; progress goes to spec->opts.progress. */
int lc_model_train(lc_store *st, const lc_train_spec *spec, lc_model **out, lc_error *err);
void lc_model_free(lc_model *m);
/* Saves to path through a temporary file renamed into place. */
int lc_model_save(const lc_model *m, const char *path, lc_error *err);
int lc_model_load(const char *path, lc_model **out, lc_error *err);
/* Loads from memory (name is used in messages). */
int lc_model_load_mem(const void *buf, size_t n, const char *name, lc_model **out, lc_error *err);
/* The model's self-description as a JSON object (malloc'd string, free()). */
char *lc_model_header_json(const lc_model *m);

/* One scored LS. */
typedef struct lc_score_row {
	int64_t run, ls;
	int evaluable;   /* 0: not evaluable (too few entries); score is then NaN */
	double score;    /* reconstruction loss of the prepared input */
	double count;    /* sum of the used cells */
} lc_score_row;

/* Scores every LS of the model's ME in runs (NULL: all) in run/LS order; *rows is malloc'd (free()). */
int lc_model_score(const lc_model *m, lc_store *st, const lc_runlist *runs, int threads, lc_score_row **rows,
		   size_t *n, lc_error *err);

/* Per-bin explanation of one LS: the prepared input, its reconstruction and squared error per input (each dim
 * floats, malloc'd, free()). *evaluable tells whether the LS had enough entries. */
int lc_model_explain(const lc_model *m, lc_store *st, int64_t run, int64_t ls, float **input, float **recon,
		     float **sqerr, int *dim, int *evaluable, lc_error *err);

/* ---------------------------------------------------------------- several MEs at once (docs/multi.md) */

enum { LC_COMB_FUZZY_AND = 0, LC_COMB_LOGISTIC = 1, LC_COMB_MIN = 2 };

/* Name of a combination ("fuzzy-and", "logistic", "min") and back (-1 if unknown). */
const char *lc_comb_name(int comb);
int lc_comb_parse(const char *name);

/* A channel of a multi-head model: its name and the MEs it sees, as comma-separated ME names or glob patterns
 * (fnmatch: muons_*, *PXLayer_[12]). */
typedef struct lc_channel_spec {
	const char *name;
	const char *pattern;
} lc_channel_spec;

/* What to train with lc_multi_train. */
typedef struct lc_multi_spec {
	const char *kind;                   /* "multiae" (one autoencoder over the joined MEs), "ensemble" (one per ME,
					     * combined by calibrated p-values) or "multihead" */
	const char *const *mes;             /* n_mes ME names or glob patterns (multihead without channels: one channel
					     * per ME) */
	int n_mes;
	const lc_channel_spec *channels;    /* multihead: n_channels channels (the MEs of mes come on top, one channel
					     * each) */
	int n_channels;
	const lc_runlist *runs;             /* training runs (NULL: all) */
	const char *good_source;            /* multiae/ensemble: train on the good LS of this source (NULL: all) */
	const char *label_source;           /* multihead: the global good/bad label (required) */
	lc_prep prep;                       /* preparation of every ME (rebin_y applies to 2D MEs only) */
	const char *hidden;                 /* multiae/ensemble: as lc_train_spec; multihead: each channel's hidden
					     * layers, e.g. "150:relu,50:relu,20:relu" (the output is one logit) */
	int output_act;                     /* autoencoders' output activation */
	double val_frac;                    /* held-out fraction: threshold, calibration (ensemble) */
	double fpr;                         /* target false-alarm rate of the threshold on held-out good LS */
	int comb;                           /* multihead: LC_COMB_* */
	double c0, c_decay;                 /* multihead: loss mix C = c0 * c_decay^epoch in (1 - C) L + C mean L_i */
	double l2;                          /* multihead: l2 * the largest channel's sum of squared weights */
	int residual;                       /* multihead: 0 feeds each channel the prepared bins; 1 the residuals
					     * x - AE(x) of a linear autoencoder per ME fitted on the good training LS; 2
					     * their squares (an anomaly anywhere in an ME stands out the same way) */
	lc_train_opts opts;                 /* optimiser settings */
} lc_multi_spec;

/* Defaults: kind multihead, fuzzy AND, hidden "auto" (AEs) or "32:relu" (multihead, when hidden is NULL), c0 1,
 * c_decay 0.9, l2 1e-4, val_frac 0.2, fpr 0.01, output sigmoid, lc_prep_default, lc_train_opts_default. */
void lc_multi_spec_default(lc_multi_spec *s);

/* Trains a model of several MEs. Rows are joined on (run, LS): an LS missing from one ME or not evaluable in one is
 * not evaluable. */
int lc_multi_train(lc_store *st, const lc_multi_spec *spec, lc_model **out, lc_error *err);

/* Parts of a model's score (ME or channel names; 0 for kind "ae"); the name is valid while m lives. */
int lc_model_n_parts(const lc_model *m);
const char *lc_model_part_name(const lc_model *m, int i);

/* lc_model_score with the score's parts: *parts is (n, lc_model_n_parts) malloc'd (NULL when there are none), NaN
 * for not-evaluable LS. multiae: each ME's share of the mean squared error (they sum to score); ensemble: -log10 of
 * each ME's p-value against held-out good LS, score = -log10 of the Simes combination (Benjamini-Hochberg across MEs);
 * multihead: 1 - f_i per channel, score = 1 - F. Higher is more anomalous everywhere. */
int lc_model_score_parts(const lc_model *m, lc_store *st, const lc_runlist *runs, int threads, lc_score_row **rows,
			 size_t *n, double **parts, lc_error *err);

/* Explanation of one LS by a model of several MEs: the parts' scores, the part to look at first (the largest part
 * score) and the inputs of its MEs ranked by contribution. */
typedef struct lc_explanation {
	int evaluable;          /* 0: missing or not evaluable in one ME (then nothing below is filled) */
	double score, threshold;
	int n_parts;
	double *part_score;     /* n_parts */
	int part;               /* the part named first */
	int n;                  /* inputs of that part */
	int *me;                /* n: index of the input's ME in lc_model_multi_me */
	int *index;             /* n: index in that ME's prepared vector (layout of lc_prep_dim) */
	float *input, *recon;   /* n prepared input and reconstruction (recon NaN for multihead) */
	double *contrib;        /* n: squared error (autoencoders) or gradient times input (multihead) */
	int *order;             /* n: inputs sorted by decreasing |contrib| */
} lc_explanation;

int lc_model_explain_parts(const lc_model *m, lc_store *st, int64_t run, int64_t ls, lc_explanation **out,
			   lc_error *err);
void lc_explanation_free(lc_explanation *e);
/* The i-th ME of a multi model (binning) and its preparation; NULL when out of range. */
const lc_me_info *lc_model_multi_me(const lc_model *m, int i, const lc_prep **prep);

/* Kind of the model file at path, read from its header only (kind has room for n bytes). */
int lc_model_file_kind(const char *path, char *kind, size_t n, lc_error *err);

/* ---------------------------------------------------------------- supervised classifiers (grey zone) */

enum { LC_CLF_KNN = 0, LC_CLF_MLP = 1, LC_CLF_XGB = 2 };

/* Name of a classifier kind ("knn", "mlp", "xgb") and back (-1 if unknown). */
const char *lc_clf_kind_name(int kind);
int lc_clf_kind_parse(const char *name);

/* Settings of a classifier; lc_clf_opts_default fills each kind's defaults. */
typedef struct lc_clf_opts {
	int kind;           /* LC_CLF_* */
	int k;              /* knn: neighbours per class whose mean distance counts (1..16; 1) */
	int trees;          /* xgb: boosting rounds (32) */
	int depth;          /* xgb: maximum tree depth (4) */
	double eta;         /* xgb: learning rate (0.6) */
	int hist;           /* xgb: 1 histogram tree method (fast), 0 exact (the seed's small-data default) */
	int max_bin;        /* xgb: histogram bins per feature (32; XGBoost's default is 256) */
	const char *hidden; /* mlp: hidden layers, e.g. "32:relu" (the output is one logit) */
	int epochs;         /* mlp: epochs (60) */
	int batch;          /* mlp: mini-batch (64) */
	double lr;          /* mlp: Adam learning rate (3e-3) */
	int folds;          /* cross-validation folds for thresholds (5; kNN uses leave-one-out) */
	uint64_t seed;      /* seed of initialisation, shuffling and folds */
	int threads;        /* xgb: threads */
	int shared_cv;      /* xgb: cross-validation on one matrix, held-out rows weighted 0 (1; single thread) */
} lc_clf_opts;

void lc_clf_opts_default(lc_clf_opts *o, int kind);

/* A trained classifier: p(good | x). Opaque; owns its data. */
typedef struct lc_clf lc_clf;

/* Trains on n rows x (n, d) with labels y (1 good, 0 bad) and weights w (NULL: uniform). Both classes needed. */
int lc_clf_fit(const lc_clf_opts *o, const float *x, const int *y, const double *w, size_t n, int d, lc_clf **out,
	       lc_error *err);
/* Continues training with (more) rows: mlp from its parameters (warm start), xgb with o->trees more trees on the
 * rows given, knn by taking the rows as its memory. */
int lc_clf_update(lc_clf *c, const lc_clf_opts *o, const float *x, const int *y, const double *w, size_t n,
		  lc_error *err);
/* p_good (n) for rows x (n, d). */
int lc_clf_predict(const lc_clf *c, const float *x, size_t n, double *p_good, lc_error *err);
void lc_clf_free(lc_clf *c);
/* Out-of-sample p_good of each training row. group (n, e.g. run numbers) or NULL: with groups, a row is predicted
 * by a model that saw no row of its group (knn: leave-one-group-out; others: groups dealt to folds), so that drift
 * between runs shows in the predictions; without, leave-one-out for knn and stratified folds (seeded) otherwise. */
int lc_clf_cv(const lc_clf_opts *o, const float *x, const int *y, const double *w, const int64_t *group, size_t n,
	      int d, double *p_good, lc_error *err);
/* Serialises a trained classifier (kind, widths, parameters or booster) into a malloc'd buffer, and back. */
int lc_clf_save_mem(const lc_clf *c, unsigned char **buf, size_t *n, lc_error *err);
int lc_clf_load_mem(const unsigned char *buf, size_t n, lc_clf **out, lc_error *err);
int lc_clf_kind(const lc_clf *c);
/* A network to bytes (widths, activations, float32 parameters, little-endian) and back; *used: bytes read. */
int lc_net_save_mem(const lc_net *net, unsigned char **buf, size_t *n, lc_error *err);
int lc_net_load_mem(const unsigned char *buf, size_t n, size_t *used, lc_net **out, lc_error *err);

/* ---------------------------------------------------------------- grey zone: thresholds under caps, rates */

enum { LC_GZ_BAD = -1, LC_GZ_REVIEW = 0, LC_GZ_GOOD = 1 };

/* Clopper-Pearson upper bound of a binomial rate with k events in n trials at confidence conf (one-sided);
 * 1 when n = 0. */
double lc_binom_upper(double k, double n, double conf);

/* Thresholds under caps: auto-good when p >= hi, auto-bad when p < lo, grey zone between. From out-of-sample p of
 * the n labelled rows (y 1 good, 0 bad, weights w or NULL): hi is the lowest threshold whose auto-good set has a
 * pollution (weighted bad among auto-good) with conf-upper bound <= max_pollution, lo just above the highest p of
 * the largest bottom set that loses (weighted good auto-bad / all good) at most max_loss at the same confidence (the bound of the count of good
 * LS lost, over all good). Nothing qualifies: hi = +inf, lo = -inf. conf = 0 uses the plain rates. */
int lc_gz_thresholds(const double *p, const int *y, const double *w, size_t n, double max_loss, double max_pollution,
		     double conf, double *lo, double *hi, lc_error *err);

/* What happened to a set of LS: decisions dec (LC_GZ_*), true labels y (1 good, 0 bad), weights w (NULL uniform)
 * and luminosity lumi (NULL: rejection is weighted by w). */
typedef struct lc_gz_rates {
	int64_t n, n_good, n_auto_good, n_auto_bad, n_review, n_polluted, n_lost; /* counts of LS */
	double manual_work;  /* weighted fraction sent to humans */
	double saved;        /* 1 - manual_work */
	double rejection;    /* luminosity-weighted fraction sent to humans */
	double loss;         /* weighted good LS auto-bad / weighted good LS */
	double pollution;    /* weighted bad LS auto-good / weighted auto-good LS (0 when none) */
} lc_gz_rates;

void lc_gz_rates_compute(const signed char *dec, const int *y, const double *w, const double *lumi, size_t n,
			 lc_gz_rates *r);

/* The labelling loop replayed over rows in the given order (time order or shuffled): rows split into chunks
 * (sizes as numpy.array_split), the first first_manual chunks labelled by hand; for each later chunk a classifier
 * trained on every label so far (warm-started from the previous chunk's when o->kind is mlp) sets thresholds under
 * the caps from out-of-sample predictions (grouped by run when group is given); an LS goes to humans as novel when
 * the linear autoencoders (PCA) of the labelled good and of the labelled bad LS both reconstruct it worse than
 * novelty_factor times the 99th percentile of their own errors (novelty_factor 0: off); auto-good needs the good
 * one to find it usual, auto-bad the bad one usual and the good one unusual; every LS sent to humans joins the
 * labelled set. dec (n) receives each row's decision (first chunks: review). */
typedef struct lc_stream_spec {
	int chunks, first_manual;
	double max_loss, max_pollution, conf;
	double novelty_factor;
	lc_clf_opts clf;
	/* LS numbers of the rows (group: their runs) or NULL. An LS inside the span of its run's labelled LS (one labelled
	 * before it and one after) is also judged with thresholds from cross-validation grouped by run and arrival
	 * chunk: auto-good at p >= that upper threshold when the nearest labelled LS of its run before and after it are
	 * both good, else at p >= both upper thresholds; auto-bad at p < that lower one (and < the run-grouped lower one
	 * when the good autoencoder finds it usual) */
	const int64_t *ls;
	/* refit the classifier, thresholds and gates when the labels have grown by more than refit times their number
	 * at the last fit (0: whenever one was added) */
	double refit;
	/* when not NULL (n): each row's p(good) and whether it was inside its run's labelled span (NAN and 0 for rows
	 * that were not scored: the first chunks, too few labels) */
	double *p_out;
	unsigned char *inside_out;
} lc_stream_spec;

typedef struct lc_stream_chunk {
	size_t first, n;       /* rows order[first .. first+n) */
	double lo, hi;         /* thresholds used */
	double lo_in, hi_in;   /* thresholds for LS inside their run's labelled span */
	int64_t n_inside;      /* such LS */
	int64_t n_novel;       /* LS sent to humans as novel */
	lc_gz_rates rates;     /* rates of the chunk */
} lc_stream_chunk;

int lc_stream_run(const lc_stream_spec *s, const float *x, const int *y, const double *w, const double *lumi,
		  const int64_t *group, size_t n, int d, const size_t *order, signed char *dec, lc_stream_chunk *chunks,
		  lc_error *err);

/* Novelty gate: a linear autoencoder (PCA, broken-stick width) fitted on the n good rows x (n, d); *limit is factor
 * times the 99th percentile of their reconstruction errors. lc_novelty_errors scores rows with it. */
typedef struct lc_novelty {
	lc_net *ae;
	double limit;
} lc_novelty;
int lc_novelty_fit(const float *x, size_t n, int d, double factor, lc_novelty *nv, lc_error *err);
int lc_novelty_errors(const lc_novelty *nv, const float *x, size_t n, double *e, lc_error *err);
void lc_novelty_free(lc_novelty *nv);

/* Prepared rows of every evaluable LS of an ME (run, LS order) and the cell sum of each. */
typedef struct lc_lsrows {
	size_t n;
	int d;
	float *x;                /* (n, d) prepared rows */
	int64_t *run, *ls;       /* n */
	double *count;           /* n sums of the used cells */
	int64_t n_not_evaluable; /* LS skipped for too few entries */
} lc_lsrows;

int lc_store_rows(lc_store *st, const char *me, const lc_prep *prep, const lc_runlist *runs, lc_lsrows *out,
		  lc_error *err);
void lc_lsrows_free(lc_lsrows *r);

/* Recorded luminosity per run from a CMS OMS runs table (CSV with the columns run_number and recorded_lumi, as
 * oms_runs_2017B.csv); *run and *lumi are malloc'd (free()). Errors name path:line. */
int lc_run_lumi_read(FILE *f, const char *path, int64_t **run, double **lumi, size_t *n, lc_error *err);

/* ---------------------------------------------------------------- classifier models (certify) */

/* What to train for certification with a grey zone (lc_clf_model_train). */
typedef struct lc_clf_spec {
	const char *me;            /* ME name */
	const lc_runlist *runs;    /* runs whose labelled LS are learnt (NULL: all) */
	const char *label_source;  /* label source (1 good, 0 bad) */
	const char *lumi_csv;      /* OMS runs table for luminosity weights, or NULL (uniform) */
	lc_prep prep;              /* preparation (lc_clf_spec_default: sqrt of L1 bins without flow) */
	lc_clf_opts clf;           /* classifier */
	double max_loss, max_pollution, conf; /* caps and the confidence of their bounds */
	double novelty;            /* novelty gates' factor (0: off) */
	int group_by_run;          /* 1: cross-validation grouped by run (default) */
} lc_clf_spec;

void lc_clf_spec_default(lc_clf_spec *s, int kind);

/* A trained certifier: classifier, thresholds under caps, novelty gates, and where it came from. */
typedef struct lc_clf_model {
	char kind[16];             /* "xgb", "mlp", "knn" */
	lc_me_info me;             /* ME and binning at training time */
	lc_prep prep;
	lc_clf_opts opts;          /* opts.hidden points into hidden */
	char hidden[128];
	char label_source[128], runs[1024];
	double max_loss, max_pollution, conf, novelty;
	double lo, hi;             /* auto-bad below lo, auto-good at or above hi */
	int group_by_run;
	lc_clf *clf;
	lc_novelty gate_good, gate_bad;
	int64_t n_labelled, n_good, n_not_evaluable;
	double exp_pollution, exp_pollution_upper, exp_loss, exp_loss_upper; /* out of sample; 90% bounds */
	int updates;               /* warm-start updates since the first training */
	double train_seconds;
	char created[32], tool_version[16];
} lc_clf_model;

/* Trains on the labelled evaluable LS of spec->me; with warm (a model of the same kind and ME), training continues
 * from it (mlp: its weights; xgb: more trees on top of its trees; knn: the new labels) instead of starting over. */
int lc_clf_model_train(lc_store *st, const lc_clf_spec *spec, const lc_clf_model *warm, lc_clf_model **out,
		       lc_error *err);
void lc_clf_model_free(lc_clf_model *m);
/* Model file: the container of docs/model-format.md with kind "xgb"/"mlp"/"knn" (temporary name + rename). */
int lc_clf_model_save(const lc_clf_model *m, const char *path, lc_error *err);
int lc_clf_model_load(const char *path, lc_clf_model **out, lc_error *err);
char *lc_clf_model_header_json(const lc_clf_model *m);

/* One certified LS: decision LC_GZ_*, p(good), reason "auto", "novel", "grey" or "not_evaluable". */
typedef struct lc_cert_row {
	int64_t run, ls;
	int decision;
	double p_good;     /* NaN when not evaluable */
	double unusual;    /* good-gate error over its limit (> 1: unusual to good LS) */
	const char *reason;
} lc_cert_row;

/* Certifies every LS of the model's ME in runs (NULL: all), in run/LS order; *rows malloc'd (free()). */
int lc_clf_model_certify(const lc_clf_model *m, lc_store *st, const lc_runlist *runs, lc_cert_row **rows, size_t *n,
			 lc_error *err);

#ifdef __cplusplus
}
#endif
#endif
