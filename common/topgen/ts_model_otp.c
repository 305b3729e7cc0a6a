#include "common/topgen/ts_model_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>

#include "common/topgen/ts_model_int.h"

/* The otp_ctrl module's memory map in the structure file: partitions, items, scrambling keys. */

/* Fills a fixed OTP value from its integer node. */
static ts_result
fixed_value(const struct ts_hjson_doc *doc, json_t *slot, struct ts_otp_value *v, const char *what)
{
	TS_AUTO(BIGNUM, BN_clear_free) bn = BN_secure_new();
	TS_ENSURE(bn != NULL, TS_ERR_NOMEM);
	if (!ts_hjson_is_int(slot)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, slot, "%s must be an integer or \"<random>\"", what);
	}
	TS_GUARD(ts_hjson_int_to_bn(slot, bn));
	if (BN_is_negative(bn) || (size_t)BN_num_bytes(bn) > v->bytes) {
		return ts_hjson_fail_at(TS_ERR_RANGE, doc, slot, "%s does not fit in %zu bytes", what, v->bytes);
	}
	TS_GUARD(ts_secret_new(&v->value, v->bytes));
	TS_ENSURE(BN_bn2binpad(bn, v->value.data, (int)v->bytes) == (int)v->bytes, TS_ERR_CRYPTO);
	return TS_OK;
}

/*
 * In the placeholder form "<random>" marks a draw.  In an OpenTitan secrets
 * file the values are outputs, and random_rule (spec §4.1) says which were
 * drawn; the others are fixed and kept.
 */
static ts_result
load_otp_value(const struct ts_top *top, json_t *holder, const char *key, size_t bytes, int random_rule,
	       struct ts_otp_value *v, const char *what)
{
	const struct ts_hjson_doc *doc = top->doc;
	v->slot = json_object_get(holder, key);
	v->bytes = bytes;
	if (v->slot == NULL) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, holder, "%s has no '%s'", what, key);
	}
	TS_ENSUREF(bytes > 0 && bytes <= TS_MODEL_MAX_OTP_BYTES, TS_ERR_RANGE, "%s: %s: size must be 1..%u bytes",
		   ts_hjson_name(doc), what, TS_MODEL_MAX_OTP_BYTES);
	v->random = top->placeholder_form ? ts_model_is_placeholder(v->slot) : random_rule;
	if (v->random) {
		return TS_OK;
	}
	return fixed_value(doc, v->slot, v, what);
}

static int
is_zero_int(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) == 0;
}

static ts_result
load_item(const struct ts_top *top, json_t *node, const char *part, struct ts_otp_item *it)
{
	const struct ts_hjson_doc *doc = top->doc;
	char what[192];
	int iszer;
	int ismubi;
	if (!json_is_object(node)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, node, "items of OTP partition '%s' must be objects", part);
	}
	(void)snprintf(what, sizeof(what), "an item of OTP partition '%s'", part);
	TS_GUARD(ts_model_get_str(doc, node, "name", what, &it->name));
	(void)snprintf(what, sizeof(what), "OTP item '%s'", it->name);
	TS_GUARD(ts_model_get_size(doc, node, "size", what, TS_MODEL_MAX_OTP_BYTES, &it->size));
	TS_GUARD(ts_model_get_size(doc, node, "offset", what, TS_MODEL_MAX_OTP_BYTES, &it->offset));
	TS_GUARD(ts_model_get_bool(doc, node, "isdigest", what, &it->isdigest));
	TS_GUARD(ts_model_get_bool(doc, node, "iszer", what, &iszer));
	TS_GUARD(ts_model_get_bool(doc, node, "ismubi", what, &ismubi));
	int rule = it->isdigest || (!iszer && !ismubi && !is_zero_int(json_object_get(node, "inv_default")));
	(void)snprintf(what, sizeof(what), "inv_default of OTP item '%s'", it->name);
	return load_otp_value(top, node, "inv_default", it->size, rule, &it->inv, what);
}

static ts_result
load_part(const struct ts_top *top, json_t *node, struct ts_otp_part *p)
{
	const struct ts_hjson_doc *doc = top->doc;
	char what[192];
	json_t *items;
	if (!json_is_object(node)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, node, "OTP partitions must be objects");
	}
	TS_GUARD(ts_model_get_str(doc, node, "name", "an OTP partition", &p->name));
	(void)snprintf(what, sizeof(what), "OTP partition '%s'", p->name);
	TS_GUARD(ts_model_get_size(doc, node, "size", what, TS_MODEL_MAX_OTP_BYTES, &p->size));
	TS_GUARD(ts_model_get_size(doc, node, "offset", what, TS_MODEL_MAX_OTP_BYTES, &p->offset));
	TS_GUARD(ts_model_get_array(doc, node, "items", what, &items));
	p->nitems = json_array_size(items);
	p->items = calloc(p->nitems ? p->nitems : 1, sizeof(*p->items));
	TS_ENSURE(p->items != NULL, TS_ERR_NOMEM);
	for (size_t i = 0; i < p->nitems; i++) {
		TS_GUARD(load_item(top, json_array_get(items, i), p->name, &p->items[i]));
	}
	return TS_OK;
}

static ts_result
load_scrambling(const struct ts_top *top, json_t *scr, struct ts_otp *o)
{
	const struct ts_hjson_doc *doc = top->doc;
	const char *what = "otp_mmap.scrambling";
	size_t ksz, ivsz, csz;
	json_t *keys, *digests;
	char w[192];
	const char *name;
	TS_GUARD(ts_model_get_size(doc, scr, "key_size", what, 4096, &ksz));
	TS_GUARD(ts_model_get_size(doc, scr, "iv_size", what, 4096, &ivsz));
	TS_GUARD(ts_model_get_size(doc, scr, "cnst_size", what, 4096, &csz));
	TS_GUARD(ts_model_get_array(doc, scr, "keys", what, &keys));
	TS_GUARD(ts_model_get_array(doc, scr, "digests", what, &digests));
	o->nkeys = json_array_size(keys);
	o->ndigests = json_array_size(digests);
	o->keys = calloc(o->nkeys + 1, sizeof(*o->keys));
	o->digests = calloc(o->ndigests + 1, sizeof(*o->digests));
	TS_ENSURE(o->keys != NULL && o->digests != NULL, TS_ERR_NOMEM);
	for (size_t i = 0; i < o->nkeys; i++) {
		json_t *k = json_array_get(keys, i);
		TS_ENSURE(json_is_object(k), TS_ERR_SCHEMA);
		TS_GUARD(ts_model_get_str(doc, k, "name", "a scrambling key", &name));
		(void)snprintf(w, sizeof(w), "scrambling key '%s'", name);
		TS_GUARD(load_otp_value(top, k, "value", ksz, 1, &o->keys[i].v, w));
	}
	for (size_t i = 0; i < o->ndigests; i++) {
		json_t *d = json_array_get(digests, i);
		TS_ENSURE(json_is_object(d), TS_ERR_SCHEMA);
		TS_GUARD(ts_model_get_str(doc, d, "name", "a scrambling digest", &name));
		(void)snprintf(w, sizeof(w), "scrambling digest '%s'", name);
		TS_GUARD(load_otp_value(top, d, "iv_value", ivsz, 1, &o->digests[i].iv, w));
		TS_GUARD(load_otp_value(top, d, "cnst_value", csz, 1, &o->digests[i].cnst, w));
	}
	return TS_OK;
}

ts_result
ts_model_load_otp(struct ts_top *top, size_t module, json_t *mmap)
{
	const struct ts_hjson_doc *doc = top->doc;
	json_t *scr, *parts;
	if (top->otp != NULL) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, mmap, "only one module may hold an otp_mmap");
	}
	if (!json_is_object(mmap)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, mmap, "otp_mmap must be an object");
	}
	struct ts_otp *o = calloc(1, sizeof(*o));
	TS_ENSURE(o != NULL, TS_ERR_NOMEM);
	top->otp = o;
	o->node = mmap;
	o->module = module;
	scr = json_object_get(mmap, "scrambling");
	if (!json_is_object(scr)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, mmap, "otp_mmap needs a 'scrambling' object");
	}
	TS_GUARD(load_scrambling(top, scr, o));
	TS_GUARD(ts_model_get_array(doc, mmap, "partitions", "otp_mmap", &parts));
	o->nparts = json_array_size(parts);
	o->parts = calloc(o->nparts + 1, sizeof(*o->parts));
	TS_ENSURE(o->parts != NULL, TS_ERR_NOMEM);
	for (size_t i = 0; i < o->nparts; i++) {
		TS_GUARD(load_part(top, json_array_get(parts, i), &o->parts[i]));
	}
	return TS_OK;
}

void
ts_model_free_otp(struct ts_otp *o)
{
	if (o == NULL) {
		return;
	}
	for (size_t i = 0; o->keys != NULL && i < o->nkeys; i++) {
		ts_secret_free(&o->keys[i].v.value);
	}
	for (size_t i = 0; o->digests != NULL && i < o->ndigests; i++) {
		ts_secret_free(&o->digests[i].iv.value);
		ts_secret_free(&o->digests[i].cnst.value);
	}
	for (size_t i = 0; o->parts != NULL && i < o->nparts; i++) {
		for (size_t j = 0; o->parts[i].items != NULL && j < o->parts[i].nitems; j++) {
			ts_secret_free(&o->parts[i].items[j].inv.value);
		}
		free(o->parts[i].items);
	}
	free(o->keys);
	free(o->digests);
	free(o->parts);
	free(o);
}
