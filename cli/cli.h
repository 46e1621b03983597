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

int cmd_import(int argc, char **argv);
int cmd_labels(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_root(int argc, char **argv);
int cmd_extract(int argc, char **argv);

#endif
