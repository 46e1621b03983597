/* test_csv.c — tests of the ML4DQM CSV reader: the real wide, long, 2D and repeated-header files, small hand-written
 * inputs for every layout and policy, exactness of the number fast path against strtod, and one case per error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "t.h"

/* What a reader run produced: counts, the first and last histograms (cells copied) and label tallies. */
typedef struct seen {
	int rows;              /* histograms seen */
	lc_hist first, last;   /* first and last histograms (me and cells point into the copies below) */
	char first_me[256], last_me[256];
	double first_cells[70000], last_cells[70000];
	int ngood[3], nbad[3]; /* per requested label column */
	int nlabels_first;     /* labels of the first row */
	int all_zero;          /* 1 while every cell seen was zero */
	int sum_is_entries;    /* 1 while every cell sum equalled entries */
	int same_ls;           /* 1 while every row had the run/LS of the first one */
	int stop_after;        /* callback returns LC_ERR_INVALID after this many rows (0: never) */
	double *exact;         /* when set, cells of row i are compared with exact[...] */
	int exact_bad;         /* cells that differed from exact */
	size_t exact_off;      /* cells compared so far */
} seen;

/* Copies h into dst and its cells into cells / name into me. */
static void keep(lc_hist *dst, char *me, double *cells, const lc_hist *h)
{
	size_t n = lc_hist_ncells(h->dim, h->nx, h->ny);
	*dst = *h;
	str_copy(me, h->me, 256);
	dst->me = me;
	if (n > 70000)
		n = 70000;
	memcpy(cells, h->cells, n * sizeof *cells);
	dst->cells = cells;
}

/* Reader callback: records what it sees in a seen. */
static int on_hist(void *ctx, const lc_hist *h, const lc_label_value *labels, int nlabels, lc_error *err)
{
	seen *s = ctx;
	size_t n = lc_hist_ncells(h->dim, h->nx, h->ny);
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		sum += h->cells[i];
		if (h->cells[i] != 0)
			s->all_zero = 0;
		if (s->exact && h->cells[i] != s->exact[s->exact_off++])
			s->exact_bad++;
	}
	if (sum != h->entries)
		s->sum_is_entries = 0;
	if (s->rows == 0) {
		keep(&s->first, s->first_me, s->first_cells, h);
		s->nlabels_first = nlabels;
	} else if (h->run != s->first.run || h->ls != s->first.ls) {
		s->same_ls = 0;
	}
	keep(&s->last, s->last_me, s->last_cells, h);
	for (int i = 0; i < nlabels && i < 3; i++) {
		int k = strcmp(labels[i].source, "good") == 0 ? 0 : strcmp(labels[i].source, "good_pixel") == 0 ? 1 : 2;
		if (labels[i].good)
			s->ngood[k]++;
		else
			s->nbad[k]++;
	}
	s->rows++;
	if (s->stop_after && s->rows == s->stop_after)
		return lc_error_set(err, LC_ERR_INVALID, "callback says stop");
	return LC_OK;
}

/* Resets a seen before a run. */
static void seen_init(seen *s)
{
	memset(s, 0, sizeof *s);
	s->all_zero = s->sum_is_entries = s->same_ls = 1;
}

/* Reads the file at path with the given label columns. */
static int read_file(const char *path, const char *const *labels, int nlabels, seen *s, lc_error *err)
{
	seen_init(s);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s (run from the project root)\n", path);
		return LC_ERR_IO;
	}
	int r = lc_csv_read(f, path, labels, nlabels, on_hist, s, err);
	fclose(f);
	return r;
}

/* Reads the string text as the CSV file "t.csv". */
static int read_str(const char *text, const char *const *labels, int nlabels, seen *s, lc_error *err)
{
	if (!s->stop_after && !s->exact)
		seen_init(s);
	err->code = 0;
	err->msg[0] = 0;
	size_t n = strlen(text);
	FILE *f = fmemopen((void *)text, n ? n : 1, "r");
	if (!f)
		return LC_ERR_IO;
	if (!n)
		fgetc(f); /* fmemopen of size 0 is not portable: read the 1-byte buffer's only byte away */
	int r = lc_csv_read(f, "t.csv", labels, nlabels, on_hist, s, err);
	fclose(f);
	return r;
}

/* Expects text to fail with code and a message holding every fragment (up to three, NULL to skip). */
static void expect_fail(const char *text, const char *const *labels, int nlabels, int code, const char *f1,
			const char *f2, const char *f3, int line)
{
	static seen s;
	lc_error err = {0};
	int r = read_str(text, labels, nlabels, &s, &err);
	int ok = r == code && err.code == code && (!f1 || strstr(err.msg, f1)) && (!f2 || strstr(err.msg, f2)) &&
		 (!f3 || strstr(err.msg, f3));
	if (!ok)
		fprintf(stderr, "test_csv.c:%d: got %d \"%s\", wanted %d with \"%s\" \"%s\" \"%s\"\n", line, r, err.msg,
			code, f1 ? f1 : "", f2 ? f2 : "", f3 ? f3 : "");
	CHECK(ok);
}
#define FAIL(text, f1, f2, f3) expect_fail(text, NULL, 0, LC_ERR_PARSE, f1, f2, f3, __LINE__)

#define LONG_HDR "fromrun,fromlumi,hname,metype,histo,entries,Xmax,Xmin,Xbins,Ymax,Ymin,Ybins\n"

/* The real files of the project. */
static void test_real_files(void)
{
	static seen s;
	lc_error err = {0};
	const char *labels[] = {"good", "good_pixel", "y"};

	/* wide pixel file, 3100 rows with three label columns */
	int r = read_file("data/pixel-2017B/chargeInner_PXLayer_1.csv", labels, 3, &s, &err);
	CHECK(r == LC_OK);
	if (r)
		fprintf(stderr, "%s\n", err.msg);
	CHECK(s.rows == 3100);
	CHECK(s.first.run == 297056 && s.first.ls == 17);
	CHECK(strcmp(s.first.me, "chargeInner_PXLayer_1") == 0);
	CHECK(s.first.metype == 3 && s.first.dim == 1 && s.first.nx == 100 && s.first.ny == 1);
	CHECK(s.first.has_flow == 1);
	CHECK(s.first.xmin == 0 && s.first.xmax == 80000 && s.first.ymin == 0 && s.first.ymax == 1);
	CHECK(s.first.entries == 101614);
	CHECK(s.first_cells[0] == 0 && s.first_cells[1] == 31 && s.first_cells[2] == 167);
	CHECK(s.first_cells[50] == 1176 && s.first_cells[100] == 37 && s.first_cells[101] == 860);
	CHECK(s.sum_is_entries);
	CHECK(s.nlabels_first == 3);
	CHECK(s.ngood[0] == 2685 && s.nbad[0] == 415);
	CHECK(s.ngood[1] == 2803 && s.nbad[1] == 297);
	CHECK(s.ngood[2] == 2788 && s.nbad[2] == 312);
	CHECK(s.last.run == 297286 && s.last.ls == 16 && s.last_cells[1] == 136 && s.last_cells[101] == 1517);
	CHECK(s.last.entries == 314404);

	/* label columns are optional: none asked, none given */
	r = read_file("data/pixel-2017B/chargeInner_PXLayer_1.csv", NULL, 0, &s, &err);
	CHECK(r == LC_OK && s.rows == 3100 && s.nlabels_first == 0 && s.ngood[0] == 0);

	/* long layout, 1D, 45 empty LS */
	r = read_file("tests/data/dqmio-2023C/"
		      "ZeroBias-Run2023C-PromptReco-v1-DQMIO-PixelPhase1-Tracks-PXBarrel-charge_PXLayer_1.converted.csv",
		      NULL, 0, &s, &err);
	CHECK(r == LC_OK);
	CHECK(s.rows == 45);
	CHECK(s.all_zero);
	CHECK(s.first.run == 367094 && s.first.ls == 1 && s.first.dim == 1 && s.first.nx == 100 && s.first.has_flow);
	CHECK(strcmp(s.first.me, "PixelPhase1_Tracks_PXBarrel_charge_PXLayer_1") == 0);

	/* long layout, 2D 300 x 200 */
	r = read_file("tests/data/dqmio-2023C/"
		      "ZeroBias-Run2023C-PromptReco-v1-DQMIO-PixelPhase1-Tracks-PXBarrel-clusterposition_zphi_ontrack_"
		      "PXLayer_1.converted.csv",
		      NULL, 0, &s, &err);
	CHECK(r == LC_OK);
	CHECK(s.rows == 5);
	CHECK(s.first.dim == 2 && s.first.nx == 300 && s.first.ny == 200 && s.first.metype == 6);
	CHECK(lc_hist_ncells(s.first.dim, s.first.nx, s.first.ny) == 302 * 202);
	CHECK(s.first.xmin == -60 && s.first.xmax == 60 && s.first.ymin == -3.2 && s.first.ymax == 3.2);
	CHECK(s.first.entries == 486873 && s.last.entries == 33373);
	CHECK(s.sum_is_entries);
	CHECK(!s.all_zero);

	/* long layout, 2D 200 x 200 */
	r = read_file("tests/data/dqmio-2023C/"
		      "ZeroBias-Run2023C-PromptReco-v1-DQMIO-PixelPhase1-Tracks-PXForward-clusterposition_xy_ontrack_"
		      "PXDisk_+1.converted.csv",
		      NULL, 0, &s, &err);
	CHECK(r == LC_OK && s.rows == 5 && s.first.dim == 2 && s.first.nx == 200 && s.first.ny == 200);
	CHECK(s.sum_is_entries && s.first.entries == 140623);

	/* repeated header names: the first column of a name wins */
	r = read_file("tests/data/dials/ZeroBias_2018A_DataFrame_1D_2.csv", NULL, 0, &s, &err);
	CHECK(r == LC_OK);
	CHECK(s.rows == 9);
	CHECK(s.same_ls && s.first.run == 315488 && s.first.ls == 229);
	CHECK(s.first.dim == 1 && s.first.nx == 100 && s.first.has_flow && s.first.metype == 3);
	CHECK(s.first.xmin == -0.5 && s.first.xmax == 99.5);
	CHECK(strcmp(s.first.me, "Summary_ClusterStoNCorr__OnTrack__TEC__MINUS__wheel__7") == 0);
	CHECK(s.first_cells[5] == 0 && s.first_cells[6] == 2 && s.first_cells[7] == 3 && s.first_cells[9] == 5);
	CHECK(s.first.entries == 78001 && s.sum_is_entries);
}

/* Small hand-written inputs: layouts, flow policy, aliases, quoting, line ends. */
static void test_small(void)
{
	static seen s;
	lc_error err = {0};
	int r;

	/* long 1D with flow, LF, no final newline, floats and exponents */
	r = read_str(LONG_HDR "5,7,a,3,\"[1, 2.5, 3e1, -4, 0.125]\",32.6,1e1,-1.5,3,1,0,1", NULL, 0, &s, &err);
	CHECK(r == LC_OK && s.rows == 1);
	CHECK(s.first.run == 5 && s.first.ls == 7 && s.first.dim == 1 && s.first.nx == 3 && s.first.has_flow);
	CHECK(s.first.xmin == -1.5 && s.first.xmax == 10 && s.first.entries == 32.6);
	CHECK(s.first_cells[0] == 1 && s.first_cells[1] == 2.5 && s.first_cells[2] == 30 && s.first_cells[3] == -4 &&
	      s.first_cells[4] == 0.125);

	/* without flow: xbins values, flow cells zero */
	r = read_str(LONG_HDR "5,7,a,3,\"[1,2,3]\",6,1,0,3,1,0,1\n", NULL, 0, &s, &err);
	CHECK(r == LC_OK && s.first.has_flow == 0 && s.first.dim == 1);
	CHECK(s.first_cells[0] == 0 && s.first_cells[1] == 1 && s.first_cells[3] == 3 && s.first_cells[4] == 0);

	/* 2D: (2+2)*(1+2) = 12 cells in ROOT global order */
	r = read_str(LONG_HDR "5,7,b,6,\"[0,1,2,3,4,5,6,7,8,9,10,11]\",66,2,0,2,4,-4,1\n", NULL, 0, &s, &err);
	CHECK(r == LC_OK && s.first.dim == 2 && s.first.nx == 2 && s.first.ny == 1 && s.first.has_flow);
	CHECK(s.first.ymin == -4 && s.first.ymax == 4 && s.first_cells[11] == 11 && s.first_cells[5] == 5);

	/* aliases, any case; CRLF; blank lines; quoted name with "" and a comma; entries absent -> sum of cells */
	r = read_str("Run_Number,LS_NUMBER,ME,XMIN,XMAX,XBINS,HISTO\r\n"
		     "\r\n"
		     "1,2,\"x \"\"q\"\", y\",0,1,1,\"[1, 2, 3]\"\r\n"
		     "\r\n"
		     "1,3,\"x \"\"q\"\", y\",0,1,1,\"[4, 5, 6]\"\r\n\r\n\n",
		     NULL, 0, &s, &err);
	CHECK(r == LC_OK && s.rows == 2);
	CHECK(strcmp(s.first.me, "x \"q\", y") == 0);
	CHECK(s.first.entries == 6 && s.last.entries == 15 && s.last.ls == 3 && s.first.metype == 0);

	/* wide layout with a pandas index column, labels after the bins, empty label = no label */
	const char *labs[] = {"good", "y"};
	r = read_str(",run,lumi,hname,metype,entries,xmax,xmin,xbins,ymax,ymin,ybins,bin_0,bin_1,bin_2,good,y\n"
		     "0,10,1,m,3,3.0,1.0,0.0,1,1.0,0.0,1,1.0,1.5,0.5,1,True\n"
		     "1,10,2,m,3,3,1,0,1,1,0,1,0,0,0,0.0,false\n"
		     "2,10,3,m,3,3,1,0,1,1,0,1,0,0,0,,\n",
		     labs, 2, &s, &err);
	CHECK(r == LC_OK && s.rows == 3);
	CHECK(s.first.run == 10 && s.first_cells[1] == 1.5 && s.first_cells[2] == 0.5 && s.first.entries == 3);
	CHECK(s.ngood[0] == 1 && s.nbad[0] == 1 && s.ngood[2] == 1 && s.nbad[2] == 1);
	CHECK(s.nlabels_first == 2);

	/* label column names are case-insensitive; first repeated column wins */
	const char *lab_up[] = {"GOOD"};
	r = read_str("run,ls,me,xmin,xmax,xbins,histo,good,Good\n1,1,m,0,1,1,\"[1,2,3]\",TRUE,0\n", lab_up, 1, &s,
		     &err);
	CHECK(r == LC_OK && s.ngood[2] == 1 && s.nbad[2] == 0);

	/* a quoted field may hold a newline: later line numbers stay right */
	FAIL("run,ls,me,xmin,xmax,xbins,histo\n1,1,\"two\nlines\",0,1,1,\"[1,2,3]\"\n1,2,m,0,1,1,\"[1,x,3]\"\n",
	     "t.csv:4:", "column histo", "'x'");

	/* a callback error stops the reader and its message is kept */
	seen_init(&s);
	s.stop_after = 1;
	r = read_str(LONG_HDR "5,7,a,3,\"[1,2,3]\",6,1,0,3,1,0,1\n5,8,a,3,\"[1,2,3]\",6,1,0,3,1,0,1\n", NULL, 0, &s,
		     &err);
	CHECK(r == LC_ERR_INVALID && s.rows == 1 && strcmp(err.msg, "callback says stop") == 0);

	/* a NULL callback only validates */
	static const char one[] = LONG_HDR "5,7,a,3,\"[1,2,3]\",6,1,0,3,1,0,1\n";
	FILE *f = fmemopen((void *)one, sizeof one - 1, "r");
	CHECK(lc_csv_read(f, "t.csv", NULL, 0, NULL, NULL, &err) == LC_OK);
	fclose(f);
}

/* The fast number path must give exactly strtod's value: random decimals of many shapes, read as cells. */
static void test_exact_numbers(void)
{
	static seen s;
	lc_error err = {0};
	enum { N = 20000 };
	double *want = malloc(N * sizeof *want);
	sbuf b = {0};
	uint64_t x = 88172645463325252u;
	sb_printf(&b, "run,ls,me,xmin,xmax,xbins,histo\n1,1,m,0,1,%d,\"[", N - 2);
	for (int i = 0; i < N; i++) {
		char num[64];
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int kind = (int)(x % 6);
		uint64_t m = (x >> 8) % (kind == 5 ? 100000000000000000u : 10000000000u);
		int dec = (int)((x >> 40) % 20);
		switch (kind) {
		case 0: snprintf(num, sizeof num, "%llu", (unsigned long long)m); break;
		case 1: snprintf(num, sizeof num, "-%llu.%0*d", (unsigned long long)(m % 100000), dec % 9 + 1, (int)(m % 1000)); break;
		case 2: snprintf(num, sizeof num, "%.*f", dec, (double)m / 1e6); break;
		case 3: snprintf(num, sizeof num, "%.17g", (double)m * 1e-7); break;
		case 4: snprintf(num, sizeof num, "%llue-%d", (unsigned long long)m, dec); break;
		default: snprintf(num, sizeof num, "0.%llu%llu", (unsigned long long)m, (unsigned long long)m); break;
		}
		want[i] = strtod(num, NULL);
		sb_printf(&b, "%s%s", i ? ", " : "", num);
	}
	sb_printf(&b, "]\"\n");
	CHECK(!b.oom);
	seen_init(&s);
	s.exact = want;
	int r = read_str(b.s, NULL, 0, &s, &err);
	CHECK(r == LC_OK && s.rows == 1);
	CHECK(s.exact_off == N && s.exact_bad == 0);
	sb_free(&b);
	free(want);
}

/* Many rows crossing buffer refills at every possible place: quoted names with "" and newlines, CRLF, blank lines.
 * The error on the last line must still carry the right line number. */
static void test_refills(void)
{
	static seen s;
	lc_error err = {0};
	sbuf b = {0};
	int line = 1, rows = 30000;
	sb_printf(&b, "fromrun,fromlumi,hname,histo,Xmax,Xmin,Xbins\r\n");
	for (int i = 0; i < rows; i++) {
		if (i % 7 == 0) {
			sb_printf(&b, "1,%d,\"me \"\"%d\"\"\nsecond line\",\"[%d, 1.5, 2, 3, 4]\",1,0,3\r\n", i + 1, i % 3, i);
			line += 2;
		} else {
			sb_printf(&b, "1,%d,\"me \"\"%d\"\"\",\"[%d, 1.5, 2, 3, 4]\",1,0,3\r\n", i + 1, i % 3, i);
			line += 1;
		}
		if (i % 11 == 0) {
			sb_printf(&b, "\r\n");
			line++;
		}
	}
	CHECK(!b.oom);
	int r = read_str(b.s, NULL, 0, &s, &err);
	CHECK(r == LC_OK && s.rows == rows);
	CHECK(s.last.ls == rows && s.last_cells[0] == rows - 1 && s.last_cells[1] == 1.5 && s.last.entries == rows + 9.5);
	CHECK(strcmp(s.last_me, "me \"2\"") == 0 || strcmp(s.last_me, "me \"2\"\nsecond line") == 0);
	sb_printf(&b, "1,1,x,\"[1, 2, 3, 4, oops]\",1,0,3\r\n");
	r = read_str(b.s, NULL, 0, &s, &err);
	char want[64];
	snprintf(want, sizeof want, "t.csv:%d:", line + 1);
	CHECK(r == LC_ERR_PARSE && strstr(err.msg, want) && strstr(err.msg, "'oops'"));
	if (!strstr(err.msg, want))
		fprintf(stderr, "wanted %s in %s\n", want, err.msg);
	sb_free(&b);
}

/* One case per error: the message names t.csv:line:column, the column and what was found. */
static void test_errors(void)
{
	const char *labs[] = {"good"};
	const char *nolab[] = {"bad_flag"};
	/* empty and header-only */
	FAIL("", "t.csv", "no rows", NULL);
	FAIL("\n\n", "no rows", NULL, NULL);
	FAIL(LONG_HDR, "t.csv:2", "no rows", NULL);
	FAIL(LONG_HDR "\n\n", "no rows", NULL, NULL);
	/* missing columns */
	FAIL("ls,me,xmin,xmax,xbins,histo\n1,m,0,1,1,\"[1,2,3]\"\n", "t.csv:1:1:", "missing required columns: run", NULL);
	FAIL("run,ls,me,xmin,xmax,xbins\n1,1,m,0,1,1\n", "missing required columns", "histo", NULL);
	FAIL("run,ls,me,xmin,xbins,bin_0,bin_2\n1,1,m,0,1,0,0\n", "t.csv:1:", "no column bin_1", NULL);
	expect_fail("run,ls,me,xmin,xmax,xbins,histo\n1,1,m,0,1,1,\"[1,2,3]\"\n", nolab, 1, LC_ERR_PARSE,
		    "label column 'bad_flag'", "run, ls, me, xmin, xmax, xbins, histo", NULL, __LINE__);
	/* column counts */
	FAIL(LONG_HDR "1,1,m,3,\"[1,2,3]\",6,1,0,1,1,0,1\n1,2,m,3,\"[1,2,3]\",6,1,0,1,1\n", "t.csv:3:",
	     "expected 12 columns", "found 10");
	FAIL(LONG_HDR "1,1,m,3,\"[1,2,3]\",6,1,0,1,1,0,1,7\n", "t.csv:2:", "expected 12 columns", "found 13");
	FAIL(LONG_HDR "1,1,m,3,\"[1,2,3]\",6,1,0,1,1,0,1,7,8\n", "t.csv:2:", "expected 12 columns", "more");
	/* quoting */
	FAIL(LONG_HDR "1,1,m,3,\"[1,2,3]\",6,1,0,1,1,0,1\n1,2,m,3,\"[1,2,3", "t.csv:3:9:", "closing '\"'",
	     "end of the file");
	FAIL(LONG_HDR "1,1,m\"x,3,\"[1,2,3]\",6,1,0,1,1,0,1\n", "t.csv:2:6:", "unquoted field", NULL);
	FAIL(LONG_HDR "1,1,\"m\"x,3,\"[1,2,3]\",6,1,0,1,1,0,1\n", "t.csv:2:8:", "after a closing", "'x'");
	/* truncated list */
	FAIL(LONG_HDR "1,1,m,3,\"[1,2,3]\",6,1,0,1,1,0,1\n1,2,m,3,\"[1, 2\",6,1,0,1,1,0,1\n", "t.csv:3:", "',' or ']'",
	     "truncated");
	FAIL(LONG_HDR "1,1,m,3,\"1,2,3]\",6,1,0,1,1,0,1\n", "t.csv:2:10:", "expected '['", NULL);
	FAIL(LONG_HDR "1,1,m,3,\"[1,2,3] x\",6,1,0,1,1,0,1\n", "t.csv:2:", "after ']'", "'x'");
	/* non-numeric cells */
	FAIL("run,ls,me,xmin,xmax,xbins,bin_0,bin_1,bin_2\n1,1,m,0,1,1,0,abc,0\n", "t.csv:2:15:",
	     "expected a number in column bin_1", "found 'abc'");
	FAIL(LONG_HDR "1,1,m,3,\"[1, 2, zz]\",6,1,0,1,1,0,1\n", "t.csv:2:17:", "column histo (item 2)", "'zz'");
	FAIL(LONG_HDR "1,1,m,3,\"[1,nan,3]\",6,1,0,1,1,0,1\n", "t.csv:2:", "expected a number", "'nan'");
	FAIL(LONG_HDR "1,1,m,3,\"[1,inf,3]\",6,1,0,1,1,0,1\n", "expected a number", "'inf'", NULL);
	FAIL(LONG_HDR "1,1,m,3,\"[1,1e999,3]\",6,1,0,1,1,0,1\n", "expected a number", "'1e999'", NULL);
	FAIL(LONG_HDR "1,1,m,3,\"[1,2,3]\",6,1,abc,1,1,0,1\n", "t.csv:2:", "column Xmin", "'abc'");
	FAIL(LONG_HDR "1,1,m,3,\"[1,2,3]\",six,1,0,1,1,0,1\n", "column entries", "'six'", NULL);
	/* run, LS, bins */
	FAIL(LONG_HDR "0,1,m,3,\"[1,2,3]\",6,1,0,1,1,0,1\n", "t.csv:2:1:", "run number > 0", "column fromrun");
	FAIL(LONG_HDR "-5,1,m,3,\"[1,2,3]\",6,1,0,1,1,0,1\n", "run number > 0", "'-5'", NULL);
	FAIL(LONG_HDR "1,0,m,3,\"[1,2,3]\",6,1,0,1,1,0,1\n", "t.csv:2:3:", "lumisection number > 0", "fromlumi");
	FAIL(LONG_HDR "1,1.5,m,3,\"[1,2,3]\",6,1,0,1,1,0,1\n", "lumisection number", "'1.5'", NULL);
	FAIL(LONG_HDR "1,1,m,3,\"[1,2,3]\",6,1,0,0,1,0,1\n", "column Xbins", "found '0'", NULL);
	FAIL(LONG_HDR "1,1,m,3,\"[1,2,3]\",6,1,0,20000000,1,0,1\n", "column Xbins", "10000000", NULL);
	FAIL(LONG_HDR "1,1,,3,\"[1,2,3]\",6,1,0,1,1,0,1\n", "t.csv:2:5:", "ME name", NULL);
	/* cell counts */
	FAIL(LONG_HDR "1,1,m,3,\"[1,2,3,4]\",6,1,0,1,1,0,1\n", "t.csv:2:", "expected 3 cells", "found 4");
	FAIL(LONG_HDR "1,1,m,3,\"[1,2,3,4]\",6,1,0,1,1,0,2\n", "expected 12 cells", "2D", "found 4");
	FAIL(LONG_HDR "1,1,m,3,\"[1,2,3]\",6,1,0,1,1,0,1\n1,2,m,3,\"[1]\",6,1,0,1,1,0,1\n", "t.csv:3:",
	     "expected 3 cells for ME m as on line 2", "found 1");
	FAIL("run,ls,me,xmin,xmax,xbins,ybins,histo\n1,1,m,0,1,1,1,\"[0,0,0,0,0,0,0,0,0]\"\n", "ymin and ymax", NULL,
	     NULL);
	/* labels */
	expect_fail("run,ls,me,xmin,xmax,xbins,histo,good\n1,1,m,0,1,1,\"[1,2,3]\",maybe\n", labs, 1, LC_ERR_PARSE,
		    "t.csv:2:", "label column good", "'maybe'", __LINE__);
	expect_fail("run,ls,me,xmin,xmax,xbins,histo,good\n1,1,m,0,1,1,\"[1,2,3]\",2\n", labs, 1, LC_ERR_PARSE,
		    "label column good", "'2'", NULL, __LINE__);
	/* the exact message of one case */
	static seen s;
	lc_error err = {0};
	read_str("run,ls,me,xmin,xmax,xbins,bin_0,bin_1,bin_2\n1,1,m,0,1,1,0,0,0\n1,2,m,0,1,1,0,abc,0\n", NULL, 0, &s,
		 &err);
	CHECK(strcmp(err.msg, "t.csv:3:15: expected a number in column bin_1, found 'abc'") == 0);
	CHECK(s.rows == 1);
	/* invalid arguments */
	CHECK(lc_csv_read(NULL, "x", NULL, 0, on_hist, &s, &err) == LC_ERR_INVALID);
}

int main(void)
{
	test_real_files();
	test_small();
	test_exact_numbers();
	test_refills();
	test_errors();
	T_DONE();
}
