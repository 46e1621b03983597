/* cli.h — shared pieces of the command-line tool: option parsing, error reporting, subcommand entry points.
 * The tool uses only the public API (lumicert.h). Exit codes: 0 success, 1 failure, 2 usage error. */
#ifndef LC_CLI_H
#define LC_CLI_H

#include "lumicert.h"

/* If argv[*i] is "--name VALUE" or "--name=VALUE": sets *val, moves *i past it and returns 1. A missing value is a
 * usage error (exits 2 with a message). Returns 0 when argv[*i] is another argument. */
int opt_value(int argc, char **argv, int *i, const char *name, const char **val);
/* 1 if argv[i] is exactly the flag --name. */
int opt_flag(char **argv, int i, const char *name);
/* Parses an integer / a real option value, or exits 2 naming the option. */
long opt_long(const char *name, const char *val, long lo, long hi);
double opt_double(const char *name, const char *val);
/* Prints "lumicert CMD: message" to stderr and returns 1 (for `return fail(...)`). */
int fail(const char *cmd, const lc_error *err);
/* Prints a usage error and the command's help hint; returns 2. */
int usage_error(const char *cmd, const char *fmt, ...) LC_PRINTF(2, 3);
/* 1 if argv holds -h or --help. */
int wants_help(int argc, char **argv);
/* 1 if path exists. */
int file_exists(const char *path);
/* Removes a store created by a failed command (path, -wal, -shm), so that failure leaves nothing behind. */
void remove_new_store(const char *path);

/* Inputs of certify and stream: prepared rows, labels of a source (1 good, 0 bad, -1 none) and per-LS luminosity
 * (a run's recorded luminosity over its LS in the store; 1 each without an OMS table). */
typedef struct gz_data {
	lc_lsrows rows;
	int *y;
	double *lumi;
	int64_t n_unlabelled, n_no_lumi;
} gz_data;
void gz_prep(lc_prep *p);
int gz_load(lc_store *st, const char *me, const lc_prep *prep, const lc_runlist *runs, const char *source,
	    const char *lumi_csv, gz_data *g, lc_error *err);
void gz_free(gz_data *g);
int parse_clf_kind(const char *cmd, const char *v, int *kind);

int cmd_import(int argc, char **argv);
int cmd_stream(int argc, char **argv);
int cmd_certify(int argc, char **argv);
/* train --kind xgb|mlp|knn (classifier models for certify) and the options it shares with certify */
int cmd_train_clf(int argc, char **argv);
int clf_option(const char *cmd, int argc, char **argv, int *i, lc_clf_spec *s, int *weight_lumi);
int clf_check(const char *cmd, lc_clf_spec *s, int weight_lumi);
int cmd_labels(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_info(int argc, char **argv);
/* Models over several MEs (cli/multi.c). The *_multi hooks return -1 when the arguments are not theirs (then the
 * command goes on as for one ME), else the exit code. */
int train_is_multi(int argc, char **argv);
int cmd_train_multi(int argc, char **argv);
/* The preparation and training options shared by the autoencoder kinds of `train` (--normalize --flow --repr --rebin
 * --min-entries --loss --epochs --batch --lr --seed --threads) at argv[*i]: 1 if consumed (*rc set to a usage error
 * for a bad value), 0 if argv[*i] is none of them. */
int prep_train_option(int argc, char **argv, int *i, lc_prep *prep, lc_train_opts *opts, int *rc);
/* Records the training runs and label source in m, saves it to out and records its header in the store (one
 * transaction). */
int save_model(lc_store *st, lc_model *m, const char *out, const char *runs, const char *good_source, lc_error *err);
/* Records a model file's header (NULL: out of memory) in the store, in one transaction. */
int record_model(lc_store *st, const char *path, const char *header, lc_error *err);
/* Writes fn's output to a temporary name beside path ("path.tmp.PID", into tmp; "" and nothing left on failure). */
int write_tmp(const char *path, char *tmp, size_t n, int (*fn)(FILE *, void *), void *ctx, lc_error *err);
/* write_tmp, then renamed into place: path is whole or as it was. */
int write_atomic(const char *path, int (*fn)(FILE *, void *), void *ctx, lc_error *err);
/* An lc_lsset (ctx) as golden-style JSON, for write_tmp/write_atomic. */
int put_lsset_json(FILE *f, void *set);
void json_strn(FILE *o, const char *s, size_t n); /* n bytes of s as a JSON string on o */
void json_str(const char *s);                      /* s as a JSON string on stdout */
int evaluate_channels(int argc, char **argv);
int cmd_root(int argc, char **argv);
int cmd_extract(int argc, char **argv);

#endif
