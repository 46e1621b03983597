/* common.c — option parsing and error reporting shared by the subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);
	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n] != 0)
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "lumicert: option %s needs a value\n", name);
		exit(2);
	}
	*val = argv[++*i];
	return 1;
}

int opt_flag(char **argv, int i, const char *name)
{
	return strcmp(argv[i], name) == 0;
}

long opt_long(const char *name, const char *val, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(val, &end, 10);
	if (errno || end == val || *end || v < lo || v > hi) {
		fprintf(stderr, "lumicert: option %s: expected an integer in [%ld, %ld], got '%s'\n", name, lo, hi, val);
		exit(2);
	}
	return v;
}

double opt_double(const char *name, const char *val)
{
	char *end;
	errno = 0;
	double v = strtod(val, &end);
	if (errno || end == val || *end) {
		fprintf(stderr, "lumicert: option %s: expected a number, got '%s'\n", name, val);
		exit(2);
	}
	return v;
}

int fail(const char *cmd, const lc_error *err)
{
	fprintf(stderr, "lumicert %s: %s\n", cmd, err->msg[0] ? err->msg : lc_strerror(err->code));
	return 1;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "lumicert %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see lumicert %s --help)\n", cmd);
	return 2;
}

int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

int file_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

void remove_new_store(const char *path)
{
	char buf[4096];
	remove(path);
	snprintf(buf, sizeof buf, "%s-wal", path);
	remove(buf);
	snprintf(buf, sizeof buf, "%s-shm", path);
	remove(buf);
}

/* The n bytes of s as a JSON string on o: quotes, backslashes and control characters escaped. */
void json_strn(FILE *o, const char *s, size_t n)
{
	fputc('"', o);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(o, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", o);
		else if (c == '\t')
			fputs("\\t", o);
		else if (c < 0x20 || c == 0x7f)
			fprintf(o, "\\u%04x", c);
		else
			fputc(c, o);
	}
	fputc('"', o);
}

void json_str(const char *s)
{
	json_strn(stdout, s, strlen(s));
}
