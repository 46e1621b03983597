/* config.c — the extraction CONFIG (the CMS DQM seed's JSON: per_lumisection branches and per_event channels with
 * branches, read_each, batch), parsed with jansson and checked field by field before any file is read. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lumicert_extract.h"

void lc_extract_config_free(lc_extract_config *c)
{
	if (!c)
		return;
	free(c->tree);
	for (size_t i = 0; i < c->nper_ls; i++) {
		free(c->per_ls[i]);
		free(c->per_ls_names[i]);
	}
	free(c->per_ls);
	free(c->per_ls_names);
	for (size_t i = 0; i < c->nchannels; i++) {
		lc_extract_channel *ch = &c->channels[i];
		free(ch->name);
		for (size_t j = 0; j < ch->nbranches; j++) {
			free(ch->branches[j]);
			free(ch->features[j]);
		}
		free(ch->branches);
		free(ch->features);
	}
	free(c->channels);
	free(c);
}

/* Letters, digits and '_' only: names go into CSV headers and SQL values unquoted. */
static int plain_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* Feature name of a branch: the last member of a dotted (split-object) name without trailing '_'
 * (recoMuons_muons__RECO.obj.pt_ -> pt), else what follows the first '_' (Muon_pt -> pt), else the name. NULL when
 * out of memory. */
static char *feature_name(const char *branch)
{
	const char *dot = strrchr(branch, '.');
	const char *s = branch;
	size_t n;
	if (dot) {
		s = dot + 1;
		n = strlen(s);
		while (n > 1 && s[n - 1] == '_')
			n--;
	} else {
		const char *us = strchr(branch, '_');
		if (us && us[1])
			s = us + 1;
		n = strlen(s);
	}
	char *r = malloc(n + 1);
	if (r) {
		memcpy(r, s, n);
		r[n] = 0;
	}
	return r;
}

/* A positive integer field (absent: dflt). */
static int get_count(json_t *obj, const char *key, int64_t dflt, int64_t max, int64_t *out, const char *name,
		     const char *where, lc_error *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v) {
		*out = dflt;
		return LC_OK;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > max)
		return lc_error_set(err, LC_ERR_PARSE, "%s: %s.%s: expected an integer in [1, %lld]", name, where, key,
				    (long long)max);
	*out = json_integer_value(v);
	return LC_OK;
}

/* Fails on keys of obj not in known (NULL-terminated). */
static int known_keys(json_t *obj, const char *const *known, const char *name, const char *where, lc_error *err)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		int ok = 0;
		for (size_t i = 0; known[i]; i++)
			ok |= !strcmp(key, known[i]);
		if (!ok) {
			char list[256] = "";
			for (size_t i = 0; known[i]; i++)
				snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", known[i]);
			return lc_error_set(err, LC_ERR_PARSE, "%s: %s: unknown key '%s' (known: %s)", name, where, key, list);
		}
	}
	return LC_OK;
}

/* Copies the strings of array a (at least min of them) into *out; names[i] gets the derived feature names. */
static int get_names(json_t *a, size_t min, char ***out, char ***names, size_t *n, const char *name, const char *where,
		     lc_error *err)
{
	if (!json_is_array(a) || json_array_size(a) < min)
		return lc_error_set(err, LC_ERR_PARSE, "%s: %s: expected an array of at least %zu branch names", name, where,
				    min);
	size_t k = json_array_size(a);
	char **s = calloc(k, sizeof *s), **f = calloc(k, sizeof *f);
	*out = s;
	*names = f;
	*n = 0;
	if (!s || !f)
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < k; i++) {
		json_t *v = json_array_get(a, i);
		if (!json_is_string(v) || !json_string_length(v) || strlen(json_string_value(v)) != json_string_length(v))
			return lc_error_set(err, LC_ERR_PARSE, "%s: %s[%zu]: expected a branch name (a non-empty string)", name,
					    where, i);
		if (!(s[i] = strdup(json_string_value(v))) || !(f[i] = feature_name(s[i])))
			return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		*n = i + 1;
		if (!plain_name(f[i]))
			return lc_error_set(err, LC_ERR_PARSE, "%s: %s[%zu]: feature name '%s' of branch '%s' is not made of "
					    "letters, digits and '_'", name, where, i, f[i], s[i]);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(f[j], f[i]))
				return lc_error_set(err, LC_ERR_PARSE, "%s: %s[%zu]: branch '%s' gives feature name '%s', as "
						    "%s[%zu] '%s' does", name, where, i, s[i], f[i], where, j, s[j]);
	}
	return LC_OK;
}

static int parse(json_t *root, const char *name, lc_extract_config *c, lc_error *err)
{
	static const char *const top[] = {"tree", "per_lumisection", "per_event", "quantiles", NULL};
	static const char *const chk[] = {"branches", "read_each", "batch", NULL};
	int rc;
	if (!json_is_object(root))
		return lc_error_set(err, LC_ERR_PARSE, "%s: expected a JSON object at the top", name);
	if ((rc = known_keys(root, top, name, "top level", err)))
		return rc;
	json_t *v = json_object_get(root, "tree");
	if (v && (!json_is_string(v) || !json_string_length(v)))
		return lc_error_set(err, LC_ERR_PARSE, "%s: tree: expected a tree name (a non-empty string)", name);
	if (!(c->tree = strdup(v ? json_string_value(v) : "Events")))
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	int64_t q;
	if ((rc = get_count(root, "quantiles", 5, LC_EXTRACT_MAX_QUANTILES, &q, name, "top level", err)))
		return rc;
	c->quantiles = (int)q;
	v = json_object_get(root, "per_lumisection");
	if (!v)
		return lc_error_set(err, LC_ERR_PARSE, "%s: per_lumisection: missing (run and LS branch names, then "
				    "optional others)", name);
	if ((rc = get_names(v, 2, &c->per_ls, &c->per_ls_names, &c->nper_ls, name, "per_lumisection", err)))
		return rc;
	for (size_t i = 2; i < c->nper_ls; i++) {
		const char *f = c->per_ls_names[i];
		if (!strcmp(f, "run") || !strcmp(f, "lumi") || !strcmp(f, "n_events"))
			return lc_error_set(err, LC_ERR_PARSE, "%s: per_lumisection[%zu]: column name '%s' is reserved", name,
					    i, f);
	}
	json_t *pe = json_object_get(root, "per_event");
	if (!pe)
		return lc_error_set(err, LC_ERR_PARSE, "%s: per_event: missing (an object of channels)", name);
	if (!json_is_object(pe) || !json_object_size(pe))
		return lc_error_set(err, LC_ERR_PARSE, "%s: per_event: expected a non-empty object of channels", name);
	size_t nch = json_object_size(pe);
	if (!(c->channels = calloc(nch, sizeof *c->channels)))
		return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	const char *key;
	json_t *ch;
	json_object_foreach(pe, key, ch) {
		lc_extract_channel *x = &c->channels[c->nchannels++];
		x->eta = x->phi = -1;
		if (!(x->name = strdup(key)))
			return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
		char where[300];
		snprintf(where, sizeof where, "per_event.%.200s", key);
		if (!plain_name(key) || strlen(key) != strlen(x->name))
			return lc_error_set(err, LC_ERR_PARSE, "%s: %s: channel names are made of letters, digits and '_'",
					    name, where);
		for (size_t i = 0; i < c->nper_ls; i++)
			if (!strncmp(c->per_ls_names[i], key, strlen(key)) && c->per_ls_names[i][strlen(key)] == '_')
				return lc_error_set(err, LC_ERR_PARSE, "%s: %s: channel name clashes with per_lumisection "
						    "column '%s'", name, where, c->per_ls_names[i]);
		if (!json_is_object(ch))
			return lc_error_set(err, LC_ERR_PARSE, "%s: %s: expected an object with branches, read_each, batch",
					    name, where);
		if ((rc = known_keys(ch, chk, name, where, err)))
			return rc;
		json_t *br = json_object_get(ch, "branches");
		char wb[320];
		snprintf(wb, sizeof wb, "%s.branches", where);
		if (!br)
			return lc_error_set(err, LC_ERR_PARSE, "%s: %s: missing (the first is the ordering quantity, pT)",
					    name, wb);
		if ((rc = get_names(br, 1, &x->branches, &x->features, &x->nbranches, name, wb, err)))
			return rc;
		for (size_t j = 0; j < x->nbranches; j++) {
			const char *f = x->features[j];
			if (!strcmp(f, "count") || !strcmp(f, "nonzero") || !strcmp(f, "px") || !strcmp(f, "py") ||
			    !strcmp(f, "pz"))
				return lc_error_set(err, LC_ERR_PARSE, "%s: %s[%zu]: feature name '%s' is reserved", name, wb,
						    j, f);
			if (!strcmp(f, "eta") && x->eta < 0)
				x->eta = (int)j;
			if (!strcmp(f, "phi") && x->phi < 0)
				x->phi = (int)j;
		}
		int64_t re;
		if ((rc = get_count(ch, "read_each", 1, 1 << 30, &re, name, where, err)) ||
		    (rc = get_count(ch, "batch", 10000, (int64_t)1 << 40, &x->batch, name, where, err)))
			return rc;
		x->read_each = (int)re;
	}
	return LC_OK;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Channel and feature names can combine into one column name twice (channel m with feature pt_x, channel m_pt with
 * feature x): the per-event columns and the per-LS columns (<column>_<stat>, <channel>_nonzero) must be distinct. */
static int check_unique(const lc_extract_config *c, const char *name, lc_error *err)
{
	static const char *const stats[] = {"mean", "std", "p1", "p25", "p50", "p75", "p99"};
	lc_event_table t;
	int rc = lc_event_table_init(c, &t, err);
	if (rc)
		return rc;
	size_t n = 0, cap = t.ncols * 8 + c->nchannels + 1;
	char **all = calloc(cap, sizeof *all);
	if (!all)
		rc = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < t.ncols && !rc; i++) {
		if (!(all[n++] = strdup(t.names[i])))
			rc = LC_ERR_NOMEM;
		for (size_t s = 0; s < 7 && !rc && i >= 2; s++) {
			size_t k = strlen(t.names[i]) + strlen(stats[s]) + 2;
			if (!(all[n] = malloc(k)))
				rc = LC_ERR_NOMEM;
			else
				snprintf(all[n++], k, "%s_%s", t.names[i], stats[s]);
		}
	}
	for (size_t k = 0; k < c->nchannels && !rc; k++) {
		size_t m = strlen(c->channels[k].name) + 9;
		if (!(all[n] = malloc(m)))
			rc = LC_ERR_NOMEM;
		else
			snprintf(all[n++], m, "%s_nonzero", c->channels[k].name);
	}
	if (rc == LC_ERR_NOMEM)
		lc_error_set(err, rc, "out of memory");
	if (!rc) {
		qsort(all, n, sizeof *all, str_cmp);
		for (size_t i = 1; i < n && !rc; i++)
			if (!strcmp(all[i], all[i - 1]))
				rc = lc_error_set(err, LC_ERR_PARSE, "%s: per_event: column name '%s' arises twice (rename a channel "
						  "so that channel and feature names do not run together)", name, all[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(all[i]);
	free(all);
	lc_event_table_free(&t);
	return rc;
}

int lc_extract_config_parse(const char *json, size_t n, const char *name, lc_extract_config **out, lc_error *err)
{
	json_error_t je;
	json_t *root = json_loadb(json, n, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return lc_error_set(err, LC_ERR_PARSE, "%s:%d:%d: %s", name, je.line, je.column, je.text);
	lc_extract_config *c = calloc(1, sizeof *c);
	int rc = c ? parse(root, name, c, err) : lc_error_set(err, LC_ERR_NOMEM, "out of memory");
	json_decref(root);
	if (!rc)
		rc = check_unique(c, name, err);
	if (rc) {
		lc_extract_config_free(c);
		return rc;
	}
	*out = c;
	return LC_OK;
}

int lc_extract_config_load(const char *path, lc_extract_config **out, lc_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return lc_error_set(err, LC_ERR_IO, "%s: cannot open the config", path);
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			if (cap > ((size_t)64 << 20)) {
				free(buf);
				fclose(f);
				return lc_error_set(err, LC_ERR_PARSE, "%s: larger than 64 MiB, not a config", path);
			}
			char *b = realloc(buf, cap);
			if (!b) {
				free(buf);
				fclose(f);
				return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
			}
			buf = b;
		}
		size_t k = fread(buf + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return lc_error_set(err, LC_ERR_IO, "%s: read error", path);
	}
	int rc = lc_extract_config_parse(buf, n, path, out, err);
	free(buf);
	return rc;
}

/* Checks one branch: exists, numeric, of an allowed kind. *kind and *count receive its layout. */
static int check_branch(lc_root_tree *t, const char *br, int scalar_only, const char *where, int *kind, const char **count, lc_error *err)
{
	long i = lc_root_tree_find(t, br);
	if (i < 0)
		return lc_error_set(err, LC_ERR_PARSE, "%s: no branch '%s' in tree '%s'", where, br,
				    lc_root_tree_name(t));
	lc_root_branch_info bi;
	lc_root_tree_branch(t, (size_t)i, &bi);
	if (bi.type == LC_ROOT_NONE || bi.type == LC_ROOT_STRING || bi.type == LC_ROOT_OBJECT)
		return lc_error_set(err, LC_ERR_PARSE, "%s: branch '%s' holds %s, not numbers%s%s", where, br,
				    bi.type == LC_ROOT_NONE ? "no readable data" : lc_root_type_name(bi.type),
				    bi.unsupported[0] ? ": " : "", bi.unsupported);
	if (bi.kind != LC_ROOT_SCALAR && (scalar_only || (bi.kind != LC_ROOT_FIXED && bi.kind != LC_ROOT_JAGGED)))
		return lc_error_set(err, LC_ERR_PARSE, "%s: branch '%s' is not %s", where, br,
				    scalar_only ? "a scalar (one number per event)" : "a number or an array of numbers");
	*kind = bi.kind;
	*count = bi.count;
	return LC_OK;
}

int lc_extract_config_check(const lc_extract_config *c, lc_root *f, lc_error *err)
{
	lc_root_tree *t;
	lc_error e2;
	if (lc_root_tree_open(f, c->tree, &t, &e2))
		return lc_error_set(err, LC_ERR_PARSE, "tree: %s", e2.msg);
	int rc = LC_OK, kind;
	const char *count;
	for (size_t i = 0; i < c->nper_ls && !rc; i++) {
		char where[64];
		snprintf(where, sizeof where, "per_lumisection[%zu]", i);
		rc = check_branch(t, c->per_ls[i], 1, where, &kind, &count, err);
	}
	for (size_t k = 0; k < c->nchannels && !rc; k++) {
		const lc_extract_channel *ch = &c->channels[k];
		int kind0 = 0;
		const char *count0 = "";
		for (size_t j = 0; j < ch->nbranches && !rc; j++) {
			char where[300];
			snprintf(where, sizeof where, "per_event.%s.branches[%zu]", ch->name, j);
			rc = check_branch(t, ch->branches[j], 0, where, &kind, &count, err);
			if (rc)
				break;
			if (j == 0) {
				kind0 = kind;
				count0 = count;
			} else if (kind != kind0 || (kind == LC_ROOT_JAGGED && strcmp(count, count0)))
				rc = lc_error_set(err, LC_ERR_PARSE, "%s: branch '%s' (%s%s%s) does not have the multiplicity of "
						  "'%s' (%s%s%s)", where, ch->branches[j],
						  kind == LC_ROOT_JAGGED ? "counted by " : "", kind == LC_ROOT_JAGGED ? count : "",
						  kind == LC_ROOT_SCALAR ? "scalar" : kind == LC_ROOT_FIXED ? "fixed array" : "",
						  ch->branches[0], kind0 == LC_ROOT_JAGGED ? "counted by " : "",
						  kind0 == LC_ROOT_JAGGED ? count0 : "",
						  kind0 == LC_ROOT_SCALAR ? "scalar" : kind0 == LC_ROOT_FIXED ? "fixed array" : "");
		}
	}
	lc_root_tree_close(t);
	return rc;
}
