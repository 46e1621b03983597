/* test_report.c — the HTML report: label-based rates and the grey-zone band on hand-computed cases, escaping and
 * base64, the certify-directory reader (good and malformed files), and whole reports of a small synthetic store
 * (states counted against the model's own scores, escaping of store strings, caps, certify decisions, detail cap,
 * 2D heat maps, errors that leave no file). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lumicert.h"
#include "lumicert_report.h"
#include "report/plot.h"
#include "report/report.h"
#include "t.h"

static char dir[128], dbpath[192];

/* ---------------------------------------------------------------- rates */

static void test_rates(void)
{
	/* scores 1..6 given out of order; bad at 3, 5, 6 */
	double s[6] = {6, 2, 4, 1, 5, 3};
	int bad[6] = {1, 0, 0, 0, 1, 1};
	rates r;
	CHECK(rates_init(&r, s, bad, 6) == LC_OK);
	CHECK(r.n == 6 && r.n_bad == 3 && r.n_good == 3);
	CHECK(r.s[0] == 1 && r.s[5] == 6);
	/* pollution(k) = bad among the k lowest / k: 0, 0, 0, 1/3, 1/4, 2/5, 3/6 */
	CHECK_NEAR(rates_pollution(&r, 0), 0, 0);
	CHECK_NEAR(rates_pollution(&r, 2), 0, 0);
	CHECK_NEAR(rates_pollution(&r, 3), 1.0 / 3, 1e-12);
	CHECK_NEAR(rates_pollution(&r, 4), 0.25, 1e-12);
	CHECK_NEAR(rates_pollution(&r, 6), 0.5, 1e-12);
	/* loss(k) = good not among the k lowest / 3: 1, 2/3, 1/3, 1/3, 0, 0, 0 */
	CHECK_NEAR(rates_loss(&r, 0), 1, 1e-12);
	CHECK_NEAR(rates_loss(&r, 1), 2.0 / 3, 1e-12);
	CHECK_NEAR(rates_loss(&r, 3), 1.0 / 3, 1e-12);
	CHECK_NEAR(rates_loss(&r, 4), 0, 0);
	CHECK(rates_count_le(&r, 3.5) == 3);
	CHECK(rates_count_le(&r, 3) == 3);
	CHECK(rates_count_le(&r, 0.5) == 0);
	CHECK(rates_count_le(&r, 9) == 6);

	double lo, hi;
	/* pollution <= 0.2 holds up to k = 2 (t = 2); loss <= 0 first at k = 4 (t = 4): band (2, 4] */
	rates_grey(&r, 3.5, 0.2, 0.0, &lo, &hi);
	CHECK_NEAR(lo, 2, 0);
	CHECK_NEAR(hi, 4, 0);
	/* pollution <= 0.3 holds at k = 4 (0.25) although not at k = 3: the largest passing threshold is 4, above
	 * the threshold 3.5, so the band starts at the threshold */
	rates_grey(&r, 3.5, 0.3, NAN, &lo, &hi);
	CHECK_NEAR(lo, 3.5, 0);
	CHECK_NEAR(hi, 3.5, 0);
	/* no caps: no band */
	rates_grey(&r, 3.5, NAN, NAN, &lo, &hi);
	CHECK(lo == 3.5 && hi == 3.5);
	/* loss <= 0.5 first at k = 2 (2/3 at k = 1): t = 2 is below the threshold, which stays the upper end */
	rates_grey(&r, 3.5, NAN, 0.5, &lo, &hi);
	CHECK(lo == 3.5 && hi == 3.5);
	rates_free(&r);

	/* ties: scores 1, 1, 2 with the bad LS among the tied pair: k = 1 is no cut; pollution 0 only with nothing
	 * passing: the band opens to -inf */
	double s2[3] = {1, 1, 2};
	int b2[3] = {1, 0, 0};
	CHECK(rates_init(&r, s2, b2, 3) == LC_OK);
	rates_grey(&r, 1.5, 0.0, NAN, &lo, &hi);
	CHECK(isinf(lo) && lo < 0);
	CHECK(hi == 1.5);
	/* cap 0.4: only all three passing meets it (1/3); that threshold (2) is above 1.5, which stays */
	rates_grey(&r, 1.5, 0.4, NAN, &lo, &hi);
	CHECK(lo == 1.5);
	rates_free(&r);
	/* scores 1, 1, 2 with bad at one of the pair and at 2, cap 1/2: the pair passes (1/2), all three do not
	 * (2/3): lo = 1 */
	int b3[3] = {1, 0, 1};
	CHECK(rates_init(&r, s2, b3, 3) == LC_OK);
	rates_grey(&r, 1.5, 0.5, NAN, &lo, &hi);
	CHECK(lo == 1);
	rates_free(&r);

	/* empty */
	CHECK(rates_init(&r, NULL, NULL, 0) == LC_OK);
	rates_grey(&r, 1, 0.1, 0.1, &lo, &hi);
	CHECK(lo == 1 && hi == 1);
	CHECK(rates_loss(&r, 0) == 0 && rates_pollution(&r, 0) == 0);
	rates_free(&r);
}

/* ---------------------------------------------------------------- escaping, base64, axes */

static void test_text(void)
{
	sbuf b = {0};
	html_esc(&b, "a<b>&\"c'd");
	CHECK(b.s && !strcmp(b.s, "a&lt;b&gt;&amp;&quot;c&#39;d"));
	sb_free(&b);
	memset(&b, 0, sizeof b);
	base64(&b, (const unsigned char *)"Man", 3);
	base64(&b, (const unsigned char *)"Ma", 2);
	base64(&b, (const unsigned char *)"M", 1);
	CHECK(b.s && !strcmp(b.s, "TWFuTWE=TQ=="));
	sb_free(&b);
	axis lin = {0, 10, 0, 100, 200}, lg = {1e-6, 1e-2, 1, 300, 100};
	CHECK_NEAR(ax_map(&lin, 5), 150, 1e-9);
	CHECK_NEAR(ax_map(&lin, 20), 200, 1e-9); /* clamped */
	CHECK_NEAR(ax_map(&lg, 1e-4), 200, 1e-9);
	CHECK_NEAR(ax_map(&lg, 0), 300, 1e-9);   /* non-positive on a log axis: the bottom */
}

/* ---------------------------------------------------------------- certify directory */

static void put(const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void write_certify(void)
{
	put("auto-good.json", "{\"100\": [[1, 5]]}\n");
	put("auto-bad.json", "{\"200\": [[10, 12]]}\n");
	put("review.csv", "run,lumi,p_bad,reason\n100,6,0.4,\"odd, <shape> \"\"x\"\"\"\n200,13,,\n");
	put("summary.json", "{\"manual_work\": 0.033, \"note\": \"<b>\"}\n");
}

static void test_certify(void)
{
	lc_error err = {0};
	cert_data c;
	write_certify();
	CHECK(cert_read(dir, &c, &err) == LC_OK);
	CHECK(c.good && c.good->n == 5);
	CHECK(c.bad && c.bad->n == 3);
	CHECK(c.nreview == 2);
	const review_row *v = cert_review(&c, 100, 6);
	CHECK(v && fabs(v->p_bad - 0.4) < 1e-12 && v->reason && !strcmp(v->reason, "odd, <shape> \"x\""));
	v = cert_review(&c, 200, 13);
	CHECK(v && isnan(v->p_bad));
	CHECK(!cert_review(&c, 200, 14));
	CHECK(c.has_summary && c.nsummary == 2);
	cert_free(&c);

	/* malformed review.csv: the message names file:line:column */
	put("review.csv", "run,lumi,p_bad,reason\n100,6,0.4,x\n100,x,0.1,y\n");
	CHECK(cert_read(dir, &c, &err) == LC_ERR_PARSE);
	CHECK(strstr(err.msg, "review.csv:3:5") != NULL);
	put("review.csv", "run,lumi,p_bad,reason\n100,6,1.5,x\n");
	CHECK(cert_read(dir, &c, &err) == LC_ERR_PARSE);
	CHECK(strstr(err.msg, "review.csv:2:7") && strstr(err.msg, "p_bad"));
	put("review.csv", "run,ls,p\n");
	CHECK(cert_read(dir, &c, &err) == LC_ERR_PARSE);
	CHECK(strstr(err.msg, "review.csv:1:1") != NULL);
	put("review.csv", "run,lumi,p_bad,reason\n100,7,0.1,a\n100,7,0.2,b\n");
	CHECK(cert_read(dir, &c, &err) == LC_ERR_PARSE);
	CHECK(strstr(err.msg, "listed twice") != NULL);
	/* an LS both auto-good and to review */
	put("review.csv", "run,lumi,p_bad,reason\n100,3,0.5,x\n");
	CHECK(cert_read(dir, &c, &err) == LC_ERR_INVALID);
	CHECK(strstr(err.msg, "run 100 LS 3") != NULL);
	/* malformed JSON names its line */
	put("review.csv", "run,lumi,p_bad,reason\n");
	put("auto-bad.json", "{\"200\": [[10, 12]],\n \"x\": 1}\n");
	CHECK(cert_read(dir, &c, &err) == LC_ERR_PARSE);
	CHECK(strstr(err.msg, "auto-bad.json:2") != NULL);
	put("auto-bad.json", "{\"200\": [[10, 12]]}\n");
	put("summary.json", "{\"a\": }");
	CHECK(cert_read(dir, &c, &err) == LC_ERR_PARSE);
	CHECK(strstr(err.msg, "summary.json:1:") != NULL);
	char p[256];
	snprintf(p, sizeof p, "%s/summary.json", dir);
	remove(p); /* summary.json is optional */
	CHECK(cert_read(dir, &c, &err) == LC_OK);
	CHECK(!c.has_summary);
	cert_free(&c);
	snprintf(p, sizeof p, "%s/review.csv", dir);
	remove(p); /* review.csv is not */
	CHECK(cert_read(dir, &c, &err) == LC_ERR_IO);
	CHECK(strstr(err.msg, "review.csv") != NULL);
}

/* ---------------------------------------------------------------- whole reports */

#define ME1 "m<1>&\"'"
#define NB 8

/* A 1D LS: a bump at bin 3 (good) or at bin 5 (bad), with a small LS-dependent wiggle; total about 1000. */
static void cells_1d(double *c, int ls, int bad, double total)
{
	memset(c, 0, (NB + 2) * sizeof *c);
	int peak = bad ? 5 : 3;
	for (int i = 1; i <= NB; i++) {
		double d = i - peak;
		c[i] = floor(total * exp(-0.5 * d * d) / 2.5 * (1 + 0.05 * sin(ls * 1.7 + i)));
	}
}

static int is_bad(int run, int ls)
{
	return run == 200 && ls >= 10 && ls <= 14;
}

static lc_store *make_store(void)
{
	lc_error err = {0};
	lc_store *st = NULL;
	remove(dbpath);
	if (lc_store_open(dbpath, 1, &st, &err) || lc_store_begin(st, &err))
		return NULL;
	double c[NB + 2], c2[6 * 5];
	for (int run = 100; run <= 200; run += 100)
		for (int ls = 1; ls <= 30; ls++) {
			cells_1d(c, ls, is_bad(run, ls), run == 100 && ls == 30 ? 40 : 1000);
			lc_hist h = {.run = run, .ls = ls, .me = ME1, .metype = 3, .dim = 1, .nx = NB, .ny = 1, .xmin = 0,
				     .xmax = 80, .ymin = 0, .ymax = 1, .entries = 1000, .has_flow = 1, .cells = c};
			/* a 2D ME of 4 x 3 bins: a hot cell moving with ls */
			for (int k = 0; k < 30; k++)
				c2[k] = 10 + (k % 7 == 0 ? 40 : 0) + (ls % 5 == 0 && k == 8 ? 200 : 0);
			lc_hist h2 = {.run = run, .ls = ls, .me = "two<d>", .metype = 6, .dim = 2, .nx = 4, .ny = 3,
				      .xmin = -1, .xmax = 1, .ymin = 0, .ymax = 3, .entries = 500, .has_flow = 1, .cells = c2};
			if (lc_store_put_hist(st, &h, &err) || lc_store_put_hist(st, &h2, &err) ||
			    lc_store_put_label(st, "y<i>", "test", run, ls, !is_bad(run, ls), &err))
				return NULL;
		}
	if (lc_store_commit(st, &err))
		return NULL;
	return st;
}

static lc_model *train(lc_store *st, const char *me, const char *good)
{
	lc_train_spec spec = {0};
	lc_prep_default(&spec.prep);
	lc_train_opts_default(&spec.opts);
	lc_runlist *rl = NULL;
	lc_error err = {0};
	lc_runlist_parse("100", &rl, &err);
	spec.me = me;
	spec.runs = rl;
	spec.good_source = good;
	spec.hidden = "auto";
	spec.output_act = LC_ACT_LINEAR;
	spec.val_frac = 0.2;
	spec.fpr = 0.01;
	lc_model *m = NULL;
	if (lc_model_train(st, &spec, &m, &err))
		fprintf(stderr, "train: %s\n", err.msg);
	lc_runlist_free(rl);
	return m;
}

/* Writes a report into memory; returns the HTML (malloc'd) or NULL, with rc. */
static char *report_mem(lc_store *st, const lc_model *m, const lc_report_opts *o, lc_report_stats *s, int *rc,
			lc_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	*rc = lc_report_write(st, m, o, f, s, err);
	fclose(f);
	if (*rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_report(void)
{
	lc_error err = {0};
	lc_store *st = make_store();
	CHECK(st != NULL);
	if (!st)
		return;
	lc_model *m = train(st, ME1, "y<i>");
	CHECK(m != NULL);
	if (!m) {
		lc_store_close(st);
		return;
	}
	lc_score_row *rows = NULL;
	size_t n = 0;
	CHECK(lc_model_score(m, st, NULL, 1, &rows, &n, &err) == LC_OK);
	CHECK(n == 60);
	size_t nflag = 0, nne = 0;
	for (size_t i = 0; i < n; i++) {
		nne += !rows[i].evaluable;
		nflag += rows[i].evaluable && rows[i].score > m->threshold;
	}
	CHECK(nne == 1);   /* run 100 LS 30 has about 40 entries */
	CHECK(nflag >= 5); /* the five bad LS at least */

	/* plain: states from the threshold */
	lc_report_opts o;
	lc_report_opts_default(&o);
	o.labels = "y<i>";
	o.store_name = "store <x>";
	lc_report_stats s;
	int rc;
	char *html = report_mem(st, m, &o, &s, &rc, &err);
	CHECK(rc == LC_OK && html);
	if (html) {
		CHECK(s.n_ls == 60 && s.n_runs == 2);
		CHECK(s.n_flagged == nflag && s.n_not_evaluable == 1 && s.n_grey == 0);
		CHECK(s.n_good + s.n_flagged + s.n_grey + s.n_not_evaluable == 60);
		CHECK(s.bytes == strlen(html));
		CHECK(s.n_details == nflag && s.n_omitted == 0);
		CHECK(isnan(s.grey_lo) && isnan(s.grey_hi));
		/* every string from the store is escaped */
		CHECK(!strstr(html, ME1) && strstr(html, "m&lt;1&gt;&amp;&quot;&#39;"));
		CHECK(!strstr(html, "y<i>") && strstr(html, "y&lt;i&gt;"));
		CHECK(!strstr(html, "store <x>") && strstr(html, "store &lt;x&gt;"));
		/* the page's parts */
		CHECK(strstr(html, "id=\"run-table\"") && strstr(html, "id=\"run-100\"") && strstr(html, "id=\"run-200\""));
		CHECK(strstr(html, "id=\"roc\"") && strstr(html, "id=\"score-dist\"") && strstr(html, "id=\"pollution-loss\""));
		CHECK(strstr(html, "id=\"manual-work\"") && strstr(html, "id=\"model-card\""));
		CHECK(strstr(html, "id=\"ls-200-10\"") && strstr(html, "id=\"ls-200-14\""));
		CHECK(count(html, "class=\"ls-detail\"") == nflag);
		CHECK(count(html, "<svg class=\"run\"") == 2);
		CHECK(!strstr(html, "http://") && !strstr(html, "https://")); /* nothing to fetch */
		CHECK(strstr(html, "<script>") && count(html, "<script") == 1);
		/* the run table counts: run 200 has 30 LS with its flagged ones; the total row has them all */
		char row[128];
		snprintf(row, sizeof row, "<tr class=\"tot\"><td>all</td><td>60</td><td>%zu</td><td>0</td><td>%zu</td>"
					  "<td>1</td><td>5</td><td>55</td>",
			 s.n_good, s.n_flagged);
		CHECK(strstr(html, row) != NULL);
		/* labels mark the five bad LS; AUC of a clean separation is 1 */
		CHECK(strstr(html, "id=\"auc\">1.0000<") != NULL);
		free(html);
	}

	/* detail cap: 2 shown, the rest counted as omitted */
	o.max_details = 2;
	html = report_mem(st, m, &o, &s, &rc, &err);
	CHECK(rc == LC_OK && html);
	if (html) {
		CHECK(s.n_details == 2 && s.n_omitted == nflag - 2);
		CHECK(count(html, "class=\"ls-detail\"") == 2);
		char om[64];
		snprintf(om, sizeof om, "id=\"omitted\">%zu flagged and 0 grey-zone", nflag - 2);
		CHECK(strstr(html, om) != NULL);
		free(html);
	}
	o.max_details = 40;

	/* caps: a grey band around the threshold; states agree with the band */
	o.max_loss = 0;
	o.max_pollution = 0;
	o.threshold = 0.5 * m->threshold;
	html = report_mem(st, m, &o, &s, &rc, &err);
	CHECK(rc == LC_OK && html);
	if (html) {
		size_t ng = 0, nf = 0;
		if (!isnan(s.grey_lo))
			for (size_t i = 0; i < n; i++)
				if (rows[i].evaluable) {
					ng += rows[i].score > s.grey_lo && rows[i].score <= s.grey_hi;
					nf += rows[i].score > s.grey_hi;
				}
		CHECK(!isnan(s.grey_lo) && s.n_grey > 0); /* half the threshold flags good LS: loss 0 needs a band */
		CHECK(s.n_grey == ng);
		CHECK(isnan(s.grey_lo) || s.n_flagged == nf);
		CHECK(isnan(s.grey_lo) || (s.grey_lo <= o.threshold && s.grey_hi >= o.threshold));
		CHECK(strstr(html, "id=\"caps\"") != NULL);
		free(html);
	}
	o.max_loss = o.max_pollution = o.threshold = NAN;

	/* certify: review LS are grey, auto-bad flagged, auto-good good, the rest by the threshold */
	write_certify();
	o.certify_dir = dir;
	html = report_mem(st, m, &o, &s, &rc, &err);
	CHECK(rc == LC_OK && html);
	if (html) {
		size_t want_flag = 0, want_good = 0;
		for (size_t i = 0; i < n; i++) {
			int64_t r = rows[i].run, l = rows[i].ls;
			if ((r == 100 && l == 6) || (r == 200 && l == 13))
				continue;
			if (r == 200 && l >= 10 && l <= 12)
				want_flag++;
			else if (r == 100 && l <= 5)
				want_good++;
			else if (rows[i].evaluable)
				want_flag += rows[i].score > m->threshold, want_good += rows[i].score <= m->threshold;
		}
		CHECK(s.n_grey == 2);
		CHECK(s.n_flagged == want_flag);
		CHECK(s.n_good == want_good);
		CHECK(strstr(html, "odd, &lt;shape&gt; &quot;x&quot;") && !strstr(html, "<shape>"));
		CHECK(strstr(html, "id=\"certify-summary\"") && strstr(html, "&lt;b&gt;"));
		CHECK(strstr(html, "id=\"ls-100-6\"") != NULL); /* grey-zone LS shown */
		CHECK(strstr(html, "review: p_bad 0.4,") && strstr(html, "review: p_bad n/a"));
		free(html);
	}
	o.certify_dir = NULL;

	/* 2D: heat maps as inline BMP images ("Qk" is base64 of "BM") */
	lc_model *m2 = train(st, "two<d>", NULL);
	CHECK(m2 != NULL);
	if (m2) {
		lc_report_opts o2;
		lc_report_opts_default(&o2);
		o2.threshold = 0; /* every LS flagged: details for all */
		o2.max_details = 3;
		html = report_mem(st, m2, &o2, &s, &rc, &err);
		CHECK(rc == LC_OK && html);
		if (html) {
			CHECK(count(html, "href=\"data:image/bmp;base64,Qk") == 3 * 3);
			CHECK(strstr(html, "class=\"hist2d\"") && !strstr(html, "two<d>"));
			CHECK(strstr(html, "No label source given") != NULL);
			free(html);
		}
	}

	/* errors: nothing written, nothing left behind */
	char out[256];
	snprintf(out, sizeof out, "%s/r.html", dir);
	o.labels = "nope";
	CHECK(lc_report_save(st, m, &o, out, &s, &err) == LC_ERR_NOTFOUND);
	struct stat sb;
	CHECK(stat(out, &sb) != 0);
	o.labels = "y<i>";
	o.max_loss = 1.5;
	CHECK(lc_report_save(st, m, &o, out, &s, &err) == LC_ERR_INVALID);
	o.max_loss = NAN;
	put("review.csv", "run,lumi,p_bad,reason\n100,x\n");
	o.certify_dir = dir;
	CHECK(lc_report_save(st, m, &o, out, &s, &err) == LC_ERR_PARSE);
	CHECK(stat(out, &sb) != 0);
	o.certify_dir = NULL;
	lc_runlist *none = NULL;
	lc_runlist_parse("999", &none, &err);
	o.runs = none;
	CHECK(lc_report_save(st, m, &o, out, &s, &err) == LC_ERR_NOTFOUND);
	o.runs = NULL;
	lc_runlist_free(none);
	CHECK(lc_report_save(st, m, &o, "/nonexistent-dir/r.html", &s, &err) == LC_ERR_IO);
	/* success: the file is there, of the reported size, and no temporary file remains */
	CHECK(lc_report_save(st, m, &o, out, &s, &err) == LC_OK);
	CHECK(stat(out, &sb) == 0 && (size_t)sb.st_size == s.bytes);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp > /dev/null", dir);
	CHECK(system(cmd) != 0);

	/* the latest model recorded in the store */
	char path[256];
	CHECK(lc_report_latest_model(dbpath, path, sizeof path, &err) == LC_ERR_NOTFOUND);
	int64_t id;
	char *hj = lc_model_header_json(m);
	CHECK(lc_store_begin(st, &err) == LC_OK && lc_store_put_model(st, "/x/a.lcm", hj, &id, &err) == LC_OK &&
	      lc_store_commit(st, &err) == LC_OK);
	free(hj);
	CHECK(lc_report_latest_model(dbpath, path, sizeof path, &err) == LC_OK && !strcmp(path, "/x/a.lcm"));

	free(rows);
	lc_model_free(m);
	lc_model_free(m2);
	lc_store_close(st);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/lc-test-report-%ld", (long)getpid());
	mkdir(dir, 0700);
	snprintf(dbpath, sizeof dbpath, "%s/r.db", dir);
	test_rates();
	test_text();
	test_certify();
	test_report();
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	T_DONE();
}
