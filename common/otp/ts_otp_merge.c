#include "common/otp/ts_otp_img_int.h"

/* The image configuration: item values (§6) merged from a base file and overlays into one image. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "common/base/ts_hex.h"
#include "common/otp/ts_otp_img_int.h"
#include "common/otp/ts_present.h"
#include "common/topgen/ts_drbg.h"

enum hex_result { HEX_BAD, HEX_OK, HEX_TOO_LARGE };

/* Python int(s, 16) after white space is removed: sign, optional 0x, '_' between digits. */
static enum hex_result
parse_hex(const char *src, uint8_t *le, size_t cap)
{
	char s[4096];
	size_t n = 0;
	for (const char *p = src; *p != '\0'; p++) {
		if (*p != ' ' && *p != '\r' && *p != '\n' && *p != '\t') {
			if (n + 1 >= sizeof(s)) {
				return HEX_BAD;
			}
			s[n++] = *p;
		}
	}
	s[n] = '\0';
	const char *p = s;
	if (*p == '+') {
		p++;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		if (*p == '_') {
			p++;
		}
	}
	size_t len = strlen(p);
	if (len == 0 || p[0] == '_' || p[len - 1] == '_' || strstr(p, "__") != NULL) {
		return HEX_BAD;
	}
	memset(le, 0, cap);
	size_t bit = 0;
	for (size_t i = len; i-- > 0;) {
		if (p[i] == '_') {
			continue;
		}
		int h = ts_hex_value(p[i]);
		if (h == TS_HEX_INVALID) {
			return HEX_BAD;
		}
		if (h != 0 && bit / 8 >= cap) {
			return HEX_TOO_LARGE;
		}
		if (bit / 8 < cap) {
			le[bit / 8] |= (uint8_t)(h << (bit % 8));
		}
		bit += 4;
	}
	return HEX_OK;
}

static int
fits(const uint8_t *le, size_t cap, size_t size)
{
	for (size_t i = size; i < cap; i++) {
		if (le[i] != 0) {
			return 0;
		}
	}
	return 1;
}

/* A hex string, or a list of them OR-ed at 32-bit strides (§7.2), into the item's bytes. */
static ts_result
hex_value(const struct ts_hjson_doc *doc, json_t *v, const struct ts_mm_item *it, struct ts_secret *out)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 1;
	size_t cap = (4 * n > it->size ? 4 * n : it->size) + 64;
	TS_SECRET(acc);
	TS_SECRET(tmp);
	TS_GUARD(ts_secret_new(&acc, cap));
	TS_GUARD(ts_secret_new(&tmp, cap));
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
		enum hex_result ok = json_is_string(e) && !ts_hjson_is_int(e) ? parse_hex(json_string_value(e), tmp.data, cap)
									       : HEX_BAD;
		if (ok == HEX_OK && !fits(tmp.data, cap, cap - 4 * i)) {
			ok = HEX_TOO_LARGE;
		}
		if (ok != HEX_OK) {
			return ts_hjson_fail_at(ok == HEX_BAD ? TS_ERR_SCHEMA : TS_ERR_RANGE, doc, e, "item %s: %s", it->name,
						ok == HEX_BAD ? "value must be a hex string or a list of them"
							      : "value does not fit in the item");
		}
		for (size_t b = 0; b + 4 * i < cap; b++) {
			acc.data[b + 4 * i] |= tmp.data[b];
		}
	}
	if (!fits(acc.data, cap, it->size)) {
		return ts_hjson_fail_at(TS_ERR_RANGE, doc, v, "item %s: value does not fit in %zu bytes", it->name, it->size);
	}
	TS_GUARD(ts_secret_new(out, it->size));
	memcpy(out->data, acc.data, it->size);
	return TS_OK;
}

static int
bool_value(json_t *v, int *out)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 1;
	}
	if (json_is_string(v) && (strcasecmp(json_string_value(v), "true") == 0 ||
				  strcasecmp(json_string_value(v), "false") == 0)) {
		*out = strcasecmp(json_string_value(v), "true") == 0;
		return 1;
	}
	return 0;
}

/* Multi-bit boolean of 8*size bits: nibbles alternate from the LSB, true = ...9696, false = ...6969. */
static ts_result
mubi_value(const struct ts_hjson_doc *doc, json_t *v, const struct ts_mm_item *it, struct ts_secret *out)
{
	int b = 0;
	if (v != NULL && !bool_value(v, &b)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "mubi item %s takes true or false", it->name);
	}
	TS_GUARD(ts_secret_new(out, it->size));
	memset(out->data, b ? 0x96 : 0x69, it->size);
	return TS_OK;
}

static ts_result
random_value(struct img *im, const struct ts_mm_item *it, struct ts_secret *out)
{
	TS_ENSUREF(im->d != NULL, TS_ERR_USAGE, "item %s is \"<random>\": give the top's secrets file (its otp_img_seed)",
		   it->name);
	TS_SECRET(be);
	TS_GUARD(ts_drbg_getrandbits(im->d, 8 * it->size, &be));
	TS_GUARD(ts_secret_new(out, it->size));
	for (size_t i = 0; i < it->size; i++) {
		out->data[i] = be.data[it->size - 1 - i]; /* the first draw byte is the top byte */
	}
	return TS_OK;
}

static ts_result
check_keys(const struct ts_hjson_doc *doc, json_t *obj, const char *const *allowed, const char *what)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		int ok = 0;
		for (size_t i = 0; allowed[i] != NULL && !ok; i++) {
			ok = strcmp(k, allowed[i]) == 0;
		}
		if (!ok) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "unused key '%s' in %s", k, what);
		}
	}
	return TS_OK;
}

static size_t
item_index(const struct img *im, const struct ts_mm_part *p, const struct ts_mm_item *it)
{
	return im->first[(size_t)(p - im->g->map->parts)] + (size_t)(it - p->items);
}

static ts_result
merge_item(struct img *im, const struct ts_hjson_doc *doc, const struct ts_mm_part *p, json_t *ij)
{
	static const char *const keys[] = { "name", "value", NULL };
	json_t *name = json_object_get(ij, "name");
	if (!json_is_object(ij) || !json_is_string(name)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, ij, "items of %s need a name", p->name);
	}
	TS_GUARD(check_keys(doc, ij, keys, "an item"));
	const struct ts_mm_item *it = ts_mmap_item(p, json_string_value(name));
	if (it == NULL) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, name, "partition %s has no item %s", p->name,
					json_string_value(name));
	}
	struct ts_secret *slot = &im->vals[item_index(im, p, it)];
	json_t *v = json_object_get(ij, "value");
	TS_SECRET(val);
	if (it->ismubi) {
		TS_GUARD(mubi_value(doc, v, it, &val));
	} else if (strcmp(it->name, "SOC_DBG_STATE") == 0) {
		TS_GUARD(ts_secret_new(&val, it->size));
		if (!json_is_string(v)) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, ij, "SOC_DBG_STATE takes a state name");
		}
		TS_GUARD(ts_lcenc_encode(im->g->lc, TS_LC_SOC_DBG, json_string_value(v), val.data, val.len));
	} else if (json_is_string(v) && strcmp(json_string_value(v), "<random>") == 0) {
		TS_GUARD(random_value(im, it, &val));
	} else if (v == NULL) {
		TS_GUARD(ts_secret_new(&val, it->size));
	} else {
		TS_GUARD(hex_value(doc, v, it, &val));
	}
	ts_secret_move(slot, &val);
	return TS_OK;
}

static ts_result
lc_count(const struct ts_hjson_doc *doc, json_t *v, unsigned long *count)
{
	char *end = NULL;
	*count = 0;
	if (v == NULL) {
		return TS_OK;
	}
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*count = (unsigned long)json_integer_value(v);
		return TS_OK;
	}
	if (json_is_string(v) && !ts_hjson_is_int(v) && json_string_value(v)[0] != '\0') {
		*count = strtoul(json_string_value(v), &end, 10);
		if (*end == '\0') {
			return TS_OK;
		}
	}
	return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "LIFE_CYCLE count must be a non-negative integer");
}

/* §7.1 LIFE_CYCLE: state and count become the LC_STATE and LC_TRANSITION_CNT items. */
static ts_result
merge_life_cycle(struct img *im, const struct ts_hjson_doc *doc, const struct ts_mm_part *p, json_t *pj)
{
	json_t *st = json_object_get(pj, "state");
	json_t *items = json_object_get(pj, "items");
	unsigned long count;
	char cnt[24];
	const char *state = st == NULL ? "RAW" : json_is_string(st) ? json_string_value(st) : NULL;
	if (state == NULL || strlen(state) >= sizeof(im->lc_state)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, st, "LIFE_CYCLE state must be a state name");
	}
	TS_GUARD(lc_count(doc, json_object_get(pj, "count"), &count));
	if (items != NULL && (!json_is_array(items) || json_array_size(items) != 0)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, items, "LIFE_CYCLE takes state and count, not items");
	}
	if (count == 0 && strcmp(state, "RAW") != 0) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, pj, "LIFE_CYCLE state %s needs a count above 0", state);
	}
	(void)snprintf(im->lc_state, sizeof(im->lc_state), "%s", state);
	(void)snprintf(cnt, sizeof(cnt), "%lu", count);
	const struct ts_mm_item *s_it = ts_mmap_item(p, "LC_STATE");
	const struct ts_mm_item *c_it = ts_mmap_item(p, "LC_TRANSITION_CNT");
	TS_ENSUREF(s_it != NULL && c_it != NULL, TS_ERR_SCHEMA, "partition %s lacks LC_STATE or LC_TRANSITION_CNT", p->name);
	struct ts_secret *sv = &im->vals[item_index(im, p, s_it)];
	struct ts_secret *cv = &im->vals[item_index(im, p, c_it)];
	ts_secret_free(sv);
	ts_secret_free(cv);
	TS_GUARD(ts_secret_new(sv, s_it->size));
	TS_GUARD(ts_secret_new(cv, c_it->size));
	TS_GUARD(ts_lcenc_encode(im->g->lc, TS_LC_STATE, state, sv->data, sv->len));
	ts_result r = ts_lcenc_encode(im->g->lc, TS_LC_CNT, cnt, cv->data, cv->len);
	if (r.code != 0) {
		ts_error_clear();
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, pj, "LIFE_CYCLE count %lu is not defined in lc_cnt", count);
	}
	return TS_OK;
}

static ts_result
merge_part(struct img *im, const struct ts_hjson_doc *doc, json_t *pj)
{
	static const char *const keys[] = { "name", "items", "lock", NULL };
	static const char *const lc_keys[] = { "name", "items", "lock", "state", "count", NULL };
	json_t *name = json_object_get(pj, "name");
	if (!json_is_object(pj) || !json_is_string(name)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, pj, "each partition entry needs a name");
	}
	struct ts_mm_part *p = ts_mmap_part(im->g->map, json_string_value(name));
	if (p == NULL) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, name, "no partition %s in the memory map", json_string_value(name));
	}
	int is_lc = strcmp(p->variant, "LifeCycle") == 0;
	TS_GUARD(check_keys(doc, pj, is_lc ? lc_keys : keys, p->name));
	json_t *lock = json_object_get(pj, "lock");
	int locked = 0;
	if (lock != NULL && !bool_value(lock, &locked)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, lock, "lock of %s must be true or false", p->name);
	}
	if (locked && (!p->hw_digest || is_lc)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, lock, "partition %s has no hardware digest and cannot be locked",
					p->name);
	}
	if (lock != NULL) {
		im->locked[(size_t)(p - im->g->map->parts)] = (uint8_t)locked; /* sticky: only a lock key changes it */
	}
	if (is_lc) {
		return merge_life_cycle(im, doc, p, pj);
	}
	json_t *items = json_object_get(pj, "items");
	if (items != NULL && !json_is_array(items)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, items, "items of %s must be a list", p->name);
	}
	size_t i;
	json_t *ij;
	json_array_foreach(items, i, ij) {
		TS_GUARD(merge_item(im, doc, p, ij));
	}
	return TS_OK;
}

ts_result
ts_otp_img_merge(struct img *im, const char *path, int base)
{
	static const char *const base_keys[] = { "partitions", "seed", NULL };
	static const char *const add_keys[] = { "partitions", NULL };
	TS_AUTO(struct ts_hjson_doc, ts_hjson_doc_free) doc = NULL;
	TS_GUARD(ts_hjson_load(path, &doc));
	json_t *root = ts_hjson_root(doc);
	if (!json_is_object(root)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, root, "an image configuration is an object");
	}
	TS_GUARD(check_keys(doc, root, base ? base_keys : add_keys, "the configuration"));
	json_t *parts = json_object_get(root, "partitions");
	if (!json_is_array(parts)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, root, "the configuration needs a 'partitions' list");
	}
	size_t i;
	json_t *pj;
	json_array_foreach(parts, i, pj) {
		TS_GUARD(merge_part(im, doc, pj));
	}
	return TS_OK;
}
