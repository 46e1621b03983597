/* lumicert_report.h — public API of the HTML report (issue 7): one self-contained HTML file (inline SVG and CSS, a
 * small inline script for tooltips) with per-run score plots, per-LS histograms against their reconstruction,
 * label-based curves (score distributions, ROC, pollution/loss, manual work against caps) and the model card.
 * Conventions as in lumicert.h: LC_OK or a negative LC_ERR_* code, an optional lc_error with the message. */
#ifndef LUMICERT_REPORT_H
#define LUMICERT_REPORT_H

#include "lumicert.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What goes into a report. */
typedef struct lc_report_opts {
	const lc_runlist *runs;   /* runs to report (NULL: every run that has the model's ME) */
	const char *labels;       /* label source for label marks, score distributions and curves (NULL: none) */
	const char *certify_dir;  /* directory written by `lumicert certify` (auto-good.json, auto-bad.json,
				   * review.csv, optional summary.json): its decisions set the LS states (NULL: none) */
	double max_loss;          /* cap on loss, fraction of good LS flagged (NaN: no cap) */
	double max_pollution;     /* cap on pollution, fraction of bad LS among those passed (NaN: no cap) */
	double threshold;         /* score threshold (NaN: the model's) */
	int max_details;          /* flagged and grey-zone LS shown with their histograms (default 40; 0: none) */
	int collapse_runs;        /* with more runs than this, per-run plots start collapsed (default 30) */
	int threads;              /* scoring threads (default 1) */
	const char *store_name;   /* shown in the page header, e.g. the store's path (NULL: not shown) */
	const char *model_name;   /* shown in the model card, e.g. the model's path (NULL: not shown) */
} lc_report_opts;

/* Defaults: everything NULL, no caps (NaN), the model's threshold (NaN), max_details 40, collapse_runs 30, threads 1. */
void lc_report_opts_default(lc_report_opts *o);

/* What a written report holds (counts over the reported LS). */
typedef struct lc_report_stats {
	size_t n_runs;            /* runs reported */
	size_t n_ls;              /* LS reported */
	size_t n_good, n_grey, n_flagged, n_not_evaluable; /* LS per state */
	size_t n_details;         /* LS shown with their histograms */
	size_t n_omitted;         /* flagged or grey-zone LS not shown for lack of room (max_details) */
	double grey_lo, grey_hi;  /* without certify_dir: the grey-zone score band (lo, hi]; NaN when none */
	size_t bytes;             /* size of the HTML */
} lc_report_stats;

/* Writes the report of model m's scores on store st to f (which is not closed). Scores are computed with
 * lc_model_score. LS states: good (score <= threshold), flagged (> threshold), not evaluable, and grey zone: with
 * certify_dir the LS of review.csv (auto-bad LS flagged, auto-good LS good); without it, when labels and a cap are
 * given, the band of scores between the threshold and the score at which the caps are met on the labelled LS
 * (docs/report.md). Every string from the store, model or files is HTML-escaped. stats may be NULL.
 * Errors: LC_ERR_NOTFOUND (label source, ME), LC_ERR_PARSE (certify files, naming file:line), LC_ERR_IO. */
int lc_report_write(lc_store *st, const lc_model *m, const lc_report_opts *o, FILE *f, lc_report_stats *stats,
		    lc_error *err);

/* Same into path, through a temporary file in the same directory renamed into place: on error nothing is left. */
int lc_report_save(lc_store *st, const lc_model *m, const lc_report_opts *o, const char *path,
		   lc_report_stats *stats, lc_error *err);

/* The path of the model most recently recorded in the store at db_path (by `lumicert score`), into path (size n).
 * LC_ERR_NOTFOUND when the store records no model. */
int lc_report_latest_model(const char *db_path, char *path, size_t n, lc_error *err);

#ifdef __cplusplus
}
#endif
#endif
