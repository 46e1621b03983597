/* model.c — the model file: magic, version, a JSON header that describes everything needed to use the model
 * (ME and binning, preparation, architecture, training, threshold) and the parameters as little-endian float32,
 * closed by a checksum. Format: docs/model-format.md. Written to a temporary name and renamed into place. */
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

void lc_model_free(lc_model *m)
{
	if (!m)
		return;
	lc_multi_free(m->multi);
	lc_net_free(m->net);
	free(m);
}

static const char *norm_name(int n) { return n == LC_NORM_L1 ? "l1" : "none"; }
static const char *repr_name(int r) { return r == LC_REPR_SQRT ? "sqrt" : r == LC_REPR_CDF ? "cdf" : "bins"; }

/* NaN and infinities are not JSON: they are written as null. */
static json_t *real_or_null(double x) { return isfinite(x) ? json_real(x) : json_null(); }

static json_t *header_json(const lc_model *m)
{
	const lc_net *net = m->net;
	json_t *layers = json_array();
	for (int l = 0; l < net->n_layers; l++)
		json_array_append_new(layers, json_pack("{s:i, s:s}", "n_out", net->n_out[l], "act",
							lc_act_name(net->act[l])));
	char loss[32];
	if (m->loss == LC_LOSS_TOPK)
		snprintf(loss, sizeof loss, "topk:%d", m->topk);
	else
		snprintf(loss, sizeof loss, "mse");
	json_t *me = json_pack("{s:s, s:i, s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:b}", "name", m->me.name, "metype",
			       m->me.metype, "dim", m->me.dim, "nx", m->me.nx, "ny", m->me.ny, "xmin", m->me.xmin, "xmax",
			       m->me.xmax, "ymin", m->me.ymin, "ymax", m->me.ymax, "has_flow", m->me.has_flow);
	json_t *prep = json_pack("{s:s, s:s, s:s, s:[i, i], s:f}", "flow", m->prep.flow ? "keep" : "drop", "normalize",
				 norm_name(m->prep.normalize), "repr", repr_name(m->prep.repr), "rebin", m->prep.rebin_x,
				 m->prep.rebin_y, "min_entries", m->prep.min_entries);
	json_t *network = json_pack("{s:i, s:o, s:I, s:s}", "n_in", net->n_in, "layers", layers, "n_params",
				    (json_int_t)net->n_params, "dtype", "float32le");
	json_t *train = json_pack("{s:s, s:s, s:I, s:i, s:i, s:i, s:f, s:I, s:I, s:I, s:i, s:o, s:o, s:o, s:f}", "runs",
				  m->runs, "good_source", m->good_source, "seed", (json_int_t)m->seed, "threads",
				  m->threads, "epochs", m->epochs, "batch", m->batch, "lr", m->lr, "n_train",
				  (json_int_t)m->n_train, "n_val", (json_int_t)m->n_val, "n_not_evaluable",
				  (json_int_t)m->n_not_evaluable, "epochs_run", m->epochs_run, "train_loss",
				  real_or_null(m->train_loss), "val_loss", real_or_null(m->val_loss), "explained",
				  real_or_null(m->explained), "seconds", m->train_seconds);
	json_t *thr = json_pack("{s:o, s:f}", "value", real_or_null(m->threshold), "fpr", m->fpr);
	return json_pack("{s:s, s:i, s:s, s:o, s:o, s:s, s:o, s:s, s:o, s:o, s:s, s:s}", "format", "lumicert-model",
			 "version", LC_MODEL_VERSION, "kind", m->kind, "me", me, "prep", prep, "hidden", m->hidden,
			 "network", network, "loss", loss, "training", train, "threshold", thr, "created", m->created,
			 "tool_version", m->tool_version);
}

char *lc_model_header_json(const lc_model *m)
{
	if (m->multi)
		return multi_model_header_json(m);
	json_t *h = header_json(m);
	if (!h)
		return NULL;
	char *s = json_dumps(h, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	json_decref(h);
	return s;
}

/* FNV-1a, 64 bit: detects truncation and bit rot; not a cryptographic signature. */
uint64_t model_container_sum(const unsigned char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

void model_put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

uint32_t model_get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
#define put_u32 model_put_u32
#define get_u32 model_get_u32

int model_container_write(const char *path, const char *header, const float *floats, size_t n,
			  const unsigned char *body, size_t nbody, lc_error *err)
{
	size_t hlen = strlen(header), nb = floats ? 4 * n : nbody;
	size_t total = MAGIC_LEN + 8 + hlen + nb + 8, plen = strlen(path);
	unsigned char *buf = malloc(total);
	char *tmp = malloc(plen + 32);
	if (!buf || !tmp) {
		free(buf);
		free(tmp);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	unsigned char *p = buf;
	memcpy(p, LC_MODEL_MAGIC, MAGIC_LEN);
	put_u32(p + MAGIC_LEN, LC_MODEL_VERSION);
	put_u32(p + MAGIC_LEN + 4, (uint32_t)hlen);
	p += MAGIC_LEN + 8;
	memcpy(p, header, hlen);
	p += hlen;
	if (floats) {
		for (size_t i = 0; i < n; i++, p += 4) {
			uint32_t u;
			memcpy(&u, &floats[i], 4);
			put_u32(p, u);
		}
	} else if (nbody) {
		memcpy(p, body, nbody);
		p += nbody;
	}
	uint64_t sum = model_container_sum(buf, (size_t)(p - buf));
	put_u32(p, (uint32_t)sum);
	put_u32(p + 4, (uint32_t)(sum >> 32));

	/* temporary name in the same directory, then rename: a crash never leaves half a model */
	int rc = LC_OK;
	snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		rc = lc_error_set(err, LC_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
	} else {
		int bad = fwrite(buf, 1, total, f) != total;
		bad |= fflush(f) != 0;
		bad |= fsync(fileno(f)) != 0;
		bad |= fclose(f) != 0;
		if (bad)
			rc = lc_error_set(err, LC_ERR_IO, "%s: write failed: %s", tmp, strerror(errno));
		else if (rename(tmp, path) != 0)
			rc = lc_error_set(err, LC_ERR_IO, "%s: cannot rename to %s: %s", tmp, path, strerror(errno));
		if (rc)
			remove(tmp);
	}
	free(tmp);
	free(buf);
	return rc;
}

int lc_model_save(const lc_model *m, const char *path, lc_error *err)
{
	if (m->multi)
		return multi_model_save(m, path, err);
	json_t *h = header_json(m);
	char *hs = h ? json_dumps(h, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(h);
	if (!hs)
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	int rc = model_container_write(path, hs, m->net->params, m->net->n_params, NULL, 0, err);
	free(hs);
	return rc;
}

int model_file_read(const char *path, unsigned char **out, size_t *nout, lc_error *err)
{
	*out = NULL;
	*nout = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot open model: %s", path, strerror(errno));
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0, k;
	do {
		if (n == cap) {
			unsigned char *nb = cap < ((size_t)1 << 31) ? realloc(buf, cap = cap ? 2 * cap : 1 << 16) : NULL;
			if (!nb) {
				free(buf);
				fclose(f);
				return cap < ((size_t)1 << 31) ? lc_error_set(err, LC_ERR_NOMEM, "out of memory")
							       : lc_error_set(err, LC_ERR_PARSE, "%s: too large to be a lumicert model", path);
			}
			buf = nb;
		}
		k = fread(buf + n, 1, cap - n, f);
		n += k;
	} while (k > 0);
	int ioerr = ferror(f);
	fclose(f);
	if (ioerr) {
		free(buf);
		return lc_error_set(err, LC_ERR_IO, "%s: read error", path);
	}
	*out = buf;
	*nout = n;
	return LC_OK;
}

int lc_model_load(const char *path, lc_model **out, lc_error *err)
{
	unsigned char *buf;
	size_t n;
	int rc = model_file_read(path, &buf, &n, err);
	if (!rc)
		rc = lc_model_load_mem(buf, n, path, out, err);
	free(buf);
	return rc;
}

/* Reads member key of object o as the given JSON type; sets *ok = 0 and the message on a mismatch. */
static json_t *member(json_t *o, const char *key, json_type type, const char *name, const char *where, int *ok,
		      lc_error *err)
{
	if (!*ok)
		return NULL; /* an earlier member failed: report that one */
	json_t *v = json_object_get(o, key);
	if ((!v || (json_typeof(v) != type && !(type == JSON_REAL && json_is_integer(v)) &&
			   !(type == JSON_REAL && json_is_null(v))))) {
		static const char *tn[] = {"an object", "an array", "a string", "an integer", "a number", "true/false",
					   "true/false", "null"};
		lc_error_set(err, LC_ERR_PARSE, "%s: header member %s.%s: expected %s", name, where, key,
			     (int)type >= 0 && (int)type <= 7 ? tn[(int)type] : "a value");
		*ok = 0;
		return NULL;
	}
	return v;
}

static double num(json_t *v) { return v && !json_is_null(v) ? json_number_value(v) : NAN; }

void model_training_from_json(lc_model *m, const json_t *train)
{
	json_t *t = (json_t *)train; /* jansson's getters take no const */
	const char *runs = json_string_value(json_object_get(t, "runs"));
	const char *good = json_string_value(json_object_get(t, "good_source"));
	str_copy(m->runs, runs ? runs : "", sizeof m->runs);
	str_copy(m->good_source, good ? good : "", sizeof m->good_source);
	m->seed = (uint64_t)json_integer_value(json_object_get(t, "seed"));
	m->threads = (int)json_integer_value(json_object_get(t, "threads"));
	m->epochs = (int)json_integer_value(json_object_get(t, "epochs"));
	m->batch = (int)json_integer_value(json_object_get(t, "batch"));
	m->lr = num(json_object_get(t, "lr"));
	m->n_train = json_integer_value(json_object_get(t, "n_train"));
	m->n_val = json_integer_value(json_object_get(t, "n_val"));
	m->n_not_evaluable = json_integer_value(json_object_get(t, "n_not_evaluable"));
	m->epochs_run = (int)json_integer_value(json_object_get(t, "epochs_run"));
	m->train_loss = num(json_object_get(t, "train_loss"));
	m->val_loss = num(json_object_get(t, "val_loss"));
	m->train_seconds = num(json_object_get(t, "seconds"));
}

int lc_model_load_mem(const void *data, size_t n, const char *name, lc_model **out, lc_error *err)
{
	const unsigned char *buf = data;
	int multi_rc = multi_model_load_mem(data, n, name, out, err); /* kinds over several MEs: nn/multifile.c */
	if (multi_rc != 1)
		return multi_rc;
	if (n < MAGIC_LEN + 8 || memcmp(buf, LC_MODEL_MAGIC, MAGIC_LEN) != 0)
		return lc_error_set(err, LC_ERR_PARSE, "%s: byte 0: not a lumicert model (no magic '%s')", name,
				    "LUMICERT-MODEL");
	uint32_t version = get_u32(buf + MAGIC_LEN), hlen = get_u32(buf + MAGIC_LEN + 4);
	if (version != LC_MODEL_VERSION)
		return lc_error_set(err, LC_ERR_VERSION,
				    "%s: byte %d: model format version %u; this lumicert reads version %d", name,
				    MAGIC_LEN, version, LC_MODEL_VERSION);
	size_t off = MAGIC_LEN + 8;
	if (hlen > MAX_HEADER || hlen > n - off)
		return lc_error_set(err, LC_ERR_PARSE, "%s: byte %d: header length %u exceeds the file (%zu bytes)", name,
				    MAGIC_LEN + 4, hlen, n);
	json_error_t je;
	json_t *h = json_loadb((const char *)buf + off, hlen, 0, &je);
	if (!h)
		return lc_error_set(err, LC_ERR_PARSE, "%s: byte %zu: header is not JSON: %s (header line %d)", name,
				    off + (size_t)(je.position > 0 ? je.position : 0), je.text, je.line);
	lc_model *m = calloc(1, sizeof *m);
	int ok = 1, rc = LC_OK;
	int *n_out = NULL, *act = NULL;
	if (!m) {
		json_decref(h);
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	}
	json_t *v, *me = member(h, "me", JSON_OBJECT, name, "", &ok, err);
	json_t *prep = member(h, "prep", JSON_OBJECT, name, "", &ok, err);
	json_t *network = member(h, "network", JSON_OBJECT, name, "", &ok, err);
	json_t *train = member(h, "training", JSON_OBJECT, name, "", &ok, err);
	json_t *thr = member(h, "threshold", JSON_OBJECT, name, "", &ok, err);
	if ((v = member(h, "kind", JSON_STRING, name, "", &ok, err)))
		str_copy(m->kind, json_string_value(v), sizeof m->kind);
	if ((v = member(h, "hidden", JSON_STRING, name, "", &ok, err)))
		str_copy(m->hidden, json_string_value(v), sizeof m->hidden);
	if ((v = member(h, "created", JSON_STRING, name, "", &ok, err)))
		str_copy(m->created, json_string_value(v), sizeof m->created);
	if ((v = member(h, "tool_version", JSON_STRING, name, "", &ok, err)))
		str_copy(m->tool_version, json_string_value(v), sizeof m->tool_version);
	if ((v = member(h, "loss", JSON_STRING, name, "", &ok, err))) {
		const char *s = json_string_value(v);
		if (strcmp(s, "mse") == 0) {
			m->loss = LC_LOSS_MSE;
		} else if (strncmp(s, "topk:", 5) == 0 && atoi(s + 5) > 0) {
			m->loss = LC_LOSS_TOPK;
			m->topk = atoi(s + 5);
		} else if (ok) {
			lc_error_set(err, LC_ERR_PARSE, "%s: header member loss: unknown loss '%s'", name, s);
			ok = 0;
		}
	}
	if (ok && strcmp(m->kind, "ae") != 0) {
		lc_error_set(err, LC_ERR_UNSUPPORTED, "%s: model kind '%s' (this lumicert scores kind 'ae')", name, m->kind);
		ok = 0;
		rc = LC_ERR_UNSUPPORTED;
	}
	if (ok) {
		if ((v = member(me, "name", JSON_STRING, name, "me", &ok, err)))
			str_copy(m->me.name, json_string_value(v), sizeof m->me.name);
		m->me.metype = (int)json_integer_value(member(me, "metype", JSON_INTEGER, name, "me", &ok, err));
		m->me.dim = (int)json_integer_value(member(me, "dim", JSON_INTEGER, name, "me", &ok, err));
		m->me.nx = (int)json_integer_value(member(me, "nx", JSON_INTEGER, name, "me", &ok, err));
		m->me.ny = (int)json_integer_value(member(me, "ny", JSON_INTEGER, name, "me", &ok, err));
		m->me.xmin = num(member(me, "xmin", JSON_REAL, name, "me", &ok, err));
		m->me.xmax = num(member(me, "xmax", JSON_REAL, name, "me", &ok, err));
		m->me.ymin = num(member(me, "ymin", JSON_REAL, name, "me", &ok, err));
		m->me.ymax = num(member(me, "ymax", JSON_REAL, name, "me", &ok, err));
		v = json_object_get(me, "has_flow");
		m->me.has_flow = json_is_true(v);
	}
	if (ok) {
		const char *flow = json_string_value(member(prep, "flow", JSON_STRING, name, "prep", &ok, err));
		const char *norm = json_string_value(member(prep, "normalize", JSON_STRING, name, "prep", &ok, err));
		const char *repr = json_string_value(member(prep, "repr", JSON_STRING, name, "prep", &ok, err));
		json_t *rebin = member(prep, "rebin", JSON_ARRAY, name, "prep", &ok, err);
		m->prep.min_entries = num(member(prep, "min_entries", JSON_REAL, name, "prep", &ok, err));
		if (ok) {
			m->prep.flow = strcmp(flow, "keep") == 0;
			m->prep.normalize = strcmp(norm, "l1") == 0 ? LC_NORM_L1 : LC_NORM_NONE;
			m->prep.repr = strcmp(repr, "sqrt") == 0 ? LC_REPR_SQRT : strcmp(repr, "cdf") == 0 ? LC_REPR_CDF
												 : LC_REPR_BINS;
			m->prep.rebin_x = (int)json_integer_value(json_array_get(rebin, 0));
			m->prep.rebin_y = (int)json_integer_value(json_array_get(rebin, 1));
			if ((strcmp(flow, "keep") && strcmp(flow, "drop")) || (strcmp(norm, "l1") && strcmp(norm, "none")) ||
			    (strcmp(repr, "bins") && strcmp(repr, "sqrt") && strcmp(repr, "cdf"))) {
				lc_error_set(err, LC_ERR_PARSE, "%s: header member prep: unknown flow/normalize/repr value",
					     name);
				ok = 0;
			}
		}
		if (ok && (m->me.dim < 1 || m->me.dim > 2 || m->me.nx < 1 || m->me.ny < 1 || m->me.nx > 10000000 ||
			   m->me.ny > 10000000 || (int64_t)m->me.nx * m->me.ny > 100000000 ||
			   lc_prep_check(&m->prep, &m->me, NULL))) {
			lc_error_set(err, LC_ERR_PARSE, "%s: header members me/prep: invalid binning or preparation", name);
			ok = 0;
		}
	}
	if (ok) {
		json_t *layers = member(network, "layers", JSON_ARRAY, name, "network", &ok, err);
		int n_in = (int)json_integer_value(member(network, "n_in", JSON_INTEGER, name, "network", &ok, err));
		size_t nl = ok ? json_array_size(layers) : 0;
		if (ok && (nl < 1 || nl > 64)) {
			lc_error_set(err, LC_ERR_PARSE, "%s: header member network.layers: %zu layers (1 to 64)", name, nl);
			ok = 0;
		}
		n_out = calloc(nl ? nl : 1, sizeof *n_out);
		act = calloc(nl ? nl : 1, sizeof *act);
		for (size_t l = 0; ok && l < nl; l++) {
			json_t *L = json_array_get(layers, l);
			json_t *no = json_object_get(L, "n_out"), *a = json_object_get(L, "act");
			n_out[l] = json_is_integer(no) ? (int)json_integer_value(no) : -1;
			act[l] = json_is_string(a) ? lc_act_parse(json_string_value(a)) : -1;
			if (n_out[l] < 1 || n_out[l] > 10000000 || act[l] < 0) {
				lc_error_set(err, LC_ERR_PARSE, "%s: header member network.layers[%zu]: bad n_out or act",
					     name, l);
				ok = 0;
			}
		}
		int dim = lc_prep_dim(&m->prep, &m->me);
		if (ok && (n_in != dim || n_out[nl - 1] != dim)) {
			lc_error_set(err, LC_ERR_PARSE,
				     "%s: network of %d inputs and %d outputs does not fit the prepared ME (%d values)", name,
				     n_in, n_out[nl - 1], dim);
			ok = 0;
		}
		if (ok) {
			/* the parameter count, checked in 64 bits before any allocation */
			uint64_t np = 0;
			int prev = n_in;
			for (size_t l = 0; l < nl; l++) {
				np += (uint64_t)n_out[l] * (uint64_t)prev + (uint64_t)n_out[l];
				prev = n_out[l];
			}
			json_int_t stated = json_integer_value(json_object_get(network, "n_params"));
			if (np > MAX_PARAMS || (uint64_t)stated != np) {
				lc_error_set(err, LC_ERR_PARSE, "%s: network.n_params %lld, the layers need %llu", name,
					     (long long)stated, (unsigned long long)np);
				ok = 0;
			}
			size_t need = off + hlen + 4 * (size_t)np + 8;
			if (ok && n != need) {
				lc_error_set(err, LC_ERR_PARSE, "%s: byte %zu: file has %zu bytes, expected %zu (%s)", name,
					     n < need ? n : need, n, need, n < need ? "truncated" : "trailing bytes");
				ok = 0;
			}
			if (ok && !(m->net = lc_net_new(n_in, (int)nl, n_out, act))) {
				lc_error_set(err, LC_ERR_NOMEM, "out of memory");
				ok = 0;
				rc = LC_ERR_NOMEM;
			}
		}
	}
	if (ok) {
		const unsigned char *p = buf + off + hlen;
		for (size_t i = 0; i < m->net->n_params; i++, p += 4) {
			uint32_t u = get_u32(p);
			memcpy(&m->net->params[i], &u, 4);
		}
		uint64_t sum = model_container_sum(buf, (size_t)(p - buf));
		uint64_t stored = (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
		if (sum != stored) {
			lc_error_set(err, LC_ERR_PARSE, "%s: byte %zu: checksum mismatch (file damaged)", name,
				     (size_t)(p - buf));
			ok = 0;
		}
	}
	if (ok) {
		model_training_from_json(m, train);
		m->explained = num(json_object_get(train, "explained"));
		m->threshold = num(member(thr, "value", JSON_REAL, name, "threshold", &ok, err));
		m->fpr = num(json_object_get(thr, "fpr"));
	}
	free(n_out);
	free(act);
	json_decref(h);
	if (!ok) {
		lc_model_free(m);
		return rc ? rc : (err ? err->code : LC_ERR_PARSE);
	}
	*out = m;
	return LC_OK;
}
