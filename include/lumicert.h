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

/* Opens (create = 1: creates if absent) a store. Checks the schema version; turns on WAL and a busy timeout. */
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
	int threads;          /* worker threads; the result is bit-identical for the same seed and thread count */
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

#ifdef __cplusplus
}
#endif
#endif
