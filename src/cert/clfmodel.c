/* clfmodel.c — certifiers: a classifier trained on the labelled LS of an ME, its thresholds under caps on loss and
 * pollution from run-grouped out-of-sample predictions, and the two novelty gates; training (fresh or continued
 * from an earlier model), the model file (the container of docs/model-format.md with a classifier payload), and
 * certification of LS with a grey zone. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "internal.h"

#define MAGIC_LEN MODEL_MAGIC_LEN
#define MAX_HEADER MODEL_MAX_HEADER

void lc_clf_spec_default(lc_clf_spec *s, int kind)
{
	memset(s, 0, sizeof *s);
	lc_prep_default(&s->prep);
	s->prep.repr = LC_REPR_SQRT;
	lc_clf_opts_default(&s->clf, kind);
	s->clf.seed = 7777;
	s->max_loss = 0.01;
	s->max_pollution = 0.01;
	s->conf = 0.5;
	s->novelty = 2.0;
	s->group_by_run = 1;
}

void lc_clf_model_free(lc_clf_model *m)
{
	if (!m)
		return;
	lc_clf_free(m->clf);
	lc_novelty_free(&m->gate_good);
	lc_novelty_free(&m->gate_bad);
	free(m);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Per-LS luminosity weights of rows r from an OMS table: a run's recorded luminosity over its LS among the rows. */
static int lumi_weights(const char *path, const lc_lsrows *r, double *w, lc_error *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	int64_t *run = NULL;
	double *lumi = NULL;
	size_t nr = 0;
	int rc = lc_run_lumi_read(f, path, &run, &lumi, &nr, err);
	fclose(f);
	if (rc)
		return rc;
	for (size_t i = 0; i < r->n;) {
		size_t j = i;
		while (j < r->n && r->run[j] == r->run[i])
			j++;
		double l = 0.0;
		for (size_t k = 0; k < nr; k++)
			if (run[k] == r->run[i])
				l = lumi[k];
		for (size_t k = i; k < j; k++)
			w[k] = l / (double)(j - i);
		i = j;
	}
	free(run);
	free(lumi);
	return LC_OK;
}

int lc_clf_model_train(lc_store *st, const lc_clf_spec *spec, const lc_clf_model *warm, lc_clf_model **out,
		       lc_error *err)
{
	*out = NULL;
	double t0 = now_s();
	if (!(spec->max_loss >= 0 && spec->max_loss < 1) || !(spec->max_pollution >= 0 && spec->max_pollution < 1))
		return lc_error_set(err, LC_ERR_INVALID, "caps must lie in [0, 1): loss %g, pollution %g", spec->max_loss,
				    spec->max_pollution);
	if (!(spec->conf >= 0 && spec->conf < 1))
		return lc_error_set(err, LC_ERR_INVALID, "confidence must lie in [0, 1), got %g", spec->conf);
	if (!spec->label_source)
		return lc_error_set(err, LC_ERR_INVALID, "a label source is needed to train a classifier");
	if (warm && (warm->opts.kind != spec->clf.kind || strcmp(warm->me.name, spec->me)))
		return lc_error_set(err, LC_ERR_INVALID, "cannot continue a %s model of '%s' as a %s model of '%s'",
				    warm->kind, warm->me.name, lc_clf_kind_name(spec->clf.kind), spec->me);
	lc_clf_model *m = calloc(1, sizeof *m);
	if (!m)
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	lc_lsrows r = {0};
	lc_lsset *good = NULL, *bad = NULL;
	float *x = NULL, *gx = NULL;
	int *y = NULL;
	double *w = NULL, *wall = NULL, *cv = NULL;
	int64_t *grp = NULL;
	int rc = lc_store_me(st, spec->me, &m->me, err);
	if (!rc)
		rc = lc_store_rows(st, spec->me, warm ? &warm->prep : &spec->prep, spec->runs, &r, err);
	if (!rc)
		rc = lc_store_labels(st, spec->label_source, &good, &bad, err);
	if (rc)
		goto done;
	size_t d = (size_t)r.d, n = 0, ng = 0;
	x = malloc((r.n ? r.n : 1) * d * sizeof *x);
	gx = malloc((r.n ? r.n : 1) * d * sizeof *gx);
	y = malloc((r.n ? r.n : 1) * sizeof *y);
	w = malloc((r.n ? r.n : 1) * sizeof *w);
	wall = malloc((r.n ? r.n : 1) * sizeof *wall);
	cv = malloc((r.n ? r.n : 1) * sizeof *cv);
	grp = malloc((r.n ? r.n : 1) * sizeof *grp);
	if (!x || !gx || !y || !w || !wall || !cv || !grp) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory for %zu LS", r.n);
		goto done;
	}
	for (size_t i = 0; i < r.n; i++)
		wall[i] = 1.0;
	if (spec->lumi_csv && (rc = lumi_weights(spec->lumi_csv, &r, wall, err)))
		goto done;
	for (size_t i = 0; i < r.n; i++) {
		int g = lc_lsset_has(good, r.run[i], r.ls[i]), b = lc_lsset_has(bad, r.run[i], r.ls[i]);
		if (!g && !b)
			continue;
		memcpy(x + n * d, r.x + i * d, d * sizeof *x);
		y[n] = g;
		ng += (size_t)g;
		w[n] = wall[i];
		grp[n++] = r.run[i];
	}
	if (ng < 2 || n - ng < 2) {
		rc = lc_error_set(err, LC_ERR_INVALID,
				  "label source '%s' gives %zu good and %zu bad evaluable LS of '%s' to learn from: need at "
				  "least 2 of each (one class only cannot set both thresholds)",
				  spec->label_source, ng, n - ng, spec->me);
		goto done;
	}
	m->opts = warm ? warm->opts : spec->clf;
	str_copy(m->hidden, m->opts.hidden ? m->opts.hidden : "", sizeof m->hidden);
	m->opts.hidden = m->hidden;
	m->opts.trees = spec->clf.trees; /* a continuation adds this many trees */
	m->prep = warm ? warm->prep : spec->prep;
	str_copy(m->kind, lc_clf_kind_name(m->opts.kind), sizeof m->kind);
	str_copy(m->label_source, spec->label_source, sizeof m->label_source);
	m->max_loss = spec->max_loss;
	m->max_pollution = spec->max_pollution;
	m->conf = spec->conf;
	m->novelty = spec->novelty;
	m->group_by_run = spec->group_by_run;
	m->n_labelled = (int64_t)n;
	m->n_good = (int64_t)ng;
	m->n_not_evaluable = r.n_not_evaluable;
	m->updates = warm ? warm->updates + 1 : 0;
	const lc_clf_opts *o = &m->opts;
	if ((rc = lc_clf_cv(o, x, y, w, spec->group_by_run ? grp : NULL, n, (int)d, cv, err)) ||
	    (rc = lc_gz_thresholds(cv, y, w, n, spec->max_loss, spec->max_pollution, spec->conf, &m->lo, &m->hi, err)))
		goto done;
	if (warm) {
		/* continue from the earlier model: a private copy through its bytes, then more training */
		unsigned char *buf = NULL;
		size_t len = 0;
		if (!(rc = lc_clf_save_mem(warm->clf, &buf, &len, err)) && !(rc = lc_clf_load_mem(buf, len, &m->clf, err)))
			rc = lc_clf_update(m->clf, o, x, y, w, n, err);
		free(buf);
	} else {
		rc = lc_clf_fit(o, x, y, w, n, (int)d, &m->clf, err);
	}
	if (rc)
		goto done;
	/* expected rates at these thresholds from the out-of-sample predictions (weighted), with 90% bounds */
	double ag = 0, pol = 0, gw = 0, lost = 0;
	int64_t nag = 0, npol = 0, nlost = 0;
	for (size_t i = 0; i < n; i++) {
		if (y[i]) {
			gw += w[i];
			if (cv[i] < m->lo) {
				lost += w[i];
				nlost++;
			}
		}
		if (cv[i] >= m->hi) {
			ag += w[i];
			nag++;
			if (!y[i]) {
				pol += w[i];
				npol++;
			}
		}
	}
	m->exp_pollution = ag > 0 ? pol / ag : 0.0;
	m->exp_pollution_upper = lc_binom_upper((double)npol, (double)nag, 0.9);
	m->exp_loss = gw > 0 ? lost / gw : 0.0;
	m->exp_loss_upper = lc_binom_upper((double)nlost, (double)ng, 0.9);
	/* novelty gates on the labelled good and bad LS */
	m->gate_good.limit = m->gate_bad.limit = INFINITY;
	if (spec->novelty > 0) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (y[i])
				memcpy(gx + k++ * d, x + i * d, d * sizeof *gx);
		if ((rc = lc_novelty_fit(gx, k, (int)d, spec->novelty, &m->gate_good, err)))
			goto done;
		k = 0;
		for (size_t i = 0; i < n; i++)
			if (!y[i])
				memcpy(gx + k++ * d, x + i * d, d * sizeof *gx);
		if ((rc = lc_novelty_fit(gx, k, (int)d, spec->novelty, &m->gate_bad, err)))
			goto done;
	}
	m->train_seconds = now_s() - t0;
	utc_now(m->created, sizeof m->created);
	str_copy(m->tool_version, LC_VERSION, sizeof m->tool_version);
done:
	lc_lsrows_free(&r);
	lc_lsset_free(good);
	lc_lsset_free(bad);
	free(x);
	free(gx);
	free(y);
	free(w);
	free(wall);
	free(cv);
	free(grp);
	if (rc) {
		lc_clf_model_free(m);
		return rc;
	}
	*out = m;
	return LC_OK;
}

/* ---------------------------------------------------------------- certification */

int lc_clf_model_certify(const lc_clf_model *m, lc_store *st, const lc_runlist *runs, lc_cert_row **rows_out,
			 size_t *n_out, lc_error *err)
{
	*rows_out = NULL;
	*n_out = 0;
	lc_me_info me;
	int rc = lc_store_me(st, m->me.name, &me, err);
	if (rc)
		return rc;
	if (me.dim != m->me.dim || me.nx != m->me.nx || me.ny != m->me.ny || me.xmin != m->me.xmin ||
	    me.xmax != m->me.xmax)
		return lc_error_set(err, LC_ERR_INVALID,
				    "ME '%s': binning in the store (%d x %d, [%g, %g]) differs from the model's (%d x %d, "
				    "[%g, %g])",
				    me.name, me.nx, me.ny, me.xmin, me.xmax, m->me.nx, m->me.ny, m->me.xmin, m->me.xmax);
	/* every LS (evaluable or not) in order, then the evaluable ones prepared */
	lc_prep all = m->prep;
	all.min_entries = 0;
	lc_lsrows a = {0}, r = {0};
	double *p = NULL, *eg = NULL, *eb = NULL;
	lc_cert_row *rows = NULL;
	if ((rc = lc_store_rows(st, m->me.name, &all, runs, &a, err)) ||
	    (rc = lc_store_rows(st, m->me.name, &m->prep, runs, &r, err)))
		goto done;
	p = malloc((r.n ? r.n : 1) * sizeof *p);
	eg = malloc((r.n ? r.n : 1) * sizeof *eg);
	eb = malloc((r.n ? r.n : 1) * sizeof *eb);
	rows = malloc((a.n ? a.n : 1) * sizeof *rows);
	if (!p || !eg || !eb || !rows) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory for %zu LS", a.n);
		goto done;
	}
	if ((rc = lc_clf_predict(m->clf, r.x, r.n, p, err)) ||
	    (rc = lc_novelty_errors(&m->gate_good, r.x, r.n, eg, err)) ||
	    (rc = lc_novelty_errors(&m->gate_bad, r.x, r.n, eb, err)))
		goto done;
	size_t j = 0;
	for (size_t i = 0; i < a.n; i++) {
		lc_cert_row *o = &rows[i];
		o->run = a.run[i];
		o->ls = a.ls[i];
		while (j < r.n && (r.run[j] < a.run[i] || (r.run[j] == a.run[i] && r.ls[j] < a.ls[i])))
			j++;
		if (!(j < r.n && r.run[j] == a.run[i] && r.ls[j] == a.ls[i])) {
			o->decision = LC_GZ_REVIEW;
			o->p_good = NAN;
			o->unusual = NAN;
			o->reason = "not_evaluable";
			continue;
		}
		double lg = m->gate_good.limit, lb = m->gate_bad.limit;
		int gates = m->novelty > 0;
		int usual_good = !gates || eg[j] <= lg, usual_bad = !gates || eb[j] <= lb;
		o->p_good = p[j];
		o->unusual = gates && isfinite(lg) && lg > 0 ? eg[j] / lg : 0.0;
		if (!usual_good && !usual_bad) {
			o->decision = LC_GZ_REVIEW;
			o->reason = "novel";
		} else if (p[j] >= m->hi && usual_good) {
			o->decision = LC_GZ_GOOD;
			o->reason = "auto";
		} else if (p[j] < m->lo && (!gates || (!usual_good && usual_bad))) {
			o->decision = LC_GZ_BAD;
			o->reason = "auto";
		} else {
			o->decision = LC_GZ_REVIEW;
			o->reason = "grey";
		}
	}
	*rows_out = rows;
	*n_out = a.n;
	rows = NULL;
done:
	lc_lsrows_free(&a);
	lc_lsrows_free(&r);
	free(p);
	free(eg);
	free(eb);
	free(rows);
	return rc;
}

/* ---------------------------------------------------------------- model file */

static json_t *num_or_null(double x) { return isfinite(x) ? json_real(x) : json_null(); }
static double num_of(json_t *v) { return json_is_number(v) ? json_number_value(v) : NAN; }

static json_t *header(const lc_clf_model *m)
{
	json_t *me = json_pack("{s:s, s:i, s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:b}", "name", m->me.name, "metype",
			       m->me.metype, "dim", m->me.dim, "nx", m->me.nx, "ny", m->me.ny, "xmin", m->me.xmin, "xmax",
			       m->me.xmax, "ymin", m->me.ymin, "ymax", m->me.ymax, "has_flow", m->me.has_flow);
	json_t *prep = json_pack("{s:s, s:s, s:s, s:[i, i], s:f}", "flow", m->prep.flow ? "keep" : "drop", "normalize",
				 m->prep.normalize == LC_NORM_L1 ? "l1" : "none", "repr",
				 m->prep.repr == LC_REPR_SQRT ? "sqrt" : m->prep.repr == LC_REPR_CDF ? "cdf" : "bins",
				 "rebin", m->prep.rebin_x, m->prep.rebin_y, "min_entries", m->prep.min_entries);
	json_t *clf = json_pack("{s:s, s:i, s:i, s:i, s:f, s:i, s:i, s:s, s:i, s:i, s:f, s:i, s:I, s:i}", "kind", m->kind,
				"neighbours", m->opts.k, "trees", m->opts.trees, "depth", m->opts.depth, "eta",
				m->opts.eta, "hist", m->opts.hist, "max_bin", m->opts.max_bin, "hidden", m->hidden,
				"epochs", m->opts.epochs, "batch", m->opts.batch, "lr", m->opts.lr, "folds",
				m->opts.folds, "seed", (json_int_t)m->opts.seed, "threads", m->opts.threads);
	json_t *cert = json_pack("{s:f, s:f, s:f, s:f, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o}", "max_loss",
				 m->max_loss, "max_pollution", m->max_pollution, "confidence", m->conf, "novelty",
				 m->novelty, "threshold_low", num_or_null(m->lo), "threshold_high", num_or_null(m->hi),
				 "gate_good_limit", num_or_null(m->gate_good.limit), "gate_bad_limit",
				 num_or_null(m->gate_bad.limit), "cv_by_run", m->group_by_run, "expected_pollution",
				 json_real(m->exp_pollution), "expected_pollution_upper90",
				 json_real(m->exp_pollution_upper), "expected_loss", json_real(m->exp_loss),
				 "expected_loss_upper90", json_real(m->exp_loss_upper));
	json_t *train = json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:f}", "label_source", m->label_source, "runs",
				  m->runs, "n_labelled", (json_int_t)m->n_labelled, "n_good", (json_int_t)m->n_good,
				  "n_not_evaluable", (json_int_t)m->n_not_evaluable, "updates", m->updates, "seconds",
				  m->train_seconds);
	return json_pack("{s:s, s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:s}", "format", "lumicert-model", "version",
			 LC_MODEL_VERSION, "kind", m->kind, "me", me, "prep", prep, "classifier", clf, "certify", cert,
			 "training", train, "created", m->created, "tool_version", m->tool_version);
}

char *lc_clf_model_header_json(const lc_clf_model *m)
{
	json_t *h = header(m);
	char *s = h ? json_dumps(h, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(h);
	return s;
}

/* Payload: u32 length + classifier blob, then for each gate u32 length + network (length 0: no gate). */
int lc_clf_model_save(const lc_clf_model *m, const char *path, lc_error *err)
{
	char *hs = lc_clf_model_header_json(m);
	unsigned char *cb = NULL, *gb = NULL, *bb = NULL, *buf = NULL;
	size_t cn = 0, gn = 0, bn = 0;
	int rc = hs ? LC_OK : lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = lc_clf_save_mem(m->clf, &cb, &cn, err);
	if (!rc && m->gate_good.ae)
		rc = lc_net_save_mem(m->gate_good.ae, &gb, &gn, err);
	if (!rc && m->gate_bad.ae)
		rc = lc_net_save_mem(m->gate_bad.ae, &bb, &bn, err);
	size_t nbody = 12 + cn + gn + bn;
	if (!rc && !(buf = malloc(nbody)))
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	if (!rc) {
		unsigned char *p = buf;
		const unsigned char *part[3] = {cb, gb, bb};
		size_t len[3] = {cn, gn, bn};
		for (int i = 0; i < 3; i++) {
			model_put_u32(p, (uint32_t)len[i]);
			if (len[i])
				memcpy(p + 4, part[i], len[i]);
			p += 4 + len[i];
		}
		rc = model_container_write(path, hs, NULL, 0, buf, nbody, err);
	}
	free(hs);
	free(cb);
	free(gb);
	free(bb);
	free(buf);
	return rc;
}

static int prep_from(json_t *p, lc_prep *o)
{
	lc_prep_default(o);
	const char *flow = json_string_value(json_object_get(p, "flow"));
	const char *norm = json_string_value(json_object_get(p, "normalize"));
	const char *repr = json_string_value(json_object_get(p, "repr"));
	json_t *rebin = json_object_get(p, "rebin");
	if (!flow || !norm || !repr || !json_is_array(rebin) || json_array_size(rebin) != 2)
		return 0;
	o->flow = !strcmp(flow, "keep");
	o->normalize = !strcmp(norm, "l1") ? LC_NORM_L1 : LC_NORM_NONE;
	o->repr = !strcmp(repr, "sqrt") ? LC_REPR_SQRT : !strcmp(repr, "cdf") ? LC_REPR_CDF : LC_REPR_BINS;
	o->rebin_x = (int)json_integer_value(json_array_get(rebin, 0));
	o->rebin_y = (int)json_integer_value(json_array_get(rebin, 1));
	o->min_entries = num_of(json_object_get(p, "min_entries"));
	return o->rebin_x >= 1 && o->rebin_y >= 1 && o->min_entries >= 0;
}

int lc_clf_model_load(const char *path, lc_clf_model **out, lc_error *err)
{
	*out = NULL;
	unsigned char *buf;
	size_t n;
	int rc = model_file_read(path, &buf, &n, err);
	if (rc)
		return rc;
	json_t *h = NULL;
	lc_clf_model *m = calloc(1, sizeof *m);
	if (!m) {
		free(buf);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	if (n < MAGIC_LEN + 8 + 8 || memcmp(buf, LC_MODEL_MAGIC, MAGIC_LEN)) {
		rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte 0: not a lumicert model (no magic 'LUMICERT-MODEL')", path);
		goto done;
	}
	if (model_get_u32(buf + MAGIC_LEN) != LC_MODEL_VERSION) {
		rc = lc_error_set(err, LC_ERR_VERSION, "%s: byte %d: model format version %u; this lumicert reads version %d",
				  path, MAGIC_LEN, model_get_u32(buf + MAGIC_LEN), LC_MODEL_VERSION);
		goto done;
	}
	uint64_t sum = model_container_sum(buf, n - 8);
	if (model_get_u32(buf + n - 8) != (uint32_t)sum || model_get_u32(buf + n - 4) != (uint32_t)(sum >> 32)) {
		rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte %zu: checksum mismatch (truncated or damaged file)", path,
				  n - 8);
		goto done;
	}
	size_t at = MAGIC_LEN + 8, end = n - 8;
	uint32_t hl = model_get_u32(buf + MAGIC_LEN + 4);
	if (hl > MAX_HEADER || hl > end - at) {
		rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte %d: header length %u exceeds the file", path, MAGIC_LEN + 4, hl);
		goto done;
	}
	json_error_t je;
	if (!(h = json_loadb((const char *)buf + at, hl, 0, &je))) {
		rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte %zu: header is not JSON: %s", path, at, je.text);
		goto done;
	}
	at += hl;
	const char *kind = json_string_value(json_object_get(h, "kind"));
	json_t *me = json_object_get(h, "me"), *prep = json_object_get(h, "prep"), *clf = json_object_get(h, "classifier");
	json_t *cert = json_object_get(h, "certify"), *train = json_object_get(h, "training");
	if (!kind || lc_clf_kind_parse(kind) < 0) {
		rc = lc_error_set(err, LC_ERR_UNSUPPORTED, "%s: model kind '%s' is not a classifier (xgb, mlp, knn): "
				  "use it with score, not certify", path, kind ? kind : "?");
		goto done;
	}
	if (!json_is_object(me) || !json_is_object(clf) || !json_is_object(cert) || !json_is_object(train) ||
	    !prep_from(prep, &m->prep) || !json_is_string(json_object_get(me, "name"))) {
		rc = lc_error_set(err, LC_ERR_PARSE, "%s: header lacks me, prep, classifier, certify or training", path);
		goto done;
	}
	str_copy(m->kind, kind, sizeof m->kind);
	str_copy(m->me.name, json_string_value(json_object_get(me, "name")), sizeof m->me.name);
	m->me.metype = (int)json_integer_value(json_object_get(me, "metype"));
	m->me.dim = (int)json_integer_value(json_object_get(me, "dim"));
	m->me.nx = (int)json_integer_value(json_object_get(me, "nx"));
	m->me.ny = (int)json_integer_value(json_object_get(me, "ny"));
	m->me.xmin = num_of(json_object_get(me, "xmin"));
	m->me.xmax = num_of(json_object_get(me, "xmax"));
	m->me.ymin = num_of(json_object_get(me, "ymin"));
	m->me.ymax = num_of(json_object_get(me, "ymax"));
	m->me.has_flow = json_is_true(json_object_get(me, "has_flow"));
	lc_clf_opts_default(&m->opts, lc_clf_kind_parse(kind));
	m->opts.k = (int)json_integer_value(json_object_get(clf, "neighbours"));
	m->opts.trees = (int)json_integer_value(json_object_get(clf, "trees"));
	m->opts.depth = (int)json_integer_value(json_object_get(clf, "depth"));
	m->opts.eta = num_of(json_object_get(clf, "eta"));
	m->opts.hist = (int)json_integer_value(json_object_get(clf, "hist"));
	m->opts.max_bin = (int)json_integer_value(json_object_get(clf, "max_bin"));
	str_copy(m->hidden, json_string_value(json_object_get(clf, "hidden")) ? json_string_value(json_object_get(clf, "hidden")) : "", sizeof m->hidden);
	m->opts.hidden = m->hidden;
	m->opts.epochs = (int)json_integer_value(json_object_get(clf, "epochs"));
	m->opts.batch = (int)json_integer_value(json_object_get(clf, "batch"));
	m->opts.lr = num_of(json_object_get(clf, "lr"));
	m->opts.folds = (int)json_integer_value(json_object_get(clf, "folds"));
	m->opts.seed = (uint64_t)json_integer_value(json_object_get(clf, "seed"));
	m->opts.threads = (int)json_integer_value(json_object_get(clf, "threads"));
	m->max_loss = num_of(json_object_get(cert, "max_loss"));
	m->max_pollution = num_of(json_object_get(cert, "max_pollution"));
	m->conf = num_of(json_object_get(cert, "confidence"));
	m->novelty = num_of(json_object_get(cert, "novelty"));
	json_t *lo = json_object_get(cert, "threshold_low"), *hi = json_object_get(cert, "threshold_high");
	m->lo = json_is_null(lo) ? -INFINITY : num_of(lo);
	m->hi = json_is_null(hi) ? INFINITY : num_of(hi);
	json_t *gl = json_object_get(cert, "gate_good_limit"), *bl = json_object_get(cert, "gate_bad_limit");
	m->gate_good.limit = json_is_null(gl) ? INFINITY : num_of(gl);
	m->gate_bad.limit = json_is_null(bl) ? INFINITY : num_of(bl);
	m->group_by_run = json_is_true(json_object_get(cert, "cv_by_run"));
	m->exp_pollution = num_of(json_object_get(cert, "expected_pollution"));
	m->exp_pollution_upper = num_of(json_object_get(cert, "expected_pollution_upper90"));
	m->exp_loss = num_of(json_object_get(cert, "expected_loss"));
	m->exp_loss_upper = num_of(json_object_get(cert, "expected_loss_upper90"));
	const char *ls = json_string_value(json_object_get(train, "label_source"));
	const char *rs = json_string_value(json_object_get(train, "runs"));
	str_copy(m->label_source, ls ? ls : "", sizeof m->label_source);
	str_copy(m->runs, rs ? rs : "", sizeof m->runs);
	m->n_labelled = json_integer_value(json_object_get(train, "n_labelled"));
	m->n_good = json_integer_value(json_object_get(train, "n_good"));
	m->n_not_evaluable = json_integer_value(json_object_get(train, "n_not_evaluable"));
	m->updates = (int)json_integer_value(json_object_get(train, "updates"));
	m->train_seconds = num_of(json_object_get(train, "seconds"));
	const char *cr = json_string_value(json_object_get(h, "created"));
	const char *tv = json_string_value(json_object_get(h, "tool_version"));
	str_copy(m->created, cr ? cr : "", sizeof m->created);
	str_copy(m->tool_version, tv ? tv : "", sizeof m->tool_version);
	if (isnan(m->lo) || isnan(m->hi) || isnan(m->max_loss) || isnan(m->novelty) || m->opts.k < 1 || m->opts.k > 16) {
		rc = lc_error_set(err, LC_ERR_PARSE, "%s: header member certify or classifier incomplete", path);
		goto done;
	}
	/* payload */
	for (int part = 0; part < 3; part++) {
		if (end - at < 4) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte %zu: payload truncated", path, at);
			goto done;
		}
		uint32_t len = model_get_u32(buf + at);
		at += 4;
		if (len > end - at) {
			rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte %zu: part of %u bytes exceeds the file", path, at - 4, len);
			goto done;
		}
		size_t used = 0;
		lc_net **gate = part == 1 ? &m->gate_good.ae : &m->gate_bad.ae;
		if (part == 0)
			rc = lc_clf_load_mem(buf + at, len, &m->clf, err);
		else if (len)
			rc = lc_net_load_mem(buf + at, len, &used, gate, err);
		if (!rc && part > 0 && len && used != len)
			rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte %zu: gate network of %zu bytes in a part of %u", path,
					  at, used, len);
		if (rc) {
			char msg[sizeof err->msg];
			str_copy(msg, err ? err->msg : "", sizeof msg);
			rc = lc_error_set(err, rc, "%s: byte %zu: %s", path, at, msg);
			goto done;
		}
		at += len;
	}
	if (at != end) {
		rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte %zu: %zu bytes after the payload", path, at, end - at);
		goto done;
	}
	if (lc_clf_kind(m->clf) != m->opts.kind) {
		rc = lc_error_set(err, LC_ERR_PARSE, "%s: payload holds a %s classifier, the header says %s", path,
				  lc_clf_kind_name(lc_clf_kind(m->clf)), kind);
		goto done;
	}
done:
	json_decref(h);
	free(buf);
	if (rc) {
		lc_clf_model_free(m);
		return rc;
	}
	*out = m;
	return LC_OK;
}
