/* test_dials.c — tests of the DIALS JSON reader: 1D with and without flow cells, 2D nested and flat, the "results"
 * wrapper, and one case per error (syntax errors with line:column, semantic ones with record and member). */
#include <string.h>

#include "internal.h"
#include "t.h"

/* What a reader run produced. */
typedef struct seen {
	int rows;             /* histograms seen */
	lc_hist h[4];         /* the first four (me and cells point into the copies below) */
	char me[4][64];
	double cells[4][64];
	int stop_after;       /* callback fails after this many rows (0: never) */
} seen;

/* Reader callback: keeps copies of the first four histograms. */
static int on_hist(void *ctx, const lc_hist *h, const lc_label_value *labels, int nlabels, lc_error *err)
{
	seen *s = ctx;
	(void)labels;
	if (nlabels != 0)
		return lc_error_set(err, LC_ERR_INVALID, "DIALS records carry no labels");
	if (s->rows < 4) {
		size_t n = lc_hist_ncells(h->dim, h->nx, h->ny);
		s->h[s->rows] = *h;
		str_copy(s->me[s->rows], h->me, sizeof s->me[0]);
		s->h[s->rows].me = s->me[s->rows];
		memcpy(s->cells[s->rows], h->cells, (n < 64 ? n : 64) * sizeof(double));
		s->h[s->rows].cells = s->cells[s->rows];
	}
	s->rows++;
	if (s->stop_after && s->rows == s->stop_after)
		return lc_error_set(err, LC_ERR_NOTFOUND, "callback says stop");
	return LC_OK;
}

/* Reads text as the file "x.json". */
static int read_str(const char *text, seen *s, lc_error *err)
{
	int stop = s->stop_after;
	memset(s, 0, sizeof *s);
	s->stop_after = stop;
	memset(err, 0, sizeof *err);
	size_t n = strlen(text);
	FILE *f = fmemopen((void *)text, n ? n : 1, "r");
	if (!f)
		return LC_ERR_IO;
	if (!n)
		fgetc(f);
	int r = lc_dials_json_read(f, "x.json", on_hist, s, err);
	fclose(f);
	return r;
}

/* Expects text to fail with LC_ERR_PARSE and a message holding both fragments. */
static void expect_fail(const char *text, const char *f1, const char *f2, int line)
{
	static seen s;
	lc_error err;
	int r = read_str(text, &s, &err);
	int ok = r == LC_ERR_PARSE && err.code == r && strstr(err.msg, f1) && (!f2 || strstr(err.msg, f2));
	if (!ok)
		fprintf(stderr, "test_dials.c:%d: got %d \"%s\", wanted \"%s\" \"%s\"\n", line, r, err.msg, f1,
			f2 ? f2 : "");
	CHECK(ok);
}
#define FAIL(text, f1, f2) expect_fail(text, f1, f2, __LINE__)

/* A 1D record of run 1, LS ls with the given x_bin and data. */
#define REC1(ls, xbin, data) \
	"{\"run_number\": 1, \"ls_number\": " #ls ", \"me\": \"m\", \"x_min\": 0, \"x_max\": 1, \"x_bin\": " #xbin \
	", \"entries\": 6, \"data\": " data "}"

/* Valid records. */
static void test_valid(void)
{
	static seen s;
	lc_error err;

	/* 1D without flow, then with flow; entries as given */
	int r = read_str("[" REC1(1, 3, "[1, 2, 3]") ",\n" REC1(2, 3, "[9, 1, 2, 3, 8]") "]", &s, &err);
	CHECK(r == LC_OK && s.rows == 2);
	CHECK(s.h[0].run == 1 && s.h[0].ls == 1 && strcmp(s.h[0].me, "m") == 0 && s.h[0].dim == 1);
	CHECK(s.h[0].nx == 3 && s.h[0].ny == 1 && s.h[0].has_flow == 0 && s.h[0].entries == 6);
	CHECK(s.cells[0][0] == 0 && s.cells[0][1] == 1 && s.cells[0][3] == 3 && s.cells[0][4] == 0);
	CHECK(s.h[1].has_flow == 1 && s.cells[1][0] == 9 && s.cells[1][4] == 8 && s.h[1].ls == 2);
	CHECK(s.h[0].ymin == 0 && s.h[0].ymax == 1 && s.h[0].metype == 0);

	/* "results" wrapper, reals, metype, entries absent -> sum, y_bin 1 or null is 1D */
	r = read_str("{\"count\": 1, \"results\": [{\"run_number\": 355100, \"ls_number\": 7.0, \"me\": \"PixelPhase1/x\", "
		     "\"metype\": 3, \"x_min\": -0.5, \"x_max\": 1.5, \"x_bin\": 2, \"y_bin\": null, \"data\": [0.5, 2.25]},"
		     "{\"run_number\": 355100, \"ls_number\": 8, \"me\": \"PixelPhase1/x\", \"x_min\": -0.5, \"x_max\": 1.5, "
		     "\"x_bin\": 2, \"y_bin\": 1, \"y_min\": 0, \"y_max\": 5, \"data\": [1, 1]}]}",
		     &s, &err);
	CHECK(r == LC_OK && s.rows == 2);
	CHECK(s.h[0].run == 355100 && s.h[0].ls == 7 && s.h[0].metype == 3 && s.h[0].entries == 2.75);
	CHECK(s.h[0].xmin == -0.5 && s.h[0].xmax == 1.5 && s.cells[0][1] == 0.5 && s.cells[0][2] == 2.25);
	CHECK(s.h[1].dim == 1 && s.h[1].ymin == 0 && s.h[1].ymax == 1 && s.h[1].entries == 2);

	/* 2D nested: y_bin rows of x_bin values, rows = y; flow cells zero */
	r = read_str("[{\"run_number\": 2, \"ls_number\": 3, \"me\": \"h2\", \"x_min\": 0, \"x_max\": 2, \"x_bin\": 2, "
		     "\"y_min\": -1, \"y_max\": 1, \"y_bin\": 3, \"entries\": 21, \"data\": [[1, 2], [3, 4], [5, 6]]}]",
		     &s, &err);
	CHECK(r == LC_OK && s.rows == 1);
	CHECK(s.h[0].dim == 2 && s.h[0].nx == 2 && s.h[0].ny == 3 && s.h[0].has_flow == 0);
	CHECK(s.h[0].ymin == -1 && s.h[0].ymax == 1);
	/* global cell ix + 4 * iy */
	CHECK(s.cells[0][1 + 4 * 1] == 1 && s.cells[0][2 + 4 * 1] == 2 && s.cells[0][1 + 4 * 2] == 3);
	CHECK(s.cells[0][2 + 4 * 3] == 6 && s.cells[0][0] == 0 && s.cells[0][3 + 4 * 1] == 0 && s.cells[0][19] == 0);

	/* 2D flat without flow (x fastest) and flat with flow (global order) */
	r = read_str("[{\"run_number\": 2, \"ls_number\": 3, \"me\": \"h2\", \"x_min\": 0, \"x_max\": 2, \"x_bin\": 2, "
		     "\"y_min\": -1, \"y_max\": 1, \"y_bin\": 2, \"data\": [1, 2, 3, 4]},"
		     "{\"run_number\": 2, \"ls_number\": 4, \"me\": \"h2\", \"x_min\": 0, \"x_max\": 2, \"x_bin\": 2, "
		     "\"y_min\": -1, \"y_max\": 1, \"y_bin\": 2, \"data\": [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]},"
		     "{\"run_number\": 2, \"ls_number\": 5, \"me\": \"h2\", \"x_min\": 0, \"x_max\": 2, \"x_bin\": 2, "
		     "\"y_min\": -1, \"y_max\": 1, \"y_bin\": 2, \"data\": [[0,1,2,3],[4,5,6,7],[8,9,10,11],[12,13,14,15]]}]",
		     &s, &err);
	CHECK(r == LC_OK && s.rows == 3);
	CHECK(s.h[0].has_flow == 0 && s.cells[0][5] == 1 && s.cells[0][6] == 2 && s.cells[0][9] == 3 &&
	      s.cells[0][10] == 4 && s.cells[0][0] == 0 && s.h[0].entries == 10);
	CHECK(s.h[1].has_flow == 1 && s.cells[1][0] == 0 && s.cells[1][15] == 15 && s.cells[1][7] == 7);
	CHECK(s.h[2].has_flow == 1 && memcmp(s.cells[1], s.cells[2], 16 * sizeof(double)) == 0);

	/* a callback error stops the reader and keeps its message */
	s.stop_after = 1;
	r = read_str("[" REC1(1, 3, "[1, 2, 3]") "," REC1(2, 3, "[1, 2, 3]") "]", &s, &err);
	CHECK(r == LC_ERR_NOTFOUND && s.rows == 1 && strcmp(err.msg, "callback says stop") == 0);
	s.stop_after = 0;
}

/* One case per error. */
static void test_errors(void)
{
	FAIL("", "x.json:", NULL);
	FAIL("[\n  {\"run_number\": 1,\n   \"ls_number\" 2}]", "x.json:3:", NULL);
	FAIL("[1, 2", "x.json:1:", NULL);
	FAIL("[]", "x.json: no records", NULL);
	FAIL("{\"results\": []}", "no records", NULL);
	FAIL("{\"count\": 0}", "\"results\" array", NULL);
	FAIL("\"hello\"", "x.json:1:", "expected");
	FAIL("[" REC1(1, 3, "[1, 2, 3]") ", 7]", "record 1: expected an object, found 7", NULL);
	FAIL("[{\"ls_number\": 1, \"me\": \"m\", \"x_min\": 0, \"x_max\": 1, \"x_bin\": 1, \"data\": [1]}]",
	     "record 0: member run_number: expected a run number > 0", "absent");
	FAIL("[{\"run_number\": 0, \"ls_number\": 1}]", "member run_number", "found 0");
	FAIL("[{\"run_number\": 1, \"ls_number\": -3}]", "member ls_number", "found -3");
	FAIL("[{\"run_number\": 1, \"ls_number\": 1.5}]", "member ls_number", "1.5");
	FAIL("[{\"run_number\": \"1\", \"ls_number\": 1}]", "member run_number", "the string \"1\"");
	FAIL("[{\"run_number\": 1, \"ls_number\": 1, \"me\": 5}]", "member me", "found 5");
	FAIL("[{\"run_number\": 1, \"ls_number\": 1, \"me\": \"\"}]", "member me", NULL);
	FAIL("[" REC1(1, 3, "[1, 2, 3]") "," REC1(2, -1, "[1]") "]", "x.json: record 1: member x_bin: expected a positive",
	     "found -1");
	FAIL("[" REC1(1, 0, "[]") "]", "member x_bin", "found 0");
	FAIL("[" REC1(1, 20000000, "[]") "]", "member x_bin", "10000000");
	FAIL("[" REC1(1, 3, "[1, 2]") "]", "record 0: member data: expected 3 values (x_bin) or 5", "an array of 2");
	FAIL("[" REC1(1, 3, "[1, \"2\", 3]") "]", "member data: expected a number at index 1", "the string \"2\"");
	FAIL("[" REC1(1, 3, "[1, null, 3]") "]", "index 1", "null");
	FAIL("[" REC1(1, 3, "{}") "]", "member data", "an object");
	FAIL("[{\"run_number\": 1, \"ls_number\": 1, \"me\": \"m\", \"x_min\": \"a\", \"x_max\": 1}]", "member x_min",
	     "expected a number");
	/* 2D */
	FAIL("[{\"run_number\": 1, \"ls_number\": 1, \"me\": \"m\", \"x_min\": 0, \"x_max\": 1, \"x_bin\": 2, "
	     "\"y_bin\": 2, \"data\": [[1, 2], [3, 4]]}]",
	     "member y_min", NULL);
	FAIL("[{\"run_number\": 1, \"ls_number\": 1, \"me\": \"m\", \"x_min\": 0, \"x_max\": 1, \"x_bin\": 2, "
	     "\"data\": [[1, 2], [3, 4]]}]",
	     "member y_bin", "2D");
	FAIL("[{\"run_number\": 1, \"ls_number\": 1, \"me\": \"m\", \"x_min\": 0, \"x_max\": 1, \"x_bin\": 2, "
	     "\"y_min\": 0, \"y_max\": 1, \"y_bin\": 2, \"data\": [[1, 2], [3]]}]",
	     "member data: expected row 1 to be an array of 2 numbers", NULL);
	FAIL("[{\"run_number\": 1, \"ls_number\": 1, \"me\": \"m\", \"x_min\": 0, \"x_max\": 1, \"x_bin\": 2, "
	     "\"y_min\": 0, \"y_max\": 1, \"y_bin\": 2, \"data\": [[1, 2], [3, 4], [5, 6]]}]",
	     "expected 2 rows (y_bin) or 4", NULL);
	FAIL("[{\"run_number\": 1, \"ls_number\": 1, \"me\": \"m\", \"x_min\": 0, \"x_max\": 1, \"x_bin\": 2, "
	     "\"y_min\": 0, \"y_max\": 1, \"y_bin\": 2, \"data\": [1, 2, 3]}]",
	     "expected 4 values (x_bin * y_bin) or 16", NULL);
	FAIL("[{\"run_number\": 1, \"ls_number\": 1, \"me\": \"m\", \"x_min\": 0, \"x_max\": 1, \"x_bin\": 10000, "
	     "\"y_min\": 0, \"y_max\": 1, \"y_bin\": 10000, \"data\": []}]",
	     "member y_bin", "<= 10000000 cells");
	/* invalid arguments */
	lc_error err;
	CHECK(lc_dials_json_read(NULL, "x", on_hist, NULL, &err) == LC_ERR_INVALID);
}

int main(void)
{
	test_valid();
	test_errors();
	T_DONE();
}
