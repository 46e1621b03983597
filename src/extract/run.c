/* run.c — a whole extraction: URL list, shards, resumable per-file event files, worker threads (files, or entry
 * ranges of one file when there are fewer files than threads), failures collected, per-LS CSV and store output. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#include "lumicert_extract.h"

void lc_extract_urls_free(char **urls, size_t n)
{
	if (!urls)
		return;
	for (size_t i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
}

int lc_extract_urls_read(const char *path, char ***urls, size_t *n, lc_error *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot open the URL list: %s", path, strerror(errno));
	char *line = NULL;
	size_t lcap = 0, k = 0, cap = 0, ln = 0;
	char **u = NULL;
	int rc = LC_OK;
	ssize_t len;
	while ((len = getline(&line, &lcap, f)) >= 0) {
		ln++;
		char *s = line, *e = line + len;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (s == e || *s == '#')
			continue;
		*e = 0;
		if (memchr(s, 0, (size_t)(e - s)) || strpbrk(s, " \t")) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s:%zu: expected one URL or path per line", path, ln);
			break;
		}
		if (k == cap) {
			cap = cap ? 2 * cap : 64;
			char **w = realloc(u, cap * sizeof *w);
			if (!w) {
				rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
				break;
			}
			u = w;
		}
		if (!(u[k] = strdup(s))) {
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			break;
		}
		k++;
	}
	free(line);
	fclose(f);
	if (rc) {
		lc_extract_urls_free(u, k);
		return rc;
	}
	*urls = u;
	*n = k;
	return LC_OK;
}

void lc_extract_summary_free(lc_extract_summary *s)
{
	if (!s)
		return;
	lc_extract_urls_free(s->failed, s->nfailed);
	lc_extract_urls_free(s->failed_msg, s->nfailed);
	free(s->csv_path);
	free(s->failed_path);
	memset(s, 0, sizeof *s);
}

/* OUTDIR/events/<last path component, sanitised>-<FNV-1a 64 of the URL>.lcev: unique per URL, recognisable. */
static char *event_path(const char *outdir, const char *url)
{
	uint64_t h = 1469598103934665603ull;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	const char *base = strrchr(url, '/');
	base = base ? base + 1 : url;
	char b[101];
	size_t n = 0;
	for (; base[n] && n < 100; n++) {
		char ch = base[n];
		b[n] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
				       ch == '-' || ch == '_'
			       ? ch
			       : '_';
	}
	b[n] = 0;
	sbuf s = {0};
	sb_printf(&s, "%s/events/%s-%016llx.lcev", outdir, b, (unsigned long long)h);
	if (s.oom) {
		sb_free(&s);
		return NULL;
	}
	return s.s;
}

/* A file of the run. */
typedef struct job {
	const char *url;
	char *evpath;       /* its event file */
	int todo;           /* 1: extract now */
	int nparts;         /* entry ranges it is split into (each streamed to its own file, concatenated at the end) */
	int left;           /* parts not finished */
	char **partpath;    /* nparts files (evpath itself when nparts is 1) */
	lc_event_table *tab; /* nparts tables: the events of each part, kept for the per-LS statistics */
	int64_t nrows;      /* events extracted over all parts */
	int failed;         /* 1 after the first failing part */
	char msg[1024];     /* that failure */
} job;

typedef struct pool {
	const lc_extract_config *c;
	job *jobs;
	size_t njobs;
	size_t next_job;    /* next (job, part) to hand out */
	int next_part;
	pthread_mutex_t mu;
	int64_t nevents;
	size_t nprocessed;
} pool;

/* Hands out the next (job, part), or returns 0. */
static int take(pool *p, size_t *ji, int *pi)
{
	pthread_mutex_lock(&p->mu);
	while (p->next_job < p->njobs && !p->jobs[p->next_job].todo)
		p->next_job++;
	int ok = p->next_job < p->njobs;
	if (ok) {
		*ji = p->next_job;
		*pi = p->next_part++;
		if (p->next_part == p->jobs[*ji].nparts) {
			p->next_job++;
			p->next_part = 0;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return ok;
}

/* Extracts part pi of job j into its file, batch events at a time, and keeps the events in j->tab[pi] (the per-LS
 * statistics need them all: kept here, they are not read back from the file). */
static int run_part(const lc_extract_config *c, job *j, int pi, int64_t *nrows, lc_error *err)
{
	lc_root *f;
	int rc = lc_root_open_url(j->url, &f, err);
	if (rc)
		return rc;
	lc_root_tree *t = NULL;
	lc_event_table *tab = &j->tab[pi];
	lc_event_writer *w = NULL;
	if (pi == 0)
		rc = lc_extract_config_check(c, f, err);
	if (!rc)
		rc = lc_root_tree_open(f, c->tree, &t, err);
	if (!rc)
		rc = lc_event_table_init(c, tab, err);
	if (!rc)
		rc = lc_event_writer_open(j->partpath[pi], tab, &w, err);
	if (!rc) {
		int64_t n = lc_root_tree_entries(t), first = n * pi / j->nparts, last = n * (pi + 1) / j->nparts;
		int64_t batch = INT64_MAX;
		for (size_t k = 0; k < c->nchannels; k++)
			batch = c->channels[k].batch < batch ? c->channels[k].batch : batch;
		if (last > first && !(tab->rows = malloc((size_t)(last - first) * tab->ncols * sizeof *tab->rows)))
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory for %lld events", (long long)(last - first));
		tab->cap = tab->rows ? (size_t)(last - first) : 0;
		for (int64_t a = first; a < last && !rc; a += batch) {
			size_t r0 = tab->nrows;
			rc = lc_extract_events_tree(c, t, a, last - a > batch ? a + batch : last, tab, err);
			lc_event_table add = {.ncols = tab->ncols, .nrows = tab->nrows - r0, .rows = tab->rows + r0 * tab->ncols};
			if (!rc)
				rc = lc_event_writer_add(w, &add, err);
			*nrows += (int64_t)add.nrows;
		}
	}
	int rc2 = lc_event_writer_close(w, !rc, rc ? NULL : err);
	if (rc || rc2)
		lc_event_table_free(tab);
	lc_root_tree_close(t);
	lc_root_close(f);
	return rc ? rc : rc2;
}

static void *worker(void *arg)
{
	pool *p = arg;
	size_t ji;
	int pi;
	while (take(p, &ji, &pi)) {
		job *j = &p->jobs[ji];
		lc_error e = {0};
		int64_t nrows = 0;
		int rc = run_part(p->c, j, pi, &nrows, &e);
		pthread_mutex_lock(&p->mu);
		if (rc && !j->failed) {
			j->failed = 1;
			snprintf(j->msg, sizeof j->msg, "%s", e.msg);
		}
		j->nrows += nrows;
		int last = --j->left == 0;
		pthread_mutex_unlock(&p->mu);
		if (!last)
			continue;
		/* the last part done: concatenate the parts into the event file */
		if (!j->failed && j->nparts > 1)
			rc = lc_event_files_concat((const char *const *)j->partpath, (size_t)j->nparts, j->evpath, &e);
		if (j->nparts > 1)
			for (int k = 0; k < j->nparts; k++)
				remove(j->partpath[k]);
		pthread_mutex_lock(&p->mu);
		if (rc && !j->failed) {
			j->failed = 1;
			snprintf(j->msg, sizeof j->msg, "%s", e.msg);
		} else if (!j->failed) {
			p->nevents += j->nrows;
			p->nprocessed++;
		}
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

static void free_parts(job *j)
{
	if (j->tab)
		for (int k = 0; k < j->nparts; k++)
			lc_event_table_free(&j->tab[k]);
	free(j->tab);
	j->tab = NULL;
	if (!j->partpath)
		return;
	for (int k = 0; k < j->nparts; k++)
		if (j->partpath[k] != j->evpath)
			free(j->partpath[k]);
	free(j->partpath);
	j->partpath = NULL;
}

static int mkdir_p(const char *path, lc_error *err)
{
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot create the directory: %s", path, strerror(errno));
	return LC_OK;
}

/* Writes the text produced by fn to path through a temporary file and a rename. */
static int write_atomic(const char *path, int (*fn)(void *ctx, FILE *f), void *ctx, lc_error *err)
{
	sbuf tmp = {0};
	sb_printf(&tmp, "%s.tmp%ld", path, (long)getpid());
	if (tmp.oom)
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	FILE *f = fopen(tmp.s, "w");
	if (!f) {
		int rc = lc_error_set(err, LC_ERR_IO, "%s: cannot write: %s", tmp.s, strerror(errno));
		sb_free(&tmp);
		return rc;
	}
	int rc = fn(ctx, f);
	rc |= ferror(f);
	rc |= fclose(f);
	if (rc || rename(tmp.s, path) != 0) {
		remove(tmp.s);
		sb_free(&tmp);
		return lc_error_set(err, LC_ERR_IO, "%s: cannot write", path);
	}
	sb_free(&tmp);
	return LC_OK;
}

typedef struct csv_ctx {
	const lc_ls_features *feat;
	int threads;
} csv_ctx;

static int csv_fn(void *ctx, FILE *f)
{
	const csv_ctx *x = ctx;
	return lc_ls_features_write_csv_threads(x->feat, f, x->threads);
}

static int failed_fn(void *ctx, FILE *f)
{
	const lc_extract_summary *s = ctx;
	for (size_t i = 0; i < s->nfailed; i++)
		fprintf(f, "%s\t%s\n", s->failed[i], s->failed_msg[i]);
	return 0;
}

/* Checks the config against the first URL that opens, before anything is written. */
static int precheck(const lc_extract_config *c, job *jobs, size_t n, lc_error *err)
{
	for (size_t i = 0; i < n; i++) {
		lc_root *f;
		lc_error e;
		if (lc_root_open_url(jobs[i].url, &f, &e))
			continue; /* a file that does not open fails later, in its turn */
		lc_error e2;
		int rc = lc_extract_config_check(c, f, &e2);
		lc_root_close(f);
		if (rc == LC_ERR_PARSE)
			return lc_error_set(err, rc, "%s: %s", jobs[i].url, e2.msg);
		return LC_OK;
	}
	return LC_OK;
}

int lc_extract_run(const lc_extract_config *c, const char *const *urls, size_t nurls, const char *outdir,
		   const lc_extract_opts *opts, lc_extract_summary *sum, lc_error *err)
{
	memset(sum, 0, sizeof *sum);
	int threads = opts && opts->threads > 0 ? opts->threads : 1;
	int si = opts ? opts->shard_i : 0, sn = opts ? opts->shard_n : 0;
	if (sn < 0 || (sn > 0 && (si < 1 || si > sn)))
		return lc_error_set(err, LC_ERR_INVALID, "shard %d/%d: expected I/N with 1 <= I <= N", si, sn);
	job *jobs = calloc(nurls ? nurls : 1, sizeof *jobs);
	if (!jobs)
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	size_t nj = 0;
	int rc = LC_OK;
	for (size_t i = 0; i < nurls && !rc; i++) {
		if (sn > 0 && (int)(i % (size_t)sn) != si - 1)
			continue;
		jobs[nj].url = urls[i];
		if (!(jobs[nj].evpath = event_path(outdir, urls[i])))
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		nj++;
	}
	lc_event_table *tables = NULL;
	lc_ls_features *feat = NULL;
	lc_store *st = NULL;
	sbuf evdir = {0}, csvp = {0}, failp = {0};
	sum->nurls = nj;
	if (rc)
		goto done;
	size_t ntodo = 0;
	for (size_t i = 0; i < nj; i++) {
		jobs[i].todo = access(jobs[i].evpath, F_OK) != 0;
		ntodo += (size_t)jobs[i].todo;
	}
	sum->nskipped = nj - ntodo;
	int nparts = ntodo && ntodo < (size_t)threads ? (int)(((size_t)threads + ntodo - 1) / ntodo) : 1;
	if ((rc = precheck(c, jobs, nj, err)))
		goto done;
	sb_printf(&evdir, "%s/events", outdir);
	if (sn > 0) {
		sb_printf(&csvp, "%s/features.shard-%d-of-%d.csv", outdir, si, sn);
		sb_printf(&failp, "%s/failed.shard-%d-of-%d.txt", outdir, si, sn);
	} else {
		sb_printf(&csvp, "%s/features.csv", outdir);
		sb_printf(&failp, "%s/failed.txt", outdir);
	}
	if (evdir.oom || csvp.oom || failp.oom) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		goto done;
	}
	if ((rc = mkdir_p(outdir, err)) || (rc = mkdir_p(evdir.s, err)))
		goto done;
	for (size_t i = 0; i < nj && !rc; i++) {
		if (!jobs[i].todo)
			continue;
		jobs[i].nparts = jobs[i].left = nparts;
		if (!(jobs[i].partpath = calloc((size_t)nparts, sizeof *jobs[i].partpath)) ||
		    !(jobs[i].tab = calloc((size_t)nparts, sizeof *jobs[i].tab)))
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		for (int k = 0; k < nparts && !rc; k++) {
			sbuf pp = {0};
			if (nparts == 1) {
				jobs[i].partpath[k] = jobs[i].evpath;
				continue;
			}
			sb_printf(&pp, "%s.part%d", jobs[i].evpath, k);
			if (pp.oom)
				rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			jobs[i].partpath[k] = pp.s;
		}
	}
	if (rc)
		goto done;
	pool p = {.c = c, .jobs = jobs, .njobs = nj};
	pthread_mutex_init(&p.mu, NULL);
	pthread_t *tid = calloc((size_t)threads, sizeof *tid);
	int started = 0;
	if (tid)
		for (; started < threads - 1; started++)
			if (pthread_create(&tid[started], NULL, worker, &p) != 0)
				break;
	worker(&p);
	for (int k = 0; k < started; k++)
		pthread_join(tid[k], NULL);
	free(tid);
	pthread_mutex_destroy(&p.mu);
	sum->nprocessed = p.nprocessed;
	sum->nevents = p.nevents;
	/* failures, then the per-LS features over the event files of every URL of the shard */
	lc_event_table want;
	if ((rc = lc_event_table_init(c, &want, err)))
		goto done;
	size_t ntab = 0;
	for (size_t i = 0; i < nj; i++)
		ntab += jobs[i].todo ? (size_t)jobs[i].nparts : 1;
	tables = calloc(ntab ? ntab : 1, sizeof *tables);
	sum->failed = calloc(nj ? nj : 1, sizeof *sum->failed);
	sum->failed_msg = calloc(nj ? nj : 1, sizeof *sum->failed_msg);
	if (!tables || !sum->failed || !sum->failed_msg)
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	size_t nt = 0;
	for (size_t i = 0; i < nj && !rc; i++) {
		lc_error e = {0};
		const char *msg = NULL;
		if (jobs[i].failed)
			msg = jobs[i].msg;
		else if (jobs[i].todo) { /* extracted now: its events are still in memory, in order of its parts */
			for (int k = 0; k < jobs[i].nparts; k++) {
				tables[nt++] = jobs[i].tab[k];
				memset(&jobs[i].tab[k], 0, sizeof jobs[i].tab[k]);
			}
		} else if (lc_event_table_read(jobs[i].evpath, &want, &tables[nt], &e) == LC_OK)
			nt++;
		else
			msg = e.msg;
		if (msg) {
			sum->failed[sum->nfailed] = strdup(jobs[i].url);
			sum->failed_msg[sum->nfailed] = strdup(msg);
			if (!sum->failed[sum->nfailed] || !sum->failed_msg[sum->nfailed])
				rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			sum->nfailed++;
		}
	}
	lc_event_table_free(&want);
	if (!rc)
		rc = lc_ls_features_compute_threads(c, tables, nt, threads, &feat, err);
	for (size_t i = 0; i < nt; i++)
		lc_event_table_free(&tables[i]);
	if (rc)
		goto done;
	sum->nls = feat->nls;
	csv_ctx cx = {feat, threads};
	if ((rc = write_atomic(csvp.s, csv_fn, &cx, err)) || (rc = write_atomic(failp.s, failed_fn, sum, err)))
		goto done;
	if (opts && opts->db) {
		if ((rc = lc_store_open(opts->db, 1, &st, err)) || (rc = lc_store_begin(st, err)))
			goto done;
		if ((rc = lc_ls_features_store(feat, st, err)) || (rc = lc_store_commit(st, err)))
			lc_store_rollback(st);
	}
	sum->csv_path = csvp.s;
	sum->failed_path = failp.s;
	csvp.s = failp.s = NULL;
done:
	for (size_t i = 0; i < nj; i++) {
		free_parts(&jobs[i]);
		free(jobs[i].evpath);
	}
	free(jobs);
	free(tables);
	lc_ls_features_free(feat);
	lc_store_close(st);
	sb_free(&evdir);
	sb_free(&csvp);
	sb_free(&failp);
	if (rc)
		lc_extract_summary_free(sum);
	return rc;
}
