#include "common/topgen/ts_lc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/base/ts_hex.h"
#include "common/base/ts_hjson.h"
#include "common/topgen/ts_drbg.h"

TS_DEFINE_AUTO(EVP_MD_CTX, EVP_MD_CTX_free)
TS_DEFINE_AUTO(EVP_MD, EVP_MD_free)

#define MAX_TOKEN_BITS 1024
#define MAX_TOKENS 64

/* Parses "0x<hex>" into a big-endian value of out->len bytes. */
static int
parse_hex(const char *s, struct ts_secret *out)
{
	size_t n = strlen(s);
	if (n < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
		return 0;
	}
	size_t bit = 0;
	for (size_t i = n; i-- > 2; bit += 4) {
		int h = ts_hex_value(s[i]);
		if (h == TS_HEX_INVALID) {
			return 0;
		}
		if (h == 0) {
			continue;
		}
		if (bit / 8 >= out->len) {
			return 0;
		}
		out->data[out->len - 1 - bit / 8] |= (uint8_t)(h << (bit % 8));
	}
	return 1;
}

static ts_result
load_token(const struct ts_hjson_doc *doc, json_t *t, size_t bytes, struct ts_lc_token *tok)
{
	json_t *name = json_object_get(t, "name");
	json_t *value = json_object_get(t, "value");
	if (!json_is_object(t) || !json_is_string(name) || !json_is_string(value) ||
	    ts_hjson_is_int(name) || ts_hjson_is_int(value)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, t, "each token needs a string 'name' and a string 'value'");
	}
	const char *n = json_string_value(name);
	size_t len = strlen(n);
	int ok = len > 0 && len < sizeof(tok->name);
	for (size_t i = 0; ok && i < len; i++) {
		ok = (n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
		     (n[i] >= '0' && n[i] <= '9') || n[i] == '_';
	}
	if (!ok) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, name, "token names must be [A-Za-z0-9_] identifiers");
	}
	memcpy(tok->name, n, len + 1);
	tok->random = strcmp(json_string_value(value), "<random>") == 0;
	if (tok->random) {
		return TS_OK;
	}
	TS_GUARD(ts_secret_new(&tok->value, bytes));
	if (!parse_hex(json_string_value(value), &tok->value)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, value, "token value must be \"<random>\" or 0x<hex> within token_size");
	}
	return TS_OK;
}

static ts_result
load_from_doc(const struct ts_hjson_doc *doc, struct ts_lc *lc)
{
	json_t *root = ts_hjson_root(doc);
	json_t *size = json_object_get(root, "token_size");
	json_t *tokens = json_object_get(root, "tokens");
	unsigned long long bits;
	if (!json_is_object(root) || size == NULL || tokens == NULL) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, root, "an LC state file needs 'token_size' and 'tokens'");
	}
	if (ts_hjson_int_to_u64(size, MAX_TOKEN_BITS, &bits).code != 0 || bits == 0 || bits % 8 != 0) {
		ts_error_clear();
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, size, "token_size must be a multiple of 8 between 8 and 1024");
	}
	if (!json_is_array(tokens) || json_array_size(tokens) == 0 ||
	    json_array_size(tokens) > MAX_TOKENS) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, tokens, "tokens must be a list of 1 to 64 tokens");
	}
	lc->token_size = (size_t)bits;
	lc->ntokens = json_array_size(tokens);
	lc->tokens = calloc(lc->ntokens, sizeof(*lc->tokens));
	TS_ENSURE(lc->tokens != NULL, TS_ERR_NOMEM);
	for (size_t i = 0; i < lc->ntokens; i++) {
		TS_GUARD(load_token(doc, json_array_get(tokens, i), lc->token_size / 8, &lc->tokens[i]));
	}
	return TS_OK;
}

static const char default_state[] =
	"{ token_size: 128, tokens: [ { name: \"AllZeroToken\", value: \"0x0\" },"
	"  { name: \"RndCnstRawUnlockToken\", value: \"<random>\" } ] }";

ts_result
ts_lc_load(const char *path, struct ts_lc **out)
{
	TS_ENSURE_REF(out);
	TS_AUTO(struct ts_hjson_doc, ts_hjson_doc_free) doc = NULL;
	if (path != NULL) {
		TS_GUARD(ts_hjson_load(path, &doc));
	} else {
		TS_GUARD(ts_hjson_parse(default_state, sizeof(default_state) - 1, "<built-in LC state>", &doc));
	}
	struct ts_lc *lc = calloc(1, sizeof(*lc));
	TS_ENSURE(lc != NULL, TS_ERR_NOMEM);
	ts_result r = load_from_doc(doc, lc);
	if (r.code != 0) {
		ts_lc_free(lc);
		return r;
	}
	*out = lc;
	return TS_OK;
}

/* NIST SP 800-185 §2.3: bytepad(encode_string(N) || encode_string(S), 168), N = "", S = "LC_CTRL". */
static const uint8_t cshake_prefix_head[] = { 0x01, 0xA8, 0x01, 0x00, 0x01, 0x38,
					      'L', 'C', '_', 'C', 'T', 'R', 'L' };

ts_result
ts_lc_hash_token(const struct ts_secret *value, struct ts_secret *out)
{
	TS_ENSURE_REF(value);
	TS_ENSURE_REF(out);
	TS_ENSURE(value->len > 0, TS_ERR_RANGE);
	uint8_t pad[168] = { 0 };
	memcpy(pad, cshake_prefix_head, sizeof(cshake_prefix_head));
	TS_SECRET(le);
	TS_SECRET(h);
	TS_GUARD(ts_secret_new(&le, value->len));
	TS_GUARD(ts_secret_new(&h, value->len));
	for (size_t i = 0; i < value->len; i++) {
		le.data[i] = value->data[value->len - 1 - i];
	}
	/* The KECCAK-KMAC-128 digest is the raw cSHAKE128 sponge (cSHAKE padding, XOF). */
	TS_AUTO(EVP_MD, EVP_MD_free) md = EVP_MD_fetch(NULL, "KECCAK-KMAC-128", NULL);
	TS_AUTO(EVP_MD_CTX, EVP_MD_CTX_free) ctx = EVP_MD_CTX_new();
	TS_ENSURE(md != NULL && ctx != NULL, TS_ERR_CRYPTO);
	TS_GUARD_OSSL(EVP_DigestInit_ex2(ctx, md, NULL));
	TS_GUARD_OSSL(EVP_DigestUpdate(ctx, pad, sizeof(pad)));
	TS_GUARD_OSSL(EVP_DigestUpdate(ctx, le.data, le.len));
	TS_GUARD_OSSL(EVP_DigestFinalXOF(ctx, h.data, h.len));
	TS_GUARD(ts_secret_new(out, value->len));
	for (size_t i = 0; i < h.len; i++) {
		out->data[i] = h.data[h.len - 1 - i];
	}
	return TS_OK;
}

ts_result
ts_lc_generate(struct ts_lc *lc, const struct ts_secret *lc_seed)
{
	TS_ENSURE_REF(lc);
	TS_ENSURE_REF(lc_seed);
	TS_AUTO(struct ts_drbg, ts_drbg_free) d = NULL;
	TS_GUARD(ts_drbg_new(lc_seed, &d));
	for (size_t i = 0; i < lc->ntokens; i++) {
		struct ts_lc_token *t = &lc->tokens[i];
		if (t->random) {
			ts_secret_free(&t->value);
			TS_GUARD(ts_drbg_getrandbits(d, lc->token_size, &t->value));
		}
	}
	for (size_t i = 0; i < lc->ntokens; i++) {
		ts_secret_free(&lc->tokens[i].hashed);
		TS_GUARD(ts_lc_hash_token(&lc->tokens[i].value, &lc->tokens[i].hashed));
	}
	return TS_OK;
}

void
ts_lc_free(struct ts_lc *lc)
{
	if (lc == NULL) {
		return;
	}
	for (size_t i = 0; lc->tokens != NULL && i < lc->ntokens; i++) {
		ts_secret_free(&lc->tokens[i].value);
		ts_secret_free(&lc->tokens[i].hashed);
	}
	free(lc->tokens);
	free(lc);
}
