/* report.c — `lumicert report`'s library side: scores every LS with the model, decides the state of each LS (good,
 * grey zone, flagged, not evaluable), and writes one self-contained HTML page: run summary table, per-run score
 * plots, per-LS histograms against their reconstruction, label-based curves and the model card (docs/report.md). */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "report/plot.h"
#include "report/report.h"

enum { ST_GOOD = 0, ST_GREY = 1, ST_FLAG = 2, ST_NE = 3, N_ST = 4 };
static const char *st_name[N_ST] = {"good", "grey zone", "flagged", "not evaluable"};
static const char *st_cls[N_ST] = {"good", "grey", "flag", "ne"};
static const char st_code[N_ST] = {'g', 'z', 'f', 'n'};

/* One run of the report. */
typedef struct runinfo {
	int64_t run;        /* run number */
	size_t first, n;    /* its LS are rows first .. first + n - 1 */
	size_t cnt[N_ST];   /* LS per state */
	size_t n_lab_bad;   /* LS labelled bad */
	size_t n_lab_good;  /* LS labelled good */
	double smin, smed, smax; /* evaluable scores (NaN when none) */
} runinfo;

typedef struct rep {
	lc_store *st;
	const lc_model *m;
	const lc_report_opts *o;
	lc_score_row *rows;  /* n scored LS in run/LS order */
	size_t n;
	signed char *state;  /* n states (ST_*) */
	signed char *label;  /* n labels: 1 good, 0 bad, -1 none */
	int *detail;         /* n: index into details + 1, or 0 */
	runinfo *runs;
	size_t nruns;
	cert_data cert;      /* with certify_dir */
	int have_cert;
	rates rt;            /* labelled evaluable LS (with labels) */
	int have_rates;
	lc_metrics met;      /* metrics of the scores against the labels */
	int have_met;
	double thr;          /* model threshold */
	double grey_lo, grey_hi; /* grey band (without certify), NaN when none */
	int ylog;            /* score axis on a log scale */
	double ylo, yhi;     /* score axis range */
	size_t *details;     /* rows shown with their histograms */
	size_t ndetails;
	size_t omitted_flag, omitted_grey;
	sbuf b;              /* the page */
} rep;

static int nomem(lc_error *err)
{
	return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
}

void lc_report_opts_default(lc_report_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_loss = NAN;
	o->max_pollution = NAN;
	o->threshold = NAN;
	o->max_details = 40;
	o->collapse_runs = 30;
	o->threads = 1;
}

/* ------------------------------------------------------------------ data */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Labels, states, runs, rates, grey band, score axis. */
static int prepare(rep *r, lc_error *err)
{
	const lc_report_opts *o = r->o;
	size_t n = r->n;
	r->state = malloc(n + 1);
	r->label = malloc(n + 1);
	r->detail = calloc(n + 1, sizeof *r->detail);
	if (!r->state || !r->label || !r->detail)
		return nomem(err);
	memset(r->label, -1, n + 1);
	r->thr = isnan(o->threshold) ? r->m->threshold : o->threshold;
	r->grey_lo = r->grey_hi = NAN;

	if (o->labels) {
		lc_lsset *good = NULL, *bad = NULL;
		int rc = lc_store_labels(r->st, o->labels, &good, &bad, err);
		if (rc)
			return rc;
		size_t nl = 0;
		for (size_t i = 0; i < n; i++) {
			if (lc_lsset_has(bad, r->rows[i].run, r->rows[i].ls))
				r->label[i] = 0;
			else if (lc_lsset_has(good, r->rows[i].run, r->rows[i].ls))
				r->label[i] = 1;
			nl += r->label[i] >= 0 && r->rows[i].evaluable;
		}
		lc_lsset_free(good);
		lc_lsset_free(bad);
		double *s = malloc((nl ? nl : 1) * sizeof *s);
		int *isbad = malloc((nl ? nl : 1) * sizeof *isbad);
		if (!s || !isbad) {
			free(s);
			free(isbad);
			return nomem(err);
		}
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (r->label[i] >= 0 && r->rows[i].evaluable) {
				s[k] = r->rows[i].score;
				isbad[k++] = r->label[i] == 0;
			}
		rc = rates_init(&r->rt, s, isbad, nl);
		if (!rc) {
			r->have_rates = 1;
			lc_error e2 = {0};
			r->have_met = nl && lc_metrics_compute(s, isbad, nl, &r->met, &e2) == LC_OK;
		}
		free(s);
		free(isbad);
		if (rc)
			return nomem(err);
	}

	if (o->certify_dir) {
		int rc = cert_read(o->certify_dir, &r->cert, err);
		if (rc)
			return rc;
		r->have_cert = 1;
	} else if (r->have_rates && r->rt.n && (!isnan(o->max_loss) || !isnan(o->max_pollution))) {
		rates_grey(&r->rt, r->thr, o->max_pollution, o->max_loss, &r->grey_lo, &r->grey_hi);
		if (!(r->grey_hi > r->grey_lo))
			r->grey_lo = r->grey_hi = NAN;
	}

	for (size_t i = 0; i < n; i++) {
		const lc_score_row *x = &r->rows[i];
		int s = !x->evaluable ? ST_NE : x->score > r->thr ? ST_FLAG : ST_GOOD;
		if (x->evaluable && !isnan(r->grey_lo))
			s = x->score <= r->grey_lo ? ST_GOOD : x->score <= r->grey_hi ? ST_GREY : ST_FLAG;
		if (r->have_cert) {
			if (cert_review(&r->cert, x->run, x->ls))
				s = ST_GREY;
			else if (lc_lsset_has(r->cert.bad, x->run, x->ls))
				s = ST_FLAG;
			else if (lc_lsset_has(r->cert.good, x->run, x->ls))
				s = ST_GOOD;
		}
		r->state[i] = (signed char)s;
	}

	/* runs */
	for (size_t i = 0; i < n; i++)
		if (!i || r->rows[i].run != r->rows[i - 1].run)
			r->nruns++;
	r->runs = calloc(r->nruns ? r->nruns : 1, sizeof *r->runs);
	double *tmp = malloc((n ? n : 1) * sizeof *tmp);
	if (!r->runs || !tmp) {
		free(tmp);
		return nomem(err);
	}
	size_t ri = 0;
	for (size_t i = 0; i < n;) {
		runinfo *u = &r->runs[ri++];
		u->run = r->rows[i].run;
		u->first = i;
		size_t ne = 0;
		for (; i < n && r->rows[i].run == u->run; i++) {
			u->n++;
			u->cnt[r->state[i]]++;
			u->n_lab_bad += r->label[i] == 0;
			u->n_lab_good += r->label[i] == 1;
			if (r->rows[i].evaluable)
				tmp[ne++] = r->rows[i].score;
		}
		u->smin = u->smed = u->smax = NAN;
		if (ne) {
			qsort(tmp, ne, sizeof *tmp, cmp_double);
			u->smin = tmp[0];
			u->smax = tmp[ne - 1];
			u->smed = ne % 2 ? tmp[ne / 2] : 0.5 * (tmp[ne / 2 - 1] + tmp[ne / 2]);
		}
	}
	free(tmp);

	/* score axis: log when every evaluable score is positive and they span two decades or more */
	double lo = INFINITY, hi = -INFINITY;
	int allpos = 1;
	for (size_t i = 0; i < n; i++)
		if (r->rows[i].evaluable && isfinite(r->rows[i].score)) {
			double s = r->rows[i].score;
			lo = s < lo ? s : lo;
			hi = s > hi ? s : hi;
			allpos &= s > 0;
		}
	if (isfinite(r->thr)) {
		lo = r->thr < lo ? r->thr : lo;
		hi = r->thr > hi ? r->thr : hi;
		allpos &= r->thr > 0;
	}
	if (!(hi >= lo)) {
		lo = 0;
		hi = 1;
	}
	r->ylog = allpos && hi > 100 * lo;
	if (r->ylog) {
		r->ylo = pow(10, floor(log10(lo)));
		r->yhi = pow(10, ceil(log10(hi)));
	} else {
		r->ylo = lo > 0 ? 0 : lo;
		r->yhi = hi > r->ylo ? hi * 1.05 : r->ylo + 1;
	}
	return LC_OK;
}

/* A candidate for the details: its row, sort key (higher first) and rank among its run's candidates. */
typedef struct cand {
	size_t i;     /* row index */
	double key;   /* score, or p_bad for grey-zone LS with a certify directory */
	size_t rank;  /* 0 = the highest key of its run */
	size_t run;   /* run index */
} cand;

static int by_key_desc(const void *a, const void *b)
{
	const cand *x = a, *y = b;
	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int by_rank_key(const void *a, const void *b)
{
	const cand *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return by_key_desc(a, b);
}

static int by_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* The candidates of state s in round-robin order: the worst LS of every run before the second worst of any, so
 * that a bad run of 500 alike LS does not crowd out the others. *out is malloc'd. */
static int candidates(rep *r, int s, cand **out, size_t *nout)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += r->state[i] == s;
	cand *c = malloc((n ? n : 1) * sizeof *c);
	size_t *seen = calloc(r->nruns ? r->nruns : 1, sizeof *seen);
	if (!c || !seen) {
		free(c);
		free(seen);
		return LC_ERR_NOMEM;
	}
	n = 0;
	for (size_t ri = 0; ri < r->nruns; ri++)
		for (size_t i = r->runs[ri].first; i < r->runs[ri].first + r->runs[ri].n; i++) {
			if (r->state[i] != s)
				continue;
			double key = r->rows[i].evaluable ? r->rows[i].score : -INFINITY;
			const review_row *v = r->have_cert ? cert_review(&r->cert, r->rows[i].run, r->rows[i].ls) : NULL;
			if (v && !isnan(v->p_bad))
				key = v->p_bad;
			c[n++] = (cand){i, key, 0, ri};
		}
	qsort(c, n, sizeof *c, by_key_desc);
	for (size_t k = 0; k < n; k++)
		c[k].rank = seen[c[k].run]++;
	qsort(c, n, sizeof *c, by_rank_key);
	free(seen);
	*out = c;
	*nout = n;
	return LC_OK;
}

/* Picks the flagged and grey-zone LS shown with their histograms: half of max_details each (the rest to the other
 * state when one has fewer), the highest scores first (grey zone with certify: the highest p_bad first), taking
 * in turn from every run. */
static int pick_details(rep *r, lc_error *err)
{
	cand *f = NULL, *g = NULL;
	size_t nf = 0, ng = 0, cap = r->o->max_details > 0 ? (size_t)r->o->max_details : 0;
	r->details = malloc((cap ? cap : 1) * sizeof *r->details);
	if (!r->details || candidates(r, ST_FLAG, &f, &nf) || candidates(r, ST_GREY, &g, &ng)) {
		free(f);
		free(g);
		return nomem(err);
	}
	size_t kg = ng < cap / 2 ? ng : cap / 2, kf = nf < cap - kg ? nf : cap - kg;
	if (kg + kf < cap && ng > kg)
		kg = ng < cap - kf ? ng : cap - kf;
	r->ndetails = 0;
	for (size_t i = 0; i < kg; i++)
		r->details[r->ndetails++] = g[i].i;
	for (size_t i = 0; i < kf; i++)
		r->details[r->ndetails++] = f[i].i;
	r->omitted_flag = nf - kf;
	r->omitted_grey = ng - kg;
	qsort(r->details, r->ndetails, sizeof *r->details, by_index); /* page order: run, then LS */
	for (size_t i = 0; i < r->ndetails; i++)
		r->detail[r->details[i]] = (int)i + 1;
	free(f);
	free(g);
	return LC_OK;
}

/* ------------------------------------------------------------------ page pieces */

static const char *css =
	"body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:0 16px 40px;color:#222}"
	"h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ccc}"
	"h3{font-size:15px;margin:18px 0 4px}.meta{color:#555}"
	"table{border-collapse:collapse;margin:6px 0}td,th{padding:2px 8px;border-bottom:1px solid #e4e4e4;"
	"text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}tr.tot td{font-weight:600}"
	"svg{display:block;margin:4px 0}.pa{fill:#fff;stroke:#999}.grid{stroke:#eee}.tl{font-size:10px;fill:#444}"
	".at{font-size:11px;fill:#222}.thr{stroke:#000;stroke-dasharray:5 3;fill:none}"
	".cap{stroke:#7b3294;stroke-dasharray:2 2;fill:none}.band{fill:#f4a200;fill-opacity:.15}"
	".p{fill:none;stroke-linecap:round;stroke-width:4}.p.good{stroke:#1a9850}.p.grey{stroke:#f4a200}"
	".p.flag{stroke:#d7301f}.p.ne{stroke:#999;stroke-width:3}"
	".lab{fill:none;stroke-width:2}.lab.bad{stroke:#7f0000}.lab.good{stroke:#a6dba0}"
	".in{fill:none;stroke:#2166ac;stroke-width:1.5}.rec{fill:none;stroke:#e08214;stroke-width:1.5;"
	"stroke-dasharray:4 2}.err{fill:#d7301f}.cg{fill:none;stroke:#1a9850;stroke-width:1.5}"
	".cb{fill:none;stroke:#d7301f;stroke-width:1.5}.cw{fill:none;stroke:#2166ac;stroke-width:1.5}"
	".diag{stroke:#bbb;stroke-dasharray:3 3}.frame{fill:none;stroke:#999}.mk{fill:#000}"
	".ring{fill:none;stroke:#000;stroke-width:1.2}"
	".sw{display:inline-block;width:10px;height:10px;border-radius:5px;margin:0 4px 0 10px}"
	".sw.good{background:#1a9850}.sw.grey{background:#f4a200}.sw.flag{background:#d7301f}.sw.ne{background:#999}"
	".sw.lbad{background:#7f0000;border-radius:0;width:3px}.sw.lgood{background:#a6dba0;border-radius:0;width:3px}"
	"details.runplot>summary,details.ls-detail>summary{cursor:pointer;margin-top:6px}summary h3{display:inline}.num{font-variant-numeric:tabular-nums}"
	"#tip{position:fixed;display:none;background:#fff;border:1px solid #888;padding:2px 6px;font-size:12px;"
	"pointer-events:none}.note{color:#555;font-size:13px}pre{background:#f6f6f6;padding:8px;overflow:auto}"
	".flex{display:flex;flex-wrap:wrap;gap:8px}";

/* Tooltips on the per-run plots: the nearest LS under the mouse. Sets body[data-ok] once set up, which the
 * headless-browser test checks. */
static const char *script =
	"(function(){var tip=document.getElementById('tip'),N={g:'good',z:'grey zone',f:'flagged',n:'not evaluable'};"
	"document.querySelectorAll('svg.run').forEach(function(s){var L=null,S,T;"
	"s.addEventListener('mousemove',function(e){if(!L){L=s.dataset.l.split(' ').map(Number);"
	"S=s.dataset.s.split(' ');T=s.dataset.t}var b=s.getBoundingClientRect(),vb=s.viewBox.baseVal,"
	"x=(e.clientX-b.left)*vb.width/b.width,x0=+s.dataset.px0,x1=+s.dataset.px1,"
	"v=+s.dataset.l0+(x-x0)/(x1-x0)*(s.dataset.l1-s.dataset.l0),lo=0,hi=L.length-1;"
	"while(lo<hi){var m=(lo+hi)>>1;if(L[m]<v)lo=m+1;else hi=m}"
	"if(lo>0&&v-L[lo-1]<L[lo]-v)lo--;tip.textContent='run '+s.dataset.run+' LS '+L[lo]+': score '+S[lo]+"
	"' ('+N[T[lo]]+')';tip.style.left=(e.clientX+12)+'px';tip.style.top=(e.clientY+12)+'px';"
	"tip.style.display='block'});s.addEventListener('mouseleave',function(){tip.style.display='none'})});"
	"function op(){var d=location.hash&&document.getElementById(location.hash.slice(1));"
	"if(d&&d.tagName=='DETAILS')d.open=true}window.addEventListener('hashchange',op);op();"
	"document.body.setAttribute('data-ok','1')})();";

static const char *score_title(const lc_model *m)
{
	return m->loss == LC_LOSS_TOPK ? "score (top-k MSE of the prepared bins)"
				       : "score (MSE of the prepared bins)";
}

/* What one prepared value means, for axis titles. */
static const char *value_title(const lc_model *m)
{
	int l1 = m->prep.normalize == LC_NORM_L1;
	switch (m->prep.repr) {
	case LC_REPR_SQRT: return l1 ? "sqrt(fraction of entries)" : "sqrt(entries)";
	case LC_REPR_CDF: return l1 ? "cumulative fraction of entries" : "cumulative entries";
	}
	return l1 ? "fraction of entries per bin" : "entries per bin";
}

static void legend(rep *r)
{
	sbuf *b = &r->b;
	sb_printf(b, "<p class=\"legend\">");
	for (int s = 0; s < N_ST; s++)
		sb_printf(b, "<span class=\"sw %s\"></span>%s", st_cls[s], st_name[s]);
	if (r->o->labels)
		sb_printf(b, "<span class=\"sw lbad\"></span>labelled bad<span class=\"sw lgood\"></span>labelled good");
	sb_printf(b, "&nbsp;&nbsp; dashed line: threshold %.4g", r->thr);
	if (!isnan(r->grey_lo))
		sb_printf(b, "; shaded band: grey zone (%.4g, %.4g]", r->grey_lo, r->grey_hi);
	sb_printf(b, "; ringed points have details below</p>\n");
}

static void header(rep *r)
{
	sbuf *b = &r->b;
	char now[32];
	utc_now(now, sizeof now);
	sb_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>lumicert report: ");
	html_esc(b, r->m->me.name);
	sb_printf(b, "</title>\n<style>%s</style></head>\n<body>\n<div id=\"tip\"></div>\n", css);
	sb_printf(b, "<h1 id=\"title\">lumicert report: ");
	html_esc(b, r->m->me.name);
	sb_printf(b, "</h1>\n<p class=\"meta\">");
	if (r->o->store_name) {
		sb_printf(b, "store <code>");
		html_esc(b, r->o->store_name);
		sb_printf(b, "</code> · ");
	}
	if (r->o->model_name) {
		sb_printf(b, "model <code>");
		html_esc(b, r->o->model_name);
		sb_printf(b, "</code> · ");
	}
	if (r->o->labels) {
		sb_printf(b, "labels <code>");
		html_esc(b, r->o->labels);
		sb_printf(b, "</code> · ");
	}
	if (r->o->certify_dir) {
		sb_printf(b, "certification <code>");
		html_esc(b, r->o->certify_dir);
		sb_printf(b, "</code> · ");
	}
	sb_printf(b, "written %s by lumicert %s</p>\n", now, LC_VERSION);
	sb_printf(b, "<p class=\"meta\"><a href=\"#run-table\">runs</a> · <a href=\"#runs\">scores per run</a> · "
		     "<a href=\"#details\">flagged and grey-zone LS</a> · <a href=\"#curves\">curves</a> · "
		     "<a href=\"#model-card\">model card</a></p>\n");
}

static void summary(rep *r, lc_report_stats *stats)
{
	sbuf *b = &r->b;
	size_t tot[N_ST] = {0};
	for (size_t i = 0; i < r->n; i++)
		tot[r->state[i]]++;
	sb_printf(b, "<h2 id=\"summary\">Summary</h2>\n<p>%zu LS in %zu runs: ", r->n, r->nruns);
	for (int s = 0; s < N_ST; s++)
		sb_printf(b, "%s<span class=\"sw %s\"></span><b id=\"n-%s\">%zu</b> %s", s ? ", " : "", st_cls[s], st_cls[s],
			  tot[s], st_name[s]);
	sb_printf(b, ".</p>\n<p class=\"note\">");
	if (r->have_cert)
		sb_printf(b, "States from the certification directory: LS in review.csv are in the grey zone, LS in "
			     "auto-bad.json flagged, LS in auto-good.json good; other LS by the model's threshold %.4g.",
			  r->thr);
	else if (!isnan(r->grey_lo))
		sb_printf(b, "Grey zone: scores in (%.4g, %.4g], the band between the model's threshold %.4g and the "
			     "scores at which the caps (pollution &le; %.4g, loss &le; %.4g) are met on the %zu labelled LS "
			     "of this report. It describes these labelled LS; it is not a certification on new data.",
			  r->grey_lo, r->grey_hi, r->thr, r->o->max_pollution, r->o->max_loss, r->rt.n);
	else
		sb_printf(b, "Good: score &le; threshold %.4g; flagged: score above it; not evaluable: fewer than %g "
			     "entries. No grey zone (give --certify DIR, or --labels with --max-loss / --max-pollution).",
			  r->thr, r->m->prep.min_entries);
	sb_printf(b, "</p>\n");
	if (stats) {
		stats->n_good = tot[ST_GOOD];
		stats->n_grey = tot[ST_GREY];
		stats->n_flagged = tot[ST_FLAG];
		stats->n_not_evaluable = tot[ST_NE];
	}
}

/* Per-run summaries in one plot: score range (min–max) and median per run, state fractions as a strip below. */
static void overview(rep *r)
{
	sbuf *b = &r->b;
	if (!r->nruns)
		return;
	double W = 1040, H = 300;
	axis x = {0, (double)r->nruns, 0, 70, W - 20}, y = {r->ylo, r->yhi, r->ylog, H - 95, 10};
	sb_printf(b, "<h2 id=\"overview\">Scores of all runs</h2>\n<svg id=\"overview-plot\" viewBox=\"0 0 %g %g\" "
		     "width=\"%g\" height=\"%g\">",
		  W, H, W, H);
	/* x ticks: run numbers, at most ~12 labels */
	axis xn = x;
	xn.lo = 1;
	xn.hi = 0; /* no numeric ticks: run numbers are labels */
	plot_frame(b, &xn, &y, "", score_title(r->m));
	size_t step = r->nruns / 12 + 1;
	for (size_t i = 0; i < r->nruns; i += step)
		sb_printf(b, "<text class=\"tl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%lld</text>",
			  ax_map(&x, i + 0.5), H - 80, (long long)r->runs[i].run);
	sb_printf(b, "<text class=\"at\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">run (in order; %zu runs)</text>",
		  (x.p0 + x.p1) / 2, H - 66, r->nruns);
	plot_hband(b, &x, &y, r->grey_lo, r->grey_hi, "band");
	plot_hline(b, &x, &y, r->thr, "thr");
	sb_printf(b, "<path class=\"cw\" d=\"");
	for (size_t i = 0; i < r->nruns; i++)
		if (!isnan(r->runs[i].smin))
			sb_printf(b, "M%.1f %.1fV%.1f", ax_map(&x, i + 0.5), ax_map(&y, r->runs[i].smin),
				  ax_map(&y, r->runs[i].smax));
	sb_printf(b, "\"/><path class=\"p\" style=\"stroke:#000\" d=\"");
	for (size_t i = 0; i < r->nruns; i++)
		if (!isnan(r->runs[i].smed))
			sb_printf(b, "M%.1f %.1fh0", ax_map(&x, i + 0.5), ax_map(&y, r->runs[i].smed));
	sb_printf(b, "\"/>");
	/* state strip: per run a stacked bar of state fractions */
	double sy = H - 52, sh = 22;
	for (int s = 0; s < N_ST; s++) {
		sb_printf(b, "<path class=\"%s\" style=\"stroke:none\" fill=\"%s\" d=\"", st_cls[s],
			  s == ST_GOOD ? "#1a9850" : s == ST_GREY ? "#f4a200" : s == ST_FLAG ? "#d7301f" : "#999");
		for (size_t i = 0; i < r->nruns; i++) {
			const runinfo *u = &r->runs[i];
			double below = 0;
			for (int t = 0; t < s; t++)
				below += u->cnt[t];
			double a = ax_map(&x, (double)i), c = ax_map(&x, i + 1.0);
			double y0 = sy + sh * below / u->n, hh = sh * u->cnt[s] / u->n;
			if (hh > 0)
				sb_printf(b, "M%.1f %.1fH%.1fV%.1fH%.1fZ", a, y0, c, y0 + hh, a);
		}
		sb_printf(b, "\"/>");
	}
	sb_printf(b, "<text class=\"tl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">LS states</text>"
		     "<text class=\"at\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">line: score range of the run's "
		     "evaluable LS (min to max); dot: median; strip: fraction of LS per state</text></svg>\n",
		  x.p0 - 4, sy + 14, (x.p0 + x.p1) / 2, H - 12);
}

static void run_table(rep *r)
{
	sbuf *b = &r->b;
	int lab = r->o->labels != NULL;
	/* long tables start collapsed: the overview plot above summarises the runs */
	sb_printf(b, "<h2 id=\"run-table\">Runs</h2>\n<details%s><summary>LS per state in each of the %zu runs"
		     "</summary>\n<table class=\"num\"><tr><th>run</th><th>LS</th>",
		  r->nruns <= 100 ? " open" : "", r->nruns);
	for (int s = 0; s < N_ST; s++)
		sb_printf(b, "<th><span class=\"sw %s\"></span>%s</th>", st_cls[s], st_name[s]);
	if (lab)
		sb_printf(b, "<th>labelled bad</th><th>labelled good</th>");
	sb_printf(b, "<th>median score</th><th>max score</th></tr>\n");
	size_t tot[N_ST] = {0}, tb = 0, tg = 0;
	char s1[32], s2[32];
	for (size_t i = 0; i < r->nruns; i++) {
		const runinfo *u = &r->runs[i];
		sb_printf(b, "<tr><td><a href=\"#run-%lld\">%lld</a></td><td>%zu</td>", (long long)u->run,
			  (long long)u->run, u->n);
		for (int s = 0; s < N_ST; s++) {
			sb_printf(b, "<td>%zu</td>", u->cnt[s]);
			tot[s] += u->cnt[s];
		}
		if (lab)
			sb_printf(b, "<td>%zu</td><td>%zu</td>", u->n_lab_bad, u->n_lab_good);
		tb += u->n_lab_bad;
		tg += u->n_lab_good;
		sb_printf(b, "<td>%s</td><td>%s</td></tr>\n", num(s1, sizeof s1, u->smed), num(s2, sizeof s2, u->smax));
	}
	sb_printf(b, "<tr class=\"tot\"><td>all</td><td>%zu</td>", r->n);
	for (int s = 0; s < N_ST; s++)
		sb_printf(b, "<td>%zu</td>", tot[s]);
	if (lab)
		sb_printf(b, "<td>%zu</td><td>%zu</td>", tb, tg);
	sb_printf(b, "<td></td><td></td></tr></table></details>\n");
}

/* One run: score against LS number, points coloured by state, label marks in a strip above. */
static void run_plot(rep *r, const runinfo *u)
{
	sbuf *b = &r->b;
	double W = 1040, H = 210;
	int64_t l0 = r->rows[u->first].ls, l1 = r->rows[u->first + u->n - 1].ls;
	double xlo = (double)l0 - 0.5, xhi = (double)l1 + 0.5;
	axis x = {xlo, xhi, 0, 70, W - 20}, y = {r->ylo, r->yhi, r->ylog, H - 40, 22};
	int open = r->nruns <= (size_t)r->o->collapse_runs;
	sb_printf(b, "<details class=\"runplot\" id=\"run-%lld\"%s><summary>run %lld: %zu LS, %zu flagged, %zu grey "
		     "zone, %zu not evaluable</summary>\n",
		  (long long)u->run, open ? " open" : "", (long long)u->run, u->n, u->cnt[ST_FLAG], u->cnt[ST_GREY],
		  u->cnt[ST_NE]);
	sb_printf(b, "<svg class=\"run\" viewBox=\"0 0 %g %g\" width=\"%g\" height=\"%g\" data-run=\"%lld\" "
		     "data-l0=\"%g\" data-l1=\"%g\" data-px0=\"%g\" data-px1=\"%g\" data-l=\"",
		  W, H, W, H, (long long)u->run, xlo, xhi, x.p0, x.p1);
	for (size_t i = 0; i < u->n; i++)
		sb_printf(b, i ? " %lld" : "%lld", (long long)r->rows[u->first + i].ls);
	sb_printf(b, "\" data-s=\"");
	for (size_t i = 0; i < u->n; i++) {
		const lc_score_row *x2 = &r->rows[u->first + i];
		if (x2->evaluable)
			sb_printf(b, i ? " %.3g" : "%.3g", x2->score);
		else
			sb_printf(b, i ? " -" : "-");
	}
	sb_printf(b, "\" data-t=\"");
	for (size_t i = 0; i < u->n; i++)
		sb_append(b, &st_code[r->state[u->first + i]], 1);
	sb_printf(b, "\">");
	plot_frame(b, &x, &y, "LS number (one LS = 23.3 s)", r->m->loss == LC_LOSS_TOPK ? "score (top-k MSE)" : "score (MSE)");
	plot_hband(b, &x, &y, r->grey_lo, r->grey_hi, "band");
	plot_hline(b, &x, &y, r->thr, "thr");
	for (int s = 0; s < N_ST; s++) {
		if (!u->cnt[s])
			continue;
		sb_printf(b, "<path class=\"p %s\" d=\"", st_cls[s]);
		for (size_t i = u->first; i < u->first + u->n; i++)
			if (r->state[i] == s) {
				double py = r->rows[i].evaluable ? ax_map(&y, r->rows[i].score) : y.p0 - 3;
				sb_printf(b, "M%.1f %.1fh0", ax_map(&x, (double)r->rows[i].ls), py);
			}
		sb_printf(b, "\"/>");
	}
	if (r->o->labels) {
		for (int g = 0; g < 2; g++) {
			sb_printf(b, "<path class=\"lab %s\" d=\"", g ? "good" : "bad");
			for (size_t i = u->first; i < u->first + u->n; i++)
				if (r->label[i] == g)
					sb_printf(b, "M%.1f 8v9", ax_map(&x, (double)r->rows[i].ls));
			sb_printf(b, "\"/>");
		}
		sb_printf(b, "<text class=\"tl\" x=\"%.1f\" y=\"16\" text-anchor=\"end\">label</text>", x.p0 - 4);
	}
	for (size_t i = u->first; i < u->first + u->n; i++)
		if (r->detail[i] && r->rows[i].evaluable)
			sb_printf(b, "<a href=\"#ls-%lld-%lld\"><circle class=\"ring\" cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\"/></a>",
				  (long long)r->rows[i].run, (long long)r->rows[i].ls, ax_map(&x, (double)r->rows[i].ls),
				  ax_map(&y, r->rows[i].score));
	sb_printf(b, "</svg></details>\n");
}

/* Bin k of the prepared regular bins (after rebinning) on the ME's x axis: [a, c). */
static void bin_range(const lc_model *m, int k, double *a, double *c)
{
	double w = (m->me.xmax - m->me.xmin) / m->me.nx * m->prep.rebin_x;
	*a = m->me.xmin + k * w;
	*c = *a + w;
}

/* A prepared bin and its squared error, for ranking the bins that contribute most. */
typedef struct bin_err {
	int i;
	float e;
} bin_err;

static int by_err_desc(const void *a, const void *b)
{
	const bin_err *x = a, *y = b;
	return x->e < y->e ? 1 : x->e > y->e ? -1 : x->i - y->i;
}

/* Describes prepared input i as a bin on the ME's axes. */
static void bin_name(const lc_model *m, int i, char *buf, size_t n)
{
	const lc_prep *p = &m->prep;
	int bx = m->me.nx / p->rebin_x;
	if (m->me.dim == 1) {
		if (p->flow && i == 0) {
			snprintf(buf, n, "underflow (x &lt; %g)", m->me.xmin);
			return;
		}
		int k = i - (p->flow ? 1 : 0);
		if (k >= bx) {
			snprintf(buf, n, "overflow (x &ge; %g)", m->me.xmax);
			return;
		}
		double a, c;
		bin_range(m, k, &a, &c);
		snprintf(buf, n, "bin %d: x in [%g, %g)", k + 1, a, c);
		return;
	}
	int by = m->me.ny / p->rebin_y;
	if (i >= bx * by) {
		snprintf(buf, n, "flow cell %d", i - bx * by);
		return;
	}
	int ix = i % bx, iy = i / bx;
	double wx = (m->me.xmax - m->me.xmin) / m->me.nx * p->rebin_x, wy = (m->me.ymax - m->me.ymin) / m->me.ny * p->rebin_y;
	snprintf(buf, n, "bin (%d, %d): x in [%g, %g), y in [%g, %g)", ix + 1, iy + 1, m->me.xmin + ix * wx,
		 m->me.xmin + (ix + 1) * wx, m->me.ymin + iy * wy, m->me.ymin + (iy + 1) * wy);
}

/* Block-averages the bx × by regular bins of v into at most 120 × 120 display cells. */
static float *downsample(const float *v, int bx, int by, int *w, int *h)
{
	int fx = (bx + 119) / 120, fy = (by + 119) / 120;
	*w = (bx + fx - 1) / fx;
	*h = (by + fy - 1) / fy;
	float *o = calloc((size_t)*w * (size_t)*h, sizeof *o);
	int *cnt = calloc((size_t)*w * (size_t)*h, sizeof *cnt);
	if (!o || !cnt) {
		free(o);
		free(cnt);
		return NULL;
	}
	for (int iy = 0; iy < by; iy++)
		for (int ix = 0; ix < bx; ix++) {
			size_t k = (size_t)(iy / fy) * *w + ix / fx;
			o[k] += v[(size_t)iy * bx + ix];
			cnt[k]++;
		}
	for (size_t k = 0; k < (size_t)*w * (size_t)*h; k++)
		o[k] = cnt[k] ? o[k] / cnt[k] : 0;
	free(cnt);
	return o;
}

static int detail(rep *r, size_t i, lc_error *err)
{
	sbuf *b = &r->b;
	const lc_model *m = r->m;
	const lc_score_row *x = &r->rows[i];
	float *in = NULL, *rec = NULL, *e = NULL;
	int d = 0, ev = 0;
	int rc = lc_model_explain(m, r->st, x->run, x->ls, &in, &rec, &e, &d, &ev, err);
	if (rc)
		return rc;
	sb_printf(b, "<details class=\"ls-detail\" id=\"ls-%lld-%lld\"%s><summary><h3><span class=\"sw %s\"></span>run "
		     "%lld, LS %lld: %s",
		  (long long)x->run, (long long)x->ls, r->detail[i] <= 6 ? " open" : "", st_cls[r->state[i]],
		  (long long)x->run, (long long)x->ls, st_name[r->state[i]]);
	if (x->evaluable)
		sb_printf(b, ", score %.4g", x->score);
	sb_printf(b, "</h3></summary>\n<p>");
	if (x->evaluable)
		sb_printf(b, "score %.4g (threshold %.4g, %.3g&times;)", x->score, r->thr, r->thr > 0 ? x->score / r->thr : NAN);
	else
		sb_printf(b, "not evaluable (%g entries used)", x->count);
	sb_printf(b, " · %.0f entries used", x->count);
	if (r->label[i] >= 0) {
		sb_printf(b, " · label <code>");
		html_esc(b, r->o->labels);
		sb_printf(b, "</code>: %s", r->label[i] ? "good" : "bad");
	}
	if (r->have_cert) {
		const review_row *v = cert_review(&r->cert, x->run, x->ls);
		if (v) {
			char pb[32];
			sb_printf(b, " · review: p_bad %s", num(pb, sizeof pb, v->p_bad));
			if (v->reason) {
				sb_printf(b, ", reason &ldquo;");
				html_esc(b, v->reason);
				sb_printf(b, "&rdquo;");
			}
		}
	}
	sb_printf(b, " · ME <code>");
	html_esc(b, m->me.name);
	sb_printf(b, "</code> (the model's only ME: all of the score)</p>\n");

	const lc_prep *p = &m->prep;
	int bx = m->me.nx / p->rebin_x, by = m->me.dim == 2 ? m->me.ny / p->rebin_y : 1;
	int off = m->me.dim == 1 && p->flow ? 1 : 0; /* 1D: underflow first */
	if (m->me.dim == 1) {
		double W = 1040, H1 = 200, H2 = 110, H = H1 + H2 + 20;
		float vmax = 0, emax = 0;
		for (int k = 0; k < bx; k++) {
			vmax = in[off + k] > vmax ? in[off + k] : vmax;
			vmax = rec[off + k] > vmax ? rec[off + k] : vmax;
			emax = e[off + k] > emax ? e[off + k] : emax;
		}
		axis ax = {m->me.xmin, m->me.xmax, 0, 70, W - 20}, ay = {0, vmax > 0 ? vmax * 1.08 : 1, 0, H1 - 30, 10};
		axis ey = {0, emax > 0 ? emax * 1.08 : 1, 0, H - 40, H1 + 10};
		sb_printf(b, "<svg class=\"hist\" viewBox=\"0 0 %g %g\" width=\"%g\" height=\"%g\">", W, H, W, H);
		axis axn = ax;
		axn.lo = 1; /* top panel: no x tick labels (shared with the error panel below) */
		axn.hi = 0;
		plot_frame(b, &axn, &ay, "", value_title(m));
		plot_steps(b, &ax, &ay, m->me.xmin, m->me.xmax, in + off, bx, "in");
		plot_steps(b, &ax, &ay, m->me.xmin, m->me.xmax, rec + off, bx, "rec");
		sb_printf(b, "<path class=\"in\" d=\"M%.1f 22h24\"/><text class=\"tl\" x=\"%.1f\" y=\"26\">input</text>"
			     "<path class=\"rec\" d=\"M%.1f 38h24\"/><text class=\"tl\" x=\"%.1f\" y=\"42\">"
			     "reconstruction</text>",
			  W - 150, W - 122, W - 150, W - 122);
		char xt[400];
		snprintf(xt, sizeof xt, "%s: x axis of the ME (its own units), %d bins of %g", m->me.name, bx,
			 (m->me.xmax - m->me.xmin) / bx);
		plot_frame(b, &ax, &ey, xt, "squared error");
		plot_bars(b, &ax, &ey, m->me.xmin, m->me.xmax, e + off, bx, "err");
		sb_printf(b, "</svg>\n");
	} else {
		int w, h;
		float *di = downsample(in, bx, by, &w, &h), *dr = downsample(rec, bx, by, &w, &h),
		      *de = downsample(e, bx, by, &w, &h);
		if (!di || !dr || !de) {
			free(di);
			free(dr);
			free(de);
			rc = nomem(err);
			goto done;
		}
		float vmax = 0, emax = 0;
		for (size_t k = 0; k < (size_t)w * h; k++) {
			vmax = di[k] > vmax ? di[k] : vmax;
			vmax = dr[k] > vmax ? dr[k] : vmax;
			emax = de[k] > emax ? de[k] : emax;
		}
		double W = 1040, pw = 240, ph = pw * h / w > 300 ? 300 : pw * h / w, H = ph + 70;
		sb_printf(b, "<svg class=\"hist2d\" viewBox=\"0 0 %g %g\" width=\"%g\" height=\"%g\">", W, H, W, H);
		const float *maps[3] = {di, dr, de};
		const char *titles[3] = {"input", "reconstruction", "squared error"};
		for (int k = 0; k < 3; k++) {
			double px = 60 + k * (pw + 95);
			plot_heatmap(b, maps[k], w, h, 0, k == 2 ? emax : vmax, px, 20, pw, ph, titles[k]);
			char s1[32], s2[32];
			sb_printf(b, "<text class=\"tl\" x=\"%.1f\" y=\"%.1f\">%s</text><text class=\"tl\" x=\"%.1f\" "
				     "y=\"%.1f\" text-anchor=\"end\">%s</text>",
				  px, 20 + ph + 12, num(s1, sizeof s1, m->me.xmin), px + pw, 20 + ph + 12,
				  num(s2, sizeof s2, m->me.xmax));
			sb_printf(b, "<text class=\"tl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text><text "
				     "class=\"tl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
				  px - 3, 20 + ph, num(s1, sizeof s1, m->me.ymin), px - 3, 28.0, num(s2, sizeof s2, m->me.ymax));
		}
		sb_printf(b, "<text class=\"at\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">x axis of the ME (its own "
			     "units, %d bins; y upwards, %d bins)%s; colour: %s (maps 1-2), squared error (map 3)</text>",
			  W / 2, H - 18, bx, by, w < bx || h < by ? ", shown as block averages" : "", value_title(m));
		sb_printf(b, "</svg>\n");
		free(di);
		free(dr);
		free(de);
	}

	/* the bins that contribute most */
	bin_err *idx = malloc((size_t)d * sizeof *idx);
	if (!idx) {
		rc = nomem(err);
		goto done;
	}
	double tot = 0;
	for (int k = 0; k < d; k++) {
		idx[k] = (bin_err){k, e[k]};
		tot += e[k];
	}
	qsort(idx, (size_t)d, sizeof *idx, by_err_desc);
	sb_printf(b, "<table class=\"num top\"><tr><th class=\"l\">bins contributing most</th><th>input</th>"
		     "<th>reconstruction</th><th>squared error</th><th>share</th></tr>\n");
	for (int k = 0; k < d && k < 5; k++) {
		char name[256];
		int j = idx[k].i;
		bin_name(m, j, name, sizeof name);
		sb_printf(b, "<tr><td class=\"l\">%s</td><td>%.4g</td><td>%.4g</td><td>%.4g</td><td>%.1f%%</td></tr>\n",
			  name, in[j], rec[j], e[j], tot > 0 ? 100 * e[j] / tot : 0);
	}
	sb_printf(b, "</table></details>\n");
	free(idx);
done:
	free(in);
	free(rec);
	free(e);
	return rc;
}

/* Score distributions, ROC, pollution/loss against the threshold, manual work against the caps. */
static int curves(rep *r, lc_error *err)
{
	sbuf *b = &r->b;
	const rates *rt = &r->rt;
	sb_printf(b, "<h2 id=\"curves\">Scores against the labels</h2>\n");
	if (!r->o->labels) {
		sb_printf(b, "<p class=\"note\">No label source given (--labels SOURCE): no distributions or curves.</p>\n");
		return LC_OK;
	}
	if (!rt->n_bad || !rt->n_good) {
		sb_printf(b, "<p class=\"note\">The labels mark %zu evaluable LS of this report bad and %zu good: both "
			     "classes are needed for the curves.</p>\n",
			  rt->n_bad, rt->n_good);
		return LC_OK;
	}
	double mp = r->o->max_pollution, ml = r->o->max_loss;
	size_t kt = rates_count_le(rt, r->thr);
	sb_printf(b, "<p>%zu labelled evaluable LS: %zu bad, %zu good. ROC AUC <b id=\"auc\">%.4f</b>, average "
		     "precision %.4f. At the threshold %.4g: pollution %.4g (bad among %zu passed), loss %.4g (good "
		     "flagged / all good).</p>\n",
		  rt->n, rt->n_bad, rt->n_good, r->have_met ? r->met.auc : NAN, r->have_met ? r->met.ap : NAN, r->thr,
		  rates_pollution(rt, kt), kt, rates_loss(rt, kt));
	double W = 515, H = 300;
	sb_printf(b, "<div class=\"flex\">");

	/* 1. score distributions: fraction of each class per bin of the score axis */
	{
		enum { NB = 40 };
		axis x = {r->ylo, r->yhi, r->ylog, 70, W - 15};
		float hg[NB] = {0}, hb[NB] = {0};
		double l0 = r->ylog ? log10(r->ylo) : r->ylo, l1 = r->ylog ? log10(r->yhi) : r->yhi;
		for (size_t k = 0; k < rt->n; k++) {
			double v = r->ylog ? log10(rt->s[k]) : rt->s[k];
			int j = (int)((v - l0) / (l1 - l0) * NB);
			j = j < 0 ? 0 : j >= NB ? NB - 1 : j;
			int bad = rt->nbad[k + 1] > rt->nbad[k];
			if (bad)
				hb[j] += 1.0f / rt->n_bad;
			else
				hg[j] += 1.0f / rt->n_good;
		}
		float vmax = 0;
		for (int j = 0; j < NB; j++) {
			vmax = hg[j] > vmax ? hg[j] : vmax;
			vmax = hb[j] > vmax ? hb[j] : vmax;
		}
		axis y = {0, vmax * 1.1, 0, H - 45, 15};
		sb_printf(b, "<svg id=\"score-dist\" viewBox=\"0 0 %g %g\" width=\"%g\" height=\"%g\">", W, H, W, H);
		plot_frame(b, &x, &y, r->ylog ? "score (log scale)" : "score", "fraction of the class's LS per bin");
		if (!isnan(r->grey_lo)) {
			double a = ax_map(&x, r->grey_lo > r->ylo ? r->grey_lo : r->ylo), c = ax_map(&x, r->grey_hi);
			sb_printf(b, "<rect class=\"band\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", a, y.p1,
				  c - a, y.p0 - y.p1);
		}
		/* the step lines use bin edges on the (possibly log) axis: draw in a linear axis of the exponent */
		axis xl = {l0, l1, 0, x.p0, x.p1};
		plot_steps(b, &xl, &y, l0, l1, hg, NB, "cg");
		plot_steps(b, &xl, &y, l0, l1, hb, NB, "cb");
		plot_vline(b, &x, &y, r->thr, "thr");
		sb_printf(b, "<path class=\"cg\" d=\"M%.1f 28h20\"/><text class=\"tl\" x=\"%.1f\" y=\"31\">good (%zu LS)</text>"
			     "<path class=\"cb\" d=\"M%.1f 44h20\"/><text class=\"tl\" x=\"%.1f\" y=\"47\">bad (%zu LS)</text>"
			     "</svg>",
			  W - 150, W - 126, rt->n_good, W - 150, W - 126, rt->n_bad);
	}

	/* curve points: every cut between distinct scores, thinned to at most ~600 points */
	size_t np = 0, stride = rt->n / 600 + 1;
	double *fpr = malloc((rt->n + 2) * sizeof *fpr), *tpr = malloc((rt->n + 2) * sizeof *tpr),
	       *thv = malloc((rt->n + 2) * sizeof *thv), *pol = malloc((rt->n + 2) * sizeof *pol),
	       *los = malloc((rt->n + 2) * sizeof *los);
	if (!fpr || !tpr || !thv || !pol || !los) {
		free(fpr);
		free(tpr);
		free(thv);
		free(pol);
		free(los);
		return nomem(err);
	}
	for (size_t k = 0; k <= rt->n; k++) {
		if (!(k == 0 || k == rt->n || (rt->s[k] > rt->s[k - 1] && k % stride == 0)))
			continue;
		/* k lowest pass, the rest is flagged */
		size_t bad_fl = rt->n_bad - rt->nbad[k], good_fl = (rt->n - k) - bad_fl;
		fpr[np] = (double)good_fl / rt->n_good;
		tpr[np] = (double)bad_fl / rt->n_bad;
		thv[np] = k ? rt->s[k - 1] : NAN;
		pol[np] = 100 * rates_pollution(rt, k);
		los[np] = 100 * rates_loss(rt, k);
		np++;
	}

	/* 2. ROC */
	{
		axis x = {0, 1, 0, 70, W - 15}, y = {0, 1, 0, H - 45, 15};
		sb_printf(b, "<svg id=\"roc\" viewBox=\"0 0 %g %g\" width=\"%g\" height=\"%g\">", W, H, W, H);
		plot_frame(b, &x, &y, "false-positive rate (good LS flagged / good LS)",
			   "true-positive rate (bad flagged / bad)");
		sb_printf(b, "<path class=\"diag\" d=\"M%.1f %.1fL%.1f %.1f\"/>", x.p0, y.p0, x.p1, y.p1);
		plot_line(b, &x, &y, fpr, tpr, np, "cw");
		size_t bad_fl = rt->n_bad - rt->nbad[kt], good_fl = (rt->n - kt) - bad_fl;
		sb_printf(b, "<circle class=\"mk\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/><text class=\"tl\" x=\"%.1f\" "
			     "y=\"%.1f\">threshold</text><text class=\"at\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">AUC "
			     "%.4f</text></svg>",
			  ax_map(&x, (double)good_fl / rt->n_good), ax_map(&y, (double)bad_fl / rt->n_bad),
			  ax_map(&x, (double)good_fl / rt->n_good) + 6, ax_map(&y, (double)bad_fl / rt->n_bad) + 12,
			  x.p1 - 8, y.p0 - 10, r->have_met ? r->met.auc : NAN);
	}

	/* 3. pollution and loss against the threshold */
	{
		double pmax = 0;
		for (size_t k = 0; k < np; k++)
			if (!isnan(thv[k])) {
				pmax = pol[k] > pmax ? pol[k] : pmax;
				pmax = los[k] > pmax ? los[k] : pmax;
			}
		axis x = {r->ylo, r->yhi, r->ylog, 70, W - 15}, y = {0, pmax > 0 ? pmax * 1.05 : 1, 0, H - 45, 15};
		sb_printf(b, "<svg id=\"pollution-loss\" viewBox=\"0 0 %g %g\" width=\"%g\" height=\"%g\">", W, H, W, H);
		plot_frame(b, &x, &y, r->ylog ? "threshold on the score (log scale)" : "threshold on the score",
			   "rate (%)");
		if (!isnan(r->grey_lo)) {
			double a = ax_map(&x, r->grey_lo > r->ylo ? r->grey_lo : r->ylo), c = ax_map(&x, r->grey_hi);
			sb_printf(b, "<rect class=\"band\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", a, y.p1,
				  c - a, y.p0 - y.p1);
		}
		plot_line(b, &x, &y, thv, pol, np, "cb");
		plot_line(b, &x, &y, thv, los, np, "cg");
		plot_vline(b, &x, &y, r->thr, "thr");
		if (!isnan(mp))
			plot_hline(b, &x, &y, 100 * mp, "cap");
		if (!isnan(ml))
			plot_hline(b, &x, &y, 100 * ml, "cap");
		sb_printf(b, "<path class=\"cb\" d=\"M%.1f 28h20\"/><text class=\"tl\" x=\"%.1f\" y=\"31\">pollution: bad "
			     "among passed</text><path class=\"cg\" d=\"M%.1f 44h20\"/><text class=\"tl\" x=\"%.1f\" "
			     "y=\"47\">loss: good flagged / good</text><path class=\"cap\" d=\"M%.1f 60h20\"/><text "
			     "class=\"tl\" x=\"%.1f\" y=\"63\">caps</text></svg>",
			  W - 230, W - 206, W - 230, W - 206, W - 230, W - 206);
	}

	/* 4. manual work against the caps (both caps equal) */
	{
		enum { NC = 41 };
		double cx[NC], mw[NC], wmax = 0;
		for (int j = 0; j < NC; j++) {
			double c = 0.1 * j / (NC - 1), lo, hi;
			rates_grey(rt, r->thr, c, c, &lo, &hi);
			size_t ng = rates_count_le(rt, hi) - (isinf(lo) ? 0 : rates_count_le(rt, lo));
			cx[j] = 100 * c;
			mw[j] = 100.0 * ng / rt->n;
			wmax = mw[j] > wmax ? mw[j] : wmax;
		}
		axis x = {0, 10, 0, 70, W - 15}, y = {0, wmax > 0 ? wmax * 1.1 : 1, 0, H - 45, 15};
		sb_printf(b, "<svg id=\"manual-work\" viewBox=\"0 0 %g %g\" width=\"%g\" height=\"%g\">", W, H, W, H);
		plot_frame(b, &x, &y, "cap on pollution and on loss (%, both the same)",
			   "manual work (% of labelled LS in the grey zone)");
		plot_line(b, &x, &y, cx, mw, NC, "cw");
		if (!isnan(r->grey_lo) && !isnan(mp) && !isnan(ml) && mp == ml) {
			size_t ng = rates_count_le(rt, r->grey_hi) - (isinf(r->grey_lo) ? 0 : rates_count_le(rt, r->grey_lo));
			sb_printf(b, "<circle class=\"mk\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/>", ax_map(&x, 100 * mp),
				  ax_map(&y, 100.0 * ng / rt->n));
		}
		sb_printf(b, "</svg>");
	}
	sb_printf(b, "</div>\n");
	if (!isnan(mp) || !isnan(ml)) {
		double lo, hi;
		rates_grey(rt, r->thr, mp, ml, &lo, &hi);
		size_t klo = isinf(lo) ? 0 : rates_count_le(rt, lo), khi = rates_count_le(rt, hi);
		size_t bad_auto_bad = rt->n_bad - rt->nbad[khi], good_auto_bad = (rt->n - khi) - bad_auto_bad;
		sb_printf(b, "<table class=\"num\" id=\"caps\"><tr><th class=\"l\">against the caps (labelled LS)</th>"
			     "<th>value</th></tr>\n<tr><td class=\"l\">caps: pollution / loss</td><td>%.4g / %.4g</td></tr>\n"
			     "<tr><td class=\"l\">grey zone on the score</td><td>(%.4g, %.4g]</td></tr>\n"
			     "<tr><td class=\"l\">auto good / grey zone / auto bad</td><td>%zu / %zu / %zu</td></tr>\n"
			     "<tr><td class=\"l\">manual work</td><td>%.2f%%</td></tr>\n"
			     "<tr><td class=\"l\">pollution of auto good</td><td>%.4g</td></tr>\n"
			     "<tr><td class=\"l\">loss (good LS auto bad / good LS)</td><td>%.4g</td></tr></table>\n",
			  mp, ml, lo, hi, klo, khi - klo, rt->n - khi, 100.0 * (khi - klo) / rt->n, rates_pollution(rt, klo),
			  rt->n_good ? (double)good_auto_bad / rt->n_good : 0.0);
	}
	sb_printf(b, "<p class=\"note\">Rates count the labelled evaluable LS of this report; an LS passes when its "
		     "score is at or below the threshold. Pollution: bad LS among those that pass. Loss: good LS "
		     "flagged, as a fraction of all good LS. Manual work: LS in the grey zone (between the threshold and "
		     "the scores at which the caps are met), as a fraction of the labelled LS.</p>\n");
	free(fpr);
	free(tpr);
	free(thv);
	free(pol);
	free(los);
	return LC_OK;
}

static void cert_section(rep *r)
{
	if (!r->have_cert)
		return;
	sbuf *b = &r->b;
	sb_printf(b, "<h2 id=\"certify\">Certification</h2>\n<p>From <code>");
	html_esc(b, r->o->certify_dir);
	sb_printf(b, "</code>: %zu LS auto-good, %zu auto-bad, %zu to review (all runs of the files).</p>\n",
		  r->cert.good->n, r->cert.bad->n, r->cert.nreview);
	if (r->cert.nsummary) {
		sb_printf(b, "<table id=\"certify-summary\"><tr><th class=\"l\">summary.json</th><th class=\"l\">value</th>"
			     "</tr>\n");
		for (size_t i = 0; i < r->cert.nsummary; i++) {
			sb_printf(b, "<tr><td class=\"l\">");
			html_esc(b, r->cert.summary[i].key);
			sb_printf(b, "</td><td class=\"l\">");
			html_esc(b, r->cert.summary[i].text);
			sb_printf(b, "</td></tr>\n");
		}
		sb_printf(b, "</table>\n");
	}
}

static void card_row(sbuf *b, const char *k, const char *v)
{
	sb_printf(b, "<tr><td class=\"l\">%s</td><td class=\"l\">", k);
	html_esc(b, v);
	sb_printf(b, "</td></tr>\n");
}

static int model_card(rep *r, lc_error *err)
{
	sbuf *b = &r->b;
	const lc_model *m = r->m;
	char v[1400];
	sb_printf(b, "<h2 id=\"model-card\">Model card</h2>\n<table class=\"card\">\n");
	if (r->o->model_name)
		card_row(b, "file", r->o->model_name);
	snprintf(v, sizeof v, "%s (%s)", m->kind,
		 !strcmp(m->hidden, "auto") ? "linear autoencoder in closed form (PCA), bottleneck by the broken-stick rule"
					    : "autoencoder trained with Adam");
	card_row(b, "kind", v);
	int n = snprintf(v, sizeof v, "%d", m->net->n_in);
	for (int l = 0; l < m->net->n_layers && n < (int)sizeof v - 40; l++)
		n += snprintf(v + n, sizeof v - (size_t)n, " -> %d %s", m->net->n_out[l], lc_act_name(m->net->act[l]));
	snprintf(v + n, sizeof v - (size_t)n, " (%zu parameters; requested '%s')", m->net->n_params, m->hidden);
	card_row(b, "architecture", v);
	if (m->me.dim == 1)
		snprintf(v, sizeof v, "%s: 1D, %d bins on [%g, %g]", m->me.name, m->me.nx, m->me.xmin, m->me.xmax);
	else
		snprintf(v, sizeof v, "%s: 2D, %d x %d bins on [%g, %g] x [%g, %g]", m->me.name, m->me.nx, m->me.ny,
			 m->me.xmin, m->me.xmax, m->me.ymin, m->me.ymax);
	card_row(b, "monitor element", v);
	snprintf(v, sizeof v, "flow %s, normalise %s, representation %s, rebin %d x %d, min entries %g",
		 m->prep.flow ? "keep" : "drop", m->prep.normalize == LC_NORM_L1 ? "l1" : "none",
		 m->prep.repr == LC_REPR_SQRT ? "sqrt" : m->prep.repr == LC_REPR_CDF ? "cdf" : "bins", m->prep.rebin_x,
		 m->prep.rebin_y, m->prep.min_entries);
	card_row(b, "preparation", v);
	if (m->loss == LC_LOSS_TOPK)
		snprintf(v, sizeof v, "mean of the top %d squared errors", m->topk);
	else
		snprintf(v, sizeof v, "mean squared error");
	card_row(b, "score", v);
	card_row(b, "training runs", m->runs[0] ? m->runs : "all");
	card_row(b, "training label source (good LS)", m->good_source[0] ? m->good_source : "none (every evaluable LS)");
	snprintf(v, sizeof v, "%lld trained on, %lld held out, %lld not evaluable", (long long)m->n_train,
		 (long long)m->n_val, (long long)m->n_not_evaluable);
	card_row(b, "training LS", v);
	snprintf(v, sizeof v, "seed %llu, %d thread(s), epochs %d (run %d), batch %d, lr %g",
		 (unsigned long long)m->seed, m->threads, m->epochs, m->epochs_run, m->batch, m->lr);
	card_row(b, "optimisation", v);
	snprintf(v, sizeof v, "train loss %.4g, validation loss %.4g%s", m->train_loss, m->val_loss, "");
	if (!isnan(m->explained))
		snprintf(v + strlen(v), sizeof v - strlen(v), ", variance explained %.1f%%", 100 * m->explained);
	card_row(b, "metrics at training", v);
	snprintf(v, sizeof v, "%.6g (false-alarm rate %g on held-out good LS)%s", m->threshold, m->fpr,
		 r->thr != m->threshold ? "; this report uses another threshold (--threshold)" : "");
	card_row(b, "threshold", v);
	if (r->have_met) {
		snprintf(v, sizeof v, "ROC AUC %.4f, average precision %.4f, precision at recall 0.9: %.4f (%zu bad, %zu "
				      "good LS of this report, label source '%s')",
			 r->met.auc, r->met.ap, r->met.prec_at_recall[1], r->met.n_pos, r->met.n_neg, r->o->labels);
		card_row(b, "metrics on this report", v);
	}
	snprintf(v, sizeof v, "%s, by lumicert %s (this report: lumicert %s)", m->created, m->tool_version, LC_VERSION);
	card_row(b, "created", v);
	sb_printf(b, "</table>\n");
	char *hj = lc_model_header_json(m);
	if (!hj)
		return nomem(err);
	sb_printf(b, "<details><summary>model header (JSON)</summary><pre>");
	html_esc(b, hj);
	sb_printf(b, "</pre></details>\n");
	free(hj);
	return LC_OK;
}

/* ------------------------------------------------------------------ entry points */

static void rep_free(rep *r)
{
	free(r->rows);
	free(r->state);
	free(r->label);
	free(r->detail);
	free(r->runs);
	free(r->details);
	if (r->have_cert)
		cert_free(&r->cert);
	rates_free(&r->rt);
	sb_free(&r->b);
}

int lc_report_write(lc_store *st, const lc_model *m, const lc_report_opts *o, FILE *f, lc_report_stats *stats,
		    lc_error *err)
{
	if (lc_model_n_parts(m) > 0) /* docs/multi.md: explain and evaluate --channels cover these for now */
		return lc_error_set(err, LC_ERR_UNSUPPORTED, "report: the %s model spans several MEs; the report shows "
				    "one-ME models for now (use lumicert explain and evaluate --channels)", m->kind);
	lc_report_opts def;
	if (!o) {
		lc_report_opts_default(&def);
		o = &def;
	}
	if ((!isnan(o->max_loss) && !(o->max_loss >= 0 && o->max_loss < 1)) ||
	    (!isnan(o->max_pollution) && !(o->max_pollution >= 0 && o->max_pollution < 1)))
		return lc_error_set(err, LC_ERR_INVALID, "caps must lie in [0, 1): max loss %g, max pollution %g",
				    o->max_loss, o->max_pollution);
	rep r = {.st = st, .m = m, .o = o};
	int rc = lc_model_score(m, st, o->runs, o->threads, &r.rows, &r.n, err);
	if (!rc && !r.n)
		rc = lc_error_set(err, LC_ERR_NOTFOUND, "no LS of ME '%s' in the store%s", m->me.name,
				  o->runs ? " for the runs asked for" : "");
	if (!rc)
		rc = prepare(&r, err);
	if (!rc)
		rc = pick_details(&r, err);
	if (!rc) {
		header(&r);
		summary(&r, stats);
		overview(&r);
		run_table(&r);
		sb_printf(&r.b, "<h2 id=\"runs\">Scores per run</h2>\n");
		legend(&r);
		for (size_t i = 0; i < r.nruns; i++)
			run_plot(&r, &r.runs[i]);
		sb_printf(&r.b, "<h2 id=\"details\">Flagged and grey-zone LS</h2>\n<p class=\"note\">The prepared input "
				"(as the model sees it) against its reconstruction, the squared error per bin below, and "
				"the bins that contribute most; the first six are open, click a line to open the others. ");
		if (r.omitted_flag + r.omitted_grey)
			sb_printf(&r.b, "<b id=\"omitted\">%zu flagged and %zu grey-zone LS not shown</b> (at most %d are "
					"shown: the highest scores, half for each state; raise --details).",
				  r.omitted_flag, r.omitted_grey, o->max_details);
		else
			sb_printf(&r.b, "All %zu flagged and grey-zone LS are shown.", r.ndetails);
		sb_printf(&r.b, "</p>\n");
	}
	for (size_t i = 0; !rc && i < r.ndetails; i++)
		rc = detail(&r, r.details[i], err);
	if (!rc)
		rc = curves(&r, err);
	if (!rc) {
		cert_section(&r);
		rc = model_card(&r, err);
	}
	if (!rc) {
		sb_printf(&r.b, "<script>%s</script>\n</body></html>\n", script);
		if (r.b.oom)
			rc = nomem(err);
	}
	if (!rc && fwrite(r.b.s, 1, r.b.len, f) != r.b.len)
		rc = lc_error_set(err, LC_ERR_IO, "report: write failed: %s", strerror(errno));
	if (!rc && stats) {
		stats->n_runs = r.nruns;
		stats->n_ls = r.n;
		stats->n_details = r.ndetails;
		stats->n_omitted = r.omitted_flag + r.omitted_grey;
		stats->grey_lo = r.grey_lo;
		stats->grey_hi = r.grey_hi;
		stats->bytes = r.b.len;
	}
	rep_free(&r);
	return rc;
}

int lc_report_save(lc_store *st, const lc_model *m, const lc_report_opts *o, const char *path,
		   lc_report_stats *stats, lc_error *err)
{
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
		return lc_error_set(err, LC_ERR_INVALID, "%s: path too long", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
	lc_report_stats s;
	int rc = lc_report_write(st, m, o, f, &s, err);
	if (fclose(f) != 0 && !rc)
		rc = lc_error_set(err, LC_ERR_IO, "%s: write failed: %s", tmp, strerror(errno));
	if (!rc && rename(tmp, path) != 0)
		rc = lc_error_set(err, LC_ERR_IO, "%s: cannot rename to %s: %s", tmp, path, strerror(errno));
	if (rc) {
		remove(tmp);
		return rc;
	}
	if (stats)
		*stats = s;
	return LC_OK;
}

int lc_report_latest_model(const char *db_path, char *path, size_t n, lc_error *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int rc = LC_OK;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = lc_error_set(err, LC_ERR_STORE, "%s: cannot open the store: %s", db_path,
				  db ? sqlite3_errmsg(db) : "out of memory");
		goto done;
	}
	sqlite3_busy_timeout(db, 30000);
	if (sqlite3_prepare_v2(db, "SELECT path FROM model ORDER BY id DESC LIMIT 1", -1, &q, NULL) != SQLITE_OK) {
		rc = lc_error_set(err, LC_ERR_STORE, "%s: %s", db_path, sqlite3_errmsg(db));
		goto done;
	}
	int s = sqlite3_step(q);
	if (s == SQLITE_ROW && sqlite3_column_text(q, 0)) {
		str_copy(path, (const char *)sqlite3_column_text(q, 0), n);
	} else if (s == SQLITE_DONE) {
		rc = lc_error_set(err, LC_ERR_NOTFOUND,
				  "%s: the store records no model (score with one first, or give --model MODEL)", db_path);
	} else {
		rc = lc_error_set(err, LC_ERR_STORE, "%s: %s", db_path, sqlite3_errmsg(db));
	}
done:
	sqlite3_finalize(q);
	sqlite3_close(db);
	return rc;
}
