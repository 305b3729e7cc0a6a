#include "common/otp/ts_otp_img.h"

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
build(struct img *im, const struct ts_otp_request *req, struct ts_buf *out)
{
	TS_GUARD(ts_otp_img_merge(im, req->img_cfg, 1));
	for (size_t i = 0; i < req->nadd; i++) {
		TS_GUARD(ts_otp_img_merge(im, req->add_cfg[i], 0));
	}
	TS_GUARD(final_checks(im));
	return req->c_output ? ts_otp_img_c(im, out) : ts_otp_img_vmem(im, req->data_perm, out);
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

ts_result
ts_otpgen_consts(struct ts_otpgen *g, const struct ts_otp_request *req, json_t **out)
{
	TS_ENSURE(g != NULL && req != NULL && req->img_cfg != NULL && out != NULL, TS_ERR_NULL);
	struct img im;
	json_t *parts = json_object();
	ts_result r = parts != NULL ? img_init(&im, g) : ts_fail(TS_ERR_NOMEM, 0, __FILE__, __LINE__);
	if (r.code == 0) {
		r = ts_otp_img_merge(&im, req->img_cfg, 1);
		for (size_t i = 0; r.code == 0 && i < req->nadd; i++) {
			r = ts_otp_img_merge(&im, req->add_cfg[i], 0);
		}
	}
	r = r.code ? r : final_checks(&im);
	r = r.code ? r : ts_otp_img_consts(&im, parts);
	img_free(&im);
	if (r.code != 0) {
		json_decref(parts);
		return r;
	}
	*out = parts;
	return TS_OK;
}
