/* import.c — `lumicert import DB FILE...`: histograms and label columns into the store, all files in one transaction;
 * a reader thread parses while this thread inserts. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lumicert_root.h"

static const char *help =
	"usage: lumicert import DB FILE... [--label-columns COL,...] [--format auto|csv|dials|root] [--me GLOB]\n\n"
	"Imports per-lumisection histograms into the store DB (created if absent):\n"
	"  ML4DQM CSV, wide (bin_0..bin_N columns) or long (histo as a quoted list), 1D or 2D;\n"
	"  DIALS JSON records (run_number, ls_number, me, x_min, x_max, x_bin, entries, data; 2D with y_*).\n"
	"All cells are stored, under/overflow included (docs/store.md). Re-importing an LS replaces it.\n"
	"All files go in one transaction: on any error nothing is imported and the exit code is 1.\n\n"
	"  --label-columns COL,...  turn these CSV columns into label sources of the same name (1 good, 0 bad)\n"
	"  ROOT files: CMS DQMIO (per-LS MEs of the Indices and TH1x/TH2x trees), or one TH1/TH2 key per LS\n"
	"  named run<R>_ls<L>_<ME> (docs/root.md).\n"
	"  --format F               auto (default: .json is DIALS, .root is ROOT, else CSV), csv, dials or root\n"
	"  --me GLOB                ROOT files: import only MEs whose name matches GLOB (e.g. 'PixelPhase1/*charge*')\n";

typedef struct import_ctx {
	lc_store *st;
	const char *path;   /* file being imported */
	long n_hist;        /* histograms imported */
	long n_labels;      /* labels set */
	int64_t run_lo, run_hi;
} import_ctx;

static int on_hist(void *ctx, const lc_hist *h, const lc_label_value *labels, int nlabels, lc_error *err)
{
	import_ctx *c = ctx;
	int rc = lc_store_put_hist(c->st, h, err);
	if (rc)
		return rc;
	c->n_hist++;
	if (!c->run_lo || h->run < c->run_lo)
		c->run_lo = h->run;
	if (h->run > c->run_hi)
		c->run_hi = h->run;
	for (int i = 0; i < nlabels; i++) {
		char origin[512];
		snprintf(origin, sizeof origin, "column %s of %s", labels[i].source, c->path);
		if ((rc = lc_store_put_label(c->st, labels[i].source, origin, h->run, h->ls, labels[i].good, err)))
			return rc;
		c->n_labels++;
	}
	return LC_OK;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* What to read: the files, their format and the label columns. */
typedef struct import_src {
	const char **files;       /* nfiles paths */
	int nfiles;
	const char *format;       /* auto, csv, dials or root */
	const char *me;           /* ROOT files: ME name pattern (fnmatch glob), NULL for all */
	const char *const *cols;  /* ncol label columns */
	int ncol;
} import_src;

/* Reads file i of src, handing each histogram to fn. */
static int read_file(const import_src *src, int i, lc_hist_fn fn, void *ctx, lc_error *err)
{
	const char *path = src->files[i];
	FILE *f = fopen(path, "rb");
	if (!f)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	int rc;
	int dials = !strcmp(src->format, "dials") || (!strcmp(src->format, "auto") && ends_with(path, ".json"));
	int root = !strcmp(src->format, "root") || (!strcmp(src->format, "auto") && ends_with(path, ".root"));
	if (src->me && !root) {
		fclose(f);
		return lc_error_set(err, LC_ERR_INVALID, "%s: --me applies to ROOT files only", path);
	}
	if (!strcmp(src->format, "root") || (!strcmp(src->format, "auto") && ends_with(path, ".root"))) {
		fclose(f);
		if (src->ncol)
			return lc_error_set(err, LC_ERR_INVALID, "%s: --label-columns applies to CSV files only", path);
		return lc_root_read_ls_hists(path, src->me, fn, ctx, NULL, err);
	}
	if (dials && src->ncol)
		rc = lc_error_set(err, LC_ERR_INVALID, "%s: --label-columns applies to CSV files only", path);
	else if (dials)
		rc = lc_dials_json_read(f, path, fn, ctx, err);
	else
		rc = lc_csv_read(f, path, src->cols, src->ncol, fn, ctx, err);
	fclose(f);
	return rc;
}

/* ---------------------------------------------------------------- reading and inserting in two threads
 * Parsing (~0.1 s for 37 MB) and inserting (SQLite) take comparable time, so a reader thread parses into batches of
 * copied histograms while this thread inserts them. The result is the one of reading and inserting in turn: batches
 * are inserted in file order, and the reader's error (a parse error, a file that cannot be opened) is reported only
 * once every histogram read before it went in, so an insert error earlier in the input wins, as it would serially. */

#define Q_BATCHES 4                 /* batches in flight: the reader runs at most this far ahead */
#define BATCH_HISTS 512             /* a batch is handed over after this many histograms ... */
#define BATCH_CELLS ((size_t)1 << 16) /* ... or this many cells (512 kB), whichever comes first */

/* One histogram in a batch: the reader's view, with its name, cells and labels copied into the batch's arenas
 * (as offsets, since the arenas grow while the batch fills). */
typedef struct qhist {
	lc_hist h;        /* h.me and h.cells are set from the offsets when the batch is inserted */
	size_t name_off;  /* ME name in names */
	size_t cell_off;  /* first cell in cells */
	size_t lab_off;   /* first label in labs */
	int nlab;         /* labels of this histogram */
	int file;         /* index of the file it came from (label origins name it) */
} qhist;

/* A batch of histograms; its arenas are reused from one round to the next. */
typedef struct batch {
	qhist *h;               /* n histograms */
	size_t n, hcap;
	double *cells;          /* ncells cells of all of them */
	size_t ncells, cellcap;
	char *names;            /* NUL-terminated ME names; consecutive histograms of one ME share theirs */
	size_t nnames, namecap;
	lc_label_value *labs;   /* labels (source points into the caller's column names, which outlive the import) */
	size_t nlabs, labcap;
} batch;

/* The queue between the reader thread and the inserting thread. Batch k lives in b[k % Q_BATCHES]; the reader fills
 * batch wi while batches ri .. wi-1 wait to be (or are being) inserted. */
typedef struct hist_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* signalled whenever wi, ri, done or stop change */
	batch b[Q_BATCHES];
	uint64_t wi, ri;          /* batches handed over and batches inserted */
	size_t queued;            /* cells in batches handed over and not yet inserted */
	int done;                 /* 1 when the reader finished; rc and err are then its result */
	int stop;                 /* 1 when the inserter failed: the reader gives up */
	int rc;                   /* reader's status */
	lc_error err;             /* reader's error */
	const import_src *src;    /* what to read */
	int file;                 /* file being read */
} hist_queue;

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t nc = *cap ? *cap : 64;
	while (nc < need)
		nc *= 2;
	void *np = realloc(p, nc * size);
	if (np)
		*cap = nc;
	return np;
}

/* Hands the filled batch to the inserter and waits for a free one. Returns 1 if the inserter has stopped. */
static int queue_publish(hist_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->wi++;
	q->queued += q->b[(q->wi - 1) % Q_BATCHES].ncells;
	pthread_cond_broadcast(&q->cv);
	/* huge histograms (up to 10^7 cells) come one a batch: then the cell count, not the batch count, bounds memory
	 * (two batches in flight still let reading overlap inserting) */
	while ((q->wi - q->ri >= Q_BATCHES || (q->wi - q->ri >= 2 && q->queued >= Q_BATCHES * BATCH_CELLS)) && !q->stop)
		pthread_cond_wait(&q->cv, &q->mu);
	int stop = q->stop;
	pthread_mutex_unlock(&q->mu);
	batch *b = &q->b[q->wi % Q_BATCHES];
	b->n = b->ncells = b->nnames = b->nlabs = 0;
	return stop;
}

/* Reader callback: copies h and its labels into the batch being filled. */
static int on_parsed(void *ctx, const lc_hist *h, const lc_label_value *labels, int nlabels, lc_error *err)
{
	hist_queue *q = ctx;
	batch *b = &q->b[q->wi % Q_BATCHES];
	size_t nc = lc_hist_ncells(h->dim, h->nx, h->ny);
	int same_name = b->n && strcmp(b->names + b->h[b->n - 1].name_off, h->me) == 0;
	size_t nlen = same_name ? 0 : strlen(h->me) + 1;
	qhist *nh = grow(b->h, &b->hcap, b->n + 1, sizeof *b->h);
	if (nh)
		b->h = nh;
	double *ncl = nh ? grow(b->cells, &b->cellcap, b->ncells + nc, sizeof *b->cells) : NULL;
	if (ncl)
		b->cells = ncl;
	char *nn = ncl ? grow(b->names, &b->namecap, b->nnames + nlen, 1) : NULL;
	if (nn)
		b->names = nn;
	lc_label_value *nl = nn ? grow(b->labs, &b->labcap, b->nlabs + (size_t)nlabels + 1, sizeof *b->labs) : NULL;
	if (!nl)
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory (%zu cells)", nc);
	b->labs = nl;
	qhist *e = &b->h[b->n++];
	e->h = *h;
	e->name_off = same_name ? b->h[b->n - 2].name_off : b->nnames;
	memcpy(b->names + b->nnames, h->me, nlen);
	b->nnames += nlen;
	e->cell_off = b->ncells;
	memcpy(b->cells + b->ncells, h->cells, nc * sizeof *h->cells);
	b->ncells += nc;
	e->lab_off = b->nlabs;
	e->nlab = nlabels;
	if (nlabels)
		memcpy(b->labs + b->nlabs, labels, (size_t)nlabels * sizeof *labels);
	b->nlabs += (size_t)nlabels;
	e->file = q->file;
	if ((b->n >= BATCH_HISTS || b->ncells >= BATCH_CELLS) && queue_publish(q))
		return lc_error_set(err, LC_ERR_INVALID, "import stopped"); /* never shown: the inserter's error is */
	return LC_OK;
}

/* The reader thread: reads every file into batches, then hands over the last one and its result. */
static void *reader_main(void *arg)
{
	hist_queue *q = arg;
	int rc = LC_OK;
	for (int i = 0; !rc && i < q->src->nfiles; i++) {
		q->file = i;
		rc = read_file(q->src, i, on_parsed, q, &q->err);
	}
	pthread_mutex_lock(&q->mu);
	if (q->b[q->wi % Q_BATCHES].n) {
		q->queued += q->b[q->wi % Q_BATCHES].ncells;
		q->wi++;
	}
	q->done = 1;
	q->rc = rc;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Inserts the histograms of batch b. */
static int insert_batch(import_ctx *c, const import_src *src, batch *b, lc_error *err)
{
	for (size_t i = 0; i < b->n; i++) {
		qhist *e = &b->h[i];
		e->h.me = b->names + e->name_off;
		e->h.cells = b->cells + e->cell_off;
		c->path = src->files[e->file];
		int rc = on_hist(c, &e->h, b->labs + e->lab_off, e->nlab, err);
		if (rc)
			return rc;
	}
	return LC_OK;
}

/* Reads all files of src and inserts them into c->st: in two threads, or in turn if no thread can be started. */
static int import_all(import_ctx *c, const import_src *src, lc_error *err)
{
	hist_queue *q = calloc(1, sizeof *q);
	pthread_t tid;
	int rc = LC_OK;
	if (!q || pthread_mutex_init(&q->mu, NULL)) {
		free(q);
		q = NULL;
	} else if (pthread_cond_init(&q->cv, NULL)) {
		pthread_mutex_destroy(&q->mu);
		free(q);
		q = NULL;
	} else {
		q->src = src;
		if (pthread_create(&tid, NULL, reader_main, q)) {
			pthread_cond_destroy(&q->cv);
			pthread_mutex_destroy(&q->mu);
			free(q);
			q = NULL;
		}
	}
	if (!q) {
		for (int i = 0; !rc && i < src->nfiles; i++) {
			c->path = src->files[i];
			rc = read_file(src, i, on_hist, c, err);
		}
		return rc;
	}
	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (q->ri == q->wi && !q->done)
			pthread_cond_wait(&q->cv, &q->mu);
		int empty = q->ri == q->wi;
		pthread_mutex_unlock(&q->mu);
		if (empty)
			break; /* the reader is done and everything it read is in */
		batch *b = &q->b[q->ri % Q_BATCHES];
		rc = insert_batch(c, src, b, err);
		size_t ncells = b->ncells;
		if (b->cellcap > 2 * BATCH_CELLS) {
			/* a batch that held a huge histogram gives its memory back */
			free(b->cells);
			b->cells = NULL;
			b->cellcap = 0;
		}
		pthread_mutex_lock(&q->mu);
		if (rc) {
			q->stop = 1;
		} else {
			q->ri++;
			q->queued -= ncells;
		}
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		if (rc)
			break;
	}
	pthread_join(tid, NULL);
	if (!rc && q->rc) {
		rc = q->rc;
		if (err)
			*err = q->err;
	}
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	for (int i = 0; i < Q_BATCHES; i++) {
		free(q->b[i].h);
		free(q->b[i].cells);
		free(q->b[i].names);
		free(q->b[i].labs);
	}
	free(q);
	return rc;
}

int cmd_import(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return 0;
	}
	const char *db = NULL, *labelcols = NULL, *format = "auto", *me = NULL;
	const char **files = calloc((size_t)argc, sizeof *files);
	int nfiles = 0;
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (opt_value(argc, argv, &i, "--label-columns", &v))
			labelcols = v;
		else if (opt_value(argc, argv, &i, "--format", &v))
			format = v;
		else if (opt_value(argc, argv, &i, "--me", &v))
			me = v;
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			return usage_error("import", "unknown option %s", argv[i]);
		else if (!db)
			db = argv[i];
		else
			files[nfiles++] = argv[i];
	}
	if (!db || !nfiles)
		return usage_error("import", "expected DB and at least one FILE");
	if (strcmp(format, "auto") && strcmp(format, "csv") && strcmp(format, "dials") && strcmp(format, "root"))
		return usage_error("import", "--format must be auto, csv, dials or root");

	/* label column names, split on commas */
	char *cols = labelcols ? strdup(labelcols) : NULL;
	const char *colv[64];
	int ncol = 0;
	for (char *p = cols ? strtok(cols, ",") : NULL; p; p = strtok(NULL, ","))
		if (ncol < 64)
			colv[ncol++] = p;

	lc_error err = {0};
	int existed = file_exists(db);
	lc_store *st = NULL;
	int rc = lc_store_open(db, 1, &st, &err);
	import_ctx c = {.st = st};
	if (!rc)
		rc = lc_store_begin(st, &err);
	import_src src = {.files = files, .nfiles = nfiles, .format = format, .me = me, .cols = colv, .ncol = ncol};
	if (!rc)
		rc = import_all(&c, &src, &err);
	if (!rc)
		rc = lc_store_commit(st, &err);
	if (rc && st)
		lc_store_rollback(st);
	lc_store_close(st);
	free(cols);
	free(files);
	if (rc) {
		if (!existed)
			remove_new_store(db);
		return fail("import", &err);
	}
	printf("imported %ld histograms from %d file%s (runs %lld-%lld), %ld labels\n", c.n_hist, nfiles,
	       nfiles == 1 ? "" : "s", (long long)c.run_lo, (long long)c.run_hi, c.n_labels);
	return 0;
}
