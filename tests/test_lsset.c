/* test_lsset.c — run lists and LS sets: parsing with positioned errors, set operations, the CMS JSON layout written
 * byte for byte, and round trips of the real 2016/2017 certification files in tests/data/certification. */
#include <stdlib.h>
#include <string.h>

#include "lumicert.h"
#include "t.h"

#define CERT "tests/data/certification/"

/* Builds a finished set from n (run, ls) pairs given flat. */
static lc_lsset *mkset(const int64_t *p, size_t n)
{
	lc_lsset *s = lc_lsset_new();
	for (size_t i = 0; i < n; i++)
		lc_lsset_add(s, p[2 * i], p[2 * i + 1]);
	lc_lsset_finish(s);
	return s;
}

/* 1 if a and b hold the same pairs. */
static int same(const lc_lsset *a, const lc_lsset *b)
{
	if (!a || !b || a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->run[i] != b->run[i] || a->ls[i] != b->ls[i])
			return 0;
	return 1;
}

/* 1 if s holds exactly the n pairs p (flat, in order). */
static int is(const lc_lsset *s, const int64_t *p, size_t n)
{
	if (!s || s->n != n || !s->sorted)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s->run[i] != p[2 * i] || s->ls[i] != p[2 * i + 1])
			return 0;
	return 1;
}

/* Writes s as JSON into a malloc'd string (free()). */
static char *to_json(const lc_lsset *s)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	int rc = lc_lsset_write_json(s, f);
	fclose(f);
	if (rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Reads text as a label file; returns the status, err gets the message. */
static int rd(const char *text, lc_lsset **out, lc_error *err)
{
	err->code = 0;
	err->msg[0] = 0;
	return lc_lsset_read_mem(text, strlen(text), "x", out, err);
}

/* Reading text fails with code and a message containing frag. */
static void check_bad(const char *text, int code, const char *frag)
{
	lc_lsset *s = NULL;
	lc_error err;
	int rc = rd(text, &s, &err);
	CHECK(rc == code);
	CHECK(s == NULL);
	CHECK(strstr(err.msg, frag) != NULL);
	if (rc != code || !strstr(err.msg, frag))
		fprintf(stderr, "  input %s -> rc %d, message: %s\n", text, rc, err.msg);
	lc_lsset_free(s);
}

static void test_runlist(void)
{
	lc_runlist *rl = NULL;
	lc_error err = {0, ""};
	CHECK(lc_runlist_parse("297050,297178", &rl, &err) == LC_OK);
	CHECK(rl && rl->n == 2 && rl->lo[0] == 297050 && rl->hi[0] == 297050 && rl->lo[1] == 297178);
	CHECK(lc_runlist_has(rl, 297178) && !lc_runlist_has(rl, 297051));
	lc_runlist_free(rl);
	rl = NULL;
	CHECK(lc_runlist_parse(" 297047 - 297675 , 300000 ", &rl, &err) == LC_OK);
	CHECK(rl && rl->n == 2 && rl->lo[0] == 297047 && rl->hi[0] == 297675 && rl->hi[1] == 300000);
	CHECK(lc_runlist_has(rl, 297047) && lc_runlist_has(rl, 297675) && lc_runlist_has(rl, 297300));
	CHECK(!lc_runlist_has(rl, 297046) && !lc_runlist_has(rl, 297676) && lc_runlist_has(rl, 300000));
	lc_runlist_free(rl);
	CHECK(lc_runlist_has(NULL, 1) && lc_runlist_has(NULL, 999999));
	lc_runlist_free(NULL);

	struct {
		const char *spec, *frag;
	} bad[] = {
		{"297050,abc", "run list '297050,abc': element 2 'abc' is not a run number"},
		{"297050,,297178", "element 2 is empty"},
		{"297050,", "element 2 is empty"},
		{"", "is empty"},
		{"297675-297047", "element 1 '297675-297047': first run 297675 is greater than last run 297047"},
		{"1,0", "element 2 '0': run numbers must be positive"},
		{"-5", "element 1 '-5' is not a run number"},
		{"1-2-3", "element 1 '1-2-3' is not a run number"},
		{"99999999999999999999", "is not a run number"},
		{"12 34", "'12 34' is not a run number"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rl = NULL;
		err.msg[0] = 0;
		CHECK(lc_runlist_parse(bad[i].spec, &rl, &err) == LC_ERR_INVALID);
		CHECK(rl == NULL);
		CHECK(strstr(err.msg, bad[i].frag) != NULL);
		if (!strstr(err.msg, bad[i].frag))
			fprintf(stderr, "  '%s' -> %s\n", bad[i].spec, err.msg);
	}
}

static void test_set_ops(void)
{
	int64_t pa[] = {2, 5, 1, 3, 1, 1, 2, 5, 1, 2, 10, 1, 1, 3};
	lc_lsset *a = mkset(pa, 7);
	int64_t ea[] = {1, 1, 1, 2, 1, 3, 2, 5, 10, 1};
	CHECK(is(a, ea, 5));
	CHECK(lc_lsset_has(a, 1, 2) && lc_lsset_has(a, 10, 1) && lc_lsset_has(a, 1, 1));
	CHECK(!lc_lsset_has(a, 1, 4) && !lc_lsset_has(a, 2, 1) && !lc_lsset_has(a, 0, 0) && !lc_lsset_has(a, 11, 1));
	int64_t pb[] = {1, 2, 2, 5, 3, 1, 10, 2};
	lc_lsset *b = mkset(pb, 4);
	lc_lsset *e = lc_lsset_new();
	lc_lsset *x = lc_lsset_and(a, b);
	int64_t eand[] = {1, 2, 2, 5};
	CHECK(is(x, eand, 2));
	lc_lsset_free(x);
	x = lc_lsset_or(a, b);
	int64_t eor[] = {1, 1, 1, 2, 1, 3, 2, 5, 3, 1, 10, 1, 10, 2};
	CHECK(is(x, eor, 7));
	lc_lsset_free(x);
	x = lc_lsset_minus(a, b);
	int64_t emin[] = {1, 1, 1, 3, 10, 1};
	CHECK(is(x, emin, 3));
	lc_lsset_free(x);
	x = lc_lsset_minus(b, a);
	int64_t emin2[] = {3, 1, 10, 2};
	CHECK(is(x, emin2, 2));
	lc_lsset_free(x);
	x = lc_lsset_and(a, e);
	CHECK(x && x->n == 0 && x->sorted);
	lc_lsset_free(x);
	x = lc_lsset_or(e, a);
	CHECK(same(x, a));
	lc_lsset_free(x);
	x = lc_lsset_minus(a, e);
	CHECK(same(x, a));
	lc_lsset_free(x);
	x = lc_lsset_minus(a, a);
	CHECK(x && x->n == 0);
	lc_lsset_free(x);
	CHECK(!lc_lsset_has(e, 1, 1));

	/* adding in order keeps the set finished; a step back clears the flag until finish */
	lc_lsset *o = lc_lsset_new();
	lc_lsset_add(o, 5, 1);
	lc_lsset_add(o, 5, 2);
	lc_lsset_add(o, 5, 2);
	CHECK(o->sorted && o->n == 2);
	lc_lsset_add(o, 4, 9);
	CHECK(!o->sorted);
	CHECK(lc_lsset_has(o, 4, 9)); /* unfinished sets are still answered right */
	lc_lsset_finish(o);
	CHECK(o->sorted && o->n == 3 && o->run[0] == 4);
	lc_lsset_free(o);

	/* a larger shuffled set with duplicates sorts and dedupes like a reference */
	lc_lsset *big = lc_lsset_new();
	uint64_t st = 12345;
	for (int i = 0; i < 20000; i++) {
		st = st * 6364136223846793005ULL + 1442695040888963407ULL;
		lc_lsset_add(big, 1 + (int64_t)((st >> 33) % 7), 1 + (int64_t)((st >> 20) % 1000));
	}
	lc_lsset_finish(big);
	int ok = 1;
	for (size_t i = 1; i < big->n; i++)
		if (!(big->run[i - 1] < big->run[i] || (big->run[i - 1] == big->run[i] && big->ls[i - 1] < big->ls[i])))
			ok = 0;
	CHECK(ok);
	CHECK(big->n > 5000 && big->n <= 7000);
	lc_lsset_free(big);

	lc_lsset_free(a);
	lc_lsset_free(b);
	lc_lsset_free(e);
	lc_lsset_free(NULL);
}

static void test_read_write(void)
{
	lc_lsset *s = NULL;
	lc_error err;
	/* JSON: any whitespace, unordered and overlapping ranges, duplicate runs merge */
	CHECK(rd("\n { \"7\" :[ [3,4] ,[1 , 2]],\r\n\"2\":[[5,5]], \"7\": [[4, 6]], \"9\": [] }\n\n", &s, &err) == LC_OK);
	int64_t e1[] = {2, 5, 7, 1, 7, 2, 7, 3, 7, 4, 7, 5, 7, 6};
	CHECK(is(s, e1, 7));
	char *j = to_json(s);
	CHECK(j && strcmp(j, "{\n  \"2\": [[5, 5]],\n  \"7\": [[1, 6]]\n}\n") == 0);
	free(j);
	lc_lsset_free(s);

	s = NULL;
	CHECK(rd("{}", &s, &err) == LC_OK && s && s->n == 0);
	j = to_json(s);
	CHECK(j && strcmp(j, "{}\n") == 0);
	free(j);
	lc_lsset_free(s);

	/* runs sort numerically, not as strings; gaps split ranges */
	s = NULL;
	CHECK(rd("{\"100\": [[1, 3], [5, 5], [7, 8]], \"99\": [[2, 2]]}", &s, &err) == LC_OK);
	j = to_json(s);
	CHECK(j && strcmp(j, "{\n  \"99\": [[2, 2]],\n  \"100\": [[1, 3], [5, 5], [7, 8]]\n}\n") == 0);
	free(j);
	lc_lsset_free(s);

	/* the 80-column rule: a run's line, trailing comma included, of exactly 80 columns stays on one line */
	const char *line80 = "[[100, 100], [102, 102], [104, 104], [106, 106], [108, 108], [110, 110]]";
	const char *wrapped = "[\n    [100, 100],\n    [102, 102],\n    [104, 104],\n    [106, 106],\n    [108, 108],\n"
			      "    [110, 110]\n  ]";
	for (int k = 0; k < 3; k++) {
		int64_t run = k == 0 ? 10 : k == 1 ? 100 : 9; /* last run 80 wide, last run 81, not last with comma 80 */
		lc_lsset *w = lc_lsset_new();
		for (int64_t ls = 100; ls <= 110; ls += 2)
			lc_lsset_add(w, run, ls);
		if (k == 2)
			lc_lsset_add(w, 10, 1);
		char want[512];
		snprintf(want, sizeof want, "{\n  \"%d\": %s%s\n}\n", (int)run, k == 1 ? wrapped : line80,
			 k == 2 ? ",\n  \"10\": [[1, 1]]" : "");
		j = to_json(w);
		CHECK(j && strcmp(j, want) == 0);
		if (j && k != 1)
			CHECK(strlen(strchr(j, '\n') + 1) - strlen(strchr(strchr(j, '\n') + 1, '\n')) == 80);
		free(j);
		lc_lsset_free(w);
	}
	/* a 2-digit run that is not the last: 80 columns plus the comma wraps */
	{
		lc_lsset *w = lc_lsset_new();
		for (int64_t ls = 100; ls <= 110; ls += 2)
			lc_lsset_add(w, 20, ls);
		lc_lsset_add(w, 21, 1);
		j = to_json(w);
		CHECK(j && strstr(j, "\"20\": [\n    [100, 100],") != NULL); /* 81 with the comma */
		free(j);
		lc_lsset_free(w);
	}

	/* writing an unfinished set is refused */
	lc_lsset *u = lc_lsset_new();
	lc_lsset_add(u, 2, 1);
	lc_lsset_add(u, 1, 1);
	CHECK(to_json(u) == NULL);
	lc_lsset_free(u);

	/* lists: blanks, tabs, one comma, comments, CRLF, no final newline */
	s = NULL;
	CHECK(rd("# bad LS\n\n276501 222\r\n276501,223\n 3\t, 9 # note\n276501\t222\n3 1", &s, &err) == LC_OK);
	int64_t e2[] = {3, 1, 3, 9, 276501, 222, 276501, 223};
	CHECK(is(s, e2, 4));
	lc_lsset_free(s);
	s = NULL;
	CHECK(rd("# only a comment\n", &s, &err) == LC_OK && s && s->n == 0);
	lc_lsset_free(s);

	/* errors: each names x:line:column and what was wrong */
	check_bad("", LC_ERR_PARSE, "x: empty label file");
	check_bad(" \n\t\r\n", LC_ERR_PARSE, "x: empty label file");
	check_bad("{\n  \"1\": [[5, 3]]\n}", LC_ERR_PARSE, "x:2:9: run 1: range [5, 3] has first > last");
	check_bad("{\"1\": [[0, 3]]}", LC_ERR_PARSE, "x:1:8: run 1: LS 0 is less than 1");
	check_bad("{\"1\": [[-2, 3]]}", LC_ERR_PARSE, "LS -2 is less than 1");
	check_bad("{\"abc\": [[1, 3]]}", LC_ERR_PARSE, "x:1:2: run key \"abc\" is not a positive integer");
	check_bad("{\"0\": [[1, 3]]}", LC_ERR_PARSE, "run key \"0\" is not a positive integer");
	check_bad("{\"-4\": [[1, 3]]}", LC_ERR_PARSE, "run key \"-4\" is not a positive integer");
	check_bad("{\"\": [[1, 3]]}", LC_ERR_PARSE, "run key \"\" is not a positive integer");
	check_bad("{\"99999999999999999999\": [[1, 3]]}", LC_ERR_PARSE, "is not a positive integer");
	check_bad("{\"1\": [[1, 3, 4]]}", LC_ERR_PARSE, "x:1:13: expected ']' closing the LS range");
	check_bad("{\"1\": [[1]]}", LC_ERR_PARSE, "x:1:10: expected ',' between first and last LS");
	check_bad("{\"1\": [[1.5, 3]]}", LC_ERR_PARSE, "x:1:9: first LS must be an integer");
	check_bad("{\"1\": [[1, 2e3]]}", LC_ERR_PARSE, "last LS must be an integer");
	check_bad("{\"1\": [[1, \"3\"]]}", LC_ERR_PARSE, "x:1:12: expected an integer last LS, found '\"'");
	check_bad("{\"1\": [1, 3]}", LC_ERR_PARSE, "x:1:8: expected '[' starting an LS range");
	check_bad("{\"1\": [[1, 3],]}", LC_ERR_PARSE, "x:1:15: expected '[' starting an LS range");
	check_bad("{\"1\": [[1, 3]]", LC_ERR_PARSE, "x:1:15: expected ',' or '}' after the ranges of a run, found end of file");
	check_bad("{\"1\": [[1, 3]], }", LC_ERR_PARSE, "x:1:17: expected '\"' starting a run number key");
	check_bad("{\n\"1\": [[1, 3]]}\n}", LC_ERR_PARSE, "x:3:1: expected nothing after the closing '}', found '}'");
	check_bad("{\"1\" [[1, 3]]}", LC_ERR_PARSE, "x:1:6: expected ':' after the run number key");
	check_bad("{\"1\": 5}", LC_ERR_PARSE, "x:1:7: expected '[' starting the list of LS ranges");
	check_bad("{\"12\n\": []}", LC_ERR_PARSE, "x:1:5: expected '\"' closing the run number key, found end of line");
	check_bad("{1: []}", LC_ERR_PARSE, "x:1:2: expected '\"' starting a run number key, found '1'");
	check_bad("{\"1\": [[1, 99999999999999999999]]}", LC_ERR_PARSE, "x:1:12: last LS is too large");
	check_bad("{\"1\": [[1, 3]\x01]}", LC_ERR_PARSE, "found byte 0x01");
	check_bad("[[1, 3]]", LC_ERR_PARSE, "x:1:1: expected '{' (golden JSON) or a 'run ls' line, found '['");
	check_bad("1 2\nabc 4\n", LC_ERR_PARSE, "x:2:1: expected an integer run number, found 'a'");
	check_bad("\n\n  <html>", LC_ERR_PARSE, "x:3:3: expected '{' (golden JSON) or a 'run ls' line, found '<'");
	check_bad("1 2\n3 4 5\n", LC_ERR_PARSE, "x:2:5: expected end of line after 'run ls', found '5'");
	check_bad("1 2\n\n  0 4\n", LC_ERR_PARSE, "x:3:3: run 0 is not a positive run number");
	check_bad("1 0\n", LC_ERR_PARSE, "x:1:3: run 1: LS 0 is less than 1");
	check_bad("12\n", LC_ERR_PARSE, "x:1:3: expected a space, tab or comma after the run number, found end of line");
	check_bad("12x 3\n", LC_ERR_PARSE, "x:1:3: expected a space, tab or comma after the run number, found 'x'");
	check_bad("12 ,, 3\n", LC_ERR_PARSE, "x:1:5: expected an integer LS number, found ','");
	check_bad("12 3.0\n", LC_ERR_PARSE, "x:1:4: LS number must be an integer");
	/* the size limit: 10^7 LS in one file */
	check_bad("{\"1\": [[1, 10000001]]}", LC_ERR_UNSUPPORTED, "x:1:8: the file covers more than 10000000 lumisections");
	check_bad("{\"1\": [[1, 6000000]], \"2\": [[1, 9223372036854775807]]}", LC_ERR_UNSUPPORTED, "x:1:29:");
	check_bad("{\"1\": [[1, 6000000]], \"1\": [[1, 5000000]]}", LC_ERR_UNSUPPORTED, "more than 10000000");
	/* buffers need no NUL: a read must stop at n */
	s = NULL;
	CHECK(lc_lsset_read_mem("{\"5\": [[1, 2]]}XYZ", 15, "x", &s, &err) == LC_OK && s && s->n == 2);
	lc_lsset_free(s);
}

/* Reads path into a set (NULL on failure, printing the message). */
static lc_lsset *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s (run from the project root)\n", path);
		return NULL;
	}
	lc_lsset *s = NULL;
	lc_error err = {0, ""};
	if (lc_lsset_read(f, path, &s, &err))
		fprintf(stderr, "%s\n", err.msg);
	fclose(f);
	return s;
}

/* Reads a whole file into a malloc'd string with CRs removed. */
static char *slurp_nocr(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	int c;
	while ((c = fgetc(f)) != EOF)
		if (c != '\r')
			fputc(c, m);
	fclose(m);
	fclose(f);
	return buf;
}

/* Written JSON reads back to the same set. */
static int round_trips(const lc_lsset *s)
{
	char *j = to_json(s);
	lc_lsset *b = NULL;
	lc_error err;
	int ok = j && lc_lsset_read_mem(j, strlen(j), "rt", &b, &err) == LC_OK && same(s, b);
	free(j);
	lc_lsset_free(b);
	return ok;
}

static void test_real_files(void)
{
	/* bad_pixel.json (mantydze/ml4dqm-ul) is in the CMS layout; it has CRLF line ends, we write LF */
	lc_lsset *px = read_file(CERT "bad_pixel.json");
	CHECK(px != NULL);
	if (px) {
		char *want = slurp_nocr(CERT "bad_pixel.json");
		char *got = to_json(px);
		CHECK(want && got && strcmp(want, got) == 0);
		CHECK(lc_lsset_has(px, 297046, 32) && lc_lsset_has(px, 297046, 151) && !lc_lsset_has(px, 297046, 152));
		CHECK(lc_lsset_has(px, 305250, 25) && !lc_lsset_has(px, 305249, 40));
		free(want);
		free(got);
	}

	lc_lsset *gold = read_file(CERT "json_GOLDEN_2017.txt");
	lc_lsset *dcs = read_file(CERT "json_DCSONLY_2017.txt");
	lc_lsset *prompt = read_file(CERT "Cert_294927-306462_13TeV_PromptReco_Collisions17_JSON.txt");
	lc_lsset *lehj = read_file(CERT "LEHJ_2016.txt");
	CHECK(gold && dcs && prompt && lehj);
	if (gold && dcs && prompt && lehj) {
		CHECK(round_trips(gold) && round_trips(dcs) && round_trips(prompt) && round_trips(lehj));
		/* the 2017 golden JSON is in the CMS layout too (it lacks only the final newline) */
		char *want = slurp_nocr(CERT "json_GOLDEN_2017.txt"), *got = to_json(gold);
		CHECK(want && got && strlen(got) == strlen(want) + 1 && strncmp(want, got, strlen(want)) == 0);
		free(want);
		free(got);

		/* spot values from the files */
		CHECK(lc_lsset_has(gold, 297050, 12) && lc_lsset_has(gold, 297050, 137));
		CHECK(!lc_lsset_has(gold, 297050, 138) && !lc_lsset_has(gold, 297050, 11));
		CHECK(lc_lsset_has(gold, 306460, 73) && !lc_lsset_has(gold, 306460, 74));
		CHECK(lc_lsset_has(dcs, 294927, 55) && lc_lsset_has(dcs, 294927, 85) && !lc_lsset_has(dcs, 294927, 86));
		CHECK(lc_lsset_has(prompt, 297099, 40) && !lc_lsset_has(prompt, 297099, 39));
		CHECK(lc_lsset_has(gold, 297099, 24)); /* the re-certified golden JSON differs from PromptReco */
		CHECK(lehj->n == 7133 && lc_lsset_has(lehj, 276501, 222) && lc_lsset_has(lehj, 276437, 2191));
		CHECK(gold->n > 100000 && dcs->n > gold->n);
		lc_lsset *gd = lc_lsset_and(gold, dcs);
		CHECK(gd && gd->n > 0);
		lc_lsset *m1 = lc_lsset_minus(gd, gold), *m2 = lc_lsset_minus(gd, dcs);
		CHECK(m1 && m1->n == 0 && m2 && m2->n == 0);
		lc_lsset *un = lc_lsset_or(gold, dcs);
		CHECK(un && un->n == gold->n + dcs->n - gd->n);
		lc_lsset_free(m1);
		lc_lsset_free(m2);
		lc_lsset_free(un);
		lc_lsset_free(gd);
	}
	lc_lsset_free(px);
	lc_lsset_free(gold);
	lc_lsset_free(dcs);
	lc_lsset_free(prompt);
	lc_lsset_free(lehj);
}

/* Every `file | fragment` line of tests/data/bad/README-labels.md: reading the file fails with that fragment. */
static void test_bad_corpus(void)
{
	const char *dir = "tests/data/bad/";
	char readme[256];
	snprintf(readme, sizeof readme, "%sREADME-labels.md", dir);
	FILE *f = fopen(readme, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	char line[1024];
	int lines = 0;
	while (fgets(line, sizeof line, f)) {
		char *bar = strstr(line, " | ");
		if (!bar || strchr(line, '`'))
			continue;
		*bar = 0;
		char *frag = bar + 3;
		frag[strcspn(frag, "\n")] = 0;
		char path[1100];
		snprintf(path, sizeof path, "%s%s", dir, line);
		FILE *g = fopen(path, "rb");
		CHECK(g != NULL);
		if (!g)
			continue;
		lc_lsset *s = NULL;
		lc_error err = {0, ""};
		int rc = lc_lsset_read(g, line, &s, &err);
		fclose(g);
		CHECK(rc == (strstr(line, "huge") ? LC_ERR_UNSUPPORTED : LC_ERR_PARSE));
		CHECK(s == NULL && strstr(err.msg, frag) != NULL);
		if (!strstr(err.msg, frag))
			fprintf(stderr, "  %s: got '%s', README says '%s'\n", line, err.msg, frag);
		lc_lsset_free(s);
		lines++;
	}
	fclose(f);
	CHECK(lines >= 13);
}

int main(void)
{
	test_runlist();
	test_set_ops();
	test_read_write();
	test_real_files();
	test_bad_corpus();
	T_DONE();
}
