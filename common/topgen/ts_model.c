#include "common/topgen/ts_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>

#include "common/topgen/ts_model_int.h"

#define MAX_RANDCOUNT (1u << 20)

/* Phase B: the fixed order in which topgen elaborates ipgen templates (spec §4). */
static const char *const ipgen_order[] = {
	"gpio", "pwm", "racl_ctrl", "clkmgr", "flash_ctrl", "otp_ctrl", "ac_range_check",
	"rv_core_ibex", "pinmux", "pwrmgr", "rstmgr", "alert_handler", "rv_plic",
};

/* The tree depth is bounded by TS_HJSON_MAX_DEPTH, so this recursion is too. */
static int
has_placeholder(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;
	if (ts_model_is_placeholder(v)) {
		return 1;
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)(uintptr_t)v, k, x) {
			if (has_placeholder(x)) {
				return 1;
			}
		}
	}
	if (json_is_array(v)) {
		json_array_foreach((json_t *)(uintptr_t)v, i, x) {
			if (has_placeholder(x)) {
				return 1;
			}
		}
	}
	return 0;
}

static ts_result
check_keys(const struct ts_hjson_doc *doc, json_t *obj, const char *const *allowed, const char *what)
{
	const char *k;
	json_t *x;
	json_object_foreach(obj, k, x) {
		int ok = 0;
		for (size_t i = 0; allowed[i] != NULL && !ok; i++) {
			ok = strcmp(k, allowed[i]) == 0;
		}
		if (!ok) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, x, "unknown key '%s' in %s (see docs/structure-format.md)",
				    k, what);
		}
	}
	return TS_OK;
}

static ts_result
name_check(const struct ts_hjson_doc *doc, json_t *at, const char *s, const char *what)
{
	size_t n = strlen(s);
	int ok = n > 0 && n <= 128;
	for (size_t i = 0; ok && i < n; i++) {
		char c = s[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
	}
	if (!ok) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, at, "%s '%s' must be 1-128 characters of [A-Za-z0-9_]", what, s);
	}
	return TS_OK;
}

static size_t
bitlength(size_t x)
{
	size_t n = 0;
	for (; x != 0; x >>= 1) {
		n++;
	}
	return n;
}

static ts_result
make_name_top(const struct ts_module *m, struct ts_param *p)
{
	static const char prefix[] = "RndCnst";
	json_t *v = json_object_get(p->node, "name_top");
	char buf[512];
	size_t n = 0;
	if (v != NULL && json_is_string(v) && !ts_hjson_is_int(v)) {
		p->name_top = strdup(json_string_value(v));
		TS_ENSURE(p->name_top != NULL, TS_ERR_NOMEM);
		return TS_OK;
	}
	TS_ENSUREF(strncmp(p->name, prefix, sizeof(prefix) - 1) == 0, TS_ERR_SCHEMA,
		   "param '%s' of module '%s' does not start with RndCnst; give its name_top", p->name,
		   m->name);
	n = (size_t)snprintf(buf, sizeof(buf), "%s", prefix);
	int start = 1;
	for (const char *c = m->name; *c != '\0' && n + 1 < sizeof(buf); c++) {
		if (*c == '_') {
			start = 1;
			continue;
		}
		char ch = *c;
		if (start && ch >= 'a' && ch <= 'z') {
			ch = (char)(ch - 'a' + 'A');
		} else if (!start && ch >= 'A' && ch <= 'Z') {
			ch = (char)(ch - 'A' + 'a');
		}
		buf[n++] = ch;
		start = 0;
	}
	int rc = snprintf(buf + n, sizeof(buf) - n, "%s", p->name + sizeof(prefix) - 1);
	TS_ENSURE(rc >= 0 && (size_t)rc < sizeof(buf) - n, TS_ERR_RANGE);
	p->name_top = strdup(buf);
	TS_ENSURE(p->name_top != NULL, TS_ERR_NOMEM);
	return TS_OK;
}

static const char *const param_keys[] = {
	"name", "desc", "type", "unpacked_dimensions", "randcount", "randtype", "name_top", "default",
	"randwidth", NULL,
};

static ts_result
load_param(const struct ts_top *top, const struct ts_module *m, struct ts_param *p)
{
	const struct ts_hjson_doc *doc = top->doc;
	char what[192];
	const char *rt;
	(void)snprintf(what, sizeof(what), "a param of module '%s'", m->name);
	TS_ENSURE(json_is_object(p->node), TS_ERR_SCHEMA);
	TS_GUARD(ts_model_get_str(doc, p->node, "name", what, &p->name));
	TS_GUARD(name_check(doc, json_object_get(p->node, "name"), p->name, "param name"));
	(void)snprintf(what, sizeof(what), "param '%s' of module '%s'", p->name, m->name);
	TS_GUARD(check_keys(doc, p->node, param_keys, what));
	TS_GUARD(ts_model_get_str(doc, p->node, "desc", what, &p->desc));
	TS_GUARD(ts_model_get_str(doc, p->node, "type", what, &p->type));
	TS_GUARD(ts_model_get_str(doc, p->node, "randtype", what, &rt));
	TS_GUARD(ts_model_get_size(doc, p->node, "randcount", what, MAX_RANDCOUNT, &p->randcount));
	json_t *def = json_object_get(p->node, "default");
	if (strcmp(rt, "data") == 0) {
		p->randtype = TS_RAND_DATA;
		p->randwidth = p->randcount;
	} else if (strcmp(rt, "perm") == 0) {
		p->randtype = TS_RAND_PERM;
		TS_ENSUREF(p->randcount <= 65536, TS_ERR_RANGE, "%s: %s: a perm has at most 65536 entries",
			   ts_hjson_name(doc), what);
		p->randwidth = p->randcount * bitlength(p->randcount ? p->randcount - 1 : 0);
	} else if (strcmp(rt, "extdata") == 0) {
		p->randtype = TS_RAND_EXTDATA;
		p->randwidth = p->randcount;
		p->part_inv_default = strcmp(p->name, "RndCnstPartInvDefault") == 0;
	} else {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, json_object_get(p->node, "randtype"),
			    "%s: randtype must be data, perm or extdata", what);
	}
	if (top->placeholder_form && p->randtype != TS_RAND_EXTDATA && def != NULL && !ts_model_is_placeholder(def)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, def,
			    "%s: data and perm values are always drawn; write default: \"<random>\"", what);
	}
	TS_ENSUREF(p->randcount > 0, TS_ERR_RANGE, "%s: %s: randcount must be at least 1",
		   ts_hjson_name(doc), what);
	return make_name_top(m, p);
}

static const char *const module_keys[] = {
	"name", "type", "base_addrs", "memory", "param_list", "template_type", "otp_mmap", NULL,
};

static ts_result
load_module(struct ts_top *top, struct ts_module *m)
{
	const struct ts_hjson_doc *doc = top->doc;
	char what[192];
	json_t *plist;
	if (!json_is_object(m->node)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, m->node, "each entry of 'module' must be an object");
	}
	TS_GUARD(ts_model_get_str(doc, m->node, "name", "a module", &m->name));
	TS_GUARD(name_check(doc, json_object_get(m->node, "name"), m->name, "module name"));
	(void)snprintf(what, sizeof(what), "module '%s'", m->name);
	TS_GUARD(check_keys(doc, m->node, module_keys, what));
	TS_GUARD(ts_model_get_str(doc, m->node, "type", what, &m->type));
	if (json_object_get(m->node, "template_type") != NULL) {
		TS_GUARD(ts_model_get_str(doc, m->node, "template_type", what, &m->template_type));
	}
	TS_GUARD(ts_model_get_array(doc, m->node, "param_list", what, &plist));
	m->nparams = json_array_size(plist);
	m->params = calloc(m->nparams ? m->nparams : 1, sizeof(*m->params));
	TS_ENSURE(m->params != NULL, TS_ERR_NOMEM);
	for (size_t i = 0; i < m->nparams; i++) {
		m->params[i].node = json_array_get(plist, i);
		if (!json_is_object(m->params[i].node)) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, m->params[i].node, "%s: each param must be an object",
				    what);
		}
		TS_GUARD(load_param(top, m, &m->params[i]));
	}
	top->has_lc_ctrl |= strcmp(m->type, "lc_ctrl") == 0;
	top->has_otp_ctrl |= strcmp(m->type, "otp_ctrl") == 0 ||
			     (m->template_type != NULL && strcmp(m->template_type, "otp_ctrl") == 0);
	return TS_OK;
}

static ts_result
default_elab_order(struct ts_top *top)
{
	size_t n = 0;
	const size_t nipgen = sizeof(ipgen_order) / sizeof(ipgen_order[0]);
	/* Generic IPs: grouped by type, types in order of first appearance. */
	for (size_t i = 0; i < top->nmods; i++) {
		const struct ts_module *m = &top->mods[i];
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++) {
			seen = top->mods[j].template_type == NULL && strcmp(top->mods[j].type, m->type) == 0;
		}
		if (m->template_type != NULL || seen) {
			continue;
		}
		for (size_t j = i; j < top->nmods; j++) {
			if (top->mods[j].template_type == NULL && strcmp(top->mods[j].type, m->type) == 0) {
				top->elab_order[n++] = j;
			}
		}
	}
	/* ipgen IPs: in topgen's fixed template order. */
	for (size_t t = 0; t < nipgen; t++) {
		for (size_t j = 0; j < top->nmods; j++) {
			const char *tt = top->mods[j].template_type;
			if (tt != NULL && strcmp(tt, ipgen_order[t]) == 0) {
				top->elab_order[n++] = j;
			}
		}
	}
	for (size_t j = 0; j < top->nmods && n != top->nmods; j++) {
		int known = top->mods[j].template_type == NULL;
		for (size_t t = 0; t < nipgen && !known; t++) {
			known = strcmp(top->mods[j].template_type, ipgen_order[t]) == 0;
		}
		if (!known) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, top->doc, top->mods[j].node,
				    "module '%s' has template_type '%s', whose place in topgen's elaboration "
				    "order is unknown; give elaboration_order (docs/structure-format.md)",
				    top->mods[j].name, top->mods[j].template_type);
		}
	}
	TS_ENSURE(n == top->nmods, TS_ERR_INTERNAL);
	return TS_OK;
}

static ts_result
explicit_elab_order(struct ts_top *top, json_t *list)
{
	const struct ts_hjson_doc *doc = top->doc;
	if (!json_is_array(list) || json_array_size(list) != top->nmods) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, list,
			    "elaboration_order must list every module name exactly once (%zu modules)",
			    top->nmods);
	}
	for (size_t i = 0; i < top->nmods; i++) {
		json_t *v = json_array_get(list, i);
		size_t found = top->nmods;
		for (size_t j = 0; j < top->nmods && json_is_string(v); j++) {
			found = strcmp(top->mods[j].name, json_string_value(v)) == 0 ? j : found;
		}
		for (size_t k = 0; k < i && found < top->nmods; k++) {
			if (top->elab_order[k] == found) {
				return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "module '%s' is listed twice in elaboration_order",
					    top->mods[found].name);
			}
		}
		if (found == top->nmods) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "elaboration_order names an unknown module");
		}
		top->elab_order[i] = found;
	}
	return TS_OK;
}

ts_result
ts_top_name_check(const char *t)
{
	size_t n = t != NULL ? strlen(t) : 0;
	int ok = n > 0 && n <= 48;
	for (size_t i = 0; ok && i < n; i++) {
		ok = (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '_';
	}
	TS_ENSUREF(ok, TS_ERR_USAGE, "top name '%s' must be 1-48 characters of [a-z0-9_]", t ? t : "");
	return TS_OK;
}

static ts_result
set_top_name(struct ts_top *top, const char *given)
{
	char tmp[sizeof(top->t)] = { 0 };
	json_t *v = json_object_get(ts_hjson_root(top->doc), "top");
	if (given == NULL && v != NULL) {
		if (!json_is_string(v) || ts_hjson_is_int(v)) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, top->doc, v, "'top' must be a string");
		}
		given = json_string_value(v);
	}
	if (given == NULL) {
		const char *base = strrchr(ts_hjson_name(top->doc), '/');
		base = base != NULL ? base + 1 : ts_hjson_name(top->doc);
		size_t n = strcspn(base, ".");
		TS_ENSUREF(n < sizeof(tmp), TS_ERR_USAGE, "%s: cannot tell the top name from the file name; "
			   "give --top", ts_hjson_name(top->doc));
		memcpy(tmp, base, n);
		given = tmp;
	}
	if (strncmp(given, "top_", 4) == 0) {
		given += 4;
	}
	TS_ENSUREF(strlen(given) < sizeof(top->t), TS_ERR_USAGE, "top name '%s' is too long", given);
	TS_GUARD(ts_top_name_check(given));
	(void)snprintf(top->t, sizeof(top->t), "%s", given);
	return TS_OK;
}

static const char *const root_keys[] = { "seed", "module", "elaboration_order", "top", NULL };

/*
 * The random bits of all parameters together, bounded up front: each bit is
 * drawn, kept and written several times, so an oversized structure would
 * otherwise spend seconds and hundreds of MB before any error.
 */
static ts_result
check_volume(const struct ts_top *top)
{
	unsigned long long bits = 0;
	for (size_t i = 0; i < top->nmods; i++) {
		for (size_t j = 0; j < top->mods[i].nparams; j++) {
			bits += top->mods[i].params[j].randwidth;
		}
	}
	TS_ENSUREF(bits <= TS_MODEL_MAX_RAND_BITS, TS_ERR_RANGE,
		   "%s: the parameters ask for %llu random bits in all, more than the %u this tool generates (about "
		   "100 times earlgrey's 42104); is a randcount wrong?",
		   ts_hjson_name(top->doc), bits, TS_MODEL_MAX_RAND_BITS);
	return TS_OK;
}

static ts_result
load_top(struct ts_top *top, const char *top_name)
{
	json_t *root = ts_hjson_root(top->doc);
	json_t *mods;
	if (!json_is_object(root)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, top->doc, root, "the structure must be an object");
	}
	TS_GUARD(check_keys(top->doc, root, root_keys, "the structure root"));
	top->placeholder_form = has_placeholder(root);
	TS_GUARD(ts_model_get_array(top->doc, root, "module", "the structure", &mods));
	top->nmods = json_array_size(mods);
	top->mods = calloc(top->nmods + 1, sizeof(*top->mods));
	top->elab_order = calloc(top->nmods + 1, sizeof(*top->elab_order));
	TS_ENSURE(top->mods != NULL && top->elab_order != NULL, TS_ERR_NOMEM);
	for (size_t i = 0; i < top->nmods; i++) {
		top->mods[i].node = json_array_get(mods, i);
		TS_GUARD(load_module(top, &top->mods[i]));
		for (size_t j = 0; j < i; j++) {
			if (strcmp(top->mods[j].name, top->mods[i].name) == 0) {
				return ts_hjson_fail_at(TS_ERR_SCHEMA, top->doc, top->mods[i].node,
					    "module name '%s' appears twice", top->mods[i].name);
			}
		}
		json_t *mmap = json_object_get(top->mods[i].node, "otp_mmap");
		if (mmap != NULL) {
			TS_GUARD(ts_model_load_otp(top, i, mmap));
		}
	}
	TS_GUARD(check_volume(top));
	json_t *order = json_object_get(root, "elaboration_order");
	TS_GUARD(order != NULL ? explicit_elab_order(top, order) : default_elab_order(top));
	return set_top_name(top, top_name);
}

ts_result
ts_top_from_doc(struct ts_hjson_doc *doc, const char *top_name, struct ts_top **out)
{
	TS_ENSURE_REF(doc);
	TS_ENSURE_REF(out);
	struct ts_top *top = calloc(1, sizeof(*top));
	if (top == NULL) {
		ts_hjson_doc_free(doc);
		TS_BAIL(TS_ERR_NOMEM);
	}
	top->doc = doc;
	ts_result r = load_top(top, top_name);
	if (r.code != 0) {
		ts_top_free(top);
		return r;
	}
	*out = top;
	return TS_OK;
}

ts_result
ts_top_load(const char *path, const char *top_name, struct ts_top **out)
{
	struct ts_hjson_doc *doc = NULL;
	TS_GUARD(ts_hjson_load(path, &doc));
	return ts_top_from_doc(doc, top_name, out);
}

void
ts_top_free(struct ts_top *top)
{
	if (top == NULL) {
		return;
	}
	for (size_t i = 0; top->mods != NULL && i < top->nmods; i++) {
		for (size_t j = 0; top->mods[i].params != NULL && j < top->mods[i].nparams; j++) {
			free(top->mods[i].params[j].name_top);
			ts_secret_free(&top->mods[i].params[j].value);
		}
		free(top->mods[i].params);
	}
	free(top->mods);
	free(top->elab_order);
	ts_model_free_otp(top->otp);
	ts_hjson_doc_free(top->doc);
	free(top);
}
