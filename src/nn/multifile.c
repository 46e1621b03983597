/* multifile.c — model files of the kinds over several MEs ("multiae", "ensemble", "multihead"): the container of
 * model.c (magic, version 1, JSON header, float32 parameters, FNV-1a checksum) with a header that lists the MEs,
 * their preparations, the parts (MEs or channels) and every network. Format: docs/model-format.md. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "nn/multi.h"

#define MAGIC_LEN MODEL_MAGIC_LEN
#define MAX_HEADER MODEL_MAX_HEADER
#define MAX_PARAMS MODEL_MAX_PARAMS
#define put_u32 model_put_u32
#define get_u32 model_get_u32

const char *lc_multi_kind_name(int kind)
{
	return kind == LC_MULTI_AE ? "multiae" : kind == LC_MULTI_ENSEMBLE ? "ensemble" : kind == LC_MULTI_HEAD ? "multihead" : "?";
}

int lc_multi_kind_parse(const char *s)
{
	for (int k = LC_MULTI_AE; k <= LC_MULTI_HEAD; k++)
		if (!strcmp(s, lc_multi_kind_name(k)))
			return k;
	return 0;
}

void lc_multi_free(struct lc_multi *mu)
{
	if (!mu)
		return;
	for (int i = 0; mu->nets && i < mu->n_me; i++)
		lc_net_free(mu->nets[i]);
	for (int i = 0; mu->cal && i < mu->n_me; i++)
		free(mu->cal[i]);
	free(mu->nets);
	free(mu->cal);
	free(mu->n_cal);
	mh_free(mu->mh);
	free(mu->me);
	free(mu->prep);
	free(mu->off);
	free(mu->part_of);
	free(mu->part);
	free(mu->pattern);
	free(mu);
}

static const char *norm_name(int n) { return n == LC_NORM_L1 ? "l1" : "none"; }
static const char *repr_name(int r) { return r == LC_REPR_SQRT ? "sqrt" : r == LC_REPR_CDF ? "cdf" : "bins"; }
static json_t *real_or_null(double x) { return isfinite(x) ? json_real(x) : json_null(); }
static double num(json_t *v) { return v && json_is_number(v) ? json_number_value(v) : NAN; }

static json_t *net_json(const lc_net *net)
{
	json_t *layers = json_array();
	for (int l = 0; l < net->n_layers; l++)
		json_array_append_new(layers, json_pack("{s:i, s:s}", "n_out", net->n_out[l], "act", lc_act_name(net->act[l])));
	return json_pack("{s:i, s:o, s:I, s:s}", "n_in", net->n_in, "layers", layers, "n_params", (json_int_t)net->n_params,
			 "dtype", "float32le");
}

/* The networks of a model in file order. */
static int nets_of(const lc_model *m, const lc_net **out, int max)
{
	const struct lc_multi *mu = m->multi;
	if (mu->kind == LC_MULTI_AE) {
		out[0] = m->net;
		return 1;
	}
	int k = 0;
	if (mu->kind == LC_MULTI_ENSEMBLE)
		for (int i = 0; i < mu->n_me && k < max; i++)
			out[k++] = mu->nets[i];
	else
		for (int i = 0; i < mu->mh->n_ch && k < max; i++)
			out[k++] = mu->mh->ch[i];
	for (int i = 0; mu->kind == LC_MULTI_HEAD && mu->residual && i < mu->n_me && k < max; i++)
		out[k++] = mu->nets[i]; /* the residual AEs follow the channels */
	return k;
}

static json_t *header(const lc_model *m)
{
	const struct lc_multi *mu = m->multi;
	json_t *mes = json_array(), *parts = json_array(), *nets = json_array();
	for (int i = 0; i < mu->n_me; i++) {
		const lc_me_info *e = &mu->me[i];
		const lc_prep *p = &mu->prep[i];
		json_t *prep = json_pack("{s:s, s:s, s:s, s:[i, i], s:o}", "flow", p->flow ? "keep" : "drop", "normalize",
					 norm_name(p->normalize), "repr", repr_name(p->repr), "rebin", p->rebin_x, p->rebin_y,
					 "min_entries", real_or_null(p->min_entries));
		json_array_append_new(mes, json_pack("{s:s, s:i, s:i, s:i, s:i, s:o, s:o, s:o, s:o, s:b, s:o, s:i}", "name",
						     e->name, "metype", e->metype, "dim", e->dim, "nx", e->nx, "ny", e->ny,
						     "xmin", real_or_null(e->xmin), "xmax", real_or_null(e->xmax), "ymin",
						     real_or_null(e->ymin), "ymax", real_or_null(e->ymax), "has_flow", e->has_flow,
						     "prep", prep, "part", mu->part_of[i]));
	}
	for (int i = 0; i < mu->n_parts; i++)
		json_array_append_new(parts, json_pack("{s:s, s:s}", "name", mu->part[i], "pattern", mu->pattern[i]));
	const lc_net *nv[MH_MAX_CH > 4096 ? MH_MAX_CH : 4096];
	int nn = nets_of(m, nv, 4096);
	for (int i = 0; i < nn; i++)
		json_array_append_new(nets, net_json(nv[i]));
	char loss[32];
	snprintf(loss, sizeof loss, m->loss == LC_LOSS_TOPK ? "topk:%d" : "mse", m->topk);
	json_t *train = json_pack("{s:s, s:s, s:s, s:I, s:i, s:i, s:i, s:o, s:I, s:I, s:I, s:i, s:o, s:o, s:o}", "runs",
				  m->runs, "good_source", m->good_source, "label_source", mu->label_source, "seed",
				  (json_int_t)m->seed, "threads", m->threads, "epochs", m->epochs, "batch", m->batch, "lr",
				  real_or_null(m->lr), "n_train", (json_int_t)m->n_train, "n_val", (json_int_t)m->n_val, "n_not_evaluable",
				  (json_int_t)m->n_not_evaluable, "epochs_run", m->epochs_run, "train_loss",
				  real_or_null(m->train_loss), "val_loss", real_or_null(m->val_loss), "seconds",
				  real_or_null(m->train_seconds));
	json_t *h = json_pack("{s:s, s:i, s:s, s:o, s:o, s:s, s:o, s:s}", "format", "lumicert-model", "version",
			      LC_MODEL_VERSION, "kind", lc_multi_kind_name(mu->kind), "mes", mes, "parts", parts, "hidden",
			      m->hidden, "networks", nets, "loss", loss);
	if (mu->kind == LC_MULTI_HEAD) {
		json_object_set_new(h, "combination",
				    json_pack("{s:s, s:i, s:o, s:o, s:o}", "name", lc_comb_name(mu->mh->comb), "n_params",
					      mu->mh->comb == LC_COMB_LOGISTIC ? mu->mh->n_ch + 1 : 0, "c0", real_or_null(mu->c0),
					      "c_decay", real_or_null(mu->c_decay), "l2", real_or_null(mu->l2)));
		json_object_set_new(h, "standardisation", json_integer(mu->mh->d));
		json_object_set_new(h, "inputs", json_string(mu->residual == 2 ? "sqerr" : mu->residual ? "residual" : "bins"));
	}
	if (mu->kind == LC_MULTI_ENSEMBLE) {
		json_t *cal = json_array();
		for (int i = 0; i < mu->n_me; i++)
			json_array_append_new(cal, json_integer((json_int_t)mu->n_cal[i]));
		json_object_set_new(h, "calibration", cal);
	}
	json_object_set_new(h, "training", train);
	json_object_set_new(h, "threshold", json_pack("{s:o, s:o}", "value", real_or_null(m->threshold), "fpr", real_or_null(m->fpr)));
	json_object_set_new(h, "created", json_string(m->created));
	json_object_set_new(h, "tool_version", json_string(m->tool_version));
	return h;
}

char *multi_model_header_json(const lc_model *m)
{
	json_t *h = header(m);
	char *s = h ? json_dumps(h, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(h);
	return s;
}

/* Calls fn on every float block of the model in file order. */
typedef void (*block_fn)(void *ctx, float *p, size_t n);
static void each_block(const lc_model *m, block_fn fn, void *ctx)
{
	const struct lc_multi *mu = m->multi;
	const lc_net *nv[4096];
	int nn = nets_of(m, nv, 4096);
	for (int i = 0; i < nn; i++)
		fn(ctx, nv[i]->params, nv[i]->n_params);
	if (mu->kind == LC_MULTI_HEAD) {
		if (mu->mh->comb == LC_COMB_LOGISTIC)
			fn(ctx, mu->mh->comb_p, (size_t)mu->mh->n_ch + 1);
		fn(ctx, mu->mh->mu, (size_t)mu->mh->d);
		fn(ctx, mu->mh->sd, (size_t)mu->mh->d);
	}
	if (mu->kind == LC_MULTI_ENSEMBLE)
		for (int i = 0; i < mu->n_me; i++)
			fn(ctx, mu->cal[i], (size_t)mu->n_cal[i]);
}

typedef struct cursor {
	unsigned char *p;       /* write/read position */
	size_t n;               /* floats counted */
} cursor;

static void count_fn(void *ctx, float *p, size_t n)
{
	(void)p;
	((cursor *)ctx)->n += n;
}

static void get_fn(void *ctx, float *p, size_t n)
{
	cursor *c = ctx;
	for (size_t i = 0; i < n; i++, c->p += 4) {
		uint32_t u = get_u32(c->p);
		memcpy(&p[i], &u, 4);
	}
}

/* every float block appended to one array, for the container writer */
typedef struct gather {
	float *all;
	size_t n;
} gather;

static void gather_fn(void *ctx, float *p, size_t n)
{
	gather *g = ctx;
	memcpy(g->all + g->n, p, n * sizeof *p);
	g->n += n;
}

int multi_model_save(const lc_model *m, const char *path, lc_error *err)
{
	char *hs = multi_model_header_json(m);
	cursor cnt = {0};
	each_block(m, count_fn, &cnt);
	float *all = malloc((cnt.n ? cnt.n : 1) * sizeof *all);
	int rc = LC_OK;
	if (!hs || !all) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	} else {
		gather g = {all, 0};
		each_block(m, gather_fn, &g);
		rc = model_container_write(path, hs, all, cnt.n, NULL, 0, err);
	}
	free(hs);
	free(all);
	return rc;
}

int lc_model_file_kind(const char *path, char *kind, size_t n, lc_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot open model: %s", path, strerror(errno));
	unsigned char head[MAGIC_LEN + 8];
	int rc = LC_OK;
	char *hs = NULL;
	if (fread(head, 1, sizeof head, f) != sizeof head || memcmp(head, LC_MODEL_MAGIC, MAGIC_LEN)) {
		rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte 0: not a lumicert model (no magic 'LUMICERT-MODEL')", path);
	} else {
		uint32_t hlen = get_u32(head + MAGIC_LEN + 4);
		if (hlen > MAX_HEADER || !(hs = malloc(hlen + 1)) || fread(hs, 1, hlen, f) != hlen)
			rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte %d: header length %u exceeds the file", path,
					  MAGIC_LEN + 4, hlen);
	}
	fclose(f);
	if (!rc) {
		json_error_t je;
		json_t *h = json_loadb(hs, get_u32(head + MAGIC_LEN + 4), 0, &je);
		const char *k = json_string_value(json_object_get(h, "kind"));
		if (!k)
			rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte %d: header has no kind", path, MAGIC_LEN + 8);
		else
			str_copy(kind, k, n);
		json_decref(h);
	}
	free(hs);
	return rc;
}

/* ---------------------------------------------------------------- loading */

/* A network of the header; *budget (floats the file can still hold) is charged with its parameters before anything
 * is allocated, so that a lying header cannot make us allocate more than the file holds. */
static int parse_net(json_t *j, lc_net **out, size_t *budget)
{
	json_t *layers = json_object_get(j, "layers");
	json_t *ni = json_object_get(j, "n_in");
	size_t nl = json_array_size(layers);
	if (!json_is_integer(ni) || nl < 1 || nl > 64)
		return -1;
	int n_out[64], act[64];
	uint64_t np = 0, prev = (uint64_t)json_integer_value(ni);
	if (prev < 1 || prev > 100000000)
		return -1;
	for (size_t l = 0; l < nl; l++) {
		json_t *L = json_array_get(layers, l), *no = json_object_get(L, "n_out"), *a = json_object_get(L, "act");
		n_out[l] = json_is_integer(no) ? (int)json_integer_value(no) : -1;
		act[l] = json_is_string(a) ? lc_act_parse(json_string_value(a)) : -1;
		if (n_out[l] < 1 || n_out[l] > 10000000 || act[l] < 0)
			return -1;
		np += (uint64_t)n_out[l] * prev + (uint64_t)n_out[l];
		prev = (uint64_t)n_out[l];
	}
	if (np > MAX_PARAMS || (uint64_t)json_integer_value(json_object_get(j, "n_params")) != np)
		return -1;
	if (np > *budget)
		return -3;
	*budget -= (size_t)np;
	return (*out = lc_net_new((int)json_integer_value(ni), (int)nl, n_out, act)) ? 0 : -2;
}

static int parse_prep(json_t *p, lc_prep *out)
{
	const char *flow = json_string_value(json_object_get(p, "flow"));
	const char *norm = json_string_value(json_object_get(p, "normalize"));
	const char *repr = json_string_value(json_object_get(p, "repr"));
	json_t *rebin = json_object_get(p, "rebin");
	if (!flow || !norm || !repr || json_array_size(rebin) != 2 || (strcmp(flow, "keep") && strcmp(flow, "drop")) ||
	    (strcmp(norm, "l1") && strcmp(norm, "none")) ||
	    (strcmp(repr, "bins") && strcmp(repr, "sqrt") && strcmp(repr, "cdf")))
		return -1;
	out->flow = !strcmp(flow, "keep");
	out->normalize = strcmp(norm, "l1") ? LC_NORM_NONE : LC_NORM_L1;
	out->repr = !strcmp(repr, "sqrt") ? LC_REPR_SQRT : !strcmp(repr, "cdf") ? LC_REPR_CDF : LC_REPR_BINS;
	out->rebin_x = (int)json_integer_value(json_array_get(rebin, 0));
	out->rebin_y = (int)json_integer_value(json_array_get(rebin, 1));
	out->min_entries = num(json_object_get(p, "min_entries"));
	return 0;
}

int multi_model_load_mem(const void *data, size_t n, const char *name, lc_model **out, lc_error *err)
{
	const unsigned char *buf = data;
	if (n < MAGIC_LEN + 8 || memcmp(buf, LC_MODEL_MAGIC, MAGIC_LEN) || get_u32(buf + MAGIC_LEN) != LC_MODEL_VERSION)
		return 1;
	uint32_t hlen = get_u32(buf + MAGIC_LEN + 4);
	size_t off = MAGIC_LEN + 8;
	if (hlen > MAX_HEADER || hlen > n - off)
		return 1;
	json_t *h = json_loadb((const char *)buf + off, hlen, 0, NULL);
	const char *ks = json_string_value(json_object_get(h, "kind"));
	int kind = ks ? lc_multi_kind_parse(ks) : 0;
	if (!kind) {
		json_decref(h);
		return 1; /* not ours: model.c reads it (or reports what is wrong) */
	}
	lc_model *m = calloc(1, sizeof *m);
	struct lc_multi *mu = calloc(1, sizeof *mu);
	int rc = LC_OK;
	const char *why = NULL;
	if (!m || !mu) {
		free(m);
		free(mu);
		json_decref(h);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	m->multi = mu;
	mu->kind = kind;
	str_copy(m->kind, ks, sizeof m->kind);
	json_t *mes = json_object_get(h, "mes"), *parts = json_object_get(h, "parts"), *nets = json_object_get(h, "networks");
	json_t *train = json_object_get(h, "training"), *thr = json_object_get(h, "threshold");
	size_t nme = json_array_size(mes), npart = json_array_size(parts), nnet = json_array_size(nets);
	if (nme < 1 || nme > 4096 || npart < 1 || npart > nme || nnet < 1 || !json_is_object(train) ||
	    !json_is_object(thr)) {
		why = "members mes, parts, networks, training and threshold";
		goto bad;
	}
	mu->n_me = (int)nme;
	mu->n_parts = (int)npart;
	mu->me = calloc(nme, sizeof *mu->me);
	mu->prep = calloc(nme, sizeof *mu->prep);
	mu->off = calloc(nme + 1, sizeof *mu->off);
	mu->part_of = calloc(nme, sizeof *mu->part_of);
	mu->part = calloc(npart, sizeof *mu->part);
	mu->pattern = calloc(npart, sizeof *mu->pattern);
	if (!mu->me || !mu->prep || !mu->off || !mu->part_of || !mu->part || !mu->pattern) {
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < npart; i++) {
		json_t *p = json_array_get(parts, i);
		const char *pn = json_string_value(json_object_get(p, "name")), *pp = json_string_value(json_object_get(p, "pattern"));
		if (!pn || !pp) {
			why = "parts[].name and pattern";
			goto bad;
		}
		str_copy(mu->part[i], pn, sizeof mu->part[i]);
		str_copy(mu->pattern[i], pp, sizeof mu->pattern[i]);
	}
	for (size_t i = 0; i < nme; i++) {
		json_t *e = json_array_get(mes, i);
		lc_me_info *me = &mu->me[i];
		const char *nm = json_string_value(json_object_get(e, "name"));
		json_t *part = json_object_get(e, "part");
		if (!nm || !json_is_integer(part) || parse_prep(json_object_get(e, "prep"), &mu->prep[i])) {
			why = "mes[]: name, part and prep";
			goto bad;
		}
		str_copy(me->name, nm, sizeof me->name);
		me->metype = (int)json_integer_value(json_object_get(e, "metype"));
		me->dim = (int)json_integer_value(json_object_get(e, "dim"));
		me->nx = (int)json_integer_value(json_object_get(e, "nx"));
		me->ny = (int)json_integer_value(json_object_get(e, "ny"));
		me->xmin = num(json_object_get(e, "xmin"));
		me->xmax = num(json_object_get(e, "xmax"));
		me->ymin = num(json_object_get(e, "ymin"));
		me->ymax = num(json_object_get(e, "ymax"));
		me->has_flow = json_is_true(json_object_get(e, "has_flow"));
		mu->part_of[i] = (int)json_integer_value(part);
		if (me->dim < 1 || me->dim > 2 || me->nx < 1 || me->ny < 1 || me->nx > 10000000 || me->ny > 10000000 ||
		    (int64_t)me->nx * me->ny > 100000000 || lc_prep_check(&mu->prep[i], me, NULL) || mu->part_of[i] < 0 ||
		    mu->part_of[i] >= (int)npart || (i && mu->part_of[i] < mu->part_of[i - 1])) {
			why = "mes[]: binning, preparation or part";
			goto bad;
		}
		mu->off[i + 1] = mu->off[i] + lc_prep_dim(&mu->prep[i], me);
	}
	m->me = mu->me[0];
	m->prep = mu->prep[0];
	const char *hid = json_string_value(json_object_get(h, "hidden"));
	const char *loss = json_string_value(json_object_get(h, "loss"));
	str_copy(m->hidden, hid ? hid : "", sizeof m->hidden);
	if (loss && !strncmp(loss, "topk:", 5) && atoi(loss + 5) > 0) {
		m->loss = LC_LOSS_TOPK;
		m->topk = atoi(loss + 5);
	} else if (!loss || strcmp(loss, "mse")) {
		why = "loss";
		goto bad;
	}
	/* networks against the parts */
	lc_net *nv[4096] = {0};
	const char *inputs = json_string_value(json_object_get(h, "inputs"));
	mu->residual = kind != LC_MULTI_HEAD || !inputs ? 0 : !strcmp(inputs, "residual") ? 1 : !strcmp(inputs, "sqerr") ? 2 : 0;
	size_t want = kind == LC_MULTI_AE ? 1 : kind == LC_MULTI_ENSEMBLE ? nme : npart + (mu->residual ? nme : 0);
	if (nnet != want) {
		why = "networks: one per kind's unit (multiae 1, ensemble one per ME, multihead one per channel)";
		goto bad;
	}
	size_t budget = (n - off - hlen) / 4;
	for (size_t i = 0; i < nnet; i++) {
		int r = parse_net(json_array_get(nets, i), &nv[i], &budget);
		if (r) {
			for (size_t q = 0; q < i; q++)
				lc_net_free(nv[q]);
			if (r == -2) {
				rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
				goto fail;
			}
			if (r == -3)
				goto short_file;
			why = "networks[]: layers or n_params";
			goto bad;
		}
	}
	int shape_ok = 1;
	if (kind == LC_MULTI_AE) {
		m->net = nv[0];
		shape_ok = m->net->n_in == mu->off[nme] && lc_net_n_out(m->net) == mu->off[nme];
	} else if (kind == LC_MULTI_ENSEMBLE) {
		if (!(mu->nets = calloc(nme, sizeof *mu->nets)) || !(mu->cal = calloc(nme, sizeof *mu->cal)) ||
		    !(mu->n_cal = calloc(nme, sizeof *mu->n_cal))) {
			for (size_t q = 0; q < nnet; q++)
				lc_net_free(nv[q]);
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < nme; i++) {
			mu->nets[i] = nv[i];
			int w = mu->off[i + 1] - mu->off[i];
			shape_ok &= nv[i]->n_in == w && lc_net_n_out(nv[i]) == w && mu->part_of[i] == (int)i;
		}
		json_t *cal = json_object_get(h, "calibration");
		shape_ok &= json_array_size(cal) == nme;
		for (size_t i = 0; shape_ok && i < nme; i++) {
			json_int_t c = json_integer_value(json_array_get(cal, i));
			if (c >= 1 && (size_t)c > budget)
				goto short_file;
			if (c < 1 || c > (json_int_t)MAX_PARAMS || !(mu->cal[i] = malloc((size_t)c * sizeof *mu->cal[i]))) {
				shape_ok = 0;
			} else {
				mu->n_cal[i] = c;
				budget -= (size_t)c;
			}
		}
	} else {
		json_t *comb = json_object_get(h, "combination");
		const char *cn = json_string_value(json_object_get(comb, "name"));
		int c = cn ? lc_comb_parse(cn) : -1;
		int hw[17], ha[17], nh = nv[0]->n_layers - 1, widths[MH_MAX_CH];
		shape_ok = c >= 0 && npart <= MH_MAX_CH && nh <= 16 &&
			   json_integer_value(json_object_get(h, "standardisation")) == mu->off[nme];
		if (shape_ok && 2 * (size_t)mu->off[nme] + (c == LC_COMB_LOGISTIC ? npart + 1 : 0) > budget) {
			for (size_t q = 0; q < nnet; q++)
				lc_net_free(nv[q]);
			goto short_file;
		}
		for (size_t i = 0; shape_ok && i < npart; i++) {
			widths[i] = 0;
			for (size_t e = 0; e < nme; e++)
				if (mu->part_of[e] == (int)i)
					widths[i] += mu->off[e + 1] - mu->off[e];
			shape_ok &= nv[i]->n_in == widths[i] && lc_net_n_out(nv[i]) == 1 && nv[i]->n_layers == nh + 1;
		}
		for (int l = 0; shape_ok && l < nh; l++) {
			hw[l] = nv[0]->n_out[l];
			ha[l] = nv[0]->act[l];
			for (size_t i = 1; i < npart; i++)
				shape_ok &= nv[i]->n_out[l] == hw[l] && nv[i]->act[l] == ha[l];
		}
		if (shape_ok && !(mu->mh = mh_new((int)npart, widths, nh, hw, ha, c))) {
			for (size_t q = 0; q < nnet; q++)
				lc_net_free(nv[q]);
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			goto fail;
		}
		for (size_t e = 0; shape_ok && mu->residual && e < nme; e++) {
			int w = mu->off[e + 1] - mu->off[e];
			shape_ok &= nv[npart + e]->n_in == w && lc_net_n_out(nv[npart + e]) == w;
		}
		if (shape_ok && mu->residual && !(mu->nets = calloc(nme, sizeof *mu->nets))) {
			for (size_t q = 0; q < nnet; q++)
				lc_net_free(nv[q]);
			rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			goto fail;
		}
		if (shape_ok) {
			for (size_t i = 0; i < npart; i++) {
				lc_net_free(mu->mh->ch[i]);
				mu->mh->ch[i] = nv[i];
			}
			for (size_t e = 0; mu->residual && e < nme; e++)
				mu->nets[e] = nv[npart + e];
			mu->c0 = num(json_object_get(comb, "c0"));
			mu->c_decay = num(json_object_get(comb, "c_decay"));
			mu->l2 = num(json_object_get(comb, "l2"));
		} else {
			for (size_t q = 0; q < nnet; q++)
				lc_net_free(nv[q]);
		}
	}
	if (!shape_ok) {
		why = "networks do not fit the prepared MEs, or bad combination/calibration/standardisation";
		goto bad;
	}
	cursor cnt = {0};
	each_block(m, count_fn, &cnt);
	if (cnt.n > MAX_PARAMS || n != off + hlen + 4 * cnt.n + 8) {
		rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte %zu: file has %zu bytes, the header needs %zu (%s)", name,
				  n < off + hlen + 4 * cnt.n + 8 ? n : off + hlen + 4 * cnt.n + 8, n, off + hlen + 4 * cnt.n + 8,
				  n < off + hlen + 4 * cnt.n + 8 ? "truncated" : "trailing bytes");
		goto fail;
	}
	cursor rd = {(unsigned char *)buf + off + hlen, 0};
	uint64_t sum = model_container_sum(buf, off + hlen + 4 * cnt.n);
	uint64_t stored = (uint64_t)get_u32(buf + off + hlen + 4 * cnt.n) | (uint64_t)get_u32(buf + off + hlen + 4 * cnt.n + 4) << 32;
	if (sum != stored) {
		rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte %zu: checksum mismatch (file damaged)", name, off + hlen + 4 * cnt.n);
		goto fail;
	}
	each_block(m, get_fn, &rd);
	for (int i = 0; kind == LC_MULTI_HEAD && i < mu->mh->d; i++)
		if (!isfinite(mu->mh->mu[i]) || !(mu->mh->sd[i] > 0)) {
			why = "standardisation values";
			goto bad;
		}
	{
		const char *lab = json_string_value(json_object_get(train, "label_source"));
		str_copy(mu->label_source, lab ? lab : "", sizeof mu->label_source);
		model_training_from_json(m, train);
		m->threshold = num(json_object_get(thr, "value"));
		m->fpr = num(json_object_get(thr, "fpr"));
		m->explained = NAN;
		const char *cr = json_string_value(json_object_get(h, "created"));
		const char *tv = json_string_value(json_object_get(h, "tool_version"));
		str_copy(m->created, cr ? cr : "", sizeof m->created);
		str_copy(m->tool_version, tv ? tv : "", sizeof m->tool_version);
	}
	json_decref(h);
	*out = m;
	return LC_OK;
short_file:
	rc = lc_error_set(err, LC_ERR_PARSE, "%s: byte %zu: file has %zu bytes, fewer than the header's parameters need (truncated)",
			  name, n, n);
	goto fail;
bad:
	rc = lc_error_set(err, LC_ERR_PARSE, "%s: header of the %s model: bad or missing %s", name, ks, why);
fail:
	json_decref(h);
	lc_model_free(m);
	return rc;
}
