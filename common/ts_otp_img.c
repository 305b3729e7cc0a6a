#include "common/ts_otp_img.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "common/ts_drbg.h"
#include "common/ts_hex.h"
#include "common/ts_present.h"

#define MAX_KEYS 16
#define BLK 8

struct ts_otpgen {
	struct ts_mmap *map;
	struct ts_lcenc *lc;
	char key_names[MAX_KEYS][64];
	size_t nkeys;
	struct ts_secret keys;   /* per key: hi, lo as uint64_t */
	struct ts_secret digest; /* iv, cnst_hi, cnst_lo as uint64_t */
	struct ts_secret seed;   /* otp_img_seed, 32 bytes big-endian */
};

/* One image being built: the merged item values and partition locks. */
struct img {
	struct ts_otpgen *g;
	struct ts_drbg *d;
	size_t *first;          /* index of each partition's first item */
	size_t nitems;
	struct ts_secret *vals; /* little-endian, item size; data == NULL when undefined */
	uint8_t *locked;
	char lc_state[64];
	const char *file;       /* the configuration being merged, for messages */
	int base;
};

static uint64_t *
u64s(const struct ts_secret *s)
{
	return (uint64_t *)(void *)s->data;
}

/* A non-negative integer node into a big-endian secret of len bytes. */
static ts_result
int_to_be(const struct ts_hjson_doc *doc, json_t *v, size_t len, const char *what, uint8_t *out)
{
	TS_AUTO(BIGNUM, BN_clear_free) bn = BN_secure_new();
	TS_ENSURE(bn != NULL, TS_ERR_NOMEM);
	if (!ts_hjson_is_int(v) || ts_hjson_int_to_bn(v, bn).code != 0 || BN_is_negative(bn) ||
	    (size_t)BN_num_bytes(bn) > len) {
		ts_error_clear();
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "%s must be an integer of at most %zu bytes", what, len);
	}
	TS_ENSURE(BN_bn2binpad(bn, out, (int)len) == (int)len, TS_ERR_CRYPTO);
	return TS_OK;
}

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) {
		v = v << 8 | p[i];
	}
	return v;
}

static ts_result
check_modes(const struct ts_hjson_doc *doc, json_t *seed, const char *mode)
{
	const char *k;
	json_t *v;
	if (!json_is_object(seed)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, ts_hjson_root(doc), "the secrets file has no 'seed' object");
	}
	json_object_foreach(seed, k, v) {
		json_t *m = json_object_get(v, "seed_mode");
		if (!json_is_string(m) || strcmp(json_string_value(m), mode) != 0) {
			return ts_hjson_fail_at(TS_ERR_MODE, doc, m != NULL ? m : v,
						"%s is not in seed mode '%s'; %s", k, mode,
						strcmp(mode, "testing") == 0
							? "tapeout images come from tapeseal-secure"
							: "tapeseal-secure only builds images from tapeout secrets");
		}
	}
	return TS_OK;
}

static json_t *
otp_scrambling(json_t *root)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(root, "module"), i, m) {
		json_t *tt = json_object_get(m, "template_type");
		if (json_is_string(tt) && strcmp(json_string_value(tt), "otp_ctrl") == 0) {
			return json_object_get(json_object_get(m, "otp_mmap"), "scrambling");
		}
	}
	return NULL;
}

static ts_result
load_keys(struct ts_otpgen *g, const struct ts_hjson_doc *doc, json_t *scr)
{
	json_t *keys = json_object_get(scr, "keys");
	json_t *d0 = json_array_get(json_object_get(scr, "digests"), 0);
	uint8_t b[16];
	if (!json_is_array(keys) || json_array_size(keys) > MAX_KEYS || !json_is_object(d0)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, scr, "otp_mmap.scrambling needs keys and digests");
	}
	g->nkeys = json_array_size(keys);
	TS_GUARD(ts_secret_new(&g->keys, 16 * (g->nkeys ? g->nkeys : 1)));
	TS_GUARD(ts_secret_new(&g->digest, 24));
	for (size_t i = 0; i < g->nkeys; i++) {
		json_t *k = json_array_get(keys, i);
		json_t *name = json_object_get(k, "name");
		if (!json_is_string(name) || json_string_length(name) >= sizeof(g->key_names[i])) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, k, "each scrambling key needs a name");
		}
		(void)snprintf(g->key_names[i], sizeof(g->key_names[i]), "%s", json_string_value(name));
		TS_GUARD(int_to_be(doc, json_object_get(k, "value"), 16, "a scrambling key", b));
		u64s(&g->keys)[2 * i] = be64(b);
		u64s(&g->keys)[2 * i + 1] = be64(b + 8);
	}
	TS_GUARD(int_to_be(doc, json_object_get(d0, "iv_value"), 8, "the digest IV", b));
	u64s(&g->digest)[0] = be64(b);
	TS_GUARD(int_to_be(doc, json_object_get(d0, "cnst_value"), 16, "the digest constant", b));
	u64s(&g->digest)[1] = be64(b);
	u64s(&g->digest)[2] = be64(b + 8);
	OPENSSL_cleanse(b, sizeof(b));
	return TS_OK;
}

static ts_result
load_secrets(struct ts_otpgen *g, const char *path, const char *mode)
{
	TS_AUTO(struct ts_hjson_doc, ts_hjson_doc_free) doc = NULL;
	TS_GUARD(ts_hjson_load(path, &doc));
	json_t *root = ts_hjson_root(doc);
	json_t *seed = json_object_get(root, "seed");
	TS_GUARD(check_modes(doc, seed, mode));
	json_t *v = json_object_get(json_object_get(seed, "otp_img_seed"), "value");
	if (v == NULL) {
		return ts_hjson_fail_at(TS_ERR_SEED, doc, seed, "the secrets file has no otp_img_seed");
	}
	TS_GUARD(ts_secret_new(&g->seed, 32));
	TS_GUARD(int_to_be(doc, v, 32, "otp_img_seed", g->seed.data));
	json_t *scr = otp_scrambling(root);
	if (scr == NULL) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, root, "no module with template_type otp_ctrl holds otp_mmap.scrambling");
	}
	return load_keys(g, doc, scr);
}

ts_result
ts_otpgen_load(const char *mmap, const char *secrets, const char *lc_state, const char *mode,
	       struct ts_otpgen **out)
{
	TS_ENSURE(mmap != NULL && lc_state != NULL && mode != NULL && out != NULL, TS_ERR_NULL);
	struct ts_otpgen *g = calloc(1, sizeof(*g));
	TS_ENSURE(g != NULL, TS_ERR_NOMEM);
	ts_result r = ts_mmap_load(mmap, &g->map);
	r = r.code ? r : ts_lcenc_load(lc_state, &g->lc);
	r = r.code || secrets == NULL ? r : load_secrets(g, secrets, mode);
	if (r.code != 0) {
		ts_otpgen_free(g);
		return r;
	}
	*out = g;
	return TS_OK;
}

void
ts_otpgen_free(struct ts_otpgen *g)
{
	if (g == NULL) {
		return;
	}
	ts_mmap_free(g->map);
	ts_lcenc_free(g->lc);
	ts_secret_free(&g->keys);
	ts_secret_free(&g->digest);
	ts_secret_free(&g->seed);
	free(g);
}

const struct ts_mmap *
ts_otpgen_map(const struct ts_otpgen *g)
{
	return g->map;
}

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

static ts_result
merge_file(struct img *im, const char *path, int base)
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

static ts_result
part_key(const struct ts_otpgen *g, const struct ts_mm_part *p, uint64_t *hi, uint64_t *lo)
{
	for (size_t i = 0; i < g->nkeys; i++) {
		if (strcmp(g->key_names[i], p->key_sel) == 0) {
			*hi = u64s(&g->keys)[2 * i];
			*lo = u64s(&g->keys)[2 * i + 1];
			return TS_OK;
		}
	}
	TS_BAILF(TS_ERR_SCHEMA, "partition %s: its key_sel %s is not among the scrambling keys of the secrets file%s",
		 p->name, p->key_sel, g->seed.data == NULL ? " (none was given)" : "");
}

/* §8: one partition's bytes, scrambled and digested, into the image at its offset. */
static ts_result
stream_part(const struct img *im, size_t pi, uint8_t *image, uint8_t *defined)
{
	const struct ts_mm_part *p = &im->g->map->parts[pi];
	size_t nb = p->size / BLK;
	TS_SECRET(blk);
	TS_GUARD(ts_secret_new(&blk, nb * sizeof(uint64_t) + 1));
	uint64_t *b = u64s(&blk);
	uint8_t *bytes = image + p->offset;
	for (size_t j = 0; j < p->nitems; j++) {
		const struct ts_secret *v = &im->vals[im->first[pi] + j];
		size_t o = p->items[j].offset - p->offset;
		if (v->data != NULL) {
			memcpy(bytes + o, v->data, v->len);
			memset(defined + p->offset + o, 1, v->len);
		}
	}
	for (size_t k = 0; k < nb; k++) {
		for (int i = 7; i >= 0; i--) {
			b[k] = b[k] << 8 | bytes[8 * k + (size_t)i];
		}
	}
	if (p->secret) {
		uint64_t hi = 0, lo = 0;
		TS_GUARD(part_key(im->g, p, &hi, &lo));
		for (size_t k = 0; k < nb; k++) {
			int any = 0;
			for (size_t i = 0; i < BLK; i++) {
				any |= defined[p->offset + 8 * k + i];
			}
			b[k] = any ? ts_present128_encrypt(hi, lo, b[k]) : b[k]; /* undefined blocks stay as they are */
		}
	}
	if (p->hw_digest) {
		size_t di = nb - 1 - (p->zeroizable ? 1 : 0);
		TS_ENSUREF(b[di] == 0, TS_ERR_SCHEMA, "partition %s: a configuration set its digest item; the digest is "
			   "computed when the partition is locked", p->name);
		if (im->locked[pi]) {
			const uint64_t *d = u64s(&im->g->digest);
			b[di] = ts_otp_digest(b, di, d[0], d[1], d[2]);
		}
	}
	for (size_t k = 0; k < nb; k++) {
		for (size_t i = 0; i < BLK; i++) {
			bytes[8 * k + i] = (uint8_t)(b[k] >> (8 * i));
		}
	}
	return TS_OK;
}

static void
annotation(const struct img *im, long a, char *out, size_t len)
{
	if (a == -2) {
		out[0] = '\0';
	} else if (a == -1) {
		(void)snprintf(out, len, "unallocated");
	} else {
		const struct ts_mmap *m = im->g->map;
		size_t pi = 0;
		while (pi + 1 < m->nparts && im->first[pi + 1] <= (size_t)a) {
			pi++;
		}
		(void)snprintf(out, len, "%s: %s", m->parts[pi].name, m->parts[pi].items[(size_t)a - im->first[pi]].name);
	}
}

static void
annotate(const struct img *im, long *annot)
{
	const struct ts_mmap *m = im->g->map;
	for (size_t i = 0; i < m->size; i++) {
		annot[i] = -2;
	}
	for (size_t pi = 0; pi < m->nparts; pi++) {
		const struct ts_mm_part *p = &m->parts[pi];
		for (size_t i = 0; i < p->size; i++) {
			annot[p->offset + i] = -1;
		}
		for (size_t j = 0; j < p->nitems; j++) {
			for (size_t k = 0; k < p->items[j].size; k++) {
				annot[p->items[j].offset + k] = (long)(im->first[pi] + j);
			}
		}
	}
}

ts_result
ts_otp_data_perm(const char *spec, unsigned perm[24])
{
	unsigned out[24];
	size_t n = 0;
	int seen[24] = { 0 };
	const char *s = spec != NULL ? spec : "";
	while (*s != '\0') {
		unsigned a, b;
		int used = 0;
		TS_ENSUREF(sscanf(s, "[%u:%u]%n", &a, &b, &used) == 2 && used > 0 && a < 24 && b < 24, TS_ERR_USAGE,
			   "--data-perm '%s': expected [a:b] slices of bits 0..23", spec);
		unsigned cnt = (a > b ? a - b : b - a) + 1;
		TS_ENSUREF(n + cnt <= 24, TS_ERR_USAGE, "--data-perm '%s' is not a permutation of 24 bits", spec);
		memmove(out + cnt, out, n * sizeof(unsigned)); /* each slice goes in front: the last ends at the LSBs */
		for (unsigned k = 0; k < cnt; k++) {
			out[k] = a > b ? b + k : b - k;
		}
		n += cnt;
		s += used;
		s += *s == ',';
	}
	for (unsigned i = 0; i < 24; i++) {
		perm[i] = n == 0 ? i : out[i];
		TS_ENSUREF(n == 0 || n == 24, TS_ERR_USAGE, "--data-perm '%s' is not a permutation of 24 bits", spec);
		TS_ENSUREF(!seen[perm[i]]++, TS_ERR_USAGE, "--data-perm '%s' is not a permutation of 24 bits", spec);
	}
	return TS_OK;
}

static uint32_t
permute(uint32_t w, const unsigned perm[24])
{
	uint32_t r = 0;
	for (unsigned i = 0; i < 24; i++) {
		r |= ((w >> perm[i]) & 1u) << i;
	}
	return r;
}

/* §10.4: the .vmem text, without a newline at the end. */
static ts_result
write_vmem(const struct img *im, const uint8_t *image, const long *annot, const unsigned perm[24], struct ts_buf *out)
{
	const struct ts_mmap *m = im->g->map;
	char a1[200], a2[200];
	static const char hex[] = "0123456789abcdef";
	char line[24];
	TS_GUARD(ts_buf_printf(out, "//\n// OTP MEM file with %zu x 24bit layout\n", m->size / 2));
	for (size_t w = 0; w < m->size / 2; w++) {
		uint32_t cw = permute(ts_lcenc_ecc(im->g->lc, (uint32_t)(image[2 * w] | image[2 * w + 1] << 8)), perm);
		/* "@%06x %06x // " without printf: this loop runs once per OTP word. */
		size_t n = 0;
		if (w > 0) {
			line[n++] = '\n';
		}
		line[n++] = '@';
		for (int k = 5; k >= 0; k--) {
			line[n++] = hex[(w >> (4 * k)) & 0xf];
		}
		line[n++] = ' ';
		for (int k = 5; k >= 0; k--) {
			line[n++] = hex[(cw >> (4 * k)) & 0xf];
		}
		memcpy(line + n, " // ", 4);
		TS_GUARD(ts_buf_append(out, line, n + 4));
		annotation(im, annot[2 * w], a1, sizeof(a1));
		annotation(im, annot[2 * w + 1], a2, sizeof(a2));
		int cmp = strcmp(a1, a2);
		TS_GUARD(ts_buf_puts(out, cmp <= 0 ? a1 : a2));
		if (cmp != 0) {
			TS_GUARD(ts_buf_puts(out, ", "));
			TS_GUARD(ts_buf_puts(out, cmp < 0 ? a2 : a1));
		}
	}
	return TS_OK;
}

static const char c_header[] =
	"// Copyright lowRISC contributors (OpenTitan project).\n"
	"// Licensed under the Apache License, Version 2.0, see LICENSE for details.\n"
	"// SPDX-License-Identifier: Apache-2.0\n"
	"//\n//\n\n"
	"// AUTOGENERATED. Do not edit this file by hand.\n"
	"// See util/design/README.md section \"OTP Preload Image Generator\" for details.\n\n"
	"#include <stddef.h>\n\n"
	"// See the following include file for details on the types used in this file.\n"
	"#include \"sw/device/silicon_creator/manuf/lib/otp_img_types.h\"\n\n"
	"#include \"hw/top/otp_ctrl_regs.h\"  // Generated.\n\n\n\n"
	"// OTP values\n";

/* Items declared without `static` (upstream template, spec §12). */
static const char *const non_static[] = {
	"CREATOR_SW_CFG_IMMUTABLE_ROM_EXT_EN", "CREATOR_SW_CFG_NVM_DATA_DEFAULT_CFG",
	"CREATOR_SW_CFG_NVM_INFO_BOOT_DATA_CFG", "CREATOR_SW_CFG_MANUF_STATE", "OWNER_SW_CFG_ROM_BOOTSTRAP_DIS",
};

static void
pascal(const char *name, char *out, size_t len)
{
	size_t n = 0;
	int up = 1;
	for (const char *c = name; *c != '\0' && n + 1 < len; c++) {
		if (*c == '_') {
			up = 1;
			continue;
		}
		out[n++] = up ? (char)toupper((unsigned char)*c) : (char)tolower((unsigned char)*c);
		up = 0;
	}
	out[n] = '\0';
}

static size_t
word_size(const struct ts_mm_part *p)
{
	return p->secret ? 8 : 4;
}

static int
selected(const struct img *im, size_t pi, size_t j)
{
	const struct ts_mm_part *p = &im->g->map->parts[pi];
	return im->vals[im->first[pi] + j].data != NULL && p->items[j].size >= word_size(p);
}

static ts_result
c_words(struct ts_buf *out, const struct ts_secret *v, size_t a, size_t k)
{
	for (size_t w = 0; w < k; w++) {
		uint64_t x = 0;
		for (size_t i = a; i-- > 0;) {
			x = x << 8 | v->data[w * a + i];
		}
		const char *sep = w + 1 == k ? (k > 4 ? "," : "") : (k > 4 && w % 4 == 3) ? ",\n" : ", ";
		TS_GUARD(ts_buf_printf(out, "0x%0*llx%s", (int)(2 * a), (unsigned long long)x, sep));
	}
	return TS_OK;
}

static ts_result
c_declare(const struct img *im, size_t pi, size_t j, struct ts_buf *out)
{
	const struct ts_mm_part *p = &im->g->map->parts[pi];
	const struct ts_mm_item *it = &p->items[j];
	size_t a = word_size(p);
	size_t k = it->size / a;
	char ic[128];
	int st = 1;
	TS_ENSUREF(it->size % a == 0, TS_ERR_SCHEMA, "item %s: %zu bytes is not a multiple of %zu for the C output",
		   it->name, it->size, a);
	for (size_t i = 0; i < sizeof(non_static) / sizeof(non_static[0]); i++) {
		st &= strcmp(it->name, non_static[i]) != 0;
	}
	pascal(it->name, ic, sizeof(ic));
	TS_GUARD(ts_buf_printf(out, "%sconst uint%d_t k%sValue%s = ", st ? "static " : "", a == 8 ? 64 : 32, ic,
			       k == 1 ? "" : "[]"));
	TS_GUARD(ts_buf_puts(out, k == 1 ? "" : "{\n"));
	TS_GUARD(c_words(out, &im->vals[im->first[pi] + j], a, k));
	return ts_buf_puts(out, k == 1 ? ";\n" : "\n};\n");
}

static ts_result
c_entry(const struct img *im, size_t pi, size_t j, struct ts_buf *out)
{
	const struct ts_mm_part *p = &im->g->map->parts[pi];
	const struct ts_mm_item *it = &p->items[j];
	size_t a = word_size(p);
	size_t k = it->size / a;
	char ic[128], off[160];
	pascal(it->name, ic, sizeof(ic));
	if (strcmp(it->name, "ROT_CREATOR_AUTH_CODESIGN_BLOCK_SHA2_256_HASH") == 0) {
		(void)snprintf(off, sizeof(off), "ROTCREATORAUTHCODESIGNBLOCKSHA2_256HASHOFFSET");
	} else {
		(void)snprintf(off, sizeof(off), "%s_OFFSET", it->name);
	}
	return ts_buf_printf(out,
			     "  {\n    .type = kOptValTypeUint%dBuff,\n    .offset = OTP_CTRL_PARAM_%s,\n"
			     "    .num_values = %zu,\n    .value%d = %sk%sValue,\n  },\n",
			     a == 8 ? 64 : 32, off, k, a == 8 ? 64 : 32, k == 1 ? "&" : "", ic);
}

static size_t
count_selected(const struct img *im, size_t pi)
{
	size_t n = 0;
	const struct ts_mm_part *p = &im->g->map->parts[pi];
	for (size_t j = 0; !p->skip_sw_header && j < p->nitems; j++) {
		n += (size_t)selected(im, pi, j);
	}
	return n;
}

/* §12: the C file from the merged (unscrambled) item values. */
static ts_result
write_c(const struct img *im, struct ts_buf *out)
{
	const struct ts_mmap *m = im->g->map;
	char pc[96];
	TS_GUARD(ts_buf_puts(out, c_header));
	for (size_t pi = 0; pi < m->nparts; pi++) {
		if (count_selected(im, pi) == 0) {
			continue;
		}
		TS_GUARD(ts_buf_printf(out, "\n// Partition %s values\n", m->parts[pi].name));
		for (size_t j = 0; j < m->parts[pi].nitems; j++) {
			if (selected(im, pi, j)) {
				TS_GUARD(c_declare(im, pi, j, out));
			}
		}
	}
	TS_GUARD(ts_buf_puts(out, "\n// Partition definitions.\n\n"));
	for (size_t pi = 0; pi < m->nparts; pi++) {
		size_t n = count_selected(im, pi);
		if (n == 0) {
			continue;
		}
		pascal(m->parts[pi].name, pc, sizeof(pc));
		TS_GUARD(ts_buf_printf(out, "\n// Partition %s\nconst size_t kOtpKv%sSize = %zu;\nconst otp_kv_t kOtpKv%s[] = {\n",
				       m->parts[pi].name, pc, n, pc));
		for (size_t j = 0; j < m->parts[pi].nitems; j++) {
			if (selected(im, pi, j)) {
				TS_GUARD(c_entry(im, pi, j, out));
			}
		}
		TS_GUARD(ts_buf_puts(out, "};\n"));
	}
	return TS_OK;
}

static void
img_free(struct img *im)
{
	for (size_t i = 0; im->vals != NULL && i < im->nitems; i++) {
		ts_secret_free(&im->vals[i]);
	}
	free(im->vals);
	free(im->first);
	free(im->locked);
	ts_drbg_free(im->d);
}

static ts_result
img_init(struct img *im, struct ts_otpgen *g)
{
	const struct ts_mmap *m = g->map;
	memset(im, 0, sizeof(*im));
	im->g = g;
	im->first = calloc(m->nparts, sizeof(*im->first));
	im->locked = calloc(m->nparts, 1);
	TS_ENSURE(im->first != NULL && im->locked != NULL, TS_ERR_NOMEM);
	for (size_t i = 0; i < m->nparts; i++) {
		im->first[i] = im->nitems;
		im->nitems += m->parts[i].nitems;
	}
	im->vals = calloc(im->nitems, sizeof(*im->vals));
	TS_ENSURE(im->vals != NULL, TS_ERR_NOMEM);
	(void)snprintf(im->lc_state, sizeof(im->lc_state), "RAW");
	return g->seed.data != NULL ? ts_drbg_new(&g->seed, &im->d) : TS_OK; /* a fresh otpmemimg DRBG per image */
}

/* §7.5: SECRET2 may only be locked in a state where the root key shares are used. */
static ts_result
final_checks(const struct img *im)
{
	static const char *const ok_states[] = { "DEV", "PROD", "PROD_END", "RMA", "SCRAP" };
	const struct ts_mm_part *s2 = ts_mmap_part(im->g->map, "SECRET2");
	if (s2 == NULL || !im->locked[(size_t)(s2 - im->g->map->parts)]) {
		return TS_OK;
	}
	for (size_t i = 0; i < sizeof(ok_states) / sizeof(ok_states[0]); i++) {
		if (strcmp(im->lc_state, ok_states[i]) == 0) {
			return TS_OK;
		}
	}
	TS_BAILF(TS_ERR_SCHEMA, "SECRET2 is locked but the life-cycle state is %s; it may be locked only in DEV, PROD, "
		 "PROD_END, RMA or SCRAP", im->lc_state);
}

static ts_result
vmem(const struct img *im, const char *data_perm, struct ts_buf *out)
{
	const struct ts_mmap *m = im->g->map;
	unsigned perm[24];
	TS_SECRET(image);
	TS_GUARD(ts_otp_data_perm(data_perm, perm));
	TS_GUARD(ts_secret_new(&image, m->size + 1));
	uint8_t *defined = calloc(m->size + 1, 1);
	long *annot = calloc(m->size + 1, sizeof(long));
	ts_result r = defined != NULL && annot != NULL ? TS_OK : ts_fail(TS_ERR_NOMEM, 0, __FILE__, __LINE__);
	for (size_t pi = 0; r.code == 0 && pi < m->nparts; pi++) {
		r = stream_part(im, pi, image.data, defined);
	}
	if (r.code == 0) {
		annotate(im, annot);
		r = write_vmem(im, image.data, annot, perm, out);
	}
	free(defined);
	free(annot);
	return r;
}

static ts_result
build(struct img *im, const struct ts_otp_request *req, struct ts_buf *out)
{
	TS_GUARD(merge_file(im, req->img_cfg, 1));
	for (size_t i = 0; i < req->nadd; i++) {
		TS_GUARD(merge_file(im, req->add_cfg[i], 0));
	}
	TS_GUARD(final_checks(im));
	return req->c_output ? write_c(im, out) : vmem(im, req->data_perm, out);
}

ts_result
ts_otpgen_image(struct ts_otpgen *g, const struct ts_otp_request *req, struct ts_buf *out)
{
	TS_ENSURE(g != NULL && req != NULL && req->img_cfg != NULL && out != NULL, TS_ERR_NULL);
	struct img im;
	ts_result r = img_init(&im, g);
	if (r.code == 0) {
		r = build(&im, req, out);
	}
	img_free(&im);
	return r;
}

/* The otp_consts equivalent: what individualization programs, per partition (same selection as the C file). */
static ts_result
consts_json(const struct img *im, json_t *parts)
{
	const struct ts_mmap *m = im->g->map;
	char word[24];
	for (size_t pi = 0; pi < m->nparts; pi++) {
		const struct ts_mm_part *p = &m->parts[pi];
		if (count_selected(im, pi) == 0) {
			continue;
		}
		json_t *items = json_array();
		TS_ENSURE(items != NULL && json_object_set_new(parts, p->name, items) == 0, TS_ERR_NOMEM);
		for (size_t j = 0; j < p->nitems; j++) {
			if (!selected(im, pi, j)) {
				continue;
			}
			const struct ts_mm_item *it = &p->items[j];
			const struct ts_secret *v = &im->vals[im->first[pi] + j];
			size_t a = word_size(p);
			int deferred = 0;
			json_t *words = json_array();
			TS_ENSUREF(it->size % a == 0, TS_ERR_SCHEMA, "item %s: %zu bytes is not a multiple of %zu", it->name,
				   it->size, a);
			for (size_t i = 0; i < sizeof(non_static) / sizeof(non_static[0]); i++) {
				deferred |= strcmp(it->name, non_static[i]) == 0;
			}
			for (size_t w = 0; w < it->size / a; w++) {
				uint64_t x = 0;
				for (size_t b = a; b-- > 0;) {
					x = x << 8 | v->data[w * a + b];
				}
				(void)snprintf(word, sizeof(word), "0x%0*llx", (int)(2 * a), (unsigned long long)x);
				(void)json_array_append_new(words, json_string(word));
			}
			json_t *e = json_pack("{s:s,s:I,s:I,s:o,s:b}", "item", it->name, "offset", (json_int_t)it->offset, "size",
					      (json_int_t)it->size, "words", words, "deferred", deferred);
			TS_ENSURE(e != NULL && json_array_append_new(items, e) == 0, TS_ERR_NOMEM);
		}
	}
	return TS_OK;
}

ts_result
ts_otpgen_consts(struct ts_otpgen *g, const struct ts_otp_request *req, json_t **out)
{
	TS_ENSURE(g != NULL && req != NULL && req->img_cfg != NULL && out != NULL, TS_ERR_NULL);
	struct img im;
	json_t *parts = json_object();
	ts_result r = parts != NULL ? img_init(&im, g) : ts_fail(TS_ERR_NOMEM, 0, __FILE__, __LINE__);
	if (r.code == 0) {
		r = merge_file(&im, req->img_cfg, 1);
		for (size_t i = 0; r.code == 0 && i < req->nadd; i++) {
			r = merge_file(&im, req->add_cfg[i], 0);
		}
	}
	r = r.code ? r : final_checks(&im);
	r = r.code ? r : consts_json(&im, parts);
	img_free(&im);
	if (r.code != 0) {
		json_decref(parts);
		return r;
	}
	*out = parts;
	return TS_OK;
}
