#include "public/public_seeds.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>

#include "common/base/ts_file.h"
#include "common/base/ts_hjson.h"

static ts_result
check_name(const struct ts_hjson_doc *doc, json_t *root)
{
	json_t *name = json_object_get(root, "name");
	if (name == NULL) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, root, "the seed file has no 'name' (the seed mode, \"testing\")");
	}
	if (!json_is_string(name) || ts_hjson_is_int(name)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, name, "'name' must be a string");
	}
	if (strcmp(json_string_value(name), "testing") != 0) {
		return ts_hjson_fail_at(TS_ERR_MODE, doc, name,
			      "seed mode '%s' is not 'testing'; tapeseal only uses testing seeds: tapeout seeds "
			      "belong to tapeseal-secure, which derives them inside an HSM",
			      json_string_value(name));
	}
	return TS_OK;
}

static ts_result
seed_value(const struct ts_hjson_doc *doc, const char *key, json_t *v, struct ts_secret *out)
{
	TS_AUTO(BIGNUM, BN_clear_free) bn = BN_secure_new();
	TS_ENSURE(bn != NULL, TS_ERR_NOMEM);
	if (!ts_hjson_is_int(v)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "%s must be a decimal integer", key);
	}
	TS_GUARD(ts_hjson_int_to_bn(v, bn));
	if (BN_is_negative(bn)) {
		return ts_hjson_fail_at(TS_ERR_SEED, doc, v, "%s is negative; a seed is a non-zero 256-bit integer", key);
	}
	if (BN_is_zero(bn)) {
		return ts_hjson_fail_at(TS_ERR_SEED, doc, v, "%s is zero; a seed is a non-zero 256-bit integer", key);
	}
	if (BN_num_bits(bn) > 256) {
		return ts_hjson_fail_at(TS_ERR_SEED, doc, v, "%s has %d bits; a seed has at most 256", key, BN_num_bits(bn));
	}
	TS_GUARD(ts_secret_new(out, 32));
	TS_ENSURE(BN_bn2binpad(bn, out->data, 32) == 32, TS_ERR_CRYPTO);
	return TS_OK;
}

static ts_result
parse_doc(const struct ts_hjson_doc *doc, struct ts_seeds *out)
{
	json_t *root = ts_hjson_root(doc);
	const char *key;
	json_t *v;
	if (!json_is_object(root)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, root, "a seed file is an object");
	}
	TS_GUARD(check_name(doc, root));
	snprintf(out->mode, sizeof(out->mode), "testing");
	json_object_foreach(root, key, v) {
		enum ts_seed_kind k = TS_SEED_COUNT;
		for (int i = 0; i < TS_SEED_COUNT; i++) {
			k = strcmp(key, ts_seed_name((enum ts_seed_kind)i)) == 0 ? (enum ts_seed_kind)i : k;
		}
		if (strcmp(key, "name") == 0) {
			continue;
		}
		if (k == TS_SEED_COUNT) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v,
				      "unknown key '%s'; a seed file holds name, topgen_seed, otp_img_seed, lc_ctrl_seed",
				      key);
		}
		TS_SECRET(s);
		TS_GUARD(seed_value(doc, key, v, &s));
		if (ts_seeds_add(out, k, &s).code != 0) {
			char msg[256];
			(void)snprintf(msg, sizeof(msg), "%s", ts_last_error_message());
			ts_error_clear();
			return ts_hjson_fail_at(TS_ERR_SEED, doc, v, "%s", msg);
		}
	}
	if (out->seed[TS_SEED_TOPGEN].data == NULL) {
		return ts_hjson_fail_at(TS_ERR_SEED, doc, root, "topgen_seed is missing");
	}
	return TS_OK;
}

ts_result
public_seeds_parse(const char *text, size_t len, const char *name, struct ts_seeds *out)
{
	TS_ENSURE_REF(out);
	TS_AUTO(struct ts_hjson_doc, ts_hjson_doc_free) doc = NULL;
	TS_GUARD(ts_hjson_parse(text, len, name, &doc));
	ts_result r = parse_doc(doc, out);
	if (r.code != 0) {
		ts_seeds_free(out);
	}
	return r;
}

ts_result
public_seeds_load(const char *path, struct ts_seeds *out)
{
	TS_BUF(b);
	TS_GUARD(ts_file_read(path, 64 * 1024, &b));
	return public_seeds_parse(b.len ? (const char *)b.data : "", b.len, path, out);
}
